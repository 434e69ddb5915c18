"""Learning from submissions: webhook annotations validated as pull does, retraining in a thread.

Label Studio posts every annotation event of the project to ``/webhook`` (with a 1 s timeout).
Each submitted annotation is converted and checked exactly as `eventgold pull` checks it
(`annotate.pull.task_to_pulled`: known labels, offsets against the text, relation endpoints,
no overlaps, text unchanged since push). A rejected one is logged with its located reasons
(never a key) and counted; it is not trained on. Every `LearningConfig.every` valid
annotations, and on ``START_TRAINING``, a training is started in a background thread: it reads
the project's current gold (`pull`, one annotation per task chosen as pull chooses), trains the
baseline (`eval.baselines.trained.fit`) and installs it (`ModelHolder.install`), which
increments the model version. Requests never wait for it. A training requested while one runs
is run once after it. A training that fails (no gold yet, server down, a bug) leaves the
current model in place; its error is logged and shown by ``/status``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventgold.annotate.backend.models import ModelHolder
from eventgold.annotate.backend.ordering import order
from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.pull import choose, pull, split_run_meta, task_to_pulled
from eventgold.documents import Document
from eventgold.problems import Problem
from eventgold.progress import drain
from eventgold.schema import Schema

log = logging.getLogger("eventgold.backend")

SUBMITTED = frozenset({"ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED"})
DELETED = frozenset({"ANNOTATION_DELETED", "ANNOTATIONS_DELETED"})
START_TRAINING = "START_TRAINING"
DEFAULT_EVERY = 5


@dataclass(frozen=True)
class LearningConfig:
    """Where the gold comes from, and when to train."""

    # A new session on the project's server (closed after use); it holds the API key, so it
    # stays out of the repr.
    connect: Callable[[], Session] = field(repr=False)
    project_title: str
    every: int = DEFAULT_EVERY  # valid annotations between trainings
    seed: int = 0
    epochs: int = 20
    reorder: bool = False  # after each training, score every task again (`ordering.order`)


# A trainer: the project's gold documents -> a trained model (`trained.fit` with its options).
Trainer = Callable[[Sequence[Document], Schema], Any]


def project_gold(session: Session, *, project_title: str, schema: Schema) -> list[Document]:
    """The project's gold as pull would write it: one valid annotation per task."""
    docs: list[Document] = []
    seen: set[str] = set()
    for task in pull(session, project_title=project_title, schema=schema):
        chosen = choose(task.annotations)
        if chosen is not None and chosen.id not in seen:  # pull keeps a document's first task
            seen.add(chosen.id)
            docs.append(split_run_meta(chosen)[0])
    return docs


