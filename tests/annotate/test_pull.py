from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.labelstudio.convert import to_annotation, to_task
from eventgold.annotate.labelstudio.server import free_port
from eventgold.annotate.pull import (
    TEXT_CHANGED,
    choose,
    pull,
    pull_to_gold,
    task_to_pulled,
)
from eventgold.annotate.push import push
from eventgold.cli import app
from eventgold.dataset.folder import load_gold_dataset
from eventgold.documents import Document, Entity, Relation, read_documents
from eventgold.progress import drain
from eventgold.schema import load_schema

EXPORT = Path(__file__).resolve().parents[1] / "data" / "ls_export_full.json"
TEXT = "Rebels 😀 killed “five villagers” in Kabul.\nThe UN condemned the attack."
SCHEMA = load_schema()


def span(sub: str, label: str, eid: str, text: str = TEXT) -> Entity:
    start = text.index(sub)
    return Entity(eid, start, start + len(sub), label, sub)


GOOD_ENTS = (
    span("Rebels", "ATTACKER", "e1"),
    span("five villagers", "VICTIM_GROUP", "e2"),
    span("UN", "ACTOR", "e3"),
    span("attack", "ATTACK", "e4"),
)
GOOD_RELS = (Relation("e1", "e2", "KILLED"), Relation("e3", "e4", "CONDEMNS"))


def doc(doc_id: str, entities=(), relations=(), text: str = TEXT) -> Document:
    return Document(doc_id, text, title=f"Title {doc_id}", entities=entities, relations=relations)


# --- unit: the recorded export -------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorded() -> dict[str, dict]:
    return {t["data"]["doc_id"]: t for t in json.loads(EXPORT.read_text(encoding="utf-8"))}


def test_bad_spans_reject_the_annotation_bad_relations_only_their_relation(recorded):
    pulled = task_to_pulled(recorded["d-bad"], schema=SCHEMA, emails={1: "ann@x.org"})
    assert [sorted({p.code for p in r.problems}) for r in pulled.rejects] == [
        ["unknown-entity-label"],
        ["offset-mismatch"],
        ["overlapping-spans"],
    ]
    first = pulled.rejects[0].to_json(task_url="http://ls/projects/1/data?task=7")
    assert (first["kind"], first["task_id"], first["doc_id"], first["annotator"]) == (
        "annotation",
        7,
        "d-bad",
        "ann@x.org",
    )
    assert first["task_url"] == "http://ls/projects/1/data?task=7"
    assert first["problems"][0]["where"] == "task 7 / annotation 5 / entity 0 (e1)"
    assert first["problems"][0]["message"] == (
        "label 'WEAPON' is not in schema 'conflict_events'; allowed: ACTOR, ATTACK, ATTACKER, "
        "LOCATION, VICTIM_GROUP"
    )
    # The annotations whose only problem is a relation are kept without it, and say so.
    assert [(d.annotation_id, d.relation.describe()) for d in pulled.dropped] == [
        (7, "KILLED 'Rebels' -> ''"),
        (8, "CONDEMNS 'attack' -> 'UN'"),
    ]
    assert [a.meta["annotation_id"] for a in pulled.annotations] == [7, 8]
    assert all(a.relations == () for a in pulled.annotations)
    assert [p.code for p in pulled.dropped[0].problems] == ["missing-endpoint"]
    assert str(pulled.dropped[1].problems[0]) == (
        "task 7 / annotation 8 / relation 0 (CONDEMNS e4 -> e3): head 'e4' is ATTACK; "
        "CONDEMNS allows head labels: ACTOR"
    )
    row = pulled.dropped[1].to_json(task_url="u")
    assert row["kind"] == "relation" and row["annotator"] == "ann@x.org"
    assert row["relation"] == {
        "labels": ["CONDEMNS"], "head": {"id": "e4", "text": "attack"}, "tail": {"id": "e3", "text": "UN"}
    }  # fmt: skip


