"""What differs between two versions of the same gold data, named by document and field.

Used where a gold is checked against a reference (`eventgold demo` against the shipped gold/):
"line 1 differs" says that something changed; these say which document and what in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eventgold.documents import Document, read_documents

SHOWN = 5  # documents, spans or rows named per difference; the rest are counted


def _listed(items: Sequence[str]) -> str:
    more = len(items) - SHOWN
    return ", ".join(items[:SHOWN]) + (f" and {more} more" if more > 0 else "")


def _span(doc: Document, entity_id: str) -> str:
    e = next((e for e in doc.entities if e.id == entity_id), None)
    return f"{e.label} {e.start}-{e.end} {e.text!r}" if e is not None else repr(entity_id)


def _entities(doc: Document) -> set[str]:
    return {_span(doc, e.id) for e in doc.entities}


def _relations(doc: Document) -> set[str]:
    # By their spans, not their ids: ids are renumbered between versions.
    return {f"{_span(doc, r.head)} {r.label} {_span(doc, r.tail)}" for r in doc.relations}


def _only(kind: str, a: set[str], b: set[str], names: tuple[str, str]) -> list[str]:
    parts = [
        f"{kind} only in {name}: {_listed(sorted(mine - other))}"
        for name, mine, other in ((names[0], a, b), (names[1], b, a))
        if mine - other
    ]
    return ["; ".join(parts)] if parts else []


def document_pair_differences(a: Document, b: Document, names: tuple[str, str]) -> list[str]:
    """How two versions of one document differ: its spans and relations by content, its
    other fields by name."""
    found = _only("entities", _entities(a), _entities(b), names)
    found += _only("relations", _relations(a), _relations(b), names)
    ja, jb = a.to_json(), b.to_json()
    fields = sorted(
        k for k in (set(ja) | set(jb)) - {"entities", "relations"} if ja.get(k) != jb.get(k)
    )
    if fields:
        found.append(f"{', '.join(fields)} differ")
    return [f"document '{a.id}': {d}" for d in found]


def document_differences(a: Path, b: Path, names: tuple[str, str]) -> list[str]:
    """How two documents files differ, document by document (ids only in one, then what
    differs in each document both hold)."""
    da = {d.id: d for d in read_documents(a)}
    db = {d.id: d for d in read_documents(b)}
    found = [
        f"documents only in {name}: {_listed(sorted(set(mine) - set(other)))}"
        for name, mine, other in ((names[0], da, db), (names[1], db, da))
        if set(mine) - set(other)
    ]
    for doc_id in sorted(set(da) & set(db)):
        found += document_pair_differences(da[doc_id], db[doc_id], names)
    return found


def _differing(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def row_differences(
    a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]], names: tuple[str, str]
) -> list[str]:
    """How two lists of dataset rows (each with an ``id``) differ: ids only in one, and the
    columns that differ per id."""
    ra = {str(r["id"]): r for r in a}
    rb = {str(r["id"]): r for r in b}
    found = [
        f"rows only in {name}: {_listed(sorted(set(mine) - set(other)))}"
        for name, mine, other in ((names[0], ra, rb), (names[1], rb, ra))
        if set(mine) - set(other)
    ]
    changed = [
        f"'{i}' ({', '.join(_differing(ra[i], rb[i]))})"
        for i in sorted(set(ra) & set(rb))
        if ra[i] != rb[i]
    ]
    if changed:
        found.append(f"rows that differ (columns): {_listed(changed)}")
    if not found and list(ra) != list(rb):
        found.append("the same rows in another order")
    return found
