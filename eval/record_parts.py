"""What scoring reads of a record, straight from its decoded JSON, when it is clean.

Checking a prediction (or gold) record the full way builds a `Document` of `Entity` objects
(`documents.parse_document`), checks it (`validate.validate_document` with
`PREDICTION_RULES`, or `GOLD_RULES`), and scoring then reads each entity back as a span: most
of `eventgold eval`'s time reading a large file. Most records have no problem at all,
and for those the answer is known without locating anything: `record_parts` checks a whole
record with set and map operations, which run in C, and gives its spans and resolved
relations (`eval.table.gold_parts` of the document the full way would build).

It only ever accepts: any record it is not sure of (a problem, a missing offset to align, an
unusual type) gives None, and the caller checks that record the full way, which gives the
same parts for a clean record and the located problems for the others. The rules are those of
`parse_document` and `validate_document`; a test checks that both ways agree on records with
every kind of fault.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from eventgold.eval.matching import Span
from eventgold.eval.relations import Resolved
from eventgold.schema import Schema
from eventgold.validate import TRIM

Parts = tuple[list[Span], set[Resolved]]

_ENTITY = itemgetter("start", "end", "label")  # the fields every entity must have
_WHOLE_ENTITY = itemgetter("start", "end", "label", "id", "text")  # and those it usually has
_START, _END = itemgetter(1), itemgetter(2)


def _start_longest(span: Span) -> tuple[int, int]:
    return span[1], -span[2]


_RELATION = itemgetter("head", "tail", "label")
_ABSENT = object()  # an optional field left out
_NOTHING: list[Any] = []  # an absent list (never changed)
_INT, _STR = {int}, {str}  # the types a field may have (bool is not int here)


class RecordRules:
    """A schema's labels and endpoint rules, as the sets `record_parts` checks against."""

    def __init__(self, schema: Schema) -> None:
        self.entity_labels = frozenset(schema.entity_labels)
        # (relation label, endpoint label) pairs each side allows (an unknown relation label
        # has none, so these also check the relation labels)
        self.heads = frozenset((r.label, label) for r in schema.relations for label in r.head)
        self.tails = frozenset((r.label, label) for r in schema.relations for label in r.tail)


def _optional_fields_fit(obj: dict[str, Any]) -> bool:
    """The record's optional fields have their types (`parse_document`'s record checks)."""
    meta = obj.get("meta", _ABSENT)
    return (
        type(obj.get("title", "")) is str
        and type(obj.get("source", "")) is str
        and (meta is _ABSENT or type(meta) is dict)
    )


def record_parts(
    obj: dict[str, Any], text: str, rules: RecordRules, *, gold: bool = False
) -> Parts | None:
    """The spans and resolved relations of prediction record `obj` on `text` (its gold
    document's text), or None when the record needs the full check (see the module
    docstring). With `gold`, the record is checked as gold (`GOLD_RULES`): its spans must
    also be trimmed and must not overlap."""
    ents = obj.get("entities", _NOTHING)
    rels = obj.get("relations", _NOTHING)
    if type(ents) is not list or type(rels) is not list or not _optional_fields_fit(obj):
        return None
    spans: list[Span] = []
    ids: Sequence[Any] = []
    if ents:
        fields = _entity_fields(ents)
        if fields is None:
            return None
        starts, ends, labels, ids, texts = fields
        if not _fits(starts, ends, labels, text, rules):
            return None
        covered = list(map(text.__getitem__, map(slice, starts, ends)))
        if list(texts) != covered:  # a text left out is the one its offsets cover
            filled = [c if t is _ABSENT else t for t, c in zip(texts, covered, strict=True)]
            if filled != covered:
                return None
        if not (set(map(type, ids)) <= _STR and len(set(ids)) == len(ids)):
            return None
        # Labels are interned, as `parse_document` does: scoring keeps millions of them.
        spans = list(zip(map(sys.intern, labels), starts, ends, strict=True))
        if len(set(spans)) != len(spans) or (
            gold and not _gold_spans(spans, covered, starts, ends)
        ):
            return None
    if not rels:
        return spans, set()
    return _resolved(spans, ids, rels, rules)


