from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.duplicates import DUPLICATE_INPUT
from eventgold.annotate.labelstudio.connection import ConnectionProblem, Retry, connect
from eventgold.annotate.labelstudio.convert import to_annotation, to_task
from eventgold.annotate.labelstudio.server import stop_pid
from eventgold.annotate.labelstudio.tasks import iter_task_keys
from eventgold.annotate.lock import PUSH_RUNNING, push_lock
from eventgold.annotate.pull import pull_to_gold
from eventgold.annotate.push import CONFLICT, NO_TASK, PushReport, push
from eventgold.cli import app
from eventgold.documents import Document, Entity, Relation, write_documents
from eventgold.problems import TEXT_MISMATCH, ProblemsError
from eventgold.progress import drain
from eventgold.schema import load_schema

from ..conftest import TEST_CREDS

pytestmark = pytest.mark.labelstudio
SCHEMA = load_schema()


def article(i: int) -> Document:
    text = f"Militants 😀 killed “{i} civilians” in Town{i}.\nOfficials condemned the raid."
    return Document(f"doc-{i:04d}", text, title=f"Article {i}")


def annotated(d: Document) -> Document:
    def span(sub: str, label: str, eid: str) -> Entity:
        start = d.text.index(sub)
        return Entity(eid, start, start + len(sub), label, sub)

    civ = d.text[d.text.index("“") + 1 : d.text.index("”")]
    return d.with_annotations(
        entities=(span("Militants", "ATTACKER", "e1"), span(civ, "VICTIM_GROUP", "e2"),
                  span("Officials", "ACTOR", "e3"), span("raid", "ATTACK", "e4")),
        relations=(Relation("e1", "e2", "KILLED"), Relation("e3", "e4", "CONDEMNS")),
    )  # fmt: skip


def failing_at(docs: list[Document], at: int) -> Iterator[Document]:
    """`docs` up to index `at`, then the error of a corpus whose disk went away."""
    for i, d in enumerate(docs):
        if i == at:
            raise OSError("corpus disk went away")
        yield d


def run(events) -> PushReport:
    report = drain(events)
    assert isinstance(report, PushReport)
    return report


def task_count(session, project_id: int) -> int:
    return sum(1 for _ in iter_task_keys(session, project_id))


def test_push_is_idempotent_and_reports_conflicts(ls_backend_session, project_title):
    docs = [article(i) for i in range(30)]
    first = run(push(ls_backend_session, project_title=project_title, documents=docs, schema=SCHEMA,
                     batch_size=7))  # fmt: skip
    assert (first.project_created, first.imported, first.skipped) == (True, 30, 0)
    again = run(
        push(ls_backend_session, project_title=project_title, documents=docs, schema=SCHEMA)
    )
    assert (again.project_created, again.imported, again.skipped, again.problems) == (
        False, 0, 30, ()
    )  # fmt: skip
    changed = Document("doc-0003", "A different text.", title="x")
    third = run(
        push(ls_backend_session, project_title=project_title, documents=[changed, article(30)],
             schema=SCHEMA)
    )  # fmt: skip
    assert third.imported == 1
    [problem] = third.problems
    assert problem.code == CONFLICT
    assert problem.where == "document 'doc-0003'"
    assert problem.message.startswith("already in the project (task ")
    assert "with a different text (sha256 " in problem.message
    assert problem.message.endswith("…); not imported")
    assert task_count(ls_backend_session, first.project_id) == 31


def test_a_new_project_is_not_scanned_an_existing_one_is(ls_session, project_title):
    docs = [article(i) for i in range(3)]
    first = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA))
    assert (first.project_created, first.imported, first.keys_read) == (True, 3, 0)
    assert (first.keys_from_ledger, first.full_scan_reason) == (False, "")
    again = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA))
    assert (again.skipped, again.keys_read, again.keys_from_ledger) == (3, 3, False)
    assert again.full_scan_reason == "no ledger folder was given"


def test_predictions_inline_then_attached_once_per_model_version(ls_session, project_title):
    docs = [article(i) for i in range(6)]
    preds = [annotated(d) for d in docs]
    first = run(push(ls_session, project_title=project_title, documents=docs[:3], schema=SCHEMA,
                     predictions=preds[:3], model_version="m1"))  # fmt: skip
    assert (first.imported, first.predictions_added) == (3, 3)
    ghost = Document("ghost", "Nobody pushed me.")
    second = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                      predictions=[*preds, ghost], model_version="m1"))  # fmt: skip
    assert (second.imported, second.skipped) == (3, 3)
    assert (second.predictions_added, second.predictions_skipped) == (3, 3)
    assert [(p.code, str(p)) for p in second.problems] == [
        (NO_TASK, "prediction for document 'ghost': no such document in the input or the "
                  "project; not pushed")
    ]  # fmt: skip
    # A prediction-only run (no documents) attaches a new model version to existing tasks.
    other = [annotated(d) for d in docs[:2]] + [
        preds[2].with_annotations(entities=(), relations=())
    ]
    bad_text = Document(docs[3].id, "another text")
    third = run(push(ls_session, project_title=project_title, documents=(), schema=SCHEMA,
                     predictions=[*other, bad_text], model_version="m2"))  # fmt: skip
    assert third.predictions_added == 3
    assert [p.code for p in third.problems] == [TEXT_MISMATCH]
    versions = Counter(
        p.model_version for p in ls_session.client.predictions.list(project=first.project_id)
    )
    assert versions == {"m1": 6, "m2": 3}


