"""The project's tasks over Label Studio's REST API: scanned by key, imported, deleted.

Raw HTTP where the SDK is slow (its generic encoder costs ~40% of a bulk import's client time);
every call goes through `Session.call` or a caller's retry, so transient failures are retried.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.labelstudio.convert import TaskKey, task_key

SCAN_PAGE_SIZE = 1000


def after(task_id: int) -> dict[str, Any]:
    """The data-manager filter item ``id > task_id``: keyset pagination in id order."""
    return {"filter": "filter:tasks:id", "operator": "greater", "type": "Number", "value": task_id}


def outside(first: int, last: int) -> dict[str, Any]:
    """The filter item "id not in ``first..last``" (both included)."""
    return {
        "filter": "filter:tasks:id",
        "operator": "not_in",
        "type": "Number",
        "value": {"min": first, "max": last},
    }


def inside(first: int, last: int) -> dict[str, Any]:
    """The filter item "id in ``first..last``" (both included)."""
    return {**outside(first, last), "operator": "in"}


def with_model_version(model_version: str) -> dict[str, Any]:
    """The filter item "has a prediction whose model version contains `model_version`": a
    substring match (case-insensitive on SQLite), so a superset; check `TaskKey.model_versions`.
    """
    return {
        "filter": "filter:tasks:predictions_model_versions",
        "operator": "contains",
        "type": "List",
        "value": [model_version],  # a string would be matched character by character
    }


def get_task_list(
    session: Session,
    project_id: int,
    *,
    items: list[dict[str, Any]],
    ordering: str,
    page_size: int,
    include: str | None = None,
    hidden_columns: dict[str, list[str]] | None = None,
) -> httpx.Response:
    """One page (the first) of the data manager's task list under the filter `items`, all of
    which must hold; the caller retries it (`Session.call`) and reads the answer."""
    query: dict[str, Any] = {
        "filters": {"conjunction": "and", "items": items},
        "ordering": [ordering],
    }
    if hidden_columns is not None:
        query["hiddenColumns"] = hidden_columns
    params: dict[str, Any] = {
        "project": project_id,
        "page": 1,
        "page_size": page_size,
        "query": json.dumps(query),
    }
    if include is not None:
        params["include"] = include
    resp = session.http.get(
        f"{session.url}/api/tasks",
        params=params,
        headers=session.headers(),
        timeout=session.timeout,
    )
    resp.raise_for_status()
    return resp


def task_page(
    session: Session,
    project_id: int,
    *,
    after_id: int,
    page_size: int,
    with_versions: bool,
    where: tuple[dict[str, Any], ...] = (),
) -> list[dict[str, Any]]:
    # Any hiddenColumns makes the data manager compute the shown columns, including the
    # prediction model versions; hide the one that costs a join we do not need.
    hidden = (
        {"explore": ["tasks:annotators"], "labeling": ["tasks:annotators"]}
        if with_versions
        else None
    )

    def get() -> list[dict[str, Any]]:
        resp = get_task_list(
            session,
            project_id,
            items=[after(after_id), *where],
            ordering="tasks:id",
            page_size=page_size,
            hidden_columns=hidden,
        )
        return resp.json()["tasks"]

    return session.call(f"listing tasks of project {project_id}", get)


def iter_task_keys(
    session: Session,
    project_id: int,
    *,
    after_id: int = 0,
    with_versions: bool = False,
    where: tuple[dict[str, Any], ...] = (),
    page_size: int = SCAN_PAGE_SIZE,
) -> Iterator[TaskKey]:
    """Stream the keys of the project's tasks with id > `after_id` (and matching the filter
    items `where`, if any), in id order.

    Keyset pagination (``id > last``) rather than page numbers, so tasks created meanwhile
    neither shift nor repeat pages.
    """
    last = after_id
    while True:
        page = task_page(
            session,
            project_id,
            after_id=last,
            page_size=page_size,
            with_versions=with_versions,
            where=where,
        )
        for task in page:
            key = task_key(task)
            yield key
            last = max(last, key.task_id)
        if len(page) < page_size:
            return


def tasks_with_version(session: Session, project_id: int, model_version: str) -> frozenset[int]:
    """Ids of the tasks having a prediction of `model_version`: the keys of those the server
    filters (`with_model_version`, a superset), checked exactly."""
    keys = iter_task_keys(
        session, project_id, with_versions=True, where=(with_model_version(model_version),)
    )
    return frozenset(k.task_id for k in keys if model_version in k.model_versions)


def post_json(
    session: Session,
    path: str,
    body: list[dict[str, Any]],
    *,
    params: dict[str, str],
) -> dict[str, Any]:
    """One raw JSON POST: the SDK's generic encoder costs ~40% of push's client time."""
    resp = session.http.post(
        f"{session.url}/{path}",
        json=body,
        params=params,
        headers=session.headers(),
        timeout=session.timeout,
    )
    resp.raise_for_status()
    return resp.json()


def delete_tasks(session: Session, project_id: int, task_ids: list[int]) -> None:
    """Delete tasks in requests of up to `SCAN_PAGE_SIZE` ids (idempotent: ids already gone
    are ignored, so a retry is safe)."""
    for at in range(0, len(task_ids), SCAN_PAGE_SIZE):
        ids = task_ids[at : at + SCAN_PAGE_SIZE]

        def delete(ids: list[int] = ids) -> None:
            resp = session.http.post(
                f"{session.url}/api/dm/actions",
                params={"id": "delete_tasks", "project": project_id},
                json={"selectedItems": {"all": False, "included": ids}},
                headers=session.headers(),
                timeout=session.timeout,
            )
            resp.raise_for_status()

        session.call(f"deleting {len(ids)} duplicate task(s) of project {project_id}", delete)


def task_link(url: str, project_id: int, task_id: int) -> str:
    """Where a person opens the task on the labeling page of the project's data view."""
    return f"{url.rstrip('/')}/projects/{project_id}/data?task={task_id}"
