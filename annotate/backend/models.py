"""The models a backend serves, with their version, and predicting tasks with them.

A backend holds up to two models (`ModelSet`): the **served** one, whose predictions it returns
(`--model`: anything `eventgold predict` accepts), and a **second** opinion that only scores them
(`scoring`): `--compare`, else the rules beside a trained model. Learning retrains the trained
one of the two; when neither is trained and there is no second model, the first training adds
one as the second. Each installed training increments the version, so predictions made after it
carry a new ``model_version`` (``<served model>-<n>``), and Label Studio asks for fresh ones.

`ModelHolder` swaps model sets atomically: a request predicts with the set it started with,
and a training thread never waits for requests (nor they for it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from eventgold.annotate.backend.protocol import (
    Controls,
    result_regions,
    task_document,
    task_result,
)
from eventgold.annotate.backend.scoring import score_prediction
from eventgold.documents import Document
from eventgold.eval.baselines.registry import Extractor, load_extractor
from eventgold.eval.baselines.trained import TrainedModel
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema
from eventgold.validate import PREDICTION_RULES, validate_document

log = logging.getLogger("eventgold.backend")

SERVED, SECOND = "served", "second"
NO_SLOT = ""  # neither model can be retrained (both given, neither a trained folder)


@dataclass(frozen=True)
class ModelSet:
    served: Extractor
    second: Extractor | None
    trained_slot: str  # SERVED, SECOND or NO_SLOT: which model a training replaces
    version: int = 1

    @property
    def model_version(self) -> str:
        return f"{self.served.name}-{self.version}"

    @property
    def model_class(self) -> str:
        return f"eventgold {self.served.name}"

    @property
    def score_basis(self) -> str:
        if self.second is None:
            return "none: no second model, every score is 1.0"
        return f"agreement with {self.second.name}"

    def with_trained(self, model: TrainedModel) -> ModelSet:
        return _INSTALL[self.trained_slot](self, model)


def _no_slot(models: ModelSet, model: TrainedModel) -> ModelSet:
    raise ProblemsError(
        [Problem("learning", "neither --model nor --compare is a trained model to replace")]
    )


# How a new trained model enters a set, by the slot it replaces.
_INSTALL: dict[str, Callable[[ModelSet, TrainedModel], ModelSet]] = {
    SERVED: lambda m, t: replace(m, served=t, version=m.version + 1),
    SECOND: lambda m, t: replace(m, second=t, version=m.version + 1),
    NO_SLOT: _no_slot,
}


def _default_second(served: Extractor, schema: Schema) -> Extractor | None:
    """The rules beside a trained model (None when the schema lacks the rules' labels)."""
    if not isinstance(served, TrainedModel):
        return None
    try:
        return load_extractor("rules", schema=schema)
    except ProblemsError as exc:
        log.warning("no second model for the scores: the rules do not fit the schema: %s", exc)
        return None


def load_models(model: str, *, schema: Schema, compare: str | None = None) -> ModelSet:
    """The served model `model` and the second opinion `compare` (see the module docstring)."""
    served = load_extractor(model, schema=schema)
    second = (
        load_extractor(compare, schema=schema)
        if compare is not None
        else _default_second(served, schema)
    )
    if isinstance(served, TrainedModel):
        slot = SERVED
    elif second is None or isinstance(second, TrainedModel):
        slot = SECOND
    else:
        slot = NO_SLOT
    return ModelSet(served=served, second=second, trained_slot=slot)


class ModelHolder:
    """The current `ModelSet`, replaced whole by `install`."""

    def __init__(self, models: ModelSet) -> None:
        self._models = models
        self._swap = threading.Lock()
        # spaCy pipelines are not documented as safe to call from several threads at once.
        self._predicting = threading.Lock()

    @property
    def current(self) -> ModelSet:
        return self._models

    def install(self, model: TrainedModel) -> ModelSet:
        with self._swap:
            self._models = self._models.with_trained(model)
            return self._models

    def predict(self, doc: Document) -> tuple[ModelSet, Document, Document | None]:
        """`doc` predicted by the served and the second model of one set (never a mix)."""
        models = self._models
        with self._predicting:
            served = models.served.predict(doc)
            second = models.second.predict(doc) if models.second is not None else None
        return models, served, second


@dataclass(frozen=True, slots=True)
class TaskPrediction:
    result: Mapping[str, Any]  # one entry of the /predict ``results``
    problems: tuple[Problem, ...]  # why the result is empty, if it is


def predict_task(
    holder: ModelHolder, task: Mapping[str, Any], *, controls: Controls, schema: Schema
) -> TaskPrediction:
    """One task's prediction; a task without text, or a model answer that breaks the schema,
    gives an empty result with score 0.0 and the problems (Label Studio needs one per task)."""
    where = f"task {task.get('id')}"
    doc = task_document(task)
    if doc is None:
        problem = Problem(where, "task data has no 'text' string to predict on")
        version = holder.current.model_version
        return TaskPrediction(task_result([], score=0.0, model_version=version), (problem,))
    try:
        models, served, second = holder.predict(doc)
    except ProblemsError as exc:  # a module:function model that failed on this text
        version = holder.current.model_version
        return TaskPrediction(
            task_result([], score=0.0, model_version=version), tuple(exc.problems)
        )
    problems = validate_document(served, schema, rules=PREDICTION_RULES, where=where)
    if problems:
        return TaskPrediction(
            task_result([], score=0.0, model_version=models.model_version), tuple(problems)
        )
    scored = score_prediction(served, second)
    regions = result_regions(served, controls=controls, region_scores=scored.region_scores)
    return TaskPrediction(
        task_result(regions, score=round(scored.score, 4), model_version=models.model_version),
        (),
    )


def predict_tasks(
    holder: ModelHolder, tasks: Sequence[Mapping[str, Any]], *, controls: Controls, schema: Schema
) -> list[TaskPrediction]:
    return [predict_task(holder, t, controls=controls, schema=schema) for t in tasks]
