"""Small documents written with their spans: ``mark(text, [(label, phrase), ...], rels)``."""

from __future__ import annotations

import re
from pathlib import Path

from eventgold.documents import Document, Entity, Relation, read_documents, write_documents


def mark(
    text: str,
    spans: list[tuple[str, str]],
    relations: list[tuple[str, int, int]] = (),  # type: ignore[assignment]
    *,
    doc_id: str = "d",
) -> Document:
    """Entities T1, T2, ... at each phrase's next occurrence (in list order); relations as
    (label, head index, tail index) into `spans`, from 0."""
    ents, at = [], 0
    for n, (label, phrase) in enumerate(spans, start=1):
        start = text.index(phrase, at)
        ents.append(Entity(f"T{n}", start, start + len(phrase), label, phrase))
        at = start + len(phrase)
    rels = [Relation(f"T{h + 1}", f"T{t + 1}", label) for label, h, t in relations]
    return Document(doc_id, text, entities=tuple(ents), relations=tuple(rels))


# The event key (tests/data/events_key.yaml) covers the five seed articles of the shipped gold.
SEED_ID = re.compile(r"\d{3}_[0-9a-f]{16}")
SHIPPED_GOLD = Path(__file__).resolve().parents[3] / "gold" / "documents.jsonl"


def seed_gold() -> list[Document]:
    """The shipped gold's five seed articles, which the event key and these tests were made on."""
    return [d for d in read_documents(SHIPPED_GOLD) if SEED_ID.fullmatch(d.id)]


def seed_gold_file(folder: Path) -> Path:
    """`seed_gold` as a documents file in `folder` (a gold eval and events read)."""
    path = folder / "seed-gold.jsonl"
    write_documents(path, seed_gold())
    return path
