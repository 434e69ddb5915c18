"""The annotator's path in headless Chromium against the run's Label Studio (1.23.2).

One labeling session (module fixture) does what an annotator does; the tests check what it
saw and what pull makes of it. Offsets are checked after an emoji and a CJK Extension B
character, where UTF-16 and code points part.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.pull import pull
from eventgold.cli import app
from eventgold.schema import load_schema

from . import labeling as ui

pytestmark = [pytest.mark.browser, pytest.mark.labelstudio]
SCHEMA = load_schema()
ROOT = Path(__file__).resolve().parents[2]
TEXT = ui.TEXT


@dataclass(frozen=True)
class Session:
    project_id: int
    email: str
    password: str
    labeled: ui.Labeled
    timings: dict[str, float]


@pytest.fixture(scope="module")
def labeled(ls_session, ls_server, browser, tmp_path_factory) -> Session:
    stamp = time.time_ns() % 10**9
    prep = ui.prepare(ls_session, title=f"browser-{stamp}", email=f"annotator-{stamp}@example.org",
                      secrets_dir=tmp_path_factory.mktemp("home") / "secrets")  # fmt: skip
    # Defect 1: the second step set the model version, so the stream shows the predictions.
    assert prep.model_version_set and prep.predictions_added == 1
    timings = ui.Timings()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        got = ui.label_task(context.new_page(), ls_server.url, prep.project_id, email=prep.email,
                            password=prep.password, timings=timings)  # fmt: skip
    finally:
        context.close()
    return Session(prep.project_id, prep.email, prep.password, got, timings.steps)


def test_the_stream_shows_the_pre_annotations_and_their_relation(labeled):
    assert labeled.labeled.seen_regions == ["Gunmen", "five villagers"]
    assert labeled.labeled.seen_relations == 1


def test_labels_are_chosen_by_hotkey_and_by_button(labeled):
    assert labeled.labeled.labels_after == {"hotkey 3": "LOCATION", "button ATTACK": "ATTACK"}


def test_a_relation_holds_one_label_the_last_picked(labeled):
    assert labeled.labeled.relation_values == ["KILLED", "CONDEMNS", "KILLED"]
    relations = [r for r in labeled.labeled.submitted["result"] if r["type"] == "relation"]
    assert sorted(len(r["labels"]) for r in relations) == [1, 1]


def test_submit_is_created(labeled):
    assert labeled.labeled.status == 201 and labeled.labeled.submitted["id"]


def test_pull_gives_code_point_offsets_and_the_relation(labeled, ls_session):
    title = next(p.title for p in ls_session.client.projects.list() if p.id == labeled.project_id)
    (task,) = list(pull(ls_session, project_title=title, schema=SCHEMA))
    assert task.rejects == () and task.dropped == ()
    (ann,) = task.annotations
    assert ann.meta["annotator"] == labeled.email
    got = {(e.label, e.text): e for e in ann.entities}
    assert set(got) == {("ATTACKER", "Gunmen"), ("VICTIM_GROUP", "five villagers"),
                        ("LOCATION", "Kabul"), ("ATTACK", "attack")}  # fmt: skip
    for e in ann.entities:
        assert TEXT[e.start : e.end] == e.text
    # After the emoji (one code point, two UTF-16 units) and after 𠀋 (likewise).
    assert got["LOCATION", "Kabul"].start == TEXT.index("Kabul") == 34
    assert got["ATTACK", "attack"].start == TEXT.index("attack") == 76
    by_id = ann.entity_by_id()
    rels = {(r.label, by_id[r.head].text, by_id[r.tail].text) for r in ann.relations}
    assert rels == {("KILLED", "Gunmen", "five villagers"), ("KILLED", "attack", "five villagers")}


def test_instructions_render_tables_and_numbered_rules(labeled, ls_server, page):
    ui.log_in(page, ls_server.url, labeled.email, labeled.password)
    ui.open_task(page, ls_server.url, labeled.project_id)  # submitted: not in the stream
    ui.close_instructions(page)  # they open by themselves: open them as a person does
    page.get_by_role("button", name="Instructions").click()
    page.locator("table").first.wait_for(timeout=ui.TIMEOUT_MS)
    assert page.locator("table").count() >= 3
    cells = page.locator("table").first.locator("th").all_inner_texts()
    assert cells[:2] == ["Hotkey", "Label"]
    assert page.locator("ol > li").count() >= 10
    assert "| Label |" not in page.content()


def test_the_html_report_renders_charts_tables_and_error_highlights(page, tmp_path):
    preds, report = tmp_path / "rules.jsonl", tmp_path / "report.html"
    runner = CliRunner()
    done = runner.invoke(app, ["predict", "--model", "rules", "--corpus", str(ROOT / "gold"),
                               "--out", str(preds)])  # fmt: skip
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["eval", "--gold", str(ROOT / "gold"), "--predictions", str(preds),
                               "--html", str(report)])  # fmt: skip
    assert done.exit_code == 0, done.output
    page.goto(report.as_uri())
    bars = page.locator("svg rect")
    assert bars.count() > 5 and bars.first.bounding_box()["width"] > 0
    assert page.locator("table").count() >= 3
    for kind in ("g", "p"):
        mark = page.locator(f"td.ctx mark.{kind}").first
        assert mark.is_visible() and mark.bounding_box()["width"] > 0
    colours = {page.locator(f"td.ctx mark.{k}").first.evaluate(
        "m => getComputedStyle(m).backgroundColor") for k in ("g", "p")}  # fmt: skip
    assert len(colours) == 2  # gold and predicted are told apart
