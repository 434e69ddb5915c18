"""Read every task of a project, with annotations and relations, as Label Studio exports them.

Only the full JSON export keeps relations (JSON_MIN and CoNLL drop them), and Label Studio
builds a whole export in memory before it sends the first byte (measured: 13 of 13.2 s for
10,000 tasks; over a minute and 2 GB of server memory for 100,000). So the export is asked for
in chunks of consecutive task ids (``ids[]``, at most `CHUNK` per request: Django refuses more
than 1,000 query fields), and the next chunk is fetched in a background thread while the
caller works on the current one: the server's work and ours overlap, the server never holds
more than a chunk, and a failed chunk is retried alone.

The id range comes from two one-task pages of the task list ordered by id. If the ids are
sparse (other projects' tasks interleaved, more than `SPARSE` ids per task), or the server does
not order as asked, the export falls back to one full export, streamed and parsed with ijson.
Either way a task arrives once, in id order within a chunk; a count that does not match the
project's at the end is an error, never a silently short pull.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import ijson

from eventgold.annotate.labelstudio.connection import (
    ConnectionProblem,
    Session,
    describe_error,
    is_transient,
    with_retry,
)

CHUNK = 500  # task ids per export request at most (Django's limit is 1,000 query fields)
MIN_CHUNK = 100  # ... and at least: each request costs the server a fixed ~0.1 s
PIPELINE = 8  # small projects still get this many chunks, so the last one's work is short
SPARSE = 4  # chunk only when the id span is at most this many ids per task
READ_TIMEOUT_FACTOR = 10  # a full export's first byte waits for the whole export
_READ_BYTES = 64 * 1024
T = TypeVar("T")


def _export_params(ids: range | None) -> list[tuple[str, str]]:
    params = [("exportType", "JSON"), ("download_all_tasks", "true")]
    return params + [("ids[]", str(i)) for i in ids or ()]


def id_bounds(session: Session, project_id: int) -> tuple[int, int, int] | None:
    """``(lowest id, highest id, task count)`` of the project's tasks; None if it has none."""

    def first(order: str) -> tuple[int | None, int]:
        resp = httpx.get(
            f"{session.url}/api/tasks",
            params={
                "project": project_id,
                "page": 1,
                "page_size": 1,
                "include": "id",
                "query": json.dumps({"ordering": [order]}),
            },
            headers=session.headers(),
            timeout=session.timeout,
        )
        resp.raise_for_status()
        body = resp.json()
        tasks = body.get("tasks") or []
        return (int(tasks[0]["id"]) if tasks else None), int(body.get("total") or 0)

    what = f"listing tasks of project {project_id}"
    lo, total = _call(session, what, lambda: first("tasks:id"))
    hi, _ = _call(session, what, lambda: first("-tasks:id"))
    if lo is None or hi is None:
        return None
    return lo, hi, total


def iter_export(
    session: Session, project_id: int, *, chunk: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every task of the project as the full JSON export gives it, one at a time.

    `chunk` (task ids per request) defaults to `PIPELINE` chunks, within `MIN_CHUNK`-`CHUNK`.
    """
    bounds = id_bounds(session, project_id)
    if bounds is None:
        return
    lo, hi, total = bounds
    span = hi - lo + 1
    if total < 1 or span < total or span > SPARSE * total or (total > 1 and lo >= hi):
        yield from iter_full_export(session, project_id)
        return
    step = chunk or min(CHUNK, max(MIN_CHUNK, -(-span // PIPELINE)))
    chunks = [range(a, min(a + step, hi + 1)) for a in range(lo, hi + 1, step)]
    got = 0
    for tasks in _prefetched(session, project_id, chunks):
        got += len(tasks)
        yield from tasks
    if got != total:
        raise ConnectionProblem(
            f"project {project_id} changed while it was read: it had {total} tasks, the export "
            f"gave {got}; nothing was written, run pull again"
        )


def _prefetched(
    session: Session, project_id: int, chunks: list[range]
) -> Iterator[list[dict[str, Any]]]:
    """The chunks' tasks in order, the next chunk requested while this one is used."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventgold-export")
    try:
        ahead: Future[bytes] | None = None
        for i, ids in enumerate(chunks):
            body = ahead.result() if ahead is not None else _fetch_chunk(session, project_id, ids)
            ahead = (
                pool.submit(_fetch_chunk, session, project_id, chunks[i + 1])
                if i + 1 < len(chunks)
                else None
            )
            yield _decode(body, project_id, ids)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _fetch_chunk(session: Session, project_id: int, ids: range) -> bytes:
    def get() -> bytes:
        resp = httpx.get(
            f"{session.url}/api/projects/{project_id}/export",
            params=_export_params(ids),
            headers=session.headers(),
            timeout=httpx.Timeout(session.timeout, read=READ_TIMEOUT_FACTOR * session.timeout),
        )
        resp.raise_for_status()
        return resp.content

    what = f"exporting tasks {ids.start}-{ids.stop - 1} of project {project_id}"
    return _call(session, what, get)


def _call(session: Session, what: str, fn: Callable[[], T]) -> T:
    """`fn` with retries on transient failures; any HTTP failure ends as a `ConnectionProblem`."""
    try:
        return with_retry(fn, what=what, url=session.url, retry=session.retry)
    except httpx.HTTPError as exc:  # not transient: wrong key, project gone, ...
        raise ConnectionProblem(f"{what} from {session.url} failed: {describe_error(exc)}") from exc


def _decode(body: bytes, project_id: int, ids: range) -> list[dict[str, Any]]:
    try:
        tasks = json.loads(body)
    except ValueError as exc:
        tasks = exc
    if not isinstance(tasks, list):
        raise ConnectionProblem(
            f"the export of tasks {ids.start}-{ids.stop - 1} of project {project_id} is not a "
            f"JSON list of tasks; nothing was written, run pull again"
        )
    return tasks


def iter_full_export(session: Session, project_id: int) -> Iterator[dict[str, Any]]:
    """The project's one full JSON export, streamed and decoded one task at a time.

    Transient failures before the first task are retried with backoff; a stream that breaks
    midway raises `ConnectionProblem` (the caller has written nothing final by then).
    """
    delays = session.retry.delays()
    url = f"{session.url}/api/projects/{project_id}/export"
    yielded = 0
    while True:
        try:
            with httpx.stream(
                "GET",
                url,
                params=_export_params(None),
                headers=session.headers(),
                timeout=httpx.Timeout(session.timeout, read=READ_TIMEOUT_FACTOR * session.timeout),
            ) as resp:
                resp.raise_for_status()
                items: list[Any] = ijson.sendable_list()
                coro = ijson.items_coro(items, "item", use_float=True)
                for data in resp.iter_bytes(_READ_BYTES):
                    coro.send(data)
                    for task in items:
                        yielded += 1
                        yield task
                    del items[:]
                coro.close()
                for task in items:
                    yielded += 1
                    yield task
                return
        except (httpx.HTTPError, ijson.JSONError) as exc:
            if yielded:
                raise ConnectionProblem(
                    f"the export of project {project_id} broke after {yielded} tasks: "
                    f"{describe_error(exc)}; nothing was written, run pull again"
                ) from exc
            delay = next(delays, None) if is_transient(exc) else None
            if delay is None:
                raise ConnectionProblem(
                    f"exporting project {project_id} from {session.url} failed: "
                    f"{describe_error(exc)}"
                ) from exc
            time.sleep(delay)