def test_recorded_text_change_rejects_and_cancelled_is_counted(recorded):
    changed = task_to_pulled(recorded["d-changed"], schema=SCHEMA, emails={})
    assert [p.code for r in changed.rejects for p in r.problems] == [TEXT_CHANGED]
    assert changed.rejects[0].problems[0].message.startswith("text changed after annotation")
    select = task_to_pulled(recorded["d-select"], schema=SCHEMA, emails={})
    assert select.cancelled == 1 and len(select.annotations) == 2


def test_selection_ground_truth_beats_newer_unless_latest(recorded):
    select = task_to_pulled(recorded["d-select"], schema=SCHEMA, emails={})
    gt = choose(select.annotations)
    assert gt is not None and gt.meta["ground_truth"] is True and gt.meta["annotation_id"] == 10
    latest = choose(select.annotations, selection="latest")
    assert latest is not None and latest.meta["annotation_id"] == 13
    assert len(latest.relations) == 2 and len(gt.relations) == 1


def test_utf16_offsets_count_in_pulled_task(recorded):
    pulled = task_to_pulled(recorded["d-utf16"], schema=SCHEMA, emails={})
    assert pulled.utf16_converted == 1 and len(pulled.annotations) == 1


# --- against Label Studio ------------------------------------------------------------------------

MULTILINE = (
    "Gunmen attacked a market in “Mosul” 🇮🇶 on Friday.\n\nTwelve traders died.\nNATO condemned it."
)


def _bad_annotations() -> dict[str, Document]:
    return {
        "d-label": doc("d-label", (Entity("e1", 0, 6, "WEAPON", "Rebels"),)),
        "d-offset": doc("d-offset", (Entity("e1", 36, 41, "LOCATION", "Kandahar"),)),
        "d-missing": doc("d-missing", GOOD_ENTS[:1], (Relation("e1", "e9", "KILLED"),)),
        "d-endpoint": doc("d-endpoint", GOOD_ENTS[2:4], (Relation("e4", "e3", "CONDEMNS"),)),
        "d-overlap": doc(
            "d-overlap",
            (span("five villagers", "VICTIM_GROUP", "e1"), span("villagers", "LOCATION", "e2")),
        ),
    }


@pytest.fixture(scope="module")
def pulled_project(ls_session, tmp_path_factory) -> dict:
    """One project holding every case; built once, pulled by several tests."""
    client = ls_session.client
    title = f"pull-cases-{time.time_ns()}"
    good = doc("d-good", GOOD_ENTS, GOOD_RELS)
    ml = doc(
        "d-multiline",
        (
            span("Gunmen", "ATTACKER", "a", MULTILINE),
            span("Twelve traders", "VICTIM_GROUP", "b", MULTILINE),
        ),
        (Relation("a", "b", "KILLED"),),
        text=MULTILINE,
    )
    bad = _bad_annotations()
    # Push creates the project and the good submissions; the bad ones cannot go through push
    # (it validates), so they are imported raw, as another tool or the UI would leave them.
    report = drain(
        push(
            ls_session,
            project_title=title,
            documents=[replace(good.without_annotations(), source="good.txt",
                               meta={"split": "test", "desk": "kabul"}),
                       ml.without_annotations(), doc("d-changed"), doc("d-empty")],
            schema=SCHEMA,
            annotations=[good, ml, doc("d-changed", GOOD_ENTS[:1])],
        )
    )  # fmt: skip
    assert report.problems == () and report.annotations_added == 3
    raw = [to_task(d.without_annotations(), annotations=[d]) for d in bad.values()]
    cancel = to_task(doc("d-cancel"))
    cancel["annotations"] = [
        {**to_annotation(doc("d-cancel", GOOD_ENTS[:1])), "was_cancelled": True}
    ]
    # Relations as Label Studio 1.23 let them be submitted without choice="single": two
    # labels on one, and none (Alt+R with no label given).
    for doc_id, labels in (("d-twolabels", ["KILLED", "CONDEMNS"]), ("d-nolabel", [])):
        task = to_task(doc(doc_id), annotations=[doc(doc_id, GOOD_ENTS[:2], GOOD_RELS[:1])])
        task["annotations"][0]["result"][-1]["labels"] = labels
        raw.append(task)
    raw += [
        cancel,
        to_task(doc("d-select"), annotations=[doc("d-select", GOOD_ENTS[:2], GOOD_RELS[:1])]),
    ]
    raw[-1]["annotations"][0]["ground_truth"] = True
    # A second task for d-good (another tool imported it again): the first task's is kept.
    raw.append(to_task(doc("d-good"), annotations=[doc("d-good", GOOD_ENTS[:1])]))
    ids = client.projects.import_tasks(
        id=report.project_id, request=raw, return_task_ids=True
    ).task_ids[:-1]  # the d-select task is the one annotated again below
    time.sleep(1.1)  # the newer annotation must be visibly newer
    newer = doc("d-select", GOOD_ENTS, GOOD_RELS)
    client.annotations.create(id=ids[-1], result=to_annotation(newer)["result"])
    # Someone edits the text of an annotated task in Label Studio.
    changed = next(
        t for t in client.tasks.list(project=report.project_id) if t.data["doc_id"] == "d-changed"
    )
    client.tasks.update(
        id=changed.id, data={**changed.data, "text": TEXT.replace("Kabul", "Herat")}
    )
    return {
        "title": title,
        "good": good,
        "multiline": ml,
        "project_id": report.project_id,
        "tmp": str(tmp_path_factory.mktemp("pulled")),
    }


