"""Builders of small record-format documents from sentences of the corpus articles."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from eventgold.documents import Document, Entity, Relation
from eventgold.schema import Schema, load_schema

Span = tuple[str, str]  # (label, exact substring; its first occurrence)
Link = tuple[str, int, int]  # (label, head index, tail index) into the spans


def build_document(
    doc_id: str, text: str, spans: Sequence[Span] = (), links: Sequence[Link] = ()
) -> Document:
    entities = []
    for i, (label, sub) in enumerate(spans):
        start = text.index(sub)
        entities.append(Entity(f"e{i}", start, start + len(sub), label, sub))
    relations = [Relation(f"e{h}", f"e{t}", label) for label, h, t in links]
    return Document(
        id=doc_id, text=text, title=doc_id, entities=tuple(entities), relations=tuple(relations)
    )


@pytest.fixture
def make_document() -> Callable[..., Document]:
    return build_document


@pytest.fixture(scope="session")
def schema() -> Schema:
    return load_schema()


TRAINING_TEXTS = [
    (
        "d1",
        "An IS-Khorasan suicide bomber killed around 200 people near the Kabul airport.\n"
        "UNAMA condemned the attack.",
        [
            ("ATTACKER", "suicide bomber"),
            ("VICTIM_GROUP", "200 people"),
            ("LOCATION", "Kabul airport"),
            ("ACTOR", "UNAMA"),
            ("ATTACK", "attack"),
        ],
        [("KILLED", 0, 1), ("CONDEMNS", 3, 4)],
    ),
    (
        "d2",
        "A bombing outside the main Eid Gah mosque killed eight Afghan civilians in Kabul.\n"
        "Amnesty International condemned the bombing.",
        [
            ("ATTACK", "bombing"),
            ("VICTIM_GROUP", "eight Afghan civilians"),
            ("LOCATION", "Kabul"),
            ("ACTOR", "Amnesty International"),
        ],
        [("KILLED", 0, 1)],
    ),
    (
        "d3",
        "Gunmen attacked a Taliban outpost in Herat and killed 14 Taliban fighters.\n"
        "Human Rights Watch condemned the gunmen.",
        [
            ("ATTACKER", "Gunmen"),
            ("LOCATION", "Herat"),
            ("VICTIM_GROUP", "14 Taliban fighters"),
            ("ACTOR", "Human Rights Watch"),
            ("ATTACKER", "gunmen"),
        ],
        [("KILLED", 0, 2), ("CONDEMNS", 3, 4)],
    ),
]


@pytest.fixture
def gold_documents() -> list[Document]:
    """Three tiny gold documents (sentences adapted from the corpus articles)."""
    return [build_document(*row) for row in TRAINING_TEXTS]
