from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from eventgold.annotate.corpus import text_sha256
from eventgold.annotate.labelstudio.convert import (
    LABEL_COUNT,
    RELATION_DIRECTION,
    UNKNOWN_CONTROL,
    UNKNOWN_RESULT_TYPE,
    convert_result,
    result_to_document,
    to_results,
    to_task,
)
from eventgold.documents import Document, Entity, Relation
from eventgold.validate import MISSING_ENDPOINT, OFFSET_MISMATCH

EXPORT = Path(__file__).resolve().parents[2] / "data" / "ls_export_full.json"
TEXT = "Rebels 😀 killed “five villagers” in Kabul.\nThe UN condemned the attack."


@pytest.fixture(scope="module")
def export() -> dict[str, dict]:
    """The recorded export (tests/data/record_ls_export.py), tasks by doc_id."""
    return {t["data"]["doc_id"]: t for t in json.loads(EXPORT.read_text(encoding="utf-8"))}


def span(sub: str, label: str, eid: str) -> Entity:
    start = TEXT.index(sub)
    return Entity(eid, start, start + len(sub), label, sub)


DOC = Document(
    "d1",
    TEXT,
    title="T",
    entities=(span("Rebels", "ATTACKER", "e1"), span("five villagers", "VICTIM_GROUP", "e2")),
    relations=(Relation("e1", "e2", "KILLED"),),
)


def test_task_carries_text_hash_and_inline_results():
    task = to_task(DOC, annotations=[DOC], predictions=[DOC], model_version="m1")
    assert task["data"] == {
        "text": TEXT,
        "title": "T",
        "doc_id": "d1",
        "sha256": text_sha256(TEXT),
        "source": "",
        "meta": {},
    }
    [ann] = task["annotations"]
    assert ann["ground_truth"] is False
    assert ann["result"][0]["value"] == {
        "start": 0,
        "end": 6,
        "text": "Rebels",
        "labels": ["ATTACKER"],
    }
    assert ann["result"][2] == {
        "type": "relation",
        "from_id": "e1",
        "to_id": "e2",
        "direction": "right",
        "labels": ["KILLED"],
    }
    assert task["predictions"][0]["model_version"] == "m1"


def test_round_trip_through_results_is_identity():
    doc, problems = result_to_document(
        {"text": TEXT, "title": "T", "doc_id": "d1", "sha256": "h"}, to_results(DOC), where="t"
    )
    assert problems == []
    assert doc is not None
    assert (doc.entities, doc.relations, doc.id, doc.meta) == (
        DOC.entities,
        DOC.relations,
        "d1",
        {"sha256": "h"},
    )


def test_source_and_meta_go_to_the_task_and_come_back_without_annotation_meta():
    meta = {"split": "test", "sha256": "stale", "annotator": "ann", "ground_truth": True}
    doc = dataclasses.replace(DOC, source="a.txt", meta=meta)
    data = to_task(doc)["data"]
    assert (data["source"], data["meta"]) == ("a.txt", {"split": "test"})
    back, problems = result_to_document(data, to_results(doc), where="t")
    assert problems == [] and back is not None
    assert (back.source, back.meta) == ("a.txt", {"split": "test", "sha256": text_sha256(TEXT)})


def test_recorded_export_converts_with_relations(export):
    task = export["d-good"]
    conv = convert_result(task["data"], task["annotations"][0]["result"], where="task 5")
    assert conv.problems == () and conv.utf16_converted == 0
    assert conv.document is not None
    assert [(e.label, e.text) for e in conv.document.entities] == [
        ("ATTACKER", "Rebels"),
        ("VICTIM_GROUP", "five villagers"),
        ("ACTOR", "UN"),
        ("ATTACK", "attack"),
    ]
    assert {(r.head, r.tail, r.label) for r in conv.document.relations} == {
        ("e1", "e2", "KILLED"),
        ("e3", "e4", "CONDEMNS"),
    }


def test_recorded_utf16_offsets_are_converted_and_counted(export):
    task = export["d-utf16"]
    value = task["annotations"][0]["result"][0]["value"]
    assert TEXT[value["start"] : value["end"]] != value["text"]  # really stored as UTF-16
    conv = convert_result(task["data"], task["annotations"][0]["result"], where="w")
    assert conv.utf16_converted == 1
    assert conv.document is not None
    [e] = conv.document.entities
    assert TEXT[e.start : e.end] == "five villagers" == e.text


def test_recorded_offset_mismatch_is_located(export):
    result = export["d-bad"]["annotations"][1]["result"]
    where = "task 7 / annotation 6"
    doc, problems = result_to_document(export["d-bad"]["data"], result, where=where)
    assert doc is None
    assert [p.code for p in problems] == [OFFSET_MISMATCH]
    assert str(problems[0]) == (
        "task 7 / annotation 6 / result 0 (e1): offsets [36, 41) cover 'Kabul' but the result "
        "text is 'Kandahar' (also as UTF-16 units)"
    )


def test_recorded_relation_to_missing_span(export):
    result = export["d-bad"]["annotations"][2]["result"]
    _, problems = result_to_document(export["d-bad"]["data"], result, where="a")
    assert [str(p) for p in problems] == [
        "a / relation 0 (result 1): to_id 'e9' not found among span results"
    ]
    assert problems[0].code == MISSING_ENDPOINT


def test_result_problems_name_allowed_and_received():
    data = {"text": "abc def", "doc_id": "d"}
    results = [
        {"id": "a", "from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": 0, "end": 3, "text": "abc", "labels": ["X", "Y"]}},
        {"id": "b", "from_name": "other", "to_name": "text", "type": "labels",
         "value": {"start": 4, "end": 7, "text": "def", "labels": ["X"]}},
        {"id": "c", "from_name": "c", "to_name": "text", "type": "choices", "value": {}},
        {"type": "relation", "from_id": "a", "to_id": "a", "direction": "bi", "labels": []},
    ]  # fmt: skip
    _, problems = result_to_document(data, results, where="w")
    assert [p.code for p in problems] == [
        LABEL_COUNT,
        UNKNOWN_CONTROL,
        UNKNOWN_RESULT_TYPE,
        LABEL_COUNT,
        RELATION_DIRECTION,
        MISSING_ENDPOINT,
        MISSING_ENDPOINT,
    ]
    assert str(problems[0]) == "w / result 0 (a): needs exactly 1 label, got 2: ['X', 'Y']"
    assert str(problems[2]) == (
        "w / result 2: result type 'choices' is not in the config; allowed: labels, relation"
    )
    assert "allowed: left, right" in str(problems[4])


def test_left_relation_swaps_head_and_tail():
    results = to_results(DOC)
    results[2] = {**results[2], "from_id": "e2", "to_id": "e1", "direction": "left"}
    doc, problems = result_to_document({"text": TEXT, "doc_id": "d1"}, results, where="w")
    assert problems == [] and doc is not None
    assert doc.relations == (Relation("e1", "e2", "KILLED"),)
