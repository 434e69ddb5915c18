"""Small gold and prediction files for the eval tests (default schema labels)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventgold.documents import Document, Entity, Relation, write_documents
from eventgold.schema import Schema, load_schema

T1 = "Rebels attacked Kabul. The UN condemned the attack."
T2 = "Gunmen killed ten villagers near Herat."


def gold_documents() -> list[Document]:
    d1 = Document(
        id="d1",
        text=T1,
        entities=(
            Entity("a", 0, 6, "ATTACKER", "Rebels"),
            Entity("b", 16, 21, "LOCATION", "Kabul"),
            Entity("c", 27, 29, "ACTOR", "UN"),
            Entity("d", 44, 50, "ATTACK", "attack"),
        ),
        relations=(Relation("c", "d", "CONDEMNS"),),
    )
    d2 = Document(
        id="d2",
        text=T2,
        entities=(
            Entity("a", 0, 6, "ATTACKER", "Gunmen"),
            Entity("b", 14, 27, "VICTIM_GROUP", "ten villagers"),
            Entity("c", 33, 38, "LOCATION", "Herat"),
        ),
        relations=(Relation("a", "b", "KILLED"),),
    )
    d3 = Document(id="d3", text="Nothing happened today.")
    return [d1, d2, d3]


def prediction_documents() -> list[Document]:
    """d1: 'Kabul' labelled ATTACKER, 'the attack' too long; d2 perfect; d3 one spurious."""
    g = {d.id: d for d in gold_documents()}
    d1 = g["d1"].with_annotations(
        entities=(
            Entity("x", 0, 6, "ATTACKER", "Rebels"),
            Entity("y", 16, 21, "ATTACKER", "Kabul"),
            Entity("z", 27, 29, "ACTOR", "UN"),
            Entity("w", 40, 50, "ATTACK", "the attack"),
        ),
        relations=(Relation("z", "w", "CONDEMNS"),),
    )
    d3 = g["d3"].with_annotations(
        entities=(Entity("s", 0, 7, "ATTACKER", "Nothing"),), relations=()
    )
    return [d1, g["d2"], d3]


@pytest.fixture
def schema() -> Schema:
    return load_schema()


@pytest.fixture
def gold_dir(tmp_path: Path) -> Path:
    """A gold folder as dataset.writer writes it (only documents.jsonl is read here)."""
    folder = tmp_path / "gold"
    write_documents(folder / "documents.jsonl", gold_documents())
    return folder


@pytest.fixture
def pred_file(tmp_path: Path) -> Path:
    path = tmp_path / "pred.jsonl"
    write_documents(path, prediction_documents())
    return path


@pytest.fixture
def gold_docs() -> list[Document]:
    return gold_documents()


@pytest.fixture
def pred_docs() -> list[Document]:
    return prediction_documents()


def _write_jsonl(path: Path, objects: list) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


@pytest.fixture
def jsonl() -> object:
    """``jsonl(path, objects)`` writes JSON objects one a line and returns the path."""
    return _write_jsonl
