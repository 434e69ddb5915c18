"""Documents to Label Studio tasks and back: the only module that knows LS task/result JSON.

A task's data is ``{"text", "title", "doc_id", "sha256", "source", "meta"}`` (``meta``: the
document's own, so that a pulled gold keeps what the corpus said, ``split`` included); the
sha256 of the text, recorded when the task is pushed, is how push stays idempotent and how
pull notices a text edited after annotation. A span result's id is the entity id, so
relation results (``from_id``/``to_id``) map back to entity ids.

Offsets: Label Studio's frontend stores code points (checked in a real browser on Label Studio
1.23.2: spans dragged after emoji, flags and a CJK Extension B character came back as code
points), but UTF-16 offsets have been reported around astral characters by other versions
and tools. On the way back an offset pair is accepted if
``text[start:end]`` equals the result's ``value.text``; else, if it matches when read as UTF-16
code units, it is converted (and counted); else the result is an ``offset-mismatch`` problem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventgold.annotate.corpus import text_sha256
from eventgold.annotate.labelstudio.config import LS_LABELS_NAME, LS_TEXT_NAME
from eventgold.annotate.labelstudio.users import name_for
from eventgold.documents import Document, Entity, Relation, without_annotation_meta
from eventgold.offset_units import utf16_to_codepoint
from eventgold.problems import Problem, join
from eventgold.validate import MISSING_ENDPOINT, OFFSET_MISMATCH

# Problem codes for results that cannot become entities or relations.
UNKNOWN_RESULT_TYPE = "unknown-result-type"
UNKNOWN_CONTROL = "unknown-control"
LABEL_COUNT = "label-count"
BAD_RESULT = "bad-result"
RELATION_DIRECTION = "relation-direction"

TASK_FIELDS = ("text", "title", "doc_id", "sha256", "source", "meta")


# --- documents to tasks --------------------------------------------------------------------------


def task_data(doc: Document) -> dict[str, Any]:
    """The task's data fields; the hash is of the text as sent, never trusted from meta (which
    goes without it, and without what describes an annotation rather than the document)."""
    meta = {k: v for k, v in without_annotation_meta(doc.meta).items() if k != "sha256"}
    return {
        "text": doc.text,
        "title": doc.title,
        "doc_id": doc.id,
        "sha256": text_sha256(doc.text),
        "source": doc.source,
        "meta": meta,
    }


def to_results(doc: Document) -> list[dict[str, Any]]:
    """Label Studio result list for `doc`'s entities (code-point offsets) and relations."""
    results: list[dict[str, Any]] = [
        {
            "id": e.id,
            "from_name": LS_LABELS_NAME,
            "to_name": LS_TEXT_NAME,
            "type": "labels",
            "value": {"start": e.start, "end": e.end, "text": e.text, "labels": [e.label]},
        }
        for e in doc.entities
    ]
    results += [
        {
            "type": "relation",
            "from_id": r.head,
            "to_id": r.tail,
            "direction": "right",
            "labels": [r.label],
        }
        for r in doc.relations
    ]
    return results


def to_prediction(doc: Document, *, model_version: str) -> dict[str, Any]:
    """An inline prediction; the score comes from ``meta["score"]`` when the model gave one."""
    pred: dict[str, Any] = {"model_version": model_version, "result": to_results(doc)}
    score = doc.meta.get("score")
    if isinstance(score, int | float) and not isinstance(score, bool):
        pred["score"] = float(score)
    return pred


def to_annotation(doc: Document, *, completed_by: int | None = None) -> dict[str, Any]:
    """An inline annotation. `ground_truth` is always sent: Label Studio marks imported
    annotations as ground truth when the field is absent (measured on 1.23)."""
    annotation: dict[str, Any] = {
        "result": to_results(doc),
        "ground_truth": doc.meta.get("ground_truth") is True,
    }
    if completed_by is not None:
        annotation["completed_by"] = completed_by
    return annotation