def _entity_fields(ents: list[Any]) -> tuple[Sequence[Any], ...] | None:
    """Each entity's start, end, label, id and text (an id left out is ``e<i>``, a text left
    out `_ABSENT`), or None for an entity that is not an object or lacks a required field."""
    try:  # the usual entity: every field given, read in one step
        return tuple(zip(*map(_WHOLE_ENTITY, ents), strict=True))
    except TypeError:  # an entity that is not an object
        return None
    except KeyError:  # a field left out: each is read on its own
        return _entity_fields_one_by_one(ents)


def _entity_fields_one_by_one(ents: list[Any]) -> tuple[Sequence[Any], ...] | None:
    try:
        starts, ends, labels = zip(*map(_ENTITY, ents), strict=True)
    except (KeyError, TypeError):  # a required field missing, or an entity not an object
        return None
    ids = [e.get("id", _ABSENT) for e in ents]
    if _ABSENT in ids:
        ids = [f"e{i}" if x is _ABSENT else x for i, x in enumerate(ids)]
    return starts, ends, labels, ids, [e.get("text", _ABSENT) for e in ents]


def _fits(
    starts: tuple[Any, ...],
    ends: tuple[Any, ...],
    labels: tuple[Any, ...],
    text: str,
    rules: RecordRules,
) -> bool:
    """Whether the offsets are ints inside `text`, each start before its end, and the labels
    strings of the schema."""
    return (
        set(map(type, starts)) <= _INT
        and set(map(type, ends)) <= _INT
        and set(map(type, labels)) <= _STR
        and set(labels) <= rules.entity_labels
        and min(starts) >= 0
        and max(ends) <= len(text)
        and all(map(int.__lt__, starts, ends))
    )


def _gold_spans(
    spans: list[Span], covered: list[str], starts: tuple[int, ...], ends: tuple[int, ...]
) -> bool:
    """Whether no span starts or ends with whitespace and no two overlap (`GOLD_RULES`)."""
    if list(map(str.strip, covered, itertools.repeat(TRIM))) != covered:
        return False
    if all(map(int.__lt__, starts, starts[1:])):
        # Already in order of start, as gold is written: only neighbours can overlap first.
        return all(map(int.__le__, ends, starts[1:]))
    # In order of start (longest first), spans that do not overlap each begin at or after
    # the end of the one before; the first overlap shows as a pair of neighbours.
    ordered = sorted(spans, key=_start_longest)
    return all(map(int.__le__, map(_END, ordered), map(_START, ordered[1:])))


def _resolved(
    spans: list[Span], ids: list[str], rels: list[Any], rules: RecordRules
) -> Parts | None:
    """The record's relations resolved to `spans`, or None unless every one is clean."""
    try:
        rows = list(map(_RELATION, rels))
    except (KeyError, TypeError):
        return None
    heads, tails, labels = zip(*rows, strict=True)
    if not (
        set(map(type, heads)) <= _STR
        and set(map(type, tails)) <= _STR
        and set(map(type, labels)) <= _STR
        and len(set(rows)) == len(rows)
        and not any(map(str.__eq__, heads, tails))
    ):
        return None
    span_of = dict(zip(ids, spans, strict=True))
    try:
        head_spans = list(map(span_of.__getitem__, heads))
        tail_spans = list(map(span_of.__getitem__, tails))
    except KeyError:
        return None
    if not (
        set(zip(labels, map(itemgetter(0), head_spans), strict=True)) <= rules.heads
        and set(zip(labels, map(itemgetter(0), tail_spans), strict=True)) <= rules.tails
    ):
        return None  # an unknown relation label has no allowed pair either
    resolved = {
        (sys.intern(label), *h, *t)
        for label, h, t in zip(labels, head_spans, tail_spans, strict=True)
    }
    return spans, resolved