@pytest.mark.labelstudio
def test_pull_to_gold_keeps_good_rejects_bad_with_reasons(ls_session, pulled_project, tmp_path):
    out = tmp_path / "gold"
    report = pull_to_gold(
        ls_session, project_title=pulled_project["title"], out_dir=out, schema=SCHEMA
    )
    gold = {d.id: d for d in read_documents(out / "documents.jsonl")}
    assert sorted(gold) == [
        "d-endpoint", "d-good", "d-missing", "d-multiline", "d-nolabel", "d-select", "d-twolabels"
    ]  # fmt: skip
    for key in ("good", "multiline"):
        want = pulled_project[key]
        got = gold[want.id]
        assert (got.text, got.entities, got.relations) == (want.text, want.entities, want.relations)
        assert got.meta["annotator"] == "admin@eventgold.test"
    assert gold["d-select"].meta["ground_truth"] is True  # beats the newer annotation
    # The corpus's source and meta come back through Label Studio; meta.split pins the split.
    assert gold["d-good"].source == "good.txt"
    assert (gold["d-good"].meta["split"], gold["d-good"].meta["desk"]) == ("test", "kabul")
    assert "d-good" in load_gold_dataset(out)["test"]["id"]
    assert len(gold["d-select"].relations) == 1
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    whole = [r for r in rejects if r["kind"] == "annotation"]
    assert {r["doc_id"]: r["codes"] for r in whole} == {
        "d-label": ["unknown-entity-label"],
        "d-offset": ["offset-mismatch"],
        "d-overlap": ["overlapping-spans"],
        "d-changed": ["text-changed"],
        "d-good": ["duplicate-document"],
    }
    # Bad relations cost only themselves: their annotations are gold, without them.
    dropped = {r["doc_id"]: r for r in rejects if r["kind"] == "relation"}
    assert {k: r["codes"] for k, r in dropped.items()} == {
        "d-missing": ["missing-endpoint"],
        "d-endpoint": ["endpoint-type"],
        "d-twolabels": ["label-count"],
        "d-nolabel": ["label-count"],
    }
    two = dropped["d-twolabels"]
    assert two["relation"] == {
        "labels": ["KILLED", "CONDEMNS"],
        "head": {"id": "e1", "text": "Rebels"},
        "tail": {"id": "e2", "text": "five villagers"},
    }
    assert two["annotator"] == "admin@eventgold.test"
    assert two["task_url"] == (
        f"{ls_session.url}/projects/{pulled_project['project_id']}/data?task={two['task_id']}"
    )
    assert two["problems"][0]["message"] == "needs exactly 1 label, got 2: ['KILLED', 'CONDEMNS']"
    assert all(gold[k].relations == () and gold[k].entities for k in dropped)
    assert all(r["annotation_id"] and r["task_id"] and r["annotator"] for r in rejects)
    assert all(r["task_url"].endswith(f"?task={r['task_id']}") for r in rejects)
    assert (report.tasks, report.documents, report.cancelled, report.rejected) == (14, 7, 1, 5)
    assert (report.relations_dropped, report.dropped_codes) == (
        4, {"endpoint-type": 1, "label-count": 2, "missing-endpoint": 1}
    )  # fmt: skip
    assert "5 rejected annotation(s)" in (out / "README.md").read_text()
    # d-empty, and d-cancel whose only annotation was skipped (not d-good's second task)
    assert report.unannotated == 2
    # The counts add up: the other 7 tasks had every annotation rejected (issue 18, defect 13).
    # Tasks whose annotations had only bad relations keep them (the relations are left out).
    assert report.rejected_tasks == 5
    assert report.documents + report.unannotated + report.rejected_tasks == report.tasks
    assert report.reject_codes["text-changed"] == 1
    assert (out / "README.md").exists()
    # Label Studio's run facts are kept beside the gold, not in its records or card.
    traces = [json.loads(line) for line in (out / "annotations.jsonl").read_text().splitlines()]
    assert sorted(t["doc_id"] for t in traces) == sorted(gold)
    assert all(t["task_id"] and t["annotation_id"] and t["updated_at"] for t in traces)
    assert all("task_id" not in d.meta and "updated_at" not in d.meta for d in gold.values())
    run = json.loads((out / "pull.json").read_text())
    assert run["project_title"] == pulled_project["title"] and run["tasks"] == 14
    assert run["utf16_converted"] == report.utf16_converted == 0  # code points throughout
    assert "pulled_at" not in (out / "README.md").read_text()


