"""Small documents written with their spans: ``mark(text, [(label, phrase), ...], rels)``."""

from __future__ import annotations

from eventgold.documents import Document, Entity, Relation


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
