"""Shared by the backend tests: the shipped gold, and a tiny trained model (1 epoch)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eventgold.documents import Document, read_documents
from eventgold.eval.baselines.trained import TrainedModel, fit
from eventgold.schema import Schema, load_schema

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def schema() -> Schema:
    return load_schema()


@pytest.fixture(scope="session")
def gold() -> list[Document]:
    """The shipped gold's five seed articles: enough for the protocol, quick to train on."""
    seed = re.compile(r"\d{3}_[0-9a-f]{16}")
    return [d for d in read_documents(ROOT / "gold" / "documents.jsonl") if seed.fullmatch(d.id)]


@pytest.fixture(scope="session")
def tiny_model(gold: list[Document], schema: Schema) -> TrainedModel:
    """Trained on the shortest gold document for one epoch (~1 s): weak, and so disagrees."""
    return fit([min(gold, key=lambda d: len(d.text))], schema, epochs=1)


@pytest.fixture(scope="session")
def small_model(gold: list[Document], schema: Schema) -> TrainedModel:
    """Trained on two gold documents for 8 epochs (~7 s): agrees with the rules on some
    articles more than on others, which is what ordering needs."""
    return fit([gold[0], gold[3]], schema, epochs=8)