@pytest.mark.labelstudio
def test_annotations_from_project_gives_every_valid_annotation(ls_session, pulled_project):
    from eventgold.annotate.pull import annotations_from_project

    got = dict(
        annotations_from_project(ls_session, project_title=pulled_project["title"], schema=SCHEMA)
    )
    assert len(got["d-select"]) == 2 and got["d-label"] == [] and got["d-empty"] == []
    assert {d.meta["ground_truth"] for d in got["d-select"]} == {True, False}


@pytest.mark.labelstudio
def test_pull_cli_prints_summary_and_keeps_old_gold_on_failure(ls_server, pulled_project, tmp_path):
    from ..conftest import TEST_CREDS

    out = tmp_path / "gold"
    runner = CliRunner()
    args = ["pull", "--project", pulled_project["title"], "--out", str(out)]
    agreement = tmp_path / "agreement.md"
    agreement.write_text("## Agreement\n\nStrict span F1 0.9 between two annotators.\n")
    result = runner.invoke(
        app,
        [*args, "--agreement", str(agreement), "--url", ls_server.url, "--api-key",
         TEST_CREDS.token],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "## Agreement\n\nStrict span F1 0.9 between" in (out / "README.md").read_text()
    assert "7 gold document(s) from 14 task(s)" in result.output
    assert (
        "2 task(s) unannotated, 5 task(s) with every annotation rejected, 1 cancelled/skipped)\n"
        in result.output
    )
    assert "differ from the schema" not in result.output
    assert "5 annotation(s) rejected" in result.output and "offset-mismatch: 1" in result.output
    assert (
        "4 relation(s) left out of kept annotations (endpoint-type: 1, label-count: 2, "
        "missing-endpoint: 1); each with its task link, annotator and regions in"
    ) in result.output
    before = (out / "documents.jsonl").read_bytes()
    dead = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, [*args, "--url", dead, "--api-key", TEST_CREDS.token])
    assert result.exit_code == 1
    assert "cannot reach Label Studio" in result.output and "Traceback" not in result.output
    assert TEST_CREDS.token not in result.output
    assert (out / "documents.jsonl").read_bytes() == before
    (out / "notes.txt").write_text("mine")  # no longer only a gold folder: refused, kept
    result = runner.invoke(app, [*args, "--url", ls_server.url, "--api-key", TEST_CREDS.token])
    assert (
        result.exit_code == 1 and "holds what a gold folder does not (notes.txt)" in result.output
    )
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "documents.jsonl").read_bytes() == before


