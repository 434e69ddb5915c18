"""Give offsets to offset-free predictions (LLM style: entities as ``{"label", "text"}``).

Each entity text is looked up in the document text: first exactly, then ignoring case and
treating any run of whitespace as equal. Successive mentions with the same label and text
take successive occurrences in order (the second "Kabul" is the second occurrence after the
first one), which is what a model listing mentions in reading order means. What cannot be
found is reported, never guessed; relations to it are dropped and counted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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
    unaligned: tuple[Unaligned, ...] = ()
    dropped_relations: int = 0

    def __add__(self, other: AlignmentReport) -> AlignmentReport:
        return AlignmentReport(
            exact=self.exact + other.exact,
            fuzzy=self.fuzzy + other.fuzzy,
            unaligned=self.unaligned + other.unaligned,
            dropped_relations=self.dropped_relations + other.dropped_relations,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "exact": self.exact,
            "fuzzy": self.fuzzy,
            "unaligned": len(self.unaligned),
            "unaligned_entities": [u.to_json() for u in self.unaligned],
            "dropped_relations": self.dropped_relations,
        }


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _loose_pattern(text: str) -> re.Pattern[str] | None:
    parts = text.split()
    if not parts:
        return None
    return re.compile(r"\s+".join(re.escape(p) for p in parts), re.IGNORECASE)


def find_span(text: str, mention: str, start_at: int) -> tuple[int, int, bool] | None:
    """``(start, end, exact)`` of the first occurrence of `mention` at or after `start_at`:
    exact if there is one, else ignoring case and whitespace runs; None if neither."""
    if not mention.strip():
        return None
    i = text.find(mention, start_at)
    if i >= 0:
        return i, i + len(mention), True
    pattern = _loose_pattern(mention)
    found = pattern.search(text, start_at) if pattern is not None else None
    return (found.start(), found.end(), False) if found else None


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
    cursors: dict[tuple[str, str], int] = {}
    entities: list[Any] = []
    unaligned: list[Unaligned] = []
    lost_ids: set[str] = set()
    exact = fuzzy = 0
    raw_entities: Sequence[Any] = obj.get("entities") or []
    for i, raw in enumerate(raw_entities):
        if not isinstance(raw, dict) or "start" in raw or "end" in raw:
            entities.append(raw)  # offsets, or half of them: validation names what is missing
            continue
        label, mention = raw.get("label"), raw.get("text")
        eid = raw.get("id", f"e{i}")
        if not isinstance(label, str) or not isinstance(mention, str):
            entities.append(raw)  # validation names the bad field
            continue
        key = (label, _normal(mention))
        span = find_span(text, mention, cursors.get(key, 0))
        if span is None:
            unaligned.append(Unaligned(doc_id=doc_id, label=label, text=mention))
            lost_ids.add(eid)
            continue
        start, end, was_exact = span
        cursors[key] = end
        exact += was_exact
        fuzzy += not was_exact
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
        exact=exact, fuzzy=fuzzy, unaligned=tuple(unaligned), dropped_relations=dropped
    )
