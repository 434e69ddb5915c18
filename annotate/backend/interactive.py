"""Auto-Annotation: suggestions from the regions an annotator has just marked.

With Auto-Annotation on, Label Studio sends the annotator's new regions as ``params.context``
(``{"result": [span regions]}``) with the task, whose ``drafts`` and ``annotations`` hold the
regions already there. The answer suggests:

- **the same text elsewhere, under the same label**: every other occurrence of a marked span's
  text, as a whole word, that no region covers yet (score 1.0: the annotator's own choice);
- **relations between the new spans and the existing ones** that the model proposes: a trained
  model's relation classifier over exactly these spans; another model's relations are mapped
  onto them (its head and tail overlap a span of the same label). Each relation needs one new
  span (marked or suggested) and is one the schema allows.

Relations name span ids of the same result, so the spans they link are in it too, with the
ids Label Studio gave them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventgold.annotate.backend.models import ModelSet
from eventgold.annotate.backend.protocol import Controls, relation_region, span_region
from eventgold.documents import Document, Entity, Relation
from eventgold.eval.baselines.registry import Extractor
from eventgold.eval.baselines.trained import TrainedModel, predict_relations
from eventgold.problems import Problem, join
from eventgold.schema import Schema


@dataclass(frozen=True, slots=True)
class Suggestions:
    regions: tuple[dict[str, Any], ...]
    problems: tuple[Problem, ...]  # context regions that could not be read (left out)


def _spans(text: str, result: Any, where: str) -> tuple[list[Entity], list[Problem]]:
    """The span regions of a result list whose offsets hold their text (code points)."""
    spans: list[Entity] = []
    problems: list[Problem] = []
    for i, item in enumerate(result if isinstance(result, list) else []):
        if not isinstance(item, dict) or item.get("type") != "labels":
            continue
        value = item.get("value") if isinstance(item.get("value"), dict) else {}
        start, end, labels = value.get("start"), value.get("end"), value.get("labels")
        rid = item.get("id")
        ok = (
            isinstance(start, int)
            and isinstance(end, int)
            and 0 <= start < end <= len(text)
            and isinstance(labels, list)
            and len(labels) == 1
            and isinstance(rid, str)
            and value.get("text", text[start:end]) == text[start:end]
        )
        if not ok:
            problems.append(
                Problem(join(where, f"region {i}"), f"not a span of this text: {item!r:.120}")
            )
            continue
        spans.append(Entity(rid, start, end, str(labels[0]), text[start:end]))
    return spans, problems


def _existing(text: str, task: Mapping[str, Any]) -> list[Entity]:
    """Spans of the task's drafts and annotations, as sent with it."""
    found: list[Entity] = []
    for kind in ("drafts", "annotations"):
        for item in task.get(kind) or []:
            if isinstance(item, dict):
                found += _spans(text, item.get("result"), kind)[0]
    return found


def _overlaps(start: int, end: int, spans: Iterable[Entity]) -> bool:
    return any(s.start < end and start < s.end for s in spans)


def same_text(text: str, marked: Sequence[Entity], taken: Sequence[Entity]) -> list[Entity]:
    """Other whole-word occurrences of each marked span's text, under its label, that overlap
    no span in `taken` nor an earlier suggestion."""
    suggested: list[Entity] = []
    for span in marked:
        pattern = re.compile(rf"(?<!\w){re.escape(span.text)}(?!\w)")
        for m in pattern.finditer(text):
            if _overlaps(m.start(), m.end(), [*taken, *suggested]):
                continue
            suggested.append(
                Entity(f"{span.id}-same{len(suggested)}", m.start(), m.end(), span.label, span.text)
            )
    return suggested


def _mapped_relations(model: Extractor, text: str, spans: Sequence[Entity]) -> list[Relation]:
    """A model's own relations, moved onto `spans` (same label, overlapping)."""
    predicted = model.predict(Document(id="interactive", text=text))
    by_id = predicted.entity_by_id()

    def match(entity: Entity) -> Entity | None:
        return next(
            (
                s
                for s in spans
                if s.label == entity.label and s.start < entity.end and entity.start < s.end
            ),
            None,
        )

    found: list[Relation] = []
    for r in predicted.relations:
        if r.head not in by_id or r.tail not in by_id:
            continue
        head, tail = match(by_id[r.head]), match(by_id[r.tail])
        if head is not None and tail is not None and head.id != tail.id:
            found.append(Relation(head.id, tail.id, r.label))
    return found


def propose_relations(models: ModelSet, text: str, spans: Sequence[Entity]) -> list[Relation]:
    """Relations among `spans`: from the set's trained model if it has one, else mapped from
    the served model's own prediction."""
    trained = next((m for m in (models.served, models.second) if isinstance(m, TrainedModel)), None)
    if trained is not None:
        return predict_relations(trained, text, spans)
    return _mapped_relations(models.served, text, spans)


def suggest(
    models: ModelSet,
    task: Mapping[str, Any],
    context: Mapping[str, Any],
    *,
    controls: Controls,
    schema: Schema,
) -> Suggestions:
    """The regions to suggest for `task` given the annotator's `context` (module docstring)."""
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    text = data.get("text")
    where = f"task {task.get('id')} / context"
    if not isinstance(text, str):
        return Suggestions((), (Problem(where, "task data has no 'text' string"),))
    marked, problems = _spans(text, context.get("result"), where)
    labels = set(schema.entity_labels)
    marked = [s for s in marked if s.label in labels]
    existing = [
        e
        for e in _existing(text, task)
        if e.key not in {m.key for m in marked} and e.id not in {m.id for m in marked}
    ]
    suggested = same_text(text, marked, [*marked, *existing])
    new_ids = {s.id for s in (*marked, *suggested)}
    spans = [*marked, *suggested, *existing]
    relations = [
        r
        for r in propose_relations(models, text, spans)
        if (r.head in new_ids or r.tail in new_ids) and _allowed(r, spans, schema)
    ]
    linked = {r.head for r in relations} | {r.tail for r in relations}
    shown = [s for s in spans if s.id in linked or s in suggested]
    regions = [span_region(s, region_id=s.id, controls=controls, score=1.0) for s in shown]
    regions += [relation_region(r, from_id=r.head, to_id=r.tail) for r in relations]
    return Suggestions(tuple(regions), tuple(problems))


def _allowed(relation: Relation, spans: Sequence[Entity], schema: Schema) -> bool:
    by_id = {s.id: s for s in spans}
    rtype = schema.relation(relation.label)
    return (
        rtype is not None
        and by_id[relation.head].label in rtype.head
        and by_id[relation.tail].label in rtype.tail
    )