def _pairs(event: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(task, annotation) pairs of an event: one, or several for ANNOTATIONS_CREATED."""
    annotations, tasks = event.get("annotation"), event.get("task")
    if isinstance(annotations, dict) and isinstance(tasks, dict):
        yield tasks, annotations
        return
    if isinstance(annotations, list) and isinstance(tasks, list):
        by_id = {t.get("id"): t for t in tasks if isinstance(t, dict)}
        for ann in annotations:
            if isinstance(ann, dict) and ann.get("task") in by_id:
                yield by_id[ann["task"]], ann


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    action: str
    valid: int = 0
    rejected: tuple[Problem, ...] = ()
    training_started: bool = False
    ignored: str = ""  # why the event was not used, if it was not


class Learner:
    """Counts and validates submissions, and runs trainings one at a time in a thread."""

    def __init__(
        self, holder: ModelHolder, schema: Schema, config: LearningConfig, trainer: Trainer
    ) -> None:
        self._holder = holder
        self._schema = schema
        self._config = config
        self._trainer = trainer
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._since_training = 0
        self._running = False
        self._again = False
        self._last_error = ""
        self._last_training: dict[str, Any] = {}
        self._thread: threading.Thread | None = None

    # --- webhook events ---------------------------------------------------------------------

    def on_event(self, event: Mapping[str, Any]) -> WebhookOutcome:
        """Handle one webhook event quickly; a training it starts runs in the background."""
        action = str(event.get("action") or "")
        project = event.get("project") if isinstance(event.get("project"), dict) else {}
        title = project.get("title")
        if title is not None and title != self._config.project_title:
            self._count("events_other_project")
            return WebhookOutcome(action, ignored=f"project {title!r} is not the one served")
        if action == START_TRAINING:
            self._count("start_training")
            return WebhookOutcome(action, training_started=self.request_training("START_TRAINING"))
        if action in DELETED:
            self._count("deleted")  # the next training reads the project's gold as it then is
            return WebhookOutcome(action)
        if action not in SUBMITTED:
            self._count("events_ignored")
            return WebhookOutcome(action, ignored=f"action {action!r} is not used")
        valid = 0
        rejected: list[Problem] = []
        for task, annotation in _pairs(event):
            pulled = task_to_pulled(
                {"id": task.get("id"), "data": task.get("data"), "annotations": [annotation]},
                schema=self._schema,
                emails={},
            )
            self._count("cancelled", pulled.cancelled)
            valid += len(pulled.annotations)
            for reject in pulled.rejects:
                rejected += reject.problems
                log.warning(
                    "rejected annotation %s of task %s (not trained on): %s",
                    reject.annotation_id,
                    reject.task_id,
                    "; ".join(str(p) for p in reject.problems),
                )
            self._count("rejected", len(pulled.rejects))
        self._count("valid", valid)
        started = False
        with self._lock:
            self._since_training += valid
            due = self._since_training >= self._config.every
            if due:
                self._since_training = 0
        if due:
            started = self.request_training(f"{self._config.every} valid annotations")
        return WebhookOutcome(action, valid, tuple(rejected), started)

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._counts[key] += n

    # --- training ---------------------------------------------------------------------------

    def request_training(self, reason: str) -> bool:
        """Start a training now, or once the running one ends; True if one started now."""
        with self._lock:
            if self._running:
                self._again = True
                return False
            self._running = True
        self._thread = threading.Thread(
            target=self._train_loop, args=(reason,), name="eventgold-trainer", daemon=True
        )
        self._thread.start()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running training (tests, shutdown); True if none is running after."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self._running

    def _train_loop(self, reason: str) -> None:
        while True:
            self._train_once(reason)
            with self._lock:
                if not self._again:
                    self._running = False
                    return
                self._again = False
            reason = "requested while training"

    def _train_once(self, reason: str) -> None:
        began = time.monotonic()
        log.info("training (%s) from project %r", reason, self._config.project_title)
        try:
            with self._config.connect() as session:
                docs = project_gold(
                    session, project_title=self._config.project_title, schema=self._schema
                )
            model = self._trainer(docs, self._schema)
            models = self._holder.install(model)
        except Exception as exc:  # any failure: keep serving the model we have
            error = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._counts["trainings_failed"] += 1
                self._last_error = error
            log.error(
                "training failed, still serving %s: %s", self._holder.current.model_version, error
            )
            return
        seconds = round(time.monotonic() - began, 2)
        with self._lock:
            self._counts["trainings"] += 1
            self._last_training = {
                "model_version": models.model_version,
                "documents": len(docs),
                "seconds": seconds,
                "reason": reason,
            }
        log.info("installed %s (%d documents, %.1f s)", models.model_version, len(docs), seconds)
        if self._config.reorder:
            self._reorder()

    def _reorder(self) -> None:
        try:
            with self._config.connect() as session:
                report = drain(order(session, project_title=self._config.project_title))
        except Exception as exc:  # the new model stays; the order is the previous one's
            with self._lock:
                self._counts["reorders_failed"] += 1
                self._last_error = f"reordering: {type(exc).__name__}: {exc}"
            log.error("reordering failed: %s", self._last_error)
            return
        self._count("reorders")
        log.info("reordered %d tasks by %s scores", report.tasks, report.model_version)

    # --- status -----------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "project": self._config.project_title,
                "every": self._config.every,
                "valid_since_training": self._since_training,
                "training": self._running,
                "counts": dict(sorted(self._counts.items())),
                "last_training": dict(self._last_training),
                "last_error": self._last_error,
            }
