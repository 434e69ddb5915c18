"""Give offsets to offset-free predictions (LLM style: entities as ``{"label", "text"}``).

A model that lists mentions without offsets lists them in reading order, so each mention is
placed at the first occurrence of its text at or after the start of the mention placed
before it (the second "Kabul" listed goes to the second occurrence, and a "Taliban" listed
after "Kabul" to the first "Taliban" after it), skipping spans already held under the same
label, by an entity with offsets or an earlier mention. Exact matches come first, then
matches ignoring case and treating any run of whitespace as equal, each over whole words
before inside a word ("gun" takes "a gun" over "Gunmen"); an occurrence before the previous
mention is taken only when there is none after it (a list out of order).

Placement is a rule, not knowledge: a mention whose text occurs more than once may land on
an occurrence the model did not mean. Such placements are counted
(`AlignmentReport.repeated`), so a reader knows how far the figures rest on them. What cannot
be found is reported, never guessed; relations to it are dropped and counted. An entity
without an id gets ``e<index>`` (its place in the list, from 0), the name relations use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Unaligned:
    doc_id: str
    label: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"doc_id": self.doc_id, "label": self.label, "text": self.text}


@dataclass(frozen=True, slots=True)
class AlignmentReport:
    """How many offset-free entities were placed, and how."""

    exact: int = 0
    fuzzy: int = 0  # found only ignoring case/whitespace
    repeated: int = 0  # of exact + fuzzy: placed on one of several occurrences of the text
    unaligned: tuple[Unaligned, ...] = ()
    dropped_relations: int = 0

    def __add__(self, other: AlignmentReport) -> AlignmentReport:
        return AlignmentReport(
            exact=self.exact + other.exact,
            fuzzy=self.fuzzy + other.fuzzy,
            repeated=self.repeated + other.repeated,
            unaligned=self.unaligned + other.unaligned,
            dropped_relations=self.dropped_relations + other.dropped_relations,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "exact": self.exact,
            "fuzzy": self.fuzzy,
            "repeated": self.repeated,
            "unaligned": len(self.unaligned),
            "unaligned_entities": [u.to_json() for u in self.unaligned],
            "dropped_relations": self.dropped_relations,
        }


def _loose_pattern(text: str) -> re.Pattern[str] | None:
    parts = text.split()
    if not parts:
        return None
    return re.compile(r"\s+".join(re.escape(p) for p in parts), re.IGNORECASE)


def _find(text: str, mention: str, start_at: int, *, exact: bool) -> tuple[int, int] | None:
    if exact:
        i = text.find(mention, start_at)
        return (i, i + len(mention)) if i >= 0 else None
    pattern = _loose_pattern(mention)
    found = pattern.search(text, start_at) if pattern is not None else None
    return (found.start(), found.end()) if found else None


def find_span(text: str, mention: str, start_at: int) -> tuple[int, int, bool] | None:
    """``(start, end, exact)`` of the first occurrence of `mention` at or after `start_at`:
    exact if there is one, else ignoring case and whitespace runs; None if neither."""
    if not mention.strip():
        return None
    for exact in (True, False):
        span = _find(text, mention, start_at, exact=exact)
        if span is not None:
            return (*span, exact)
    return None


def _occurs_again(text: str, mention: str, start: int) -> bool:
    """True if `mention`, found at `start` (exactly or loosely), occurs elsewhere in `text`."""
    first = find_span(text, mention, 0)
    return first is not None and (
        first[0] != start or find_span(text, mention, start + 1) is not None
    )


def _cuts_a_word(text: str, start: int, end: int) -> bool:
    """True if ``text[start:end]`` begins or ends inside a word (letters or digits on both
    sides of an edge): "Gun" in "Gunmen"."""
    return (start > 0 and text[start - 1].isalnum() and text[start].isalnum()) or (
        end < len(text) and text[end - 1].isalnum() and text[end].isalnum()
    )


# Kinds of occurrence a mention may take, best first: (exact, whole words only).
_PREFERENCE = ((True, True), (False, True), (True, False), (False, False))


def _place(
    text: str, mention: str, label: str, reading: int, taken: Set[tuple[Any, Any, Any]]
) -> tuple[int, int, bool] | None:
    """``(start, end, exact)`` where a mention goes (see module docstring): the first
    occurrence not `taken` under `label`, at or after `reading` (the previous mention's
    start) before anywhere, of the best kind there is: exact over whole words, then loose over
    whole words, then exact, then loose inside words; None if there is none."""
    if not mention.strip():
        return None
    for exact, whole in _PREFERENCE:
        for start_at in dict.fromkeys((reading, 0)):
            span = _find(text, mention, start_at, exact=exact)
            while span is not None and (
                (label, *span) in taken or (whole and _cuts_a_word(text, *span))
            ):
                span = _find(text, mention, span[0] + 1, exact=exact)
            if span is not None:
                return (*span, exact)
    return None


class Placer:
    """Places one document's text-only mentions, in list order (see module docstring).

    Private state by nature, like a cursor: where reading is, and the spans held under each
    label (from the entities that came with offsets, then from each mention placed).
    """

    def __init__(self, text: str, raw_entities: Sequence[Any]) -> None:
        self.text = text
        self.reading = 0  # start of the mention placed last
        self.taken = {
            (raw.get("label"), raw.get("start"), raw.get("end"))
            for raw in raw_entities
            if isinstance(raw, dict) and "start" in raw and "end" in raw
        }

    def place(self, mention: str, label: str) -> tuple[int, int, bool] | None:
        """``(start, end, exact)`` for the next mention, held from now on; None if none."""
        span = _place(self.text, mention, label, self.reading, self.taken)
        if span is not None:
            self.reading = span[0]
            self.taken.add((label, span[0], span[1]))
        return span


def needs_alignment(obj: Mapping[str, Any]) -> bool:
    """True if any entity of a decoded prediction has neither ``start`` nor ``end``."""
    ents = obj.get("entities")
    return isinstance(ents, list) and any(
        isinstance(e, dict) and "start" not in e and "end" not in e for e in ents
    )


def align_record(
    obj: Mapping[str, Any], *, doc_id: str, text: str
) -> tuple[dict[str, Any], AlignmentReport]:
    """A record-format copy of `obj` with offsets found in `text` (see module docstring).

    Entities that already have ``start`` and ``end`` are kept as they are; anything that is not
    an entity object is passed through for validation to report.
    """
    entities: list[Any] = []
    unaligned: list[Unaligned] = []
    lost_ids: set[str] = set()
    exact = fuzzy = repeated = 0
    raw_entities: Sequence[Any] = obj.get("entities") or []
    placer = Placer(text, raw_entities)
    for i, raw in enumerate(raw_entities):
        if not isinstance(raw, dict) or "start" in raw or "end" in raw:
            entities.append(raw)  # offsets, or half of them: validation names what is missing
            continue
        label, mention = raw.get("label"), raw.get("text")
        eid = raw.get("id", f"e{i}")
        if not isinstance(label, str) or not isinstance(mention, str):
            entities.append(raw)  # validation names the bad field
            continue
        span = placer.place(mention, label)
        if span is None:
            unaligned.append(Unaligned(doc_id=doc_id, label=label, text=mention))
            lost_ids.add(eid)
            continue
        start, end, was_exact = span
        exact += was_exact
        fuzzy += not was_exact
        repeated += _occurs_again(text, mention, start)
        entities.append(
            {"id": eid, "start": start, "end": end, "label": label, "text": text[start:end]}
        )
    relations = [
        r
        for r in obj.get("relations") or []
        if not (isinstance(r, dict) and (r.get("head") in lost_ids or r.get("tail") in lost_ids))
    ]
    dropped = len(obj.get("relations") or []) - len(relations)
    record = {**obj, "id": doc_id, "text": text, "entities": entities, "relations": relations}
    return record, AlignmentReport(
        exact=exact,
        fuzzy=fuzzy,
        repeated=repeated,
        unaligned=tuple(unaligned),
        dropped_relations=dropped,
    )
