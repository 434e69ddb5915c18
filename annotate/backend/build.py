"""Assembling a `Backend` from what `eventgold backend serve` is given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventgold.annotate.backend.app import Backend
from eventgold.annotate.backend.learning import Learner, LearningConfig, Trainer
from eventgold.annotate.backend.models import NO_SLOT, ModelHolder, load_models
from eventgold.documents import Document
from eventgold.eval.baselines.trained import fit
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema


@dataclass(frozen=True, slots=True)
class FitTrainer:
    """`trained.fit` with fixed options: the backend's trainer."""

    seed: int = 0
    epochs: int = 20

    def __call__(self, documents: Sequence[Document], schema: Schema) -> Any:
        return fit(documents, schema, seed=self.seed, epochs=self.epochs)


def build_backend(
    model: str,
    *,
    schema: Schema,
    compare: str | None = None,
    learning: LearningConfig | None = None,
    trainer: Trainer | None = None,
) -> Backend:
    """The models (`models.load_models`), and a `Learner` when `learning` is given."""
    models = load_models(model, schema=schema, compare=compare)
    holder = ModelHolder(models)
    if learning is None:
        return Backend(holder=holder, schema=schema)
    if models.trained_slot == NO_SLOT:
        raise ProblemsError(
            [
                Problem(
                    "--compare",
                    f"learning retrains a trained model, but neither --model {model!r} nor "
                    f"--compare {compare!r} is one; give a folder from `eventgold train`, or "
                    "leave --compare out (the first training then adds one)",
                )
            ]
        )
    the_trainer = trainer or FitTrainer(seed=learning.seed, epochs=learning.epochs)
    return Backend(
        holder=holder, schema=schema, learner=Learner(holder, schema, learning, the_trainer)
    )
