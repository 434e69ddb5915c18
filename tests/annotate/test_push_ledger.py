"""Quick re-push (issue 23): the ledger of the last push, against a real Label Studio."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from typer.testing import CliRunner

from eventgold.annotate.labelstudio.changes import MARGIN, changed_task_ids, project_state
from eventgold.annotate.labelstudio.convert import to_annotation
from eventgold.annotate.labelstudio.tasks import delete_tasks, iter_task_keys
from eventgold.annotate.ledger import ledger_path
from eventgold.annotate.push import CONFLICT, push
from eventgold.cli import app
from eventgold.documents import write_documents

from ..conftest import TEST_CREDS
from .test_push import SCHEMA, _import_again, annotated, article, failing_at, run

pytestmark = pytest.mark.labelstudio


def doc_ids(session, project_id: int) -> list[str]:
    return sorted(k.doc_id for k in iter_task_keys(session, project_id))


def test_a_re_push_with_the_ledger_reads_only_what_changed(ls_backend_session, project_title,
                                                           tmp_path):  # fmt: skip
    session, ledger = ls_backend_session, tmp_path / "ledger"
    docs = [article(i) for i in range(30)]
    first = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                     batch_size=7, ledger_dir=ledger))  # fmt: skip
    assert (first.imported, first.keys_read, first.full_scan_reason) == (30, 0, "")
    assert ledger_path(ledger, session.url, first.project_id).is_file()
    # Right after the push that imported them: its own tasks are not read back.
    again = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                     ledger_dir=ledger))  # fmt: skip
    assert (again.imported, again.skipped, again.problems) == (0, 30, ())
    assert (again.keys_from_ledger, again.full_scan_reason) == (True, "")
    assert (again.keys_read, again.ids_listed, again.tasks_gone) == (0, 0, 0)
    # An annotation makes its task one to read again; the text hash still matches.
    task = next(k.task_id for k in iter_task_keys(session, first.project_id))
    session.client.annotations.create(id=task, result=to_annotation(annotated(docs[0]))["result"])
    third = run(push(session, project_title=project_title, documents=[*docs, article(30)],
                     schema=SCHEMA, ledger_dir=ledger))  # fmt: skip
    assert (third.imported, third.skipped, third.keys_read) == (1, 30, 1)
    assert doc_ids(session, first.project_id) == [d.id for d in [*docs, article(30)]]


def test_documents_another_machine_added_are_not_imported_again(ls_backend_session, project_title,
                                                                tmp_path):  # fmt: skip
    session = ls_backend_session
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    docs = [article(i) for i in range(25)]
    first = run(push(session, project_title=project_title, documents=docs[:10], schema=SCHEMA,
                     ledger_dir=mine))  # fmt: skip
    other = run(push(session, project_title=project_title, documents=docs[5:20], schema=SCHEMA,
                     ledger_dir=theirs))  # fmt: skip
    path = ledger_path(theirs, session.url, first.project_id)
    assert (other.imported, other.skipped, other.keys_read) == (10, 5, 10)
    assert other.full_scan_reason == (
        f"no ledger of an earlier push of this project from this machine ({path})"
    )
    report = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                      ledger_dir=mine))  # fmt: skip
    assert (report.imported, report.skipped, report.problems) == (5, 20, ())
    assert (report.keys_from_ledger, report.keys_read) == (True, 10)  # the other machine's
    assert doc_ids(session, first.project_id) == [d.id for d in docs]


def test_a_task_deleted_in_label_studio_is_noticed_and_its_document_pushed_again(
    ls_backend_session, project_title, tmp_path
):
    session, ledger = ls_backend_session, tmp_path / "ledger"
    docs = [article(i) for i in range(10)]
    first = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                     ledger_dir=ledger))  # fmt: skip
    by_doc = {k.doc_id: k.task_id for k in iter_task_keys(session, first.project_id)}
    delete_tasks(session, first.project_id, [by_doc[docs[3].id]])
    report = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                      ledger_dir=ledger))  # fmt: skip
    assert (report.imported, report.skipped, report.duplicates_removed) == (1, 9, 0)
    assert (report.keys_from_ledger, report.ids_listed, report.tasks_gone) == (True, 9, 1)
    assert doc_ids(session, first.project_id) == [d.id for d in docs]
    # The ledger now holds the new task: the next push finds nothing to do.
    again = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                     ledger_dir=ledger))  # fmt: skip
    assert (again.imported, again.skipped, again.ids_listed, again.tasks_gone) == (0, 10, 0, 0)


def test_a_changed_text_is_reported_as_a_conflict(ls_session, project_title, tmp_path):
    ledger = tmp_path / "ledger"
    docs = [article(i) for i in range(5)]
    run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
             ledger_dir=ledger))  # fmt: skip
    changed = docs[3].with_annotations(entities=(), relations=())
    changed = type(changed)(changed.id, "A different text.", title="x")
    report = run(push(ls_session, project_title=project_title, documents=[changed],
                      schema=SCHEMA, ledger_dir=ledger))  # fmt: skip
    assert (report.keys_from_ledger, report.imported) == (True, 0)
    [problem] = report.problems
    assert (problem.code, problem.where) == (CONFLICT, "document 'doc-0003'")
    assert problem.message.startswith("already in the project (task ")


def test_a_damaged_or_foreign_ledger_means_a_full_scan_with_the_reason(ls_session,
                                                                        project_title, tmp_path):  # fmt: skip
    ledger = tmp_path / "ledger"
    docs = [article(i) for i in range(4)]
    first = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                     ledger_dir=ledger))  # fmt: skip
    path = ledger_path(ledger, ls_session.url, first.project_id)
    facts = json.loads(path.read_text(encoding="utf-8"))
    path.write_text("{not json", encoding="utf-8")
    report = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                      ledger_dir=ledger))  # fmt: skip
    assert (report.keys_from_ledger, report.keys_read, report.skipped) == (False, 4, 4)
    assert report.full_scan_reason == (
        f"the ledger {path} is damaged (JSONDecodeError: Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1))"
    )
    # The full scan wrote a good one again.
    again = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                     ledger_dir=ledger))  # fmt: skip
    assert (again.keys_from_ledger, again.full_scan_reason) == (True, "")
    # A project re-created under the same id (the ledger names its creation time).
    created = facts["project_created_at"]
    path.write_text(json.dumps({**facts, "project_created_at": "2020-01-01T00:00:00+00:00"}))
    report = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                      ledger_dir=ledger))  # fmt: skip
    assert report.full_scan_reason == (
        f"the ledger {path} is of an earlier project with the same id (created "
        f"2020-01-01T00:00:00+00:00; this one was created {created})"
    )
    path.write_text(json.dumps({**facts, "version": 0}))
    report = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                      ledger_dir=ledger))  # fmt: skip
    assert report.full_scan_reason == (
        f"the ledger {path} has version 0; this eventgold reads version 1"
    )
    report = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                      ledger_dir=ledger, rescan=True))  # fmt: skip
    assert (report.full_scan_reason, report.keys_read) == ("--rescan was asked for", 4)


def test_a_crash_mid_push_then_a_re_push_with_the_ledger_gives_each_document_once(
    ls_backend_session, project_title, tmp_path
):
    session, ledger = ls_backend_session, tmp_path / "ledger"
    docs = [article(i) for i in range(100)]
    first = run(push(session, project_title=project_title, documents=docs[:20], schema=SCHEMA,
                     ledger_dir=ledger))  # fmt: skip
    with pytest.raises(OSError, match="disk went away"):
        run(push(session, project_title=project_title, documents=failing_at(docs, 70), schema=SCHEMA,
                 batch_size=25, ledger_dir=ledger))  # fmt: skip
    report = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                      ledger_dir=ledger))  # fmt: skip
    # The crashed run's tasks were not in the ledger: they are read as changed since.
    assert (report.keys_from_ledger, report.keys_read) == (True, 50)
    assert (report.imported, report.skipped, report.problems) == (30, 70, ())
    assert doc_ids(session, first.project_id) == [d.id for d in docs]


def test_tasks_imported_twice_during_a_push_with_the_ledger_are_removed(ls_session, project_title,
                                                                        tmp_path):  # fmt: skip
    ledger = tmp_path / "ledger"
    docs = [article(i) for i in range(6)]
    first = run(push(ls_session, project_title=project_title, documents=docs[:2], schema=SCHEMA,
                     ledger_dir=ledger))  # fmt: skip

    def documents():
        yield from docs[2:4]
        _import_again(ls_session, first.project_id, docs[:5])  # another client, meanwhile
        yield from docs[4:]

    report = run(push(ls_session, project_title=project_title, documents=documents(),
                      schema=SCHEMA, batch_size=2, ledger_dir=ledger))  # fmt: skip
    assert (report.keys_from_ledger, report.duplicates_removed, report.imported) == (True, 5, 4)
    assert doc_ids(ls_session, first.project_id) == [d.id for d in docs]
    again = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                     ledger_dir=ledger))  # fmt: skip
    assert (again.keys_from_ledger, again.imported, again.skipped) == (True, 0, 6)
    assert (again.problems, again.duplicates_removed) == ((), 0)


def test_predictions_of_a_model_version_are_added_once_whoever_added_them(
    ls_backend_session, project_title, tmp_path
):
    session, mine, theirs = ls_backend_session, tmp_path / "mine", tmp_path / "theirs"
    docs = [article(i) for i in range(6)]
    preds = [annotated(d) for d in docs]
    first = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                     ledger_dir=mine))  # fmt: skip
    time.sleep(MARGIN.total_seconds() + 1)
    before = project_state(session, first.project_id)
    # Another machine attaches m1 to two tasks. A bulk predictions import leaves the tasks'
    # updated_at as it was (Label Studio 1.23.2), so the ledger cannot tell: push asks.
    other = run(push(session, project_title=project_title, documents=(), schema=SCHEMA,
                     predictions=preds[:2], model_version="m1", ledger_dir=theirs))  # fmt: skip
    assert other.predictions_added == 2
    assert changed_task_ids(session, first.project_id, since=before.server_time) == []
    report = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                      predictions=preds, model_version="m1", ledger_dir=mine))  # fmt: skip
    assert report.keys_from_ledger
    assert (report.predictions_added, report.predictions_skipped) == (4, 2)
    # A model version whose name holds "m1" is another one.
    longer = run(push(session, project_title=project_title, documents=(), schema=SCHEMA,
                      predictions=preds[:1], model_version="m10", ledger_dir=mine))  # fmt: skip
    assert (longer.predictions_added, longer.predictions_skipped) == (1, 0)
    again = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                     predictions=preds, model_version="m1", ledger_dir=mine))  # fmt: skip
    assert (again.predictions_added, again.predictions_skipped) == (0, 6)
    versions = Counter(
        p.model_version for p in session.client.predictions.list(project=first.project_id)
    )
    assert versions == {"m1": 6, "m10": 1}


def test_push_cli_uses_the_ledger_and_rescans_on_request(ls_server, project_title, tmp_path,
                                                         monkeypatch):  # fmt: skip
    monkeypatch.setenv("EVENTGOLD_CACHE_DIR", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus.jsonl"
    write_documents(corpus, [article(i) for i in range(5)])
    args = ["push", "--project", project_title, "--corpus", str(corpus),
            "--url", ls_server.url, "--api-key", TEST_CREDS.token]  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "5 task(s) imported" in result.output
    assert "task keys" not in result.output and "read every" not in result.output
    assert list((tmp_path / "cache" / "push").glob("ledger-*.json"))
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "0 task(s) imported, 5 already present" in result.output
    assert (
        "  task keys: the ledger of the last push from this machine, and 0 task(s) changed since"
        in result.output
    )
    result = runner.invoke(app, [*args, "--rescan"])
    assert result.exit_code == 0, result.output
    assert "  read every task's key (5): --rescan was asked for" in result.output
    assert TEST_CREDS.token not in result.output