def test_annotations_round_trip_and_invalid_ones_are_reported(
    ls_backend_session, project_title, tmp_path
):
    docs = [article(i) for i in range(4)]
    anns = [annotated(d) for d in docs[:3]]
    broken = docs[3].with_annotations(entities=(Entity("e1", 0, 5, "BOMB", "Milit"),), relations=())
    report = run(push(ls_backend_session, project_title=project_title, documents=docs, schema=SCHEMA,
                      annotations=[*anns, broken]))  # fmt: skip
    assert report.annotations_added == 3
    assert [p.code for p in report.problems] == ["unknown-entity-label"]
    assert report.problems[0].where == "annotation for document 'doc-0003' / entity 0 (e1)"
    again = run(push(ls_backend_session, project_title=project_title, documents=docs, schema=SCHEMA,
                     annotations=anns))  # fmt: skip
    assert (again.annotations_added, again.annotations_skipped) == (0, 3)
    pull_to_gold(
        ls_backend_session, project_title=project_title, out_dir=tmp_path / "g", schema=SCHEMA
    )
    lines = (tmp_path / "g" / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    got = {d["id"]: d for d in map(json.loads, lines)}
    assert sorted(got) == [a.id for a in anns]
    for a in anns:
        assert got[a.id]["entities"] == [e.to_json() for e in a.entities]
        assert got[a.id]["relations"] == [r.to_json() for r in a.relations]


def test_generator_failing_midway_then_rerun_gives_each_document_once(
    ls_backend_session, project_title
):
    docs = [article(i) for i in range(100)]
    with pytest.raises(OSError, match="disk went away"):
        run(push(ls_backend_session, project_title=project_title, documents=failing_at(docs, 70), schema=SCHEMA,
                 batch_size=25))  # fmt: skip
    report = run(
        push(ls_backend_session, project_title=project_title, documents=docs, schema=SCHEMA)
    )
    assert (report.imported, report.skipped) == (50, 50)
    ids = [k.doc_id for k in iter_task_keys(ls_backend_session, report.project_id)]
    assert sorted(ids) == [d.id for d in docs]


def test_server_killed_mid_push_then_restarted_resumes_exactly_once(start_ls, project_title):
    server = start_ls()
    quick = Retry(attempts=2, base_delay=0.1, max_delay=0.2)
    session = connect(url=server.url, api_key=TEST_CREDS.token, retry=quick)
    docs = [article(i) for i in range(300)]

    def killing():
        for i, d in enumerate(docs):
            if i == 130:
                stop_pid(server.pid)
            yield d

    with pytest.raises(ConnectionProblem) as broke:
        run(push(session, project_title=project_title, documents=killing(), schema=SCHEMA,
                 batch_size=50))  # fmt: skip
    # It says how far it got, and what to do.
    assert str(broke.value).endswith(
        "; 100 document(s) imported before it: re-run push to resume (it skips what is there)"
    )
    port = int(server.url.rsplit(":", 1)[1])
    again = start_ls(data_dir=server.data_dir, port=port)
    session = connect(url=again.url, api_key=TEST_CREDS.token)
    report = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                      batch_size=50))  # fmt: skip
    assert (report.project_created, report.imported, report.skipped) == (False, 200, 100)
    ids = [k.doc_id for k in iter_task_keys(session, report.project_id)]
    assert sorted(ids) == [d.id for d in docs]
    stop_pid(again.pid)


