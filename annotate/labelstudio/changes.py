"""What changed in a project since a time, over the data manager's task list (ids only).

Label Studio 1.23.2 sets a task's ``updated_at`` whenever one of its annotations is saved,
created or deleted (checked against the server in tests/annotate/test_repull.py), and the task
list filters on it (``filter:tasks:updated_at``, a Datetime in `DATETIME_FORMAT`, the only form
the server parses). Times are the server's own: the cutoff of the next re-pull is the ``Date``
header of a response sent before this pull read anything, so the two clocks never meet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.labelstudio.tasks import after, get_task_list, inside, outside
from eventgold.timestamps import parse_time

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # data_manager/managers.py parses only this
ID_PAGE_SIZE = 1000
# Tasks updated this long before a cutoff are read again: a save whose transaction committed
# after the previous reader passed the task still carries the earlier time.
MARGIN = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class ProjectState:
    """The project as one task-list call saw it: the server's time, task count, highest id."""

    server_time: datetime  # UTC, whole seconds (the HTTP Date header)
    tasks: int
    highest_id: int  # 0 if the project has no tasks


def _id_page(
    session: Session, project_id: int, *, items: list[dict[str, Any]], page_size: int, order: str
) -> tuple[list[int], int, str]:
    """Task ids of one page (filters `items`), the filtered total, and the response's Date."""

    def get() -> tuple[list[int], int, str]:
        resp = get_task_list(
            session, project_id, items=items, ordering=order, page_size=page_size, include="id"
        )
        body = resp.json()
        ids = [int(t["id"]) for t in body.get("tasks") or []]
        return ids, int(body.get("total") or 0), resp.headers.get("date", "")

    return session.call(f"listing tasks of project {project_id}", get)


def project_state(session: Session, project_id: int) -> ProjectState:
    """Task count and highest id, with the server's time at the call (see the module doc)."""
    ids, total, date = _id_page(session, project_id, items=[], page_size=1, order="-tasks:id")
    return ProjectState(_server_time(session, date), total, ids[0] if ids else 0)


def _server_time(session: Session, date: str) -> datetime:
    """A response's ``Date`` header as a UTC time."""
    if not date:
        raise ValueError(f"{session.url} sent no Date header: its time is unknown")
    return parsedate_to_datetime(date).astimezone(timezone.utc)


def _keyset(
    session: Session, project_id: int, extra: list[dict[str, Any]], page_size: int
) -> Iterator[int]:
    last = 0
    while True:
        ids, _, _ = _id_page(
            session, project_id, items=[after(last), *extra], page_size=page_size, order="tasks:id"
        )
        yield from ids
        if len(ids) < page_size:
            return
        last = ids[-1]


def updated_after(since: datetime) -> dict[str, Any]:
    """The task-list filter item "updated after `since`" (new tasks included)."""
    return {
        "filter": "filter:tasks:updated_at",
        "operator": "greater",
        "type": "Datetime",
        "value": since.astimezone(timezone.utc).strftime(DATETIME_FORMAT),
    }


def changed_task_ids(
    session: Session, project_id: int, *, since: datetime, page_size: int = ID_PAGE_SIZE
) -> list[int]:
    """Ids of the tasks updated after `since` (new tasks included), ascending."""
    return list(_keyset(session, project_id, [updated_after(since)], page_size))


def changed_count(
    session: Session, project_id: int, *, since: datetime, besides: list[tuple[int, int]]
) -> tuple[int, datetime]:
    """How many tasks were updated after `since` whose ids are in none of the ranges `besides`
    (``(first, last)``, inclusive), and the server's time at the answer: one request."""
    items = [updated_after(since), *(outside(first, last) for first, last in besides)]
    _, total, date = _id_page(session, project_id, items=items, page_size=1, order="tasks:id")
    return total, _server_time(session, date)


def last_update(session: Session, project_id: int, *, first: int, last: int) -> datetime:
    """The latest ``updated_at`` of the tasks with ids ``first..last`` (exact, not whole
    seconds; `timestamps.OLDEST` if there are none): one request."""

    def get() -> datetime:
        resp = get_task_list(
            session,
            project_id,
            items=[inside(first, last)],
            ordering="-tasks:updated_at",
            page_size=1,
            include="id,updated_at",
        )
        tasks = resp.json().get("tasks") or [{}]
        return parse_time(tasks[0].get("updated_at"))

    return session.call(f"listing tasks of project {project_id}", get)


def task_ids(session: Session, project_id: int, *, page_size: int = ID_PAGE_SIZE) -> set[int]:
    """Every task id of the project (a scan: only when tasks were deleted)."""
    return set(_keyset(session, project_id, [], page_size))