def to_task(
    doc: Document,
    *,
    annotations: Sequence[Document] = (),
    predictions: Sequence[Document] = (),
    model_version: str = "",
    annotators: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """A task for bulk import, with annotations and predictions inline (one request for all).

    `annotators` maps `meta["annotator"]` names to Label Studio user ids (`completed_by`).
    """
    task: dict[str, Any] = {"data": task_data(doc)}
    users = annotators or {}
    if annotations:
        task["annotations"] = [
            to_annotation(a, completed_by=users.get(str(a.meta.get("annotator", ""))))
            for a in annotations
        ]
    if predictions:
        task["predictions"] = [to_prediction(p, model_version=model_version) for p in predictions]
    return task


def inline_counts(task: Mapping[str, Any]) -> tuple[int, int]:
    """How many annotations and predictions a `to_task` task carries inline."""
    return len(task.get("annotations", ())), len(task.get("predictions", ()))


def pushed_sha256(task: Mapping[str, Any]) -> str:
    """The sha256 of the text that a `to_task` task records."""
    return str(task["data"]["sha256"])


# --- tasks as Label Studio lists and exports them -------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskKey:
    """What push needs to know about an existing task; never its annotations."""

    task_id: int
    doc_id: str
    sha256: str
    model_versions: frozenset[str] = frozenset()
    annotations: int = 0  # submitted and cancelled ones


def _versions(raw: Any) -> frozenset[str]:
    # The data manager renders versions as "a,b" (SQLite) or "a, b" (PostgreSQL).
    if not isinstance(raw, str) or not raw:
        return frozenset()
    return frozenset(v.strip() for v in raw.split(",") if v.strip())


def task_key(task: Mapping[str, Any]) -> TaskKey:
    """The key of a task of the task list. Tasks lacking a doc_id (imported by other tools)
    get ``task-<id>`` so they can still be counted."""
    data = task.get("data") or {}
    return TaskKey(
        task_id=int(task["id"]),
        doc_id=str(data.get("doc_id") or f"task-{task['id']}"),
        sha256=str(data.get("sha256") or ""),
        model_versions=_versions(task.get("predictions_model_versions")),
        annotations=int(task.get("total_annotations") or 0)
        + int(task.get("cancelled_annotations") or 0),
    )


@dataclass(frozen=True, slots=True)
class ExportedAnnotation:
    """One annotation of an exported task: the fields pull reads."""

    id: int | None
    annotator: str
    cancelled: bool
    ground_truth: bool
    updated_at: str
    result: Any  # checked by `convert_result`


@dataclass(frozen=True, slots=True)
class ExportedTask:
    """A task of the full JSON export: its document fields and its annotations."""

    id: int
    doc_id: str
    data: Mapping[str, Any]  # text, title, doc_id, sha256, source, meta (`task_data`)
    annotations: tuple[ExportedAnnotation, ...]


def _annotator(completed_by: Any, users: Mapping[int, str]) -> str:
    if isinstance(completed_by, dict):  # some exports inline the user
        return name_for(str(completed_by.get("email") or completed_by.get("id") or "unknown"))
    if isinstance(completed_by, int):
        return users.get(completed_by, f"user {completed_by}")
    return "unknown"


def read_task(task: Mapping[str, Any], *, users: Mapping[int, str]) -> ExportedTask:
    """An exported task; `users` maps user ids to annotator names (`users.user_names`)."""
    task_id = int(task.get("id") or 0)
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    annotations = tuple(
        ExportedAnnotation(
            id=ann.get("id"),
            annotator=_annotator(ann.get("completed_by"), users),
            cancelled=bool(ann.get("was_cancelled")),
            ground_truth=bool(ann.get("ground_truth")),
            updated_at=str(ann.get("updated_at") or ann.get("created_at") or ""),
            result=ann.get("result"),
        )
        for ann in task.get("annotations") or []
    )
    return ExportedTask(task_id, str(data.get("doc_id") or f"task-{task_id}"), data, annotations)


# --- results to documents ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DroppedRelation:
    """A relation result left out of a kept annotation, with what a person needs to find it
    on the labeling page: its labels as given and the texts of both regions."""

    labels: tuple[str, ...]
    head_id: str
    tail_id: str
    head_text: str  # "" when the region is missing
    tail_text: str
    problems: tuple[Problem, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "head": {"id": self.head_id, "text": self.head_text},
            "tail": {"id": self.tail_id, "text": self.tail_text},
        }

    def describe(self) -> str:
        """``KILLED 'IS-K' -> 'civilians'``, or ``(no label)``/``KILLED+CONDEMNS``."""
        labels = "+".join(self.labels) or "(no label)"
        return f"{labels} {self.head_text!r} -> {self.tail_text!r}"


@dataclass(frozen=True, slots=True)
class Conversion:
    """One annotation's results as a document, or the reasons it cannot be one."""

    document: Document | None
    problems: tuple[Problem, ...]
    utf16_converted: int  # spans whose offsets were UTF-16 units, converted to code points
    # Relations left out of `document` (`convert_result(..., drop_bad_relations=True)`).
    dropped: tuple[DroppedRelation, ...] = ()


@dataclass(frozen=True, slots=True)
class _Span:
    entity: Entity | None
    problems: tuple[Problem, ...]
    utf16: bool = False


def _labels(result: Mapping[str, Any], labels: Any, where: str) -> tuple[str | None, list[Problem]]:
    if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
        count = len(labels) if isinstance(labels, list) else 0
        return None, [
            Problem(where, f"needs exactly 1 label, got {count}: {labels!r:.80}", LABEL_COUNT)
        ]
    return labels[0], []


def _span(text: str, result: Mapping[str, Any], where: str) -> _Span:
    if result.get("from_name") != LS_LABELS_NAME or result.get("to_name") != LS_TEXT_NAME:
        return _Span(
            None,
            (
                Problem(
                    where,
                    f"control {result.get('from_name')!r} -> {result.get('to_name')!r} is not "
                    f"{LS_LABELS_NAME!r} -> {LS_TEXT_NAME!r} of the labeling config",
                    UNKNOWN_CONTROL,
                ),
            ),
        )
    value = result.get("value")
    if not isinstance(value, dict):
        return _Span(
            None, (Problem(where, f"'value' must be an object, got {value!r:.60}", BAD_RESULT),)
        )
    start, end = value.get("start"), value.get("end")
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        return _Span(
            None,
            (Problem(where, f"start/end must be integers, got {start!r}/{end!r}", BAD_RESULT),),
        )
    label, problems = _labels(result, value.get("labels"), where)
    if label is None:
        return _Span(None, tuple(problems))
    span_text = value.get("text")
    rid = result.get("id")
    if not isinstance(rid, str) or not rid:
        return _Span(
            None, (Problem(where, f"result id must be a string, got {rid!r}", BAD_RESULT),)
        )
    if span_text is None or text[start:end] == span_text:
        # No text to check against (API-made results): trust code points, as LS stores them.
        return _Span(Entity(rid, start, end, label, text[start:end]), ())
    cstart, cend = utf16_to_codepoint(text, start), utf16_to_codepoint(text, end)
    if cstart is not None and cend is not None and text[cstart:cend] == span_text:
        return _Span(Entity(rid, cstart, cend, label, span_text), (), utf16=True)
    return _Span(
        None,
        (
            Problem(
                where,
                f"offsets [{start}, {end}) cover {text[start:end]!r:.80} but the result text is "
                f"{span_text!r:.80} (also as UTF-16 units)",
                OFFSET_MISMATCH,
            ),
        ),
    )


_DIRECTIONS: dict[str, Callable[[str, str], tuple[str, str]]] = {
    "right": lambda a, b: (a, b),
    "left": lambda a, b: (b, a),
}


def _relation(
    result: Mapping[str, Any], ids: set[str], where: str
) -> tuple[Relation | None, list[Problem]]:
    label, problems = _labels(result, result.get("labels"), where)
    direction = result.get("direction", "right")
    orient = _DIRECTIONS.get(direction) if isinstance(direction, str) else None
    if orient is None:
        problems.append(
            Problem(
                where,
                f"direction {direction!r} has no head and tail; allowed: left, right",
                RELATION_DIRECTION,
            )
        )
    for key in ("from_id", "to_id"):
        if result.get(key) not in ids:
            problems.append(
                Problem(
                    where,
                    f"{key} {result.get(key)!r} not found among span results",
                    MISSING_ENDPOINT,
                )
            )
    if problems or label is None or orient is None:
        return None, problems
    head, tail = orient(result["from_id"], result["to_id"])
    return Relation(head=head, tail=tail, label=label), []


def _raw_labels(result: Mapping[str, Any]) -> tuple[str, ...]:
    labels = result.get("labels")
    return tuple(str(x) for x in labels) if isinstance(labels, list) else ()


def convert_result(
    task_data: Mapping[str, Any], result: Any, *, where: str, drop_bad_relations: bool = False
) -> Conversion:
    """Turn one annotation's result list into a `Document` over the task's text.

    A relation result that cannot be a relation (no label or several, no head and tail, an
    endpoint that is no span) is a problem of the whole annotation, or, with
    `drop_bad_relations`, left out of the document and returned in `Conversion.dropped`.
    """
    text = task_data.get("text")
    if not isinstance(text, str):
        return Conversion(None, (Problem(where, "task data has no 'text' string", BAD_RESULT),), 0)
    if not isinstance(result, list):
        return Conversion(
            None, (Problem(where, f"result must be a list, got {result!r:.60}", BAD_RESULT),), 0
        )
    problems: list[Problem] = []
    entities: list[Entity] = []
    relation_items: list[tuple[int, Mapping[str, Any]]] = []
    converted = 0
    for i, item in enumerate(result):
        if not isinstance(item, dict):
            problems.append(Problem(join(where, f"result {i}"), "must be an object", BAD_RESULT))
            continue
        kind = item.get("type")
        if kind == "labels":
            span = _span(text, item, join(where, f"result {i} ({item.get('id')})"))
            problems += span.problems
            converted += span.utf16
            entities += [span.entity] if span.entity is not None else []
        elif kind == "relation":
            relation_items.append((i, item))
        else:
            problems.append(
                Problem(
                    join(where, f"result {i}"),
                    f"result type {kind!r} is not in the config; allowed: labels, relation",
                    UNKNOWN_RESULT_TYPE,
                )
            )
    by_id = {e.id: e for e in entities}
    ids = set(by_id)
    relations: list[Relation] = []
    dropped: list[DroppedRelation] = []
    for n, (i, item) in enumerate(relation_items):
        rel, found = _relation(item, ids, join(where, f"relation {n} (result {i})"))
        if found and drop_bad_relations:
            head, tail = str(item.get("from_id")), str(item.get("to_id"))
            dropped.append(
                DroppedRelation(
                    labels=_raw_labels(item),
                    head_id=head,
                    tail_id=tail,
                    head_text=by_id[head].text if head in by_id else "",
                    tail_text=by_id[tail].text if tail in by_id else "",
                    problems=tuple(found),
                )
            )
            continue
        problems += found
        relations += [rel] if rel is not None else []
    if problems:
        return Conversion(None, tuple(problems), converted)
    doc = Document(
        id=str(task_data.get("doc_id") or ""),
        text=text,
        title=str(task_data.get("title") or ""),
        source=str(task_data.get("source") or ""),
        meta=_document_meta(task_data),
        entities=tuple(sorted(entities, key=lambda e: (e.start, e.end, e.label, e.id))),
        relations=tuple(relations),
    )
    return Conversion(doc, (), converted, tuple(dropped))


def _document_meta(task_data: Mapping[str, Any]) -> dict[str, Any]:
    """The document's meta as pushed (tasks pushed before it was sent have none), with the
    sha256 recorded at push."""
    meta = task_data.get("meta")
    out = dict(meta) if isinstance(meta, dict) else {}
    if isinstance(task_data.get("sha256"), str):
        out["sha256"] = task_data["sha256"]
    return out


def result_to_document(
    task_data: Mapping[str, Any], result: Any, *, where: str
) -> tuple[Document | None, list[Problem]]:
    """`convert_result` for callers that do not count UTF-16 conversions."""
    conv = convert_result(task_data, result, where=where)
    return conv.document, list(conv.problems)
