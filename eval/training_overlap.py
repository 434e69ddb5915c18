"""Scored documents a model was trained on: scores on them overstate the model.

A trained model (`eval.baselines.trained`) writes the ids of its training documents into
every prediction (``meta.model.trained_on``); cross-validation's out-of-fold predictions
name only the folds each model saw. A prediction of a document listed there was made by a
model that had seen that document's gold.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from eventgold.documents import Document


def trained_on(prediction: Document) -> bool:
    """Whether the model that made `prediction` lists its document among its training ones."""
    model = prediction.meta.get("model")
    if not isinstance(model, Mapping):
        return False
    ids: Any = model.get("trained_on")
    return isinstance(ids, list | tuple) and prediction.id in ids


class TrainingOverlap:
    """Passes (gold, prediction) pairs through, noting the documents `trained_on` flags."""

    def __init__(self, pairs: Iterable[tuple[Document, Document]]) -> None:
        self._pairs = pairs
        self.seen: list[str] = []  # ids of scored documents the predicting model trained on

    def __iter__(self) -> Iterator[tuple[Document, Document]]:
        for gold, prediction in self._pairs:
            if trained_on(prediction):
                self.seen.append(gold.id)
            yield gold, prediction
