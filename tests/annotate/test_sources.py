"""Annotation sources of agree and adjudicate (annotate.sources), on a real Label Studio:
what pull would reject is listed and counted (issue 18, defect 3), and a ground truth that
adjudicate pushed is never an input again (defect 4)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.adjudication.marker import ADJUDICATOR, is_adjudicated
from eventgold.annotate.labelstudio.convert import to_annotation
from eventgold.annotate.labelstudio.project import require_project
from eventgold.annotate.labelstudio.tasks import iter_task_keys
from eventgold.annotate.labelstudio.users import ensure_users
from eventgold.annotate.pull import pull
from eventgold.annotate.push import PushReport, push
from eventgold.annotate.sources import SourceCounts, from_files, from_project
from eventgold.cli import app
from eventgold.documents import Document, Entity, write_documents
from eventgold.progress import drain
from eventgold.schema import load_schema

from ..conftest import TEST_CREDS

pytestmark = pytest.mark.labelstudio
SCHEMA = load_schema()
TEXT = "Gunmen killed ten villagers near Kunduz. The UN condemned the attack."
ADMIN = TEST_CREDS.username
runner = CliRunner()


def ent(eid: str, surface: str, label: str) -> Entity:
    start = TEXT.index(surface)
    return Entity(id=eid, start=start, end=start + len(surface), label=label, text=surface)


def annotation(doc_id: str, annotator: str, *entities: Entity) -> Document:
    return Document(id=doc_id, text=TEXT, title="t", meta={"annotator": annotator},
                    entities=entities)  # fmt: skip


GUNMEN = ent("a", "Gunmen", "ATTACKER")
VILLAGERS = ent("v", "ten villagers", "VICTIM_GROUP")
KUNDUZ = ent("l", "Kunduz", "LOCATION")
WEAPON = ent("w", "Gunmen", "WEAPON")  # not a label of the schema: pull rejects it


def pushed(session, title: str, docs: list[str], annotations: list[Document]) -> int:
    report = drain(
        push(
            session,
            project_title=title,
            documents=[Document(id=d, text=TEXT, title="t") for d in docs],
            schema=SCHEMA,
            annotations=annotations,
        )
    )
    assert isinstance(report, PushReport) and report.problems == ()
    return report.project_id


def add_raw(session, title: str, doc_id: str, annotator: str, *entities: Entity) -> None:
    """An annotation as the UI or another tool leaves it: not checked by push."""
    project = require_project(session, title)
    task = {k.doc_id: k.task_id for k in iter_task_keys(session, project.id)}[doc_id]
    user = ensure_users(session, [annotator])[annotator]
    result = to_annotation(annotation(doc_id, annotator, *entities))["result"]
    session.client.annotations.create(id=task, result=result, ground_truth=False, completed_by=user)


@pytest.fixture
def mixed_project(ls_session, project_title) -> str:
    """doc-1: two valid annotations; doc-2: one valid, one rejected; doc-3: only rejected
    ones; doc-4: none."""
    pushed(ls_session, project_title, ["doc-1", "doc-2", "doc-3", "doc-4"], [
        annotation("doc-1", "annotator-1", GUNMEN, VILLAGERS),
        annotation("doc-1", "annotator-2", GUNMEN, KUNDUZ),
        annotation("doc-2", "annotator-1", GUNMEN),
    ])  # fmt: skip
    add_raw(ls_session, project_title, "doc-2", "annotator-2", WEAPON)
    add_raw(ls_session, project_title, "doc-3", "annotator-1", WEAPON)
    add_raw(ls_session, project_title, "doc-3", "annotator-2", WEAPON, KUNDUZ)
    return project_title


def test_project_sources_list_what_pull_rejects_and_counts_add_up(ls_session, mixed_project):
    sources = from_project(ls_session, project_title=mixed_project, schema=SCHEMA)
    assert sources.counts == SourceCounts(
        tasks=4, annotated=2, unannotated=1, all_rejected=1, annotations=3, rejected=3,
        cancelled=0, adjudicated=0,
    )  # fmt: skip
    c = sources.counts
    assert c.tasks == c.annotated + c.unannotated + c.all_rejected
    assert [(key, len(docs)) for key, docs in sources.groups] == [
        ("doc-1", 2), ("doc-2", 1), ("doc-3", 0), ("doc-4", 0)
    ]  # fmt: skip
    lines = [str(p) for p in sources.problems]
    assert len(lines) == 3 and all(p.code == "unknown-entity-label" for p in sources.problems)
    allowed = "allowed: ACTOR, ATTACK, ATTACKER, LOCATION, VICTIM_GROUP"
    assert lines[0].startswith("task ") and " / annotator 'annotator-2' / annotation " in lines[0]
    assert lines[0].endswith(
        f" / entity 0 (w): label 'WEAPON' is not in schema 'conflict_events'; {allowed}"
    )
    assert {line.split(" / ")[1] for line in lines[1:]} == {
        "annotator 'annotator-1'", "annotator 'annotator-2'"
    }  # fmt: skip


def test_agree_and_adjudicate_list_the_rejected_annotations(ls_server, mixed_project, tmp_path):
    conn = ["--url", ls_server.url, "--api-key", TEST_CREDS.token]
    summary = (
        f"project '{mixed_project}': 4 task(s): 2 with usable annotations, 1 with none, 1 whose "
        "annotations were all rejected; 3 annotation(s) used, 3 rejected, 0 cancelled, "
        "0 adjudicated ground truth(s) left out"
    )
    out = str(tmp_path / "m.jsonl")
    for args in (
        ["agree", "--project", mixed_project, "--min-items", "1"],
        ["adjudicate", "--project", mixed_project, "--strategy", "majority", "--out", out],
    ):
        result = runner.invoke(app, [*args, *conn])
        assert result.exit_code == 0, result.output
        assert "warning: 3 annotation(s) left out, as pull rejects them:" in result.stderr
        assert result.stderr.count("label 'WEAPON' is not in schema 'conflict_events'") == 3
        assert "/ annotator 'annotator-2' / annotation" in result.stderr
        assert summary in result.stderr


def test_adjudicate_push_is_never_read_back_as_a_vote(ls_server, ls_session, project_title,
                                                      tmp_path):  # fmt: skip
    """The admin annotates too: its own annotation must stay its vote after a --push by the
    same key, and a re-run must give the same merge, review and agreement."""
    pushed(ls_session, project_title, ["doc-1"], [
        annotation("doc-1", "annotator-1", GUNMEN, VILLAGERS),
        annotation("doc-1", "annotator-2", GUNMEN, KUNDUZ),
        annotation("doc-1", ADMIN, GUNMEN),
    ])  # fmt: skip
    conn = ["--url", ls_server.url, "--api-key", TEST_CREDS.token]
    agreement = ["agree", "--project", project_title, "--min-items", "1", *conn]
    before = runner.invoke(app, agreement)
    assert before.exit_code == 0, before.output

    def adjudicate(run: int) -> tuple[str, str, str]:
        merged, review = tmp_path / f"m{run}.jsonl", tmp_path / f"r{run}.md"
        args = ["adjudicate", "--project", project_title, "--strategy", "annotator"]
        args += ["--annotator", "annotator-2", "--out", str(merged), "--review", str(review)]
        result = runner.invoke(app, [*args, "--push", *conn])
        assert result.exit_code == 0, result.output
        return merged.read_text(), review.read_text(), result.stdout

    merged, review, first = adjudicate(1)
    assert "1 added, 0 already there, 0 not pushed" in first
    again = adjudicate(2)
    assert again[:2] == (merged, review)
    assert "0 added, 1 already there, 0 not pushed" in again[2]
    # The admin's own vote (no Kunduz), not the ground truth it pushed (annotator-2's).
    assert f"{ADMIN}: none; annotator-1: none; annotator-2: LOCATION [33, 39) 'Kunduz'" in review
    assert "more than once" not in review
    after = runner.invoke(app, agreement)
    assert after.exit_code == 0, after.output
    assert after.stdout == before.stdout
    assert "1 adjudicated ground truth(s) left out" in after.stderr
    # In Label Studio the ground truth is the adjudicator's, and pull's selection takes it.
    (task,) = pull(ls_session, project_title=project_title, schema=SCHEMA)
    (truth,) = [d for d in task.annotations if d.meta["ground_truth"]]
    assert truth.meta["annotator"] == ADJUDICATOR and is_adjudicated(truth)
    assert [e.key for e in truth.entities] == [GUNMEN.key, KUNDUZ.key]
    assert sorted(d.meta["annotator"] for d in task.annotations) == sorted(
        [ADMIN, ADJUDICATOR, "annotator-1", "annotator-2"]
    )


def test_files_leave_out_a_pulled_adjudicated_ground_truth(tmp_path: Path):
    a = annotation("doc-1", "annotator-1", GUNMEN)
    truth = replace(a, meta={"annotator": ADJUDICATOR, "ground_truth": True})
    human_truth = replace(a, meta={"annotator": "reviewer", "ground_truth": True})
    inputs = [tmp_path / "pulled.jsonl", tmp_path / "reviewed.jsonl", tmp_path / "a.jsonl"]
    for path, doc in zip(inputs, (truth, human_truth, a), strict=True):
        write_documents(path, [doc])
    sources = from_files(inputs)
    ((key, docs),) = sources.groups
    assert key == "doc-1" and [d.meta["annotator"] for d in docs] == ["reviewer", "annotator-1"]
    assert (sources.counts.annotations, sources.counts.adjudicated) == (2, 1)
