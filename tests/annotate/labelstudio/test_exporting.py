"""Reading a project's export: chunked by task ids with prefetch, or one streamed export."""

from __future__ import annotations

import dataclasses
import http.server
import itertools
import json
import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from label_studio_sdk import LabelStudio

from eventgold.annotate.labelstudio import exporting
from eventgold.annotate.labelstudio.config import to_label_config
from eventgold.annotate.labelstudio.connection import ConnectionProblem, Retry, Session, Target
from eventgold.annotate.labelstudio.convert import to_task
from eventgold.annotate.labelstudio.exporting import (
    MAX_IDS,
    TAIL,
    chunk_sizes,
    iter_export,
    iter_full_export,
)
from eventgold.documents import Document
from eventgold.schema import load_schema


@pytest.mark.parametrize("span", [1, 99, 100, 101, 350, 1_000, 1_990, 10_000, 100_000])
def test_chunk_sizes_cover_the_span_and_taper_to_a_small_last_chunk(span):
    sizes = chunk_sizes(span)
    assert sum(sizes) == span
    assert max(sizes) <= MAX_IDS  # Django refuses requests with more than 1,000 fields
    assert sizes[-1] <= max(TAIL, span - sum(sizes[:-1]))
    assert sizes[-1] == min(span, TAIL) or len(sizes) == 1
    # Never larger towards the end (except a first chunk holding a few leftover ids).
    assert all(a >= b for a, b in itertools.pairwise(sizes[1:]))
    assert len(sizes) <= -(-span // MAX_IDS) + 4  # full chunks plus at most a short taper


def test_chunk_sizes_taper_for_a_thousand_tasks():
    # Three requests: a fixed ~0.1 s each, and only 100 tasks left to work on at the end.
    assert chunk_sizes(1_000) == [650, 250, 100]
    assert chunk_sizes(5, chunk=2) == [2, 2, 1]


# --- against a tiny scripted HTTP server ---------------------------------------------------------


class Scripted:
    """Answers /api/tasks from `tasks` (id-ordered pages) and the export from `exports`.

    `exports` holds scripted answers ``(status, body)`` used in order; when it runs out, the
    export answers with the known tasks whose ids were asked for, as Label Studio does.
    """

    def __init__(self, task_ids: list[int]) -> None:
        self.tasks = [{"id": i, "data": {"doc_id": f"d{i}"}} for i in task_ids]
        self.exports: list[tuple[int, bytes, bool]] = []  # status, body, truncate?
        self.export_calls: list[list[int]] = []


@pytest.fixture
def scripted() -> Iterator[tuple[str, Scripted]]:
    state = Scripted([])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlparse(self.path)
            query = parse_qs(url.query)
            truncate = False
            if url.path == "/api/tasks":
                order = json.loads(query["query"][0])["ordering"][0]
                ordered = sorted(state.tasks, key=lambda t: t["id"], reverse=order.startswith("-"))
                status = 200
                body = json.dumps({"tasks": ordered[:1], "total": len(ordered)}).encode()
            else:
                ids = [int(i) for i in query.get("ids[]", [])]
                state.export_calls.append(ids)
                if state.exports:
                    status, body, truncate = state.exports.pop(0)
                else:
                    status = 200
                    chosen = [t for t in state.tasks if not ids or t["id"] in ids]
                    body = json.dumps(chosen).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body) + (100 if truncate else 0)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args):
            return  # keep test output clean

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


def _session(url: str) -> Session:
    return Session(
        target=Target(url=url, api_key="k", origin="test"),
        client=LabelStudio(base_url=url, api_key="k"),
        http=httpx.Client(),
        timeout=5.0,
        retry=Retry(attempts=3, base_delay=0.01, max_delay=0.02),
    )


def test_chunks_cover_the_id_range_once_in_order(scripted):
    url, state = scripted
    state.tasks = [{"id": i, "data": {}} for i in (10, 11, 13, 14, 15)]
    got = [t["id"] for t in iter_export(_session(url), 1, chunk=2)]
    assert got == [10, 11, 13, 14, 15]
    assert state.export_calls == [[10, 11], [12, 13], [14, 15]]


def test_a_failing_chunk_is_retried_alone(scripted):
    url, state = scripted
    state.tasks = [{"id": i} for i in range(1, 6)]
    state.exports = [(200, b'[{"id": 1}, {"id": 2}]', False), (503, b"busy", False)]
    assert [t["id"] for t in iter_export(_session(url), 1, chunk=2)] == [1, 2, 3, 4, 5]
    assert state.export_calls == [[1, 2], [3, 4], [3, 4], [5]]


def test_a_refused_chunk_is_one_located_error(scripted):
    url, state = scripted
    state.tasks = [{"id": i} for i in range(1, 6)]
    state.exports = [(200, b'[{"id": 1}, {"id": 2}]', False), (403, b"no", False)]
    with pytest.raises(ConnectionProblem) as err:
        list(iter_export(_session(url), 7, chunk=2))
    assert str(err.value) == (f"exporting tasks 3-4 of project 7 from {url} failed: HTTP 403")


