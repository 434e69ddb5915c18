from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.labelstudio.convert import to_annotation, to_task
from eventgold.annotate.pull import pull_to_gold
from eventgold.annotate.push import push
from eventgold.annotate.repull import (
    MARGIN,
    RepullReport,
    comparable_files,
    iter_repull_to_gold,
)
from eventgold.cli import app
from eventgold.documents import Entity
from eventgold.progress import drain

from ..conftest import TEST_CREDS
from .test_pull import GOOD_ENTS, GOOD_RELS, SCHEMA, doc


def repull(session, title: str, out: Path, *, full: bool = False) -> RepullReport:
    steps = iter_repull_to_gold(session, project_title=title, out_dir=out, schema=SCHEMA, full=full)
    return drain(steps)


def annotated(doc_id: str, n: int = 2):
    return doc(doc_id, GOOD_ENTS[:n], GOOD_RELS[:1] if n >= 2 else ())


@pytest.fixture
def project(ls_session, project_title) -> dict[str, int]:
    """Six annotated documents, one annotation rejected, one relation dropped; doc id -> task."""
    docs = [annotated(f"d-{i}", 1 + i % 4) for i in range(6)]
    report = drain(
        push(
            ls_session,
            project_title=project_title,
            documents=[d.without_annotations() for d in docs],
            schema=SCHEMA,
            annotations=docs,
        )
    )
    bad = doc("d-bad", (Entity("x", 0, 6, "WEAPON", "Rebels"),))
    nolabel = to_task(doc("d-nolabel"), annotations=[annotated("d-nolabel")])
    nolabel["annotations"][0]["result"][-1]["labels"] = []  # a relation without a label
    ls_session.client.projects.import_tasks(
        id=report.project_id, request=[to_task(doc("d-bad"), annotations=[bad]), nolabel]
    )
    tasks = ls_session.client.tasks.list(project=report.project_id)
    time.sleep(MARGIN.total_seconds() + 1)  # the pull below starts after every change above
    return {"project_id": report.project_id} | {t.data["doc_id"]: t.id for t in tasks}


@pytest.mark.labelstudio
def test_repull_fetches_only_changes_and_writes_the_full_pulls_gold(
    ls_session, ls_server, project, project_title, tmp_path
):
    client = ls_session.client
    a, b = tmp_path / "a" / "gold", tmp_path / "b" / "gold"
    first = repull(ls_session, project_title, a)
    assert (first.incremental, first.full_reason) == (False, f"{a} holds no gold from a "
            "previous pull (no .eventgold-gold, pull.json, annotations.jsonl, rejects.jsonl, "
            "documents.jsonl)")  # fmt: skip
    assert (first.report.documents, first.report.rejected, first.report.relations_dropped) == (
        7,
        1,
        1,
    )
    before = comparable_files(a)

    # Nothing changed: nothing read, the same gold (through the command, which says so).
    args = ["pull", "--project", project_title, "--out", str(a)]
    result = CliRunner().invoke(app, [*args, "--url", ls_server.url, "--api-key", TEST_CREDS.token])
    assert result.exit_code == 0, result.output
    assert (
        "7 gold document(s) from 8 task(s) (incremental: 0 changed task(s) read with 0 usable "
        "annotation(s) and 0 cancelled/skipped, 0 deleted task(s) dropped; 0 task(s) "
        "unannotated, 1 task(s) with every annotation rejected)"
    ) in result.output.replace("\n", " ")
    assert comparable_files(a) == before

    # One annotation changed, one deleted, a new annotated task, two tasks deleted (one kept,
    # one rejected).
    tasks = {t.id: t for t in client.tasks.list(project=project["project_id"])}
    ann = {tid: t.annotations[0]["id"] for tid, t in tasks.items()}
    newer = annotated("d-0", 4)
    client.annotations.update(id=ann[project["d-0"]], result=to_annotation(newer)["result"])
    client.annotations.delete(id=ann[project["d-1"]])
    client.projects.import_tasks(
        id=project["project_id"], request=[to_task(doc("d-new"), annotations=[annotated("d-new")])]
    )
    client.tasks.delete(id=project["d-2"])
    client.tasks.delete(id=project["d-bad"])

    incremental = tmp_path / "inc" / "gold"
    shutil.copytree(a, incremental)
    report = repull(ls_session, project_title, incremental)
    assert (report.incremental, report.fetched, report.deleted) == (True, 3, 2)
    assert report.rewrite_reason == ""  # the gold was patched, and equals the full pull's
    assert (report.report.tasks, report.report.documents, report.report.unannotated) == (7, 6, 1)
    assert (report.report.rejected, report.report.relations_dropped) == (0, 1)
    assert report.report.annotations == 2  # of the fetched tasks only
    fresh = repull(ls_session, project_title, b, full=True)
    assert (fresh.incremental, fresh.full_reason) == (False, "--full was asked for")
    # The same counts, but those of annotations read: the full pull read every task's.
    assert (fresh.report.annotations, fresh.report.cancelled) == (6, 0)
    assert fresh.report == replace(
        report.report, out_dir=b, rejects_path=b / "rejects.jsonl", annotations=6
    )
    got, want = comparable_files(incremental), comparable_files(b)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []
    assert b'"d-new"' in want["documents.jsonl"] and b'"d-2"' not in want["documents.jsonl"]
    assert got != before


@pytest.mark.labelstudio
def test_repull_of_another_pulls_gold_is_a_full_one_saying_why(
    ls_session, ls_server, project, project_title, tmp_path
):
    out = tmp_path / "gold"
    pull_to_gold(
        ls_session, project_title=project_title, out_dir=out, schema=SCHEMA, selection="latest"
    )
    report = repull(ls_session, project_title, out)
    assert report.full_reason == (
        "the previous pull's selection was 'latest', this one's is 'ground-truth-then-latest'"
    )
    facts = json.loads((out / "pull.json").read_text())
    facts.pop("started_at")
    (out / "pull.json").write_text(json.dumps(facts))
    report = repull(ls_session, project_title, out)
    assert report.full_reason == (
        f"{out / 'pull.json'} was written by an older eventgold or is damaged"
    )
    again = repull(ls_session, project_title, out)
    assert (again.incremental, again.fetched, again.full_reason) == (True, 0, "")
    # A gold folder the patch cannot trust (an older eventgold's, without stats.json) is
    # written whole, and the command says why; the next one is patched.
    (out / "stats.json").unlink()
    args = ["pull", "--project", project_title, "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--url", ls_server.url, "--api-key", TEST_CREDS.token])
    assert result.exit_code == 0, result.output
    assert "incremental: 0 changed task(s) read" in result.output.replace("\n", " ")
    assert (
        f"gold written whole, not patched: {out} has no stats.json: an older eventgold wrote it"
    ) in result.output.replace("\n", " ")
    assert (out / "stats.json").is_file()
    again = repull(ls_session, project_title, out)
    assert (again.incremental, again.full_reason, again.rewrite_reason) == (True, "", "")