@pytest.mark.labelstudio
def test_pull_of_unknown_project_is_one_clear_error(ls_server, tmp_path):
    from ..conftest import TEST_CREDS

    result = CliRunner().invoke(
        app,
        ["pull", "--project", "no-such-project-xyz", "--out", str(tmp_path / "g"),
         "--url", ls_server.url, "--api-key", TEST_CREDS.token],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "project 'no-such-project-xyz' not found" in result.output
    assert not (tmp_path / "g").exists()


@pytest.mark.labelstudio
def test_pull_streams_tasks(ls_session, pulled_project):
    tasks = list(pull(ls_session, project_title=pulled_project["title"], schema=SCHEMA))
    assert [t.doc_id for t in tasks][:2] == ["d-good", "d-multiline"]
    assert sum(t.cancelled for t in tasks) == 1


@pytest.mark.labelstudio
def test_pull_of_a_project_without_annotations_writes_an_empty_gold(
    ls_server, ls_session, tmp_path
):
    from ..conftest import TEST_CREDS

    title = f"pull-unannotated-{time.time_ns()}"
    report = drain(
        push(ls_session, project_title=title, documents=[doc("d-a"), doc("d-b")], schema=SCHEMA)
    )
    assert report.imported == 2
    out = tmp_path / "gold"
    result = CliRunner().invoke(
        app,
        ["pull", "--project", title, "--out", str(out),
         "--url", ls_server.url, "--api-key", TEST_CREDS.token],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0 gold document(s) from 2 task(s)" in result.output
    assert "warning: no task has a usable annotation yet" in result.output
    assert (out / "documents.jsonl").read_text() == ""


@pytest.mark.labelstudio
def test_pull_warns_when_the_project_labels_differ_from_the_schema(ls_session, pulled_project):
    import dataclasses

    narrow = dataclasses.replace(
        SCHEMA, entities=tuple(e for e in SCHEMA.entities if e.label != "LOCATION")
    )
    from eventgold.annotate.pull import iter_pull_to_gold
    from eventgold.progress import drain

    report = drain(
        iter_pull_to_gold(
            ls_session,
            project_title=pulled_project["title"],
            out_dir=Path(pulled_project["tmp"]) / "narrow",
            schema=narrow,
        )
    )
    assert report.config_differences == (
        "entity labels in the project but not in the schema: LOCATION",
    )


def test_choose_reads_a_naive_updated_at_as_utc():
    # A mix of naive and aware times raised TypeError (issue 18, defect 8).
    def ann(annotation_id: int, updated_at: str) -> Document:
        meta = {"annotation_id": annotation_id, "updated_at": updated_at}
        return Document(id="d", text="x", meta=meta)

    naive_later = ann(1, "2026-05-01T12:00:00.5")
    aware_earlier = ann(2, "2026-05-01T11:00:00Z")
    aware_offset = ann(3, "2026-05-01T13:30:00+02:00")  # 11:30 UTC
    for selection in ("latest", "ground-truth-then-latest"):
        assert (
            choose([aware_earlier, naive_later, aware_offset], selection=selection) is naive_later
        )
    assert choose([aware_earlier, ann(4, "2026-05-01T10:00:00")]) is aware_earlier


def test_an_unknown_selection_is_named_as_the_option(ls_session, tmp_path):
    from eventgold.problems import ProblemsError

    with pytest.raises(ProblemsError) as caught:
        pull_to_gold(ls_session, project_title="any", out_dir=tmp_path / "gold", schema=SCHEMA,
                     selection="bogus")  # fmt: skip
    assert [str(p) for p in caught.value.problems] == [
        "--selection: unknown rule 'bogus'; allowed: ground-truth-then-latest, latest"
    ]
    assert not (tmp_path / "gold").exists()
