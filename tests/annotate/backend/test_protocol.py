from __future__ import annotations

from eventgold.annotate.backend.protocol import (
    Controls,
    PredictRequest,
    controls_of,
    result_regions,
    task_document,
    task_result,
)
from eventgold.annotate.labelstudio.config import to_label_config
from eventgold.documents import Document, Entity, Relation
from eventgold.schema import Schema

TEXT = "Taliban gunmen attacked Kabul."
DOC = Document(
    id="d1",
    text=TEXT,
    entities=(
        Entity("T1", 0, 7, "ATTACKER", "Taliban"),
        Entity("T2", 15, 23, "ATTACK", "attacked"),
        Entity("T3", 24, 29, "LOCATION", "Kabul"),
    ),
    relations=(Relation("T1", "T2", "KILLED"), Relation("T1", "T9", "KILLED")),
)


def test_controls_come_from_the_projects_labeling_config(schema: Schema) -> None:
    assert controls_of(to_label_config(schema), schema.entity_labels) == Controls("label", "text")
    renamed = (
        to_label_config(schema)
        .replace('name="label"', 'name="spans"')
        .replace('toName="text"', 'toName="body"')
    )
    assert controls_of(renamed, schema.entity_labels) == Controls("spans", "body")
    # No config, or one that cannot be read: the schema's own names.
    assert controls_of("", schema.entity_labels) == Controls("label", "text")
    assert controls_of("<View", schema.entity_labels) == Controls("label", "text")


def test_result_regions_are_label_studio_spans_and_relations() -> None:
    regions = result_regions(
        DOC, controls=Controls("label", "text"), region_scores={"T1": 1.0, "T2": 0.5}
    )
    assert regions[0] == {
        "id": "eg0",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 0, "end": 7, "text": "Taliban", "labels": ["ATTACKER"]},
        "score": 1.0,
    }
    assert [r.get("score") for r in regions[:3]] == [1.0, 0.5, 0.0]
    # The relation to a missing entity is left out, never a dangling id.
    assert regions[3:] == [
        {
            "type": "relation",
            "from_id": "eg0",
            "to_id": "eg1",
            "direction": "right",
            "labels": ["KILLED"],
        }
    ]


def test_given_region_ids_are_kept() -> None:
    regions = result_regions(DOC, controls=Controls(), region_scores={}, region_ids={"T1": "abc"})
    assert [r.get("id") for r in regions[:3]] == ["abc", "eg1", "eg2"]
    assert regions[3]["from_id"] == "abc"


def test_task_document_and_result() -> None:
    doc = task_document({"id": 7, "data": {"text": TEXT, "doc_id": "a1", "title": "T"}})
    assert doc == Document(id="a1", text=TEXT, title="T")
    assert task_document({"id": 7, "data": {"text": TEXT}}).id == "task-7"
    assert task_document({"id": 7, "data": {"image": "x.png"}}) is None
    assert task_result([], score=0.25, model_version="rules-1") == {
        "result": [],
        "score": 0.25,
        "model_version": "rules-1",
    }


def test_predict_request_reads_label_studios_body() -> None:
    body = PredictRequest.model_validate(
        {
            "tasks": [{"id": 1, "data": {"text": TEXT}}],
            "project": "3.1700000000",
            "label_config": "<View/>",
            "params": {"login": None, "password": None, "context": None},
        }
    )
    assert body.params.context is None and body.tasks[0]["id"] == 1
