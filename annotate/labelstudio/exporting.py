"""Read every task of a project, with annotations and relations, as Label Studio exports them.

Only the full JSON export keeps relations (JSON_MIN and CoNLL drop them), and Label Studio
builds a whole export in memory before it sends the first byte (measured: 13 of 13.2 s for
10,000 tasks; over a minute and 2 GB of server memory for 100,000). So the export is asked for
in chunks of consecutive task ids (``ids[]``, at most `MAX_IDS` per request: Django refuses more
than 1,000 query fields), fetched one after another by a background thread up to `AHEAD` chunks
ahead of the caller: the server's work and ours overlap, the server never holds more than a
chunk, and a failed chunk is retried alone.

Chunk sizes (`chunk_sizes`): each request costs the server a fixed ~0.1 s, so chunks are as
large as allowed, except the last few, which shrink by `TAPER` down to `TAIL` ids: what the
caller still has to do after the server's last answer is then work on a small chunk, not a
large one. Smaller chunks would pay that fixed cost more often: at half the size, the chunks
together take longer than one whole export.

The id range comes from two one-task pages of the task list ordered by id, asked for at once;
the first chunk is requested as soon as the lowest id is known. If the ids are
sparse (other projects' tasks interleaved, more than `SPARSE` ids per task), or the server does
not order as asked, the export falls back to one full export, streamed and parsed with ijson.
Either way a task arrives once, in id order within a chunk; a count that does not match the
project's at the end is an error, never a silently short pull.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import ijson

from eventgold.annotate.labelstudio.connection import (
    Backoff,
    ConnectionProblem,
    Session,
    describe_error,
    is_transient,
)

MAX_IDS = 990  # task ids per export request at most (Django's limit is 1,000 query fields)
TAIL = 100  # ids in the last chunk, so little work is left once the server is done
TAPER = 2.5  # each chunk before it is this much larger, up to MAX_IDS
AHEAD = 2  # chunks fetched ahead of the caller (memory: about 2 MB per 1,000 2-KB tasks)
SPARSE = 4  # chunk only when the id span is at most this many ids per task
READ_TIMEOUT_FACTOR = 10  # an unchunked export's first byte waits for the whole export
_READ_BYTES = 64 * 1024
T = TypeVar("T")


def _export_params(ids: Sequence[int] | None) -> list[tuple[str, str]]:
    params = [("exportType", "JSON"), ("download_all_tasks", "true")]
    return params + [("ids[]", str(i)) for i in ids or ()]


def _first_task(session: Session, project_id: int, order: str) -> tuple[int | None, int]:
    """The id of the first task in `order` (None if none) and the project's task count."""

    def get() -> tuple[int | None, int]:
        resp = session.http.get(
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

    return _call(session, f"listing tasks of project {project_id}", get)


def chunk_sizes(span: int, *, chunk: int | None = None) -> list[int]:
    """Ids per request covering `span` consecutive ids: `chunk` each if given, else full
    `MAX_IDS` chunks then ones shrinking by `TAPER` to `TAIL` (see the module docstring)."""
    if chunk is not None:
        return [min(chunk, span - a) for a in range(0, span, chunk)]
    sizes: list[int] = []  # from the last chunk backwards
    size, left = float(TAIL), span
    while left > 0:
        sizes.append(min(int(size), left, MAX_IDS))
        left -= sizes[-1]
        size *= TAPER
    if len(sizes) > 1 and sizes[-1] < TAIL:
        # No request of its own for a few leftover ids: into the largest chunk with room.
        room = [i for i, size in enumerate(sizes[:-1]) if size + sizes[-1] <= MAX_IDS]
        if room:
            sizes[max(room, key=sizes.__getitem__)] += sizes.pop()
    return sizes[::-1]


class Export:
    """A project's export under way (`start_export`): `total` tasks, read once by `tasks`.

    `tasks` stops its background fetches at the end; `close` does if `tasks` is not used.
    """

    def __init__(
        self,
        session: Session,
        project_id: int,
        *,
        total: int,
        chunk: int | None,
        highest: Future[tuple[int | None, int]],
        head: range | None,
    ) -> None:
        self.session = session
        self.project_id = project_id
        self.total = total
        self.chunk = chunk
        self._highest = highest  # `_first_task` by descending id, maybe still running
        self._head = head  # the first chunk, None if the project has no tasks
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventgold-export")
        self._closed = threading.Event()
        self._started = None if head is None else self._fetch(head)

    def _fetch(self, ids: range) -> Future[bytes]:
        return self._pool.submit(_fetch_chunk, self.session, self.project_id, ids, self._closed)

    def close(self) -> None:
        # A chunk already being fetched cannot be cancelled; the event stops its retries, so
        # the process exits after its current request, not after every retry (~5 min).
        self._closed.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def tasks(self) -> Iterator[dict[str, Any]]:
        """Every task as the full JSON export gives it, in id order, one at a time.

        The first chunk was asked for before the highest id was known, assuming dense ids (so
        the server starts on it after one task-list call, not two). If the ids turn out
        sparse, or the server ignored the ordering, one full export is read instead.
        """
        head, started, total = self._head, self._started, self.total
        try:
            if head is None or started is None:
                return
            hi = self._highest.result()[0]
            span = (hi if hi is not None else head.start) - head.start + 1
            if span < total or span > SPARSE * total or (total > 1 and span < 2):
                started.cancel()
                yield from iter_full_export(self.session, self.project_id)
                return
            chunks = [head]
            rest = chunk_sizes(span - len(head), chunk=self.chunk) if span > len(head) else []
            for size in rest:
                chunks.append(range(chunks[-1].stop, chunks[-1].stop + size))
            got = 0
            queued: deque[Future[bytes]] = deque([started])
            for i, ids in enumerate(chunks):
                # Up to AHEAD next chunks are queued (fetched one at a time) while this one is
                # used, so the server never waits for us to ask.
                for ahead in chunks[i + len(queued) : i + 1 + AHEAD]:
                    queued.append(self._fetch(ahead))
                tasks = _decode(queued.popleft().result(), self.project_id, ids)
                got += len(tasks)
                yield from tasks
        finally:
            self.close()
        if got != total:
            raise ConnectionProblem(
                f"project {self.project_id} changed while it was read: it had {total} tasks, "
                f"the export gave {got}; nothing was written, run pull again"
            )


def start_export(session: Session, project_id: int, *, chunk: int | None = None) -> Export:
    """Find the project's task count and lowest id, and ask for the first chunk at once; the
    highest id is asked for alongside. `chunk` fixes the ids per request (`chunk_sizes`)."""
    ends = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventgold-bounds")
    highest = ends.submit(_first_task, session, project_id, "-tasks:id")
    ends.shutdown(wait=False)  # the one call still finishes
    lowest, total = _first_task(session, project_id, "tasks:id")
    head = None
    if lowest is not None and total > 0:
        head = range(lowest, lowest + chunk_sizes(total, chunk=chunk)[0])
    return Export(session, project_id, total=total, chunk=chunk, highest=highest, head=head)


def iter_export(
    session: Session, project_id: int, *, chunk: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every task of the project as the full JSON export gives it, one at a time.

    `chunk` fixes the task ids per request (default: `chunk_sizes`).
    """
    yield from start_export(session, project_id, chunk=chunk).tasks()


def iter_export_ids(
    session: Session, project_id: int, ids: Sequence[int]
) -> Iterator[dict[str, Any]]:
    """The tasks `ids` (any ids, ascending) as the full JSON export gives them, `MAX_IDS` per
    request; a task missing from the answer (deleted meanwhile) is an error."""
    never = threading.Event()
    for at in range(0, len(ids), MAX_IDS):
        part = ids[at : at + MAX_IDS]
        tasks = _decode(_fetch_chunk(session, project_id, part, never), project_id, part)
        got = {int(t["id"]) for t in tasks if isinstance(t, dict) and "id" in t}
        if missing := sorted(set(part) - got):
            raise ConnectionProblem(
                f"project {project_id} changed while it was read: task(s) "
                f"{', '.join(map(str, missing[:10]))} were not exported; nothing was written, "
                "run pull again"
            )
        yield from tasks


class Abandoned(Exception):
    """A chunk fetch whose export was closed (`Export.close`): not retried, not read."""


def _fetch_chunk(
    session: Session, project_id: int, ids: Sequence[int], closed: threading.Event
) -> bytes:
    def get() -> bytes:
        if closed.is_set():
            raise Abandoned(f"export of project {project_id} closed")
        resp = session.http.get(
            f"{session.url}/api/projects/{project_id}/export",
            params=_export_params(ids),
            headers=session.headers(),
            # A chunk (at most MAX_IDS tasks) takes the server seconds: the plain timeout, so
            # a frozen server fails the pull after the retries (~5 min), not after 50.
            timeout=session.timeout,
        )
        resp.raise_for_status()
        return resp.content

    what = f"exporting tasks {ids[0]}-{ids[-1]} of project {project_id}"
    return _call(session, what, get)


def _call(session: Session, what: str, fn: Callable[[], T]) -> T:
    """`fn` with retries on transient failures; any HTTP failure ends as a `ConnectionProblem`."""
    try:
        return session.call(what, fn)
    except httpx.HTTPError as exc:  # not transient: wrong key, project gone, ...
        raise ConnectionProblem(f"{what} from {session.url} failed: {describe_error(exc)}") from exc


def _decode(body: bytes, project_id: int, ids: Sequence[int]) -> list[dict[str, Any]]:
    try:
        tasks = json.loads(body)
    except ValueError as exc:
        tasks = exc
    if not isinstance(tasks, list):
        raise ConnectionProblem(
            f"the export of tasks {ids[0]}-{ids[-1]} of project {project_id} is not a "
            f"JSON list of tasks; nothing was written, run pull again"
        )
    return tasks


def iter_full_export(session: Session, project_id: int) -> Iterator[dict[str, Any]]:
    """The project's one full JSON export, streamed and decoded one task at a time.

    Transient failures before the first task are retried with backoff; a stream that breaks
    midway raises `ConnectionProblem` (the caller has written nothing final by then).
    """
    url = f"{session.url}/api/projects/{project_id}/export"
    backoff = Backoff(session.retry, what=f"exporting project {project_id}", url=session.url)
    yielded = 0
    while True:
        try:
            with session.http.stream(
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
            if not is_transient(exc):  # wrong key, project gone, not JSON: one clear line
                raise ConnectionProblem(
                    f"exporting project {project_id} from {session.url} failed: "
                    f"{describe_error(exc)}"
                ) from exc
            backoff.wait_or_raise(exc)
