"""The Label Studio ML backend protocol: request bodies, and documents to prediction results.

What Label Studio 1.23.2 sends (its ``ml/api_connector.py``) and expects (``ml/models.py``):

- ``GET /health``: any 200 JSON (1 s timeout); ``POST /setup`` ``{project, schema (the labeling
  config), hostname, access_token, extra_params}`` -> ``{"model_version"}`` (3 s);
- ``POST /predict`` ``{tasks, project, label_config, params: {login, password, context}}`` ->
  ``{"results": [{"result", "score", "model_version"}, ...]}``, one per task, in task order
  (100 s); a task is ``{"id", "data", ...}``;
- ``POST /webhook``: the project's webhook events, ``{"action", "annotation", "task",
  "project"}`` (1 s, ``WEBHOOK_TIMEOUT``), and ``{"action": "START_TRAINING", "project"}``.

A span region is ``{id, from_name, to_name, type: "labels", value: {start, end, text, labels},
score}`` and a relation ``{type: "relation", from_id, to_id, direction: "right", labels}``, its
ids naming spans of the same result. Offsets are code points, as Label Studio's frontend stores
them (see `annotate.labelstudio.convert`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from eventgold.annotate.labelstudio.config import LS_LABELS_NAME, LS_TEXT_NAME
from eventgold.documents import Document, Entity, Relation


class _Body(BaseModel):
    # Label Studio adds fields between versions: keep what we read, accept the rest.
    model_config = ConfigDict(extra="allow", frozen=True)


class SetupRequest(_Body):
    project: str = ""
    schema_: str = Field(default="", alias="schema")  # the labeling config
    extra_params: dict[str, Any] | None = None


class PredictParams(_Body):
    context: dict[str, Any] | None = None


class PredictRequest(_Body):
    tasks: list[dict[str, Any]] = Field(default_factory=list)
    project: str = ""
    label_config: str = ""
    params: PredictParams = Field(default_factory=PredictParams)


class WebhookEvent(_Body):
    action: str = ""
    annotation: dict[str, Any] | None = None
    task: dict[str, Any] | None = None
    project: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Controls:
    """The names a result's regions carry: the Labels control and the Text object it labels."""

    from_name: str = LS_LABELS_NAME
    to_name: str = LS_TEXT_NAME


def controls_of(label_config: str, labels: Sequence[str]) -> Controls:
    """The Labels control of `label_config` that offers `labels` (the schema's), and its
    ``toName``; the schema's own names when the config is empty, unreadable or has none."""
    try:
        root = ET.fromstring(label_config) if label_config.strip() else None
    except ET.ParseError:
        root = None
    if root is None:
        return Controls()
    wanted = set(labels)
    for control in root.iter("Labels"):
        offered = {str(label.get("value")) for label in control.iter("Label")}
        name, to_name = control.get("name"), control.get("toName")
        if name and to_name and offered & wanted:
            return Controls(from_name=name, to_name=to_name.split(",")[0])
    return Controls()


def task_document(task: Mapping[str, Any]) -> Document | None:
    """The task's text as a document to predict (id: the pushed document id, else the task
    id); None when its data has no ``text`` string."""
    data = task.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return None
    doc_id = str(data.get("doc_id") or f"task-{task.get('id')}")
    return Document(id=doc_id, text=data["text"], title=str(data.get("title") or ""))


def span_region(entity: Entity, *, region_id: str, controls: Controls, score: float) -> dict:
    return {
        "id": region_id,
        "from_name": controls.from_name,
        "to_name": controls.to_name,
        "type": "labels",
        "value": {
            "start": entity.start,
            "end": entity.end,
            "text": entity.text,
            "labels": [entity.label],
        },
        "score": score,
    }


def relation_region(relation: Relation, *, from_id: str, to_id: str) -> dict:
    return {
        "type": "relation",
        "from_id": from_id,
        "to_id": to_id,
        "direction": "right",
        "labels": [relation.label],
    }


def result_regions(
    doc: Document,
    *,
    controls: Controls,
    region_scores: Mapping[str, float],
    region_ids: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """`doc`'s entities as span regions and its relations as relation regions.

    Region ids are `region_ids[entity.id]` when given (the annotator's own regions keep theirs),
    else ``eg<n>``: a model's entity ids need not be unique across the models of one result.
    Relations whose endpoint is not among the entities are left out (never a dangling id).
    """
    named = dict(region_ids or {})
    ids = {e.id: named.get(e.id, f"eg{i}") for i, e in enumerate(doc.entities)}
    regions = [
        span_region(e, region_id=ids[e.id], controls=controls, score=region_scores.get(e.id, 0.0))
        for e in doc.entities
    ]
    regions += [
        relation_region(r, from_id=ids[r.head], to_id=ids[r.tail])
        for r in doc.relations
        if r.head in ids and r.tail in ids
    ]
    return regions


def task_result(regions: list[dict[str, Any]], *, score: float, model_version: str) -> dict:
    """One entry of ``results``: a prediction of one task."""
    return {"result": regions, "score": score, "model_version": model_version}