def test_an_answer_that_is_not_a_task_list_is_an_error(scripted):
    url, state = scripted
    state.tasks = [{"id": 1}, {"id": 2}]
    state.exports = [(200, b'{"detail": "oops"}', False)]
    with pytest.raises(ConnectionProblem, match=r"tasks 1-2 of project 1 is not a JSON list"):
        list(iter_export(_session(url), 1))


def test_a_short_export_is_an_error_not_a_short_pull(scripted):
    url, state = scripted
    state.tasks = [{"id": 1}, {"id": 2}, {"id": 3}]
    state.exports = [(200, b'[{"id": 1}, {"id": 2}]', False)]  # task 3 deleted meanwhile
    with pytest.raises(ConnectionProblem) as err:
        list(iter_export(_session(url), 1, chunk=5))
    assert str(err.value) == (
        "project 1 changed while it was read: it had 3 tasks, the export gave 2; "
        "nothing was written, run pull again"
    )


def test_sparse_ids_fall_back_to_one_full_export(scripted):
    url, state = scripted
    state.tasks = [{"id": 1}, {"id": 50}]  # 50 ids for 2 tasks: 25 requests for 2 tasks
    assert [t["id"] for t in iter_export(_session(url), 1, chunk=2)] == [1, 50]
    # The first chunk is asked for before the highest id is known (and cancelled if it has
    # not started yet); then one full export.
    assert state.export_calls.count([]) == 1
    assert all(ids in ([], [1, 2]) for ids in state.export_calls)


def test_an_empty_project_asks_for_no_export(scripted):
    url, state = scripted
    assert list(iter_export(_session(url), 1)) == []
    assert state.export_calls == []


def test_full_export_retries_transient_errors_before_the_first_task(scripted):
    url, state = scripted
    state.exports = [(503, b"busy", False), (200, b'[{"id": 1, "data": {}}, {"id": 2}]', False)]
    assert [t["id"] for t in iter_full_export(_session(url), 1)] == [1, 2]


def test_full_export_breaking_midway_is_one_clear_error(scripted):
    url, state = scripted
    # Bigger than the read chunk, so the first task arrives before the break.
    big = b"x" * 100_000
    state.exports = [
        (200, b'[{"id": 1, "data": {"t": "' + big + b'"}}, {"id": 2, "t": "' + big, True)
    ]
    got = []
    with pytest.raises(ConnectionProblem, match=r"broke after 1 tasks: .*nothing was written"):
        for task in iter_full_export(_session(url), 1):
            got.append(task["id"])
    assert got == [1]


# --- against Label Studio ------------------------------------------------------------------------


def _doc(i: int) -> Document:
    return Document(id=f"x{i}", text=f"Report {i}: gunmen attacked a market.", title=f"t{i}")


@pytest.mark.labelstudio
def test_chunked_export_equals_the_full_export(ls_session, project_title):
    client = ls_session.client
    project = client.projects.create(
        title=project_title, label_config=to_label_config(load_schema())
    )
    client.projects.import_tasks(id=project.id, request=[to_task(_doc(i)) for i in range(7)])
    full = list(iter_full_export(ls_session, project.id))
    chunked = list(iter_export(ls_session, project.id, chunk=3))
    assert len(full) == 7
    assert chunked == full


@pytest.mark.labelstudio
def test_interleaved_projects_are_read_whole(ls_session, project_title, monkeypatch):
    # Another project's tasks between ours make the id range sparse: one full export instead.
    client = ls_session.client
    config = to_label_config(load_schema())
    ours = client.projects.create(title=project_title, label_config=config)
    other = client.projects.create(title=f"{project_title}-o", label_config=config)
    client.projects.import_tasks(id=ours.id, request=[to_task(_doc(0))])
    client.projects.import_tasks(id=other.id, request=[to_task(_doc(i)) for i in range(1, 11)])
    client.projects.import_tasks(id=ours.id, request=[to_task(_doc(11))])
    full_exports = []
    real = exporting.iter_full_export
    monkeypatch.setattr(
        exporting, "iter_full_export", lambda s, p: full_exports.append(p) or real(s, p)
    )
    got = [t["data"]["doc_id"] for t in iter_export(ls_session, ours.id, chunk=2)]
    assert got == ["x0", "x11"]
    assert full_exports == [ours.id]


def test_closing_an_export_stops_the_retries_of_a_chunk_under_way(scripted):
    # A pull that failed must exit: a chunk still being fetched in the background would
    # otherwise run all its retries first (seen: 5 minutes against a frozen server).
    url, state = scripted
    state.tasks = [{"id": i} for i in range(1, 7)]
    state.exports = [(503, b"busy", False)] * 10_000
    session = dataclasses.replace(
        _session(url), retry=Retry(attempts=10_000, base_delay=0.005, max_delay=0.01)
    )
    export = exporting.start_export(session, 1, chunk=2)
    time.sleep(0.3)
    assert state.export_calls  # the first chunk is being retried
    export.close()
    time.sleep(0.2)  # the request under way ends
    calls = len(state.export_calls)
    time.sleep(0.3)
    assert len(state.export_calls) == calls < 10_000
