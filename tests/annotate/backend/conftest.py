"""Shared by the backend tests: the shipped gold, and a tiny trained model (1 epoch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventgold.annotate.documents import Document, read_documents
from eventgold.annotate.schema import Schema, load_schema
from eventgold.eval.baselines.trained import TrainedModel, fit

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def schema() -> Schema:
    return load_schema()


@pytest.fixture(scope="session")
def gold() -> list[Document]:
    return list(read_documents(ROOT / "gold" / "documents.jsonl"))


@pytest.fixture(scope="session")
def tiny_model(gold: list[Document], schema: Schema) -> TrainedModel:
    """Trained on the shortest gold document for one epoch (~1 s): weak, and so disagrees."""
    return fit([min(gold, key=lambda d: len(d.text))], schema, epochs=1)


@pytest.fixture(scope="session")
def small_model(gold: list[Document], schema: Schema) -> TrainedModel:
    """Trained on two gold documents for 8 epochs (~7 s): agrees with the rules on some
    articles more than on others, which is what ordering needs."""
    return fit([gold[0], gold[3]], schema, epochs=8)
