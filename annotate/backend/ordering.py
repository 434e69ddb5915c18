"""Ordering a project's work so the most uncertain tasks come first (Label Studio 1.23.2 CE).

What Label Studio offers, checked against a real 1.23.2 server:

- the labeling stream ("Label All Tasks") with the project's sampling set to *Uncertainty
  sampling* takes the unlabeled tasks that have a prediction of the project's
  ``model_version``, lowest ``score`` first (``projects/functions/next_task.py``);
- a Data Manager tab can be ordered by ``tasks:predictions_score``, the mean score of each
  task's predictions of the project's ``model_version`` (no other version counts: with the
  project set to the backend's title, as `connect` leaves it, every score is empty). The
  stream follows the tab in its "label tasks as displayed" mode.

So `order` (1) asks Label Studio to retrieve predictions of the backend's current version for
every task that lacks one (the Data Manager's "Retrieve Predictions" action, a chunk of tasks
a request), (2) sets the project's ``model_version`` to that version and its sampling to
uncertainty sampling, and (3) creates or updates a tab ordered by ascending score. Tasks then
open with the stored predictions of that version; after a training, run `order` again (or
serve with ``--reorder``) to score every task with the new model.
"""

from __future__ import annotations

import statistics
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from eventgold.annotate.backend.connect import BACKEND_STATES, CONNECTED, DISCONNECTED
from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.labelstudio.project import require_project
from eventgold.problems import Problem, ProblemsError

DEFAULT_VIEW = "Most uncertain first"
UNCERTAINTY_SAMPLING = "Uncertainty sampling"
SCORE_ORDERING = ["tasks:predictions_score"]  # ascending: lowest score first
DEFAULT_CHUNK = 100  # tasks a retrieve request (Label Studio gives the backend 100 s for them)
_PAGE = 1000
NO_BACKEND = "no-backend"


@dataclass(frozen=True, slots=True)
class OrderProgress:
    done: int  # tasks sent for prediction so far
    total: int


@dataclass(frozen=True, slots=True)
class OrderReport:
    project_id: int
    model_version: str
    tasks: int
    scored: int  # tasks with a score of this version
    lowest: float | None
    median: float | None
    view_id: int
    view_created: bool
    first_task_ids: tuple[int, ...]  # the tab's first tasks, most uncertain first
    tab_url: str


def _task_pages(session: Session, project_id: int, view: int | None) -> Iterator[dict[str, Any]]:
    """Tasks as the Data Manager lists them (with ``predictions_score``), page by page."""
    page = 1
    while True:
        params: dict[str, Any] = {"project": project_id, "page": page, "page_size": _PAGE}
        if view is not None:
            params["view"] = view
        resp = session.call(
            "listing tasks",
            lambda p=params: session.http.get(
                f"{session.url}/api/tasks", params=p, headers=session.headers()
            ),
        )
        if resp.status_code == 404:  # past the last page
            return
        resp.raise_for_status()
        tasks = resp.json().get("tasks", [])
        yield from tasks
        if len(tasks) < _PAGE:
            return
        page += 1


def _backend(session: Session, project_id: int, title: str) -> Any:
    backends = session.call(
        "listing ML backends", lambda: session.client.ml.list(project=project_id)
    )
    if not backends:
        raise ProblemsError(
            [
                Problem(
                    f"project {title!r}",
                    "has no ML backend; connect one first with `eventgold backend connect`",
                    NO_BACKEND,
                )
            ],
            summary=f"cannot order project {title!r}",
        )
    # Reading it makes Label Studio ask the backend for its current version (/setup).
    backend = session.call("reading the ML backend", lambda: session.client.ml.get(backends[0].id))
    if backend.state != CONNECTED or not backend.model_version:
        state = BACKEND_STATES.get(backend.state or "", backend.state)
        why = backend.error_message or (
            "it does not answer; start it (`eventgold backend serve`) at that address, then "
            "run order again"
            if backend.state == DISCONNECTED
            else "no model version"
        )
        raise ProblemsError(
            [
                Problem(
                    f"project {title!r}",
                    f"its ML backend {backend.url} is not usable (Label Studio says: {state}): "
                    f"{why}",
                    NO_BACKEND,
                )
            ],
            summary=f"cannot order project {title!r}",
        )
    return backend


def _ensure_view(session: Session, project_id: int, title: str) -> tuple[int, bool]:
    data = {"title": title, "ordering": SCORE_ORDERING}
    views = session.call("listing tabs", lambda: session.client.views.list(project=project_id))
    found = next((v for v in views if (v.data or {}).get("title") == title), None)
    if found is None:
        view = session.call(
            "creating the tab",
            lambda: session.client.views.create(project=project_id, data=data),
        )
        return view.id, True
    merged = {**(found.data or {}), **data}
    session.call(
        "updating the tab",
        lambda: session.client.views.update(id=found.id, project=project_id, data=merged),
    )
    return found.id, False


def order(
    session: Session,
    *,
    project_title: str,
    view_title: str = DEFAULT_VIEW,
    chunk: int = DEFAULT_CHUNK,
) -> Generator[OrderProgress, None, OrderReport]:
    """Score every task with the backend's current model and order the work by the score."""
    project = require_project(session, project_title)
    backend = _backend(session, project.id, project_title)
    version = str(backend.model_version)
    ids = [int(t["id"]) for t in _task_pages(session, project.id, None)]
    yield OrderProgress(0, len(ids))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        session.call(
            "retrieving predictions",
            lambda part=part: session.client.actions.create(
                id="retrieve_tasks_predictions",
                project=project.id,
                selected_items={"all": False, "included": part},
                request_options={"timeout_in_seconds": 300},
            ),
        )
        yield OrderProgress(start + len(part), len(ids))
    session.call(
        "setting the project's model version and sampling",
        lambda: session.client.projects.update(
            id=project.id,
            model_version=version,
            sampling=UNCERTAINTY_SAMPLING,
            show_collab_predictions=True,
        ),
    )
    view_id, created = _ensure_view(session, project.id, view_title)
    listed = list(_task_pages(session, project.id, view_id))
    scores = [t["predictions_score"] for t in listed if t.get("predictions_score") is not None]
    return OrderReport(
        project_id=project.id,
        model_version=version,
        tasks=len(ids),
        scored=len(scores),
        lowest=min(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
        view_id=view_id,
        view_created=created,
        first_task_ids=tuple(int(t["id"]) for t in listed[:5]),
        tab_url=f"{session.url}/projects/{project.id}/data?tab={view_id}",
    )
