"""Annotator identity through Label Studio: push keeps who annotated, agree and adjudicate
read and write the project (real server)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from typer.testing import CliRunner

from eventgold.annotate.pull import annotations_from_project, pull_to_gold
from eventgold.annotate.push import push
from eventgold.cli import app
from eventgold.documents import Document, Entity, read_documents
from eventgold.progress import drain
from eventgold.schema import load_schema

from ..conftest import TEST_CREDS

TOKEN = TEST_CREDS.token

pytestmark = pytest.mark.labelstudio
SCHEMA = load_schema()
TEXT = "Gunmen killed ten villagers near Kunduz. The UN condemned the attack."
runner = CliRunner()


def ent(eid: str, surface: str, label: str) -> Entity:
    start = TEXT.index(surface)
    return Entity(id=eid, start=start, end=start + len(surface), label=label, text=surface)


BASE = Document(id="doc-1", text=TEXT, title="t")
A = replace(
    BASE,
    meta={"annotator": "annotator-1"},
    entities=(ent("a", "Gunmen", "ATTACKER"), ent("v", "ten villagers", "VICTIM_GROUP")),
)
B = replace(
    BASE,
    meta={"annotator": "annotator-2"},
    entities=(ent("a", "Gunmen", "ATTACKER"), ent("l", "Kunduz", "LOCATION")),
)


@pytest.fixture
def two_annotator_project(ls_session, project_title):
    report = drain(
        push(
            ls_session,
            project_title=project_title,
            documents=[BASE],
            schema=SCHEMA,
            annotations=[A, B],
        )
    )
    assert report.annotations_added == 2
    return project_title


def test_annotators_survive_the_round_trip(ls_session, two_annotator_project):
    ((doc_id, docs),) = list(
        annotations_from_project(ls_session, project_title=two_annotator_project, schema=SCHEMA)
    )
    assert doc_id == "doc-1"
    by_annotator = {d.meta["annotator"]: d for d in docs}
    assert sorted(by_annotator) == ["annotator-1", "annotator-2"]
    assert by_annotator["annotator-2"].entities == B.entities
    # Imported annotations are not ground truth unless asked (Label Studio's default is yes).
    assert {d.meta["ground_truth"] for d in docs} == {False}


def test_agree_and_adjudicate_on_a_project(ls_server, two_annotator_project, tmp_path):
    conn = ["--url", ls_server.url, "--api-key", TOKEN]
    result = runner.invoke(app, ["agree", "--project", two_annotator_project, *conn])
    assert result.exit_code == 0, result.output
    assert "annotator-1" in result.output and "annotator-2" in result.output
    merged = tmp_path / "merged.jsonl"
    args = ["adjudicate", "--project", two_annotator_project, "--strategy", "annotator"]
    args += ["--annotator", "annotator-2", "--out", str(merged), "--push", *conn]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 added, 0 already there, 0 not pushed" in result.output
    # A re-run (after a crash, or a lost response) adds no second ground truth.
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "0 added, 1 already there, 0 not pushed" in result.output
    # The pushed ground truth now wins the pull's selection rule.
    from eventgold.annotate.labelstudio.connection import connect

    session = connect(url=ls_server.url, api_key=TOKEN)
    pull_to_gold(
        session, project_title=two_annotator_project, out_dir=tmp_path / "g", schema=SCHEMA
    )
    (gold,) = read_documents(tmp_path / "g" / "documents.jsonl")
    assert [e.key for e in gold.entities] == [e.key for e in B.entities]
    assert gold.meta["ground_truth"] is True


def test_wrong_key_for_agree_is_one_line(ls_server):
    result = runner.invoke(
        app, ["agree", "--project", "x", "--url", ls_server.url, "--api-key", "nope"]
    )
    assert result.exit_code == 1
    assert "rejected the API key" in result.output and "nope" not in result.output
