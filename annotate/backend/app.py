"""The FastAPI app that speaks the ML backend protocol (routes and shapes: `protocol`).

Routes are plain functions (FastAPI runs them in its thread pool), so a slow prediction never
holds up a health check, and a training (`learning`) runs in a thread of its own.

- ``GET /``, ``GET /health``: ``{"status": "UP", "model_class", "model_version"}``;
- ``GET /status``: models, what the score means, counts of predictions and of webhook events
  (valid, rejected, cancelled), the last training and the last training error;
- ``POST /setup``: ``{"model_version"}``, or HTTP 400 ``{"error"}`` when the project's labels
  are not the schema's (Label Studio then shows the backend in its Error state);
- ``POST /predict``: one prediction per task; with ``params.context``, Auto-Annotation
  suggestions (`interactive`);
- ``POST /webhook`` (and ``POST /train``, which Label Studio uses when its webhook training flag
  is off): learning events.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from eventgold.annotate.backend.interactive import suggest
from eventgold.annotate.backend.learning import START_TRAINING, Learner
from eventgold.annotate.backend.models import ModelHolder, predict_tasks
from eventgold.annotate.backend.protocol import (
    PredictRequest,
    SetupRequest,
    WebhookEvent,
    controls_of,
    task_result,
)
from eventgold.annotate.labelstudio.project import config_differences
from eventgold.schema import Schema

log = logging.getLogger("eventgold.backend")


@dataclass
class Counts:
    """Request counters shown by ``/status`` (thread-safe)."""

    _counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))


@dataclass(frozen=True)
class Backend:
    holder: ModelHolder
    schema: Schema
    learner: Learner | None = None
    counts: Counts = field(default_factory=Counts)


def create_app(backend: Backend) -> FastAPI:
    app = FastAPI(title="eventgold ML backend", docs_url=None, redoc_url=None)
    holder, schema = backend.holder, backend.schema

    def health() -> dict[str, Any]:
        models = holder.current
        return {
            "status": "UP",
            "model_class": models.model_class,
            "model_version": models.model_version,
        }

    app.get("/")(health)
    app.get("/health")(health)

    @app.get("/status")
    def status() -> dict[str, Any]:
        models = holder.current
        return {
            **health(),
            "served": models.served.name,
            "second": models.second.name if models.second is not None else None,
            "score": models.score_basis,
            "schema": f"{schema.name} {schema.version}",
            "counts": backend.counts.as_dict(),
            "learning": backend.learner.status() if backend.learner is not None else None,
        }

    @app.post("/setup")
    def setup(body: SetupRequest) -> Any:
        differences = config_differences(body.schema_, schema) if body.schema_.strip() else []
        if differences:
            error = (
                f"project {body.project}: its labeling config does not match schema "
                f"'{schema.name}' {schema.version}: {'; '.join(differences)}"
            )
            log.warning("setup refused: %s", error)
            return JSONResponse({"error": error}, status_code=400)
        backend.counts.add("setup")
        return {"model_version": holder.current.model_version}

    @app.post("/predict")
    def predict(body: PredictRequest) -> dict[str, Any]:
        controls = controls_of(body.label_config, schema.entity_labels)
        context = body.params.context or {}
        if context.get("result"):
            backend.counts.add("interactive")
            models = holder.current
            results = []
            for task in body.tasks:
                found = suggest(models, task, context, controls=controls, schema=schema)
                for p in found.problems:
                    log.warning("interactive: %s", p)
                results.append(
                    task_result(list(found.regions), score=1.0, model_version=models.model_version)
                )
            return {"results": results}
        predictions = predict_tasks(holder, body.tasks, controls=controls, schema=schema)
        backend.counts.add("predicted_tasks", len(predictions))
        for p in predictions:
            if p.problems:
                backend.counts.add("predict_problems")
                log.warning("empty prediction: %s", "; ".join(str(x) for x in p.problems))
        return {"results": [p.result for p in predictions]}

    @app.post("/webhook")
    def webhook(body: WebhookEvent) -> dict[str, Any]:
        backend.counts.add("webhook_events")
        if backend.learner is None:
            return {"status": "ok", "learning": False}
        outcome = backend.learner.on_event(body.model_dump(by_alias=True))
        return {
            "status": "ok",
            "action": outcome.action,
            "valid": outcome.valid,
            "rejected": [str(p) for p in outcome.rejected],
            "training_started": outcome.training_started,
            "ignored": outcome.ignored,
        }

    @app.post("/train")
    def train(body: dict[str, Any]) -> dict[str, Any]:
        # The legacy request names the project as "<id>.<timestamp>": no title to check.
        return webhook(WebhookEvent(action=START_TRAINING))

    return app
