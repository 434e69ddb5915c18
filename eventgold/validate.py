"""Checks of a document's annotations against its text and the schema.

Nothing here raises for bad data: each check returns located `Problem`s with a stable `code`,
so pull can keep the good annotations and write the bad ones to a rejects file with reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from eventgold.documents import Document, Entity, Relation
from eventgold.offset_units import units_hint
from eventgold.problems import Problem, allowed, join
from eventgold.schema import Schema

# Codes, one per rejection reason; tests and the rejects file use them.
OFFSETS_OUT_OF_RANGE = "offsets-out-of-range"
OFFSET_MISMATCH = "offset-mismatch"
UNKNOWN_ENTITY_LABEL = "unknown-entity-label"
UNKNOWN_RELATION_LABEL = "unknown-relation-label"
DUPLICATE_ENTITY_ID = "duplicate-entity-id"
DUPLICATE_SPAN = "duplicate-span"
OVERLAPPING_SPANS = "overlapping-spans"
UNTRIMMED_SPAN = "untrimmed-span"
MISSING_ENDPOINT = "missing-endpoint"
ENDPOINT_TYPE = "endpoint-type"
SELF_RELATION = "self-relation"
DUPLICATE_RELATION = "duplicate-relation"

TRIM = " \t\r\n\u00a0"  # what a gold span may not start or end with


@dataclass(frozen=True, slots=True)
class Rules:
    """Which structural rules apply. Gold is strict; model predictions may overlap."""

    allow_overlap: bool = False
    require_trimmed: bool = True


GOLD_RULES = Rules()
# A repeated (label, span) is refused on both sides: set-based scoring would count it once,
# silently (nervaluate counts the copy as spurious).
PREDICTION_RULES = Rules(allow_overlap=True, require_trimmed=False)


def entity_where(doc_where: str, index: int, entity: Entity) -> str:
    return join(doc_where, f"entity {index} ({entity.id})")


def unknown_entity_label(where: str, label: str, schema: Schema) -> Problem:
    return Problem(
        where,
        f"label '{label}' is not in schema '{schema.name}'; "
        f"allowed: {allowed(schema.entity_labels)}",
        UNKNOWN_ENTITY_LABEL,
    )


def relation_where(doc_where: str, index: int, relation: Relation) -> str:
    return join(
        doc_where, f"relation {index} ({relation.label} {relation.head} -> {relation.tail})"
    )


def validate_document(
    doc: Document, schema: Schema, *, rules: Rules = GOLD_RULES, where: str = ""
) -> list[Problem]:
    """Every problem of `doc`'s entities and relations, located under `where`."""
    where = where or f"document '{doc.id}'"
    problems: list[Problem] = []
    labels = set(schema.entity_labels)
    n = len(doc.text)
    by_id: dict[str, Entity] = {}
    seen_keys: dict[tuple[str, int, int], str] = {}
    good: list[tuple[int, Entity]] = []
    for i, e in enumerate(doc.entities):
        # Locations are built only for a problem: most documents have none.
        if e.id in by_id:
            problems.append(
                Problem(
                    entity_where(where, i, e), f"duplicate entity id '{e.id}'", DUPLICATE_ENTITY_ID
                )
            )
        else:
            by_id[e.id] = e
        if e.label not in labels:
            problems.append(unknown_entity_label(entity_where(where, i, e), e.label, schema))
        if not (0 <= e.start < e.end <= n):
            problems.append(
                Problem(
                    entity_where(where, i, e),
                    f"offsets [{e.start}, {e.end}) are not a non-empty range inside the text "
                    f"(0 to {n})",
                    OFFSETS_OUT_OF_RANGE,
                )
            )
            continue
        actual = doc.text[e.start : e.end]
        if actual != e.text:
            problems.append(
                Problem(
                    entity_where(where, i, e),
                    f"offsets [{e.start}, {e.end}) cover {actual!r} "
                    f"but the entity text is {e.text!r}"
                    + units_hint(doc.text, e.start, e.end, e.text),
                    OFFSET_MISMATCH,
                )
            )
            continue
        if rules.require_trimmed and (actual[0] in TRIM or actual[-1] in TRIM):
            problems.append(
                Problem(
                    entity_where(where, i, e),
                    f"span {actual!r} starts or ends with whitespace",
                    UNTRIMMED_SPAN,
                )
            )
        if e.key in seen_keys:
            problems.append(
                Problem(
                    entity_where(where, i, e),
                    f"same label and span as entity {seen_keys[e.key]}",
                    DUPLICATE_SPAN,
                )
            )
        else:
            seen_keys[e.key] = e.id
        good.append((i, e))
    if not rules.allow_overlap:
        # Compare each span with the furthest-reaching span before it, so a span nested
        # deep inside a long one is caught even when it is not its sorted neighbour.
        good.sort(key=lambda ie: (ie[1].start, -ie[1].end, ie[0]))
        cover: Entity | None = None
        for j, b in good:
            if cover is not None and b.start < cover.end and cover.key != b.key:
                problems.append(
                    Problem(
                        entity_where(where, j, b),
                        f"span [{b.start}, {b.end}) {b.text!r} overlaps entity {cover.id} "
                        f"[{cover.start}, {cover.end}) {cover.text!r}",
                        OVERLAPPING_SPANS,
                    )
                )
            if cover is None or b.end > cover.end:
                cover = b
    problems += _relation_problems(doc, schema, by_id, where)
    return problems


def _relation_problems(
    doc: Document, schema: Schema, by_id: dict[str, Entity], where: str
) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str, str]] = set()
    for i, r in enumerate(doc.relations):
        rtype = schema.relation(r.label)
        if rtype is None:
            problems.append(
                Problem(
                    relation_where(where, i, r),
                    f"label '{r.label}' is not in schema '{schema.name}'; "
                    f"allowed: {allowed(schema.relation_labels)}",
                    UNKNOWN_RELATION_LABEL,
                )
            )
        for end, eid, ok_labels in (
            ("head", r.head, rtype.head if rtype else None),
            ("tail", r.tail, rtype.tail if rtype else None),
        ):
            ent = by_id.get(eid)
            if ent is None:
                problems.append(
                    Problem(
                        relation_where(where, i, r),
                        f"{end} '{eid}' not found among entity ids",
                        MISSING_ENDPOINT,
                    )
                )
            elif ok_labels is not None and ent.label not in ok_labels:
                problems.append(
                    Problem(
                        relation_where(where, i, r),
                        f"{end} '{eid}' is {ent.label}; {r.label} allows {end} labels: "
                        f"{allowed(ok_labels)}",
                        ENDPOINT_TYPE,
                    )
                )
        if r.head == r.tail:
            problems.append(
                Problem(
                    relation_where(where, i, r), "head and tail are the same entity", SELF_RELATION
                )
            )
        key = (r.label, r.head, r.tail)
        if key in seen:
            problems.append(
                Problem(relation_where(where, i, r), "duplicate relation", DUPLICATE_RELATION)
            )
        seen.add(key)
    return problems