def test_push_cli_reports_and_reruns(ls_server, project_title, tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    write_documents(corpus, [article(i) for i in range(5)])
    creds = ["--url", ls_server.url, "--api-key", TEST_CREDS.token]
    runner = CliRunner()
    args = ["push", "--project", project_title, "--corpus", str(corpus), *creds]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"project '{project_title}'" in result.output and "5 task(s) imported" in result.output
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "0 task(s) imported, 5 already present" in result.output
    write_documents(corpus, [Document("doc-0001", "changed"), article(7)])
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "1 task(s) imported" in result.output and "1 problem(s) (conflict: 1)" in result.output
    assert "document 'doc-0001': already in the project" in result.output
    result = runner.invoke(app, ["push", "--project", project_title, "--corpus", str(corpus),
                                 "--url", ls_server.url, "--api-key", "wrong-key-123"])  # fmt: skip
    assert result.exit_code == 1 and "rejected the API key" in result.output
    assert "wrong-key-123" not in result.output and "Traceback" not in result.output


def test_push_needs_model_version_without_commas(ls_session, project_title):
    with pytest.raises(ProblemsError, match="model version without commas"):
        run(push(ls_session, project_title=project_title, documents=[], schema=SCHEMA,
                 predictions=[], model_version="a,b"))  # fmt: skip


def test_push_cli_with_annotation_folder_and_predictions(ls_server, project_title, tmp_path):
    docs = [article(i) for i in range(3)]
    corpus, preds, anns = tmp_path / "c.jsonl", tmp_path / "p.jsonl", tmp_path / "anns"
    write_documents(corpus, docs)
    write_documents(preds, [annotated(d) for d in docs])
    write_documents(anns / "annotator_a.jsonl", [annotated(d) for d in docs[:2]])
    base = ["push", "--project", project_title, "--corpus", str(corpus),
            "--url", ls_server.url, "--api-key", TEST_CREDS.token]  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(app, [*base, "--predictions", str(preds)])
    assert result.exit_code == 1 and "--predictions needs --model-version" in result.output
    result = runner.invoke(
        app,
        [*base, "--predictions", str(preds), "--model-version", "v1", "--annotations", str(anns)],
    )
    assert result.exit_code == 0, result.output
    assert "3 task(s) imported" in result.output
    assert "predictions: 3 added, 0 already there" in result.output
    assert "annotations: 2 added, 0 not re-imported" in result.output


def test_batch_committed_but_answer_lost_is_not_imported_twice(
    ls_session, project_title, monkeypatch
):
    """The server commits a batch, then the connection drops: the retry must not duplicate."""
    import dataclasses

    import httpx

    from eventgold.annotate import push as push_mod

    real_post = push_mod.post_json
    lost = []

    def post_then_lose_answer(session, path, body, *, params):
        answer = real_post(session, path, body, params=params)
        if not lost:
            lost.append(len(body))
            raise httpx.ReadTimeout("answer lost after commit")
        return answer

    monkeypatch.setattr(push_mod, "post_json", post_then_lose_answer)
    session = dataclasses.replace(ls_session, retry=Retry(attempts=3, base_delay=0.01))
    docs = [article(i) for i in range(40)]
    report = run(push(session, project_title=project_title, documents=docs, schema=SCHEMA,
                      batch_size=15))  # fmt: skip
    assert lost == [15]
    assert (report.imported, report.skipped) == (40, 0)  # the recovered batch counts as imported
    ids = [k.doc_id for k in iter_task_keys(ls_session, report.project_id)]
    assert sorted(ids) == [d.id for d in docs]


def test_push_report_tells_project_differences_and_what_was_updated(capsys):
    from eventgold.annotate.push import PushReport
    from eventgold.cli.push import print_push_report

    told = PushReport(
        project_id=4, project_created=False, imported=0, skipped=5, predictions_added=0,
        predictions_skipped=0, annotations_added=0, annotations_skipped=0, problems=(),
        project_differences=("entity label ATTACKER: hotkey '1' in the project, '9' in the schema",),
    )  # fmt: skip
    print_push_report(told, title="P")
    captured = capsys.readouterr()
    assert "project 'P' (id 4): 0 task(s) imported, 5 already present" in captured.out
    assert captured.err.splitlines() == [
        "warning: project 'P' differs from the schema (the labels are the same); pass "
        "--update-config to apply the schema",
        "  - entity label ATTACKER: hotkey '1' in the project, '9' in the schema",
    ]
    import dataclasses

    print_push_report(dataclasses.replace(told, config_updated=True), title="P")
    captured = capsys.readouterr()
    assert "set the project's labeling config, instructions and description" in captured.out
    assert "    - entity label ATTACKER: hotkey '1'" in captured.out and captured.err == ""


def _import_again(session, project_id: int, docs) -> list[int]:
    """What a late-committed batch or a second push leaves: the same documents once more."""
    resp = session.http.post(
        f"{session.url}/api/projects/{project_id}/import",
        json=[to_task(d) for d in docs],
        params={"return_task_ids": "true"},
        headers=session.headers(),
    )
    resp.raise_for_status()
    return resp.json()["task_ids"]


def test_tasks_imported_twice_during_a_push_are_removed_keeping_the_first(
    ls_session, project_title
):
    docs = [article(i) for i in range(6)]
    first = run(push(ls_session, project_title=project_title, documents=docs[:2], schema=SCHEMA))

    def documents():
        yield from docs[2:4]
        # Meanwhile another client imports 0-4 again (say a push on another machine).
        _import_again(ls_session, first.project_id, docs[:5])
        yield from docs[4:]

    report = run(
        push(
            ls_session,
            project_title=project_title,
            documents=documents(),
            schema=SCHEMA,
            batch_size=2,
        )
    )
    keys = list(iter_task_keys(ls_session, first.project_id))
    assert sorted(k.doc_id for k in keys) == [d.id for d in docs]  # each exactly once
    assert report.duplicates_removed == 5 and report.imported == 4
    # The kept tasks are the first of each document: this run's own tasks for 2-3, and for
    # 4 the other client's, which came before this run's batch of 4-5.
    by_doc = {k.doc_id: k.task_id for k in keys}
    assert by_doc[docs[0].id] < by_doc[docs[2].id] < by_doc[docs[4].id]


def test_a_second_push_to_the_same_project_is_refused_while_one_runs(ls_session, project_title):
    running = push(ls_session, project_title=project_title, documents=[article(0)], schema=SCHEMA)
    next(running)  # inside: the project is checked, the lock held
    with pytest.raises(ProblemsError) as info:
        run(push(ls_session, project_title=project_title, documents=[article(1)], schema=SCHEMA))
    (problem,) = info.value.problems
    assert problem.code == PUSH_RUNNING
    assert f"another push to it is running on this machine (pid {os.getpid()})" in str(problem)
    assert info.value.summary == "another push to this project is running"
    # The same server spelled another way is the same project.
    other_spelling = ls_session.url.replace("127.0.0.1", "localhost") + "/"
    with pytest.raises(ProblemsError), push_lock(other_spelling, project_title):
        pass
    assert run(running).imported == 1  # the first one finishes, and releases the lock
    locks = Path(tempfile.gettempdir()).glob("eventgold-push-*.lock")
    assert all(p.read_text() != f"pid {os.getpid()}" for p in locks)  # its lock file is gone
    assert run(push(ls_session, project_title=project_title, documents=[article(1)],
                    schema=SCHEMA)).imported == 1  # fmt: skip


def test_duplicates_from_an_earlier_run_are_reported_then_removed_on_request(
    ls_session, project_title
):
    docs = [article(i) for i in range(3)]
    first = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA))
    earlier = _import_again(ls_session, first.project_id, docs[:2])  # left by some earlier run
    report = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA))
    assert [p.code for p in report.problems] == [DUPLICATE_INPUT] * 2
    assert "--remove-duplicates deletes the later one" in str(report.problems[0])
    assert report.duplicates_removed == 0
    ls_session.client.annotations.create(
        id=earlier[1], result=to_annotation(annotated(docs[1]))["result"]
    )
    report = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                      remove_duplicates=True))  # fmt: skip
    assert report.duplicates_removed == 1 and report.skipped == 3 and report.imported == 0
    # The copy someone annotated is kept, and said so.
    assert [str(p) for p in report.problems] == [
        f"task {earlier[1]}: doc_id '{docs[1].id}' has an earlier task too, and this one has 1 "
        "annotation(s) not imported with it; kept: remove one of the two in Label Studio"
    ]
    ids = sorted(k.task_id for k in iter_task_keys(ls_session, first.project_id))
    assert earlier[0] not in ids and earlier[1] in ids and len(ids) == 4


def test_bad_push_options_are_named_as_the_command_line_names_them(ls_session, project_title):
    """`batch_size: must be >= 1` named a parameter the user never typed."""
    docs = [Document(id="o1", text="Gunmen struck Kabul.")]
    with pytest.raises(ProblemsError) as caught:
        drain(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                   batch_size=0))  # fmt: skip
    assert [str(p) for p in caught.value.problems] == ["--batch-size: must be >= 1, got 0"]
    with pytest.raises(ProblemsError) as caught:
        drain(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
                   predictions=docs, model_version="a,b"))  # fmt: skip
    assert [str(p) for p in caught.value.problems] == [
        "--model-version: predictions need a model version without commas, got 'a,b'"
    ]


def test_spools_a_killed_push_left_in_the_temporary_folder_are_removed_by_the_next(
    ls_session, project_title, tmp_path, monkeypatch, scratch_left
):
    from eventgold.annotate.push import PUSH_SCRATCH

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _, live = scratch_left(tmp_path, PUSH_SCRATCH, "predictions.jsonl")
    report = run(
        push(ls_session, project_title=project_title, documents=[article(0)], schema=SCHEMA)
    )
    assert report.imported == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name]
