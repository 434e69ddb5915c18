"""Relation matching, one class per rule: set-based, like spaCy's scorer.

A relation is scored by what it connects, not by entity ids (ids are arbitrary per file):
it is first resolved to its label followed by both endpoint spans (`Resolved`), each rule
projects that to a hashable key, and a document's true positives are the keys found in both
the gold and the predicted set. Keys are a set, so a relation listed twice (or two relations
that become identical once endpoint labels are dropped) counts once.
Every key starts with the relation label, so counts per label are counts of key[0].
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from operator import attrgetter, itemgetter

from eventgold.documents import Document, Relation
from eventgold.eval.counts import PRF

Span = tuple[str, int, int]  # (label, start, end), `Entity.key`

_ID = attrgetter("id")
_SPAN = attrgetter("label", "start", "end")


def entity_spans(doc: Document) -> dict[str, Span]:
    """Entity id -> ``(label, start, end)``; empty when the document has no relations."""
    if not doc.relations:
        return {}
    return dict(zip(map(_ID, doc.entities), map(_SPAN, doc.entities), strict=True))


# (relation label, head label, head start, head end, tail label, tail start, tail end): flat,
# so that a rule's key is a C-level projection of it (`operator.itemgetter`), not a loop.
Resolved = tuple[str, str, int, int, str, int, int]


_LABEL_HEAD_TAIL = attrgetter("label", "head", "tail")


def resolve(spans: dict[str, Span], relations: Iterable[Relation]) -> set[Resolved]:
    """Relations with their endpoint ids replaced by spans; dangling ones are skipped
    (validation reports them before scoring). A set: a relation listed twice counts once.

    Endpoints are looked up without checking first, and checked only when one is missing
    (rare), so the common case is one dict lookup per endpoint.
    """
    relations = tuple(relations)
    try:
        return {(lab, *spans[h], *spans[t]) for lab, h, t in map(_LABEL_HEAD_TAIL, relations)}
    except KeyError:
        return {
            (lab, *spans[h], *spans[t])
            for lab, h, t in map(_LABEL_HEAD_TAIL, relations)
            if h in spans and t in spans
        }


class StrictRelations:
    """Strict: same relation label, and both endpoints with the same boundaries AND labels.

    Key: ``(label, head label, head start, head end, tail label, tail start, tail end)``,
    which is the resolved relation itself.
    """

    name = "strict"

    def keys(self, resolved: set[Resolved]) -> set[Hashable]:
        return resolved  # type: ignore[return-value]


_BOUNDARIES = itemgetter(0, 2, 3, 5, 6)


class BoundaryRelations:
    """Boundaries: same relation label and both endpoints with the same boundaries.

    Endpoint entity labels are ignored. Key: ``(label, head start, head end, tail start,
    tail end)``.
    """

    name = "boundaries"

    def keys(self, resolved: set[Resolved]) -> set[Hashable]:
        return set(map(_BOUNDARIES, resolved))


RelationRule = StrictRelations | BoundaryRelations

RELATION_RULES: dict[str, RelationRule] = {
    r.name: r for r in (StrictRelations(), BoundaryRelations())
}


def score_relations(gold: Document, pred: Document, rule: RelationRule) -> dict[str, PRF]:
    """One document's counts per relation label (labels on neither side are left out)."""
    g = rule.keys(resolve(entity_spans(gold), gold.relations))
    p = rule.keys(resolve(entity_spans(pred), pred.relations))
    labels = {k[0] for k in g} | {k[0] for k in p}  # type: ignore[index]
    return {
        label: PRF.from_sets({k for k in g if k[0] == label}, {k for k in p if k[0] == label})  # type: ignore[index]
        for label in labels
    }
