"""The score every prediction carries: how far a second model agrees with the served one.

Neither the rules nor the trained spaCy pipeline gives calibrated confidences, but two models
that see the text differently disagree where the text is hard. So the backend runs a second
opinion (the rules beside a trained model, or the trained model beside the rules) and scores:

- a **task** by the agreement of the two predictions, ``2·|A ∩ B| / (|A| + |B|)`` over their
  items: entities as ``(label, start, end)`` and relations as ``(label, head span, tail span)``
  (strict F1 of one against the other; 1.0 when both find nothing). Low score, uncertain task:
  ordering by ascending score puts the tasks the models disagree on first;
- a **span region** by 1.0 when the second model has the same label and span, 0.5 when it has
  an overlapping span with the same label or the same span with another label, else 0.0.

Without a second model every score is 1.0 (nothing disagrees), so ordering needs two models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eventgold.annotate.agree import relation_keys
from eventgold.documents import Document, Entity

EntityKey = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class Scored:
    score: float  # the task's score, 0.0 to 1.0
    region_scores: Mapping[str, float]  # entity id of the served prediction -> 0.0 to 1.0


def entity_keys(doc: Document) -> set[EntityKey]:
    return {e.key for e in doc.entities}


def agreement(a: Document, b: Document) -> float:
    """Dice agreement of two predictions of one text over entities and relations together."""
    items_a = entity_keys(a) | relation_keys(a)
    items_b = entity_keys(b) | relation_keys(b)
    total = len(items_a) + len(items_b)
    return 1.0 if total == 0 else 2 * len(items_a & items_b) / total


def _region_score(entity: Entity, exact: set[EntityKey], others: list[Entity]) -> float:
    if entity.key in exact:
        return 1.0
    for o in others:
        overlaps = o.start < entity.end and entity.start < o.end
        same_span = (o.start, o.end) == (entity.start, entity.end)
        if same_span or (overlaps and o.label == entity.label):
            return 0.5
    return 0.0


def score_prediction(served: Document, second: Document | None) -> Scored:
    """The task and region scores of `served`, given the second model's prediction if any."""
    if second is None:
        return Scored(1.0, {e.id: 1.0 for e in served.entities})
    exact = entity_keys(second)
    others = list(second.entities)
    regions = {e.id: _region_score(e, exact, others) for e in served.entities}
    return Scored(agreement(served, second), regions)
