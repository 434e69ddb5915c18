"""Push documents (with optional predictions and annotations) to a Label Studio project.

Idempotent by design: the project's existing task keys ``(doc_id, sha256)`` are streamed first
(keyset pagination, data only, never annotations), so a document already present with the same
text is skipped and one present with a different text is reported as a conflict instead of
being imported twice. New documents go in bulk batches with their predictions and annotations
inline (one request per batch). A failed batch is never blindly retried: the tasks created
since the last known id are re-read first, because the server may have committed the batch
before the connection broke. So a re-run, or a run after a crash, leaves each document
present exactly once.

Predictions and annotations are joined to documents by id. They are spooled to a temporary
file with an in-memory index of offsets (tens of bytes per document), so no input is held in
memory whole. Predictions for documents already present are attached with the bulk
predictions API unless the task already has a prediction of that model version; annotations
are only imported with a new task (re-importing them would duplicate submissions), and the
report counts those left out.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from eventgold.annotate.corpus import text_sha256
from eventgold.documents import (
    Document,
    annotation_content,
    dumps_document,
    parse_document,
)
from eventgold.annotate.labelstudio.connection import (
    ConnectionProblem,
    Session,
    describe_error,
    is_transient,
)
from eventgold.annotate.labelstudio.convert import (
    result_to_document,
    to_annotation,
    to_prediction,
    to_task,
)
from eventgold.annotate.labelstudio.project import ensure_project, require_project
from eventgold.annotate.labelstudio.users import ensure_users
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema
from eventgold.validate import GOLD_RULES, PREDICTION_RULES, Rules, validate_document

DEFAULT_BATCH_SIZE = 500
SCAN_PAGE_SIZE = 1000

# Problem codes of push.
CONFLICT = "conflict"  # same doc id, different text
TEXT_DIFFERS = "text-differs"  # a prediction/annotation is over another text than its document
NO_TASK = "no-task"  # a prediction/annotation for a document in neither the input nor the project
DUPLICATE_INPUT = "duplicate-input"
BAD_MODEL_VERSION = "bad-model-version"
PUSH_RUNNING = "push-running"  # another push to the project runs on this machine
GROUND_TRUTH_DIFFERS = "ground-truth-differs"  # the task has another ground truth already


@dataclass(frozen=True, slots=True)
class TaskKey:
    """What push needs to know about an existing task; never its annotations."""

    task_id: int
    doc_id: str
    sha256: str
    model_versions: frozenset[str] = frozenset()
    annotations: int = 0  # submitted and cancelled ones


@dataclass(frozen=True, slots=True)
class PushProgress:
    # "read" (spooling predictions/annotations), "scan", "import", "predictions", "repair"
    stage: str
    done: int
    total: int | None


@dataclass(frozen=True, slots=True)
class PushReport:
    project_id: int
    project_created: bool
    imported: int  # new tasks
    skipped: int  # documents already present with the same text
    predictions_added: int
    predictions_skipped: int  # a prediction of that model version was already on the task
    annotations_added: int
    annotations_skipped: int  # task already present: not re-imported
    problems: tuple[Problem, ...]
    # How an existing project differed from the schema (its labels aside), and whether its
    # config, instructions and description were set from the schema (--update-config).
    project_differences: tuple[str, ...] = ()
    config_updated: bool = False
    # Tasks this run found twice (a request the server committed after it timed out, or
    # another push at the same time) and deleted, keeping each document's first task.
    duplicates_removed: int = 0

    @property
    def problem_counts(self) -> dict[str, int]:
        return dict(Counter(p.code for p in self.problems))


@dataclass(frozen=True, slots=True)
class PushDone:
    report: PushReport


PushEvent = PushProgress | PushDone


# --- reading the project's task keys -------------------------------------------------------------


def _tasks_page(
    session: Session,
    project_id: int,
    *,
    after_id: int,
    page_size: int,
    with_versions: bool,
) -> list[dict[str, Any]]:
    query: dict[str, Any] = {
        "filters": {
            "conjunction": "and",
            "items": [
                {
                    "filter": "filter:tasks:id",
                    "operator": "greater",
                    "type": "Number",
                    "value": after_id,
                }
            ],
        },
        "ordering": ["tasks:id"],
    }
    if with_versions:
        # Any hiddenColumns makes the data manager compute the shown columns, including the
        # prediction model versions; hide the one that costs a join we do not need.
        query["hiddenColumns"] = {"explore": ["tasks:annotators"], "labeling": ["tasks:annotators"]}

    def get() -> list[dict[str, Any]]:
        resp = session.http.get(
            f"{session.url}/api/tasks",
            params={
                "project": project_id,
                "page": 1,
                "page_size": page_size,
                "query": json.dumps(query),
            },
            headers=session.headers(),
            timeout=session.timeout,
        )
        resp.raise_for_status()
        return resp.json()["tasks"]

    return session.call(f"listing tasks of project {project_id}", get)


def _versions(raw: Any) -> frozenset[str]:
    # The data manager renders versions as "a,b" (SQLite) or "a, b" (PostgreSQL).
    if not isinstance(raw, str) or not raw:
        return frozenset()
    return frozenset(v.strip() for v in raw.split(",") if v.strip())


def iter_task_keys(
    session: Session,
    project_id: int,
    *,
    after_id: int = 0,
    with_versions: bool = False,
    page_size: int = SCAN_PAGE_SIZE,
) -> Iterator[TaskKey]:
    """Stream the keys of the project's tasks with id > `after_id`, in id order.

    Keyset pagination (``id > last``) rather than page numbers, so tasks created meanwhile
    neither shift nor repeat pages. Tasks lacking a doc_id (imported by other tools) get
    ``task-<id>`` so they can still be counted.
    """
    last = after_id
    while True:
        page = _tasks_page(
            session,
            project_id,
            after_id=last,
            page_size=page_size,
            with_versions=with_versions,
        )
        for task in page:
            data = task.get("data") or {}
            yield TaskKey(
                task_id=int(task["id"]),
                doc_id=str(data.get("doc_id") or f"task-{task['id']}"),
                sha256=str(data.get("sha256") or ""),
                model_versions=_versions(task.get("predictions_model_versions")),
                annotations=int(task.get("total_annotations") or 0)
                + int(task.get("cancelled_annotations") or 0),
            )
            last = max(last, int(task["id"]))
        if len(page) < page_size:
            return


# --- spooling predictions and annotations --------------------------------------------------------


class _Spool:
    """Documents written to a temporary JSONL file, found again by id through an offset index.

    Private and mutable by nature (an open file); lives for one push.
    """

    def __init__(self, directory: Path, name: str) -> None:
        self.path = directory / f"{name}.jsonl"
        self.fh = self.path.open("w+b")
        self.index: dict[str, list[tuple[int, int]]] = {}
        self.used: set[str] = set()
        self.annotators: set[str] = set()

    def add(self, doc: Document) -> None:
        if doc.meta.get("annotator"):
            self.annotators.add(str(doc.meta["annotator"]))
        line = (dumps_document(doc) + "\n").encode("utf-8")
        self.fh.seek(0, os.SEEK_END)
        self.index.setdefault(doc.id, []).append((self.fh.tell(), len(line)))
        self.fh.write(line)

    def take(self, doc_id: str) -> list[Document]:
        """The documents spooled under `doc_id`, marking them used."""
        self.used.add(doc_id)
        docs = []
        for offset, length in self.index.get(doc_id, ()):
            self.fh.seek(offset)
            doc, _ = parse_document(json.loads(self.fh.read(length)))
            assert doc is not None  # spooled from a valid Document
            docs.append(doc)
        return docs

    def unused(self) -> list[str]:
        return sorted(set(self.index) - self.used)

    def close(self) -> None:
        self.fh.close()


def _spool(
    spool: _Spool,
    docs: Iterable[Document],
    *,
    schema: Schema,
    rules: Rules,
    kind: str,
    problems: list[Problem],
) -> Iterator[PushProgress]:
    for n, doc in enumerate(docs, start=1):
        found = validate_document(doc, schema, rules=rules, where=f"{kind} for document '{doc.id}'")
        if found:
            problems += found
        else:
            spool.add(doc)
        if n % 1000 == 0:
            yield PushProgress("read", n, None)


# --- push ----------------------------------------------------------------------------------------


@dataclass
class _State:
    """Mutable tallies of one push run (private); frozen into `PushReport` at the end."""

    keys: dict[str, TaskKey]
    max_id: int
    problems: list[Problem] = field(default_factory=list)
    imported: int = 0
    skipped: int = 0
    predictions_added: int = 0
    predictions_skipped: int = 0
    annotations_added: int = 0
    annotations_skipped: int = 0
    inline_annotations: dict[str, int] = field(default_factory=dict)  # doc id -> imported


def _matching(
    docs: list[Document], *, sha256: str, doc_id: str, kind: str, problems: list[Problem]
) -> list[Document]:
    good = []
    for d in docs:
        if text_sha256(d.text) == sha256:
            good.append(d)
        else:
            problems.append(
                Problem(
                    f"{kind} for document '{doc_id}'",
                    f"its text (sha256 {text_sha256(d.text)[:12]}…) is not the document's "
                    f"(sha256 {sha256[:12]}…); not pushed",
                    TEXT_DIFFERS,
                )
            )
    return good


def _post(
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


def _import_batch(
    session: Session,
    project_id: int,
    batch: list[tuple[Document, dict[str, Any]]],
    state: _State,
) -> None:
    """Import a batch exactly once, even if the server committed it and then the line broke."""
    delays = session.retry.delays()
    while batch:
        try:
            answer = _post(
                session,
                f"api/projects/{project_id}/import",
                [task for _, task in batch],
                params={"return_task_ids": "true"},
            )
        except Exception as exc:
            if not is_transient(exc):
                raise
            delay = next(delays, None)
            if delay is None:
                raise ConnectionProblem(
                    f"importing {len(batch)} tasks failed {session.retry.attempts} times against "
                    f"{session.url}: {describe_error(exc)}; re-run push to resume"
                ) from exc
            time.sleep(delay)
            # Whatever the server committed before failing has ids above max_id.
            for key in iter_task_keys(session, project_id, after_id=state.max_id):
                state.keys.setdefault(key.doc_id, key)
                state.max_id = max(state.max_id, key.task_id)
            committed = [(doc, task) for doc, task in batch if doc.id in state.keys]
            _count_imported(committed, state)
            batch = [(doc, task) for doc, task in batch if doc.id not in state.keys]
            continue
        ids = list(answer.get("task_ids") or [])
        if len(ids) != len(batch):
            raise ProblemsError(
                [
                    Problem(
                        f"project {project_id}",
                        f"import returned {len(ids)} task ids for {len(batch)} tasks",
                    )
                ],
                summary="Label Studio answered an import unexpectedly; re-run push to resume",
            )
        for (doc, task), tid in zip(batch, ids, strict=True):
            state.keys[doc.id] = TaskKey(tid, doc.id, task["data"]["sha256"])
            state.max_id = max(state.max_id, tid)
        _count_imported(batch, state)
        return


def _count_imported(batch: list[tuple[Document, dict[str, Any]]], state: _State) -> None:
    state.imported += len(batch)
    state.annotations_added += sum(len(task.get("annotations", ())) for _, task in batch)
    state.predictions_added += sum(len(task.get("predictions", ())) for _, task in batch)
    for doc, task in batch:
        if task.get("annotations"):
            state.inline_annotations[doc.id] = len(task["annotations"])


def _task_count(session: Session, project_id: int) -> int:
    project = session.call(
        f"reading project {project_id}", lambda: session.client.projects.get(id=project_id)
    )
    return int(project.task_number or 0)


def later_copies(
    keys: Iterable[TaskKey], *, first: dict[str, int], inline_annotations: Mapping[str, int]
) -> tuple[list[int], list[Problem]]:
    """Of `keys` (in id order), the task ids of documents already seen (in `first`, doc id ->
    task id, which this updates), and the copies kept because they hold annotations that
    were not imported with them (more than `inline_annotations` says), as problems."""
    extra: list[int] = []
    problems: list[Problem] = []
    for key in keys:
        if first.setdefault(key.doc_id, key.task_id) == key.task_id:
            continue
        if key.annotations > inline_annotations.get(key.doc_id, 0):
            problems.append(
                Problem(
                    f"task {key.task_id}",
                    f"doc_id '{key.doc_id}' has an earlier task too, and this one has "
                    f"{key.annotations} annotation(s) not imported with it; kept: remove one "
                    "of the two in Label Studio",
                    DUPLICATE_INPUT,
                )
            )
            continue
        extra.append(key.task_id)
    return extra, problems


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


def remove_late_duplicates(
    session: Session,
    project_id: int,
    *,
    known: Iterable[str],
    after_id: int,
    inline_annotations: Mapping[str, int],
) -> tuple[int, list[Problem]]:
    """Delete the tasks created after `after_id` whose document already has a task (one in
    `known`, the doc ids present before, or a lower new one); return how many, and the
    duplicates kept because they hold annotations that were not imported with them.

    Why: a batch the server commits after its request timed out looks missing when re-read,
    and is sent again; two pushes at once each import what the other is importing. The first
    task of each document is kept, so runs that repair at the same time agree on which.
    """
    extra, problems = later_copies(
        iter_task_keys(session, project_id, after_id=after_id),
        first=dict.fromkeys(known, 0),
        inline_annotations=inline_annotations,
    )
    delete_tasks(session, project_id, extra)
    return len(extra), problems


def _import_predictions(
    session: Session,
    project_id: int,
    preds: list[dict[str, Any]],
    *,
    model_version: str,
) -> None:
    # Not retried blindly either: a failure re-reads which tasks already have this version.
    delays = session.retry.delays()
    while preds:
        try:
            _post(
                session,
                f"api/projects/{project_id}/import/predictions",
                preds,
                params={},
            )
            return
        except Exception as exc:
            if not is_transient(exc):
                raise
            delay = next(delays, None)
            if delay is None:
                raise ConnectionProblem(
                    f"importing {len(preds)} predictions failed against {session.url}: "
                    f"{describe_error(exc)}; re-run push to resume"
                ) from exc
            time.sleep(delay)
            have = {
                k.task_id
                for k in iter_task_keys(session, project_id, with_versions=True)
                if model_version in k.model_versions
            }
            preds = [p for p in preds if p["task"] not in have]


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def _server_key(url: str) -> str:
    """One spelling per server: scheme, host (loopback names as one) and port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{'loopback' if host in _LOOPBACK else host}:{port}"


@contextlib.contextmanager
def push_lock(url: str, project_title: str) -> Iterator[None]:
    """One push at a time to a project from this machine: two at once would each import what
    the other is importing (`remove_late_duplicates` mends that across machines).

    The lock file is removed on release; a run that opened it before then checks, once it
    holds the lock, that it is still the file at that path, and otherwise starts over.
    """
    name = hashlib.sha256(f"{_server_key(url)}\0{project_title}".encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"eventgold-push-{name}.lock"
    while True:
        fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until released below
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise ProblemsError(
                [
                    Problem(
                        f"project {project_title!r} at {url}",
                        f"another push to it is running on this machine ({holder}); "
                        "let it finish, then re-run (it skips what is there)",
                        PUSH_RUNNING,
                    )
                ],
                summary="another push to this project is running",
            ) from None
        try:
            same = os.fstat(fh.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        fh.close()  # removed by the run that held it: lock the new one
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fh.close()  # releases the lock


def push(
    session: Session,
    *,
    project_title: str,
    documents: Iterable[Document],
    schema: Schema,
    predictions: Iterable[Document] | None = None,
    model_version: str = "",
    annotations: Iterable[Document] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    update_config: bool = False,
    remove_duplicates: bool = False,
    total: int | None = None,
) -> Iterator[PushEvent]:
    """Push `documents` (and predictions/annotations joined by id); yield progress, then the report.

    `total` is the number of documents when the caller knows it (for a progress bar); a sized
    `documents` gives it too. Nothing is read from `documents` before the project is checked.
    Another push to the same project from this machine is refused while this one runs.
    Tasks found twice for a document when the push starts (left by an earlier run or another
    tool) are reported; with `remove_duplicates` the later ones are deleted first, unless they
    hold annotations (`remove_late_duplicates`).
    """
    with push_lock(session.url, project_title):
        yield from _push(
            session,
            project_title=project_title,
            documents=documents,
            schema=schema,
            predictions=predictions,
            model_version=model_version,
            annotations=annotations,
            batch_size=batch_size,
            update_config=update_config,
            remove_duplicates=remove_duplicates,
            total=total,
        )


def _push(
    session: Session,
    *,
    project_title: str,
    documents: Iterable[Document],
    schema: Schema,
    predictions: Iterable[Document] | None,
    model_version: str,
    annotations: Iterable[Document] | None,
    batch_size: int,
    update_config: bool,
    remove_duplicates: bool,
    total: int | None,
) -> Iterator[PushEvent]:
    if predictions is not None and (not model_version or "," in model_version):
        raise ProblemsError(
            [
                Problem(
                    "model_version",
                    f"predictions need a model version without commas, got {model_version!r}",
                    BAD_MODEL_VERSION,
                )
            ]
        )
    if batch_size < 1:
        raise ProblemsError([Problem("batch_size", f"must be >= 1, got {batch_size}")])
    if total is None and isinstance(documents, Sized):
        total = len(documents)
    project = ensure_project(
        session, title=project_title, schema=schema, update_config=update_config
    )
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="eventgold-push-") as tmp:
        pred_spool = _Spool(Path(tmp), "predictions") if predictions is not None else None
        ann_spool = _Spool(Path(tmp), "annotations") if annotations is not None else None
        try:
            if pred_spool is not None and predictions is not None:
                yield from _spool(
                    pred_spool,
                    predictions,
                    schema=schema,
                    rules=PREDICTION_RULES,
                    kind="prediction",
                    problems=problems,
                )
            if ann_spool is not None and annotations is not None:
                yield from _spool(
                    ann_spool,
                    annotations,
                    schema=schema,
                    rules=GOLD_RULES,
                    kind="annotation",
                    problems=problems,
                )
            # Annotator names become Label Studio users once, before any task is imported.
            annotators = ensure_users(session, ann_spool.annotators) if ann_spool else {}
            state = _State(keys={}, max_id=0, problems=problems)
            # A project created just now has no tasks to skip: no scan (a re-run after a crash
            # finds the project, so it scans).
            existing = (
                iter(())
                if project.created
                else iter_task_keys(session, project.id, with_versions=pred_spool is not None)
            )
            scanned = 0  # tasks in the project before this run
            copies: list[TaskKey] = []  # a document's later tasks (the first is in state.keys)
            for n, key in enumerate(existing, start=1):
                scanned = n
                if key.doc_id in state.keys:
                    copies.append(key)
                    if not remove_duplicates:
                        problems.append(
                            Problem(
                                f"task {key.task_id}",
                                f"doc_id '{key.doc_id}' is also task "
                                f"{state.keys[key.doc_id].task_id}; --remove-duplicates deletes "
                                "the later one unless it holds annotations",
                                DUPLICATE_INPUT,
                            )
                        )
                state.keys.setdefault(key.doc_id, key)
                state.max_id = max(state.max_id, key.task_id)
                if n % SCAN_PAGE_SIZE == 0:
                    yield PushProgress("scan", n, None)
            yield PushProgress("scan", len(state.keys), len(state.keys))
            removed = 0
            if copies and remove_duplicates:
                yield PushProgress("repair", 0, None)
                first = {doc_id: key.task_id for doc_id, key in state.keys.items()}
                extra, kept = later_copies(copies, first=first, inline_annotations={})
                delete_tasks(session, project.id, extra)
                problems += kept
                removed = len(extra)
                scanned -= removed
            before_max = state.max_id
            known = list(state.keys)
            try:
                yield from _push_documents(
                    session,
                    project.id,
                    documents,
                    state=state,
                    pred_spool=pred_spool,
                    ann_spool=ann_spool,
                    annotators=annotators,
                    model_version=model_version,
                    batch_size=batch_size,
                    total=total,
                )
            except ConnectionProblem as exc:
                said = str(exc).removesuffix("; re-run push to resume")
                raise ConnectionProblem(
                    f"{said}; {state.imported} document(s) imported before it: re-run push to "
                    "resume (it skips what is there)"
                ) from exc
            # One cheap request tells whether the project holds more tasks than it should
            # (see `remove_late_duplicates`); only then are this run's tasks read back.
            if state.imported and _task_count(session, project.id) != scanned + state.imported:
                yield PushProgress("repair", 0, None)
                late, kept = remove_late_duplicates(
                    session,
                    project.id,
                    known=known,
                    after_id=before_max,
                    inline_annotations=state.inline_annotations,
                )
                removed += late
                problems += kept
        finally:
            for spool in (pred_spool, ann_spool):
                if spool is not None:
                    spool.close()
    yield PushDone(
        PushReport(
            project_id=project.id,
            project_created=project.created,
            imported=state.imported,
            skipped=state.skipped,
            predictions_added=state.predictions_added,
            predictions_skipped=state.predictions_skipped,
            annotations_added=state.annotations_added,
            annotations_skipped=state.annotations_skipped,
            problems=tuple(problems),
            project_differences=project.differences,
            config_updated=project.config_updated,
            duplicates_removed=removed,
        )
    )


def _push_documents(
    session: Session,
    project_id: int,
    documents: Iterable[Document],
    *,
    state: _State,
    pred_spool: _Spool | None,
    ann_spool: _Spool | None,
    annotators: Mapping[str, int],
    model_version: str,
    batch_size: int,
    total: int | None,
) -> Iterator[PushProgress]:
    problems = state.problems
    batch: list[tuple[Document, dict[str, Any]]] = []
    in_batch: dict[str, str] = {}  # doc id -> sha256, for repeats within the pending batch
    attach: list[dict[str, Any]] = []  # predictions for tasks already present
    done = 0

    def existing(doc_id: str, sha: str, where: str) -> bool:
        """True if the document is already present (or pending) with any text; reports conflicts."""
        key = state.keys.get(doc_id)
        old_sha = key.sha256 if key is not None else in_batch.get(doc_id)
        if old_sha is None:
            return False
        if old_sha != sha:
            task = f"task {key.task_id}" if key is not None else "this run"
            problems.append(
                Problem(
                    where,
                    f"already in the project ({task}) with a different text (sha256 "
                    f"{old_sha[:12]}…, new {sha[:12]}…); not imported",
                    CONFLICT,
                )
            )
        return True

    def queue_predictions(key: TaskKey) -> None:
        if pred_spool is None or key.doc_id in pred_spool.used:
            return
        preds = _matching(
            pred_spool.take(key.doc_id),
            sha256=key.sha256,
            doc_id=key.doc_id,
            kind="prediction",
            problems=problems,
        )
        if preds and model_version in key.model_versions:
            state.predictions_skipped += len(preds)
            return
        for p in preds:
            attach.append({"task": key.task_id, **to_prediction(p, model_version=model_version)})

    def flush_attach() -> None:
        _import_predictions(session, project_id, attach, model_version=model_version)
        state.predictions_added += len(attach)
        attach.clear()

    for doc in documents:
        done += 1
        sha = text_sha256(doc.text)
        if existing(doc.id, sha, f"document '{doc.id}'"):
            key = state.keys.get(doc.id)
            if key is not None and key.sha256 == sha:
                state.skipped += 1
                queue_predictions(key)
                if ann_spool is not None and doc.id not in ann_spool.used:
                    state.annotations_skipped += len(ann_spool.take(doc.id))
            elif key is None and in_batch.get(doc.id) == sha:
                state.skipped += 1
        else:
            anns: list[Document] = []
            preds: list[Document] = []
            if ann_spool is not None:
                anns = _matching(
                    ann_spool.take(doc.id),
                    sha256=sha,
                    doc_id=doc.id,
                    kind="annotation",
                    problems=problems,
                )
            if pred_spool is not None:
                preds = _matching(
                    pred_spool.take(doc.id),
                    sha256=sha,
                    doc_id=doc.id,
                    kind="prediction",
                    problems=problems,
                )
            batch.append(
                (
                    doc,
                    to_task(
                        doc,
                        annotations=anns,
                        predictions=preds,
                        model_version=model_version,
                        annotators=annotators,
                    ),
                )
            )
            in_batch[doc.id] = sha
        if len(batch) >= batch_size:
            _import_batch(session, project_id, batch, state)
            batch, in_batch = [], {}
        if len(attach) >= batch_size:
            flush_attach()
        if done % batch_size == 0:
            yield PushProgress("import", done, total)
    if batch:
        _import_batch(session, project_id, batch, state)
    yield PushProgress("import", done, total if total is not None else done)

    # Predictions and annotations whose documents were not in this run's input.
    for spool, kind in ((pred_spool, "prediction"), (ann_spool, "annotation")):
        if spool is None:
            continue
        for doc_id in spool.unused():
            key = state.keys.get(doc_id)
            if key is None:
                problems.append(
                    Problem(
                        f"{kind} for document '{doc_id}'",
                        "no such document in the input or the project; not pushed",
                        NO_TASK,
                    )
                )
                spool.used.add(doc_id)
            elif spool is pred_spool:
                queue_predictions(key)
                if len(attach) >= batch_size:
                    flush_attach()
                    yield PushProgress("predictions", state.predictions_added, None)
            else:
                state.annotations_skipped += len(spool.take(doc_id))
    if attach:
        flush_attach()
        yield PushProgress("predictions", state.predictions_added, state.predictions_added)


# --- ground truth --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GroundTruthReport:
    project_id: int
    created: int
    problems: tuple[Problem, ...]
    unchanged: int = 0  # tasks whose ground truth already says the same (a re-run)


def push_ground_truth(
    session: Session,
    *,
    project_title: str,
    documents: Iterable[Document],
    schema: Schema | None = None,
) -> GroundTruthReport:
    """Add each document as a ground-truth annotation on its task (for adjudicated gold).

    The project must exist and hold each document with the same text; documents that fail
    (no task, other text, invalid against `schema` when given) are reported, not pushed.
    Idempotent: a task whose ground truth already has the same spans and relations (ids
    aside) is left as it is, so a re-run, or a run after a lost response, adds nothing twice;
    a task with a different ground truth is reported, never overwritten.
    """
    project = require_project(session, project_title)
    keys = {k.doc_id: k for k in iter_task_keys(session, project.id)}
    problems: list[Problem] = []
    created = unchanged = 0
    for doc in documents:
        where = f"document '{doc.id}'"
        key = keys.get(doc.id)
        if key is None:
            problems.append(
                Problem(where, f"no task in project {project_title!r}; not pushed", NO_TASK)
            )
            continue
        if key.sha256 and key.sha256 != text_sha256(doc.text):
            problems.append(
                Problem(
                    where,
                    f"task {key.task_id} has another text (sha256 {key.sha256[:12]}…, "
                    f"document {text_sha256(doc.text)[:12]}…); not pushed",
                    TEXT_DIFFERS,
                )
            )
            continue
        found = validate_document(doc, schema, where=where) if schema is not None else []
        if found:
            problems += found
            continue
        earlier = _ground_truths(session, key.task_id, doc)
        if annotation_content(doc) in earlier.values():
            unchanged += 1
            continue
        if earlier:
            ids = ", ".join(map(str, sorted(earlier)))
            problems.append(
                Problem(
                    where,
                    f"task {key.task_id} already has another ground truth (annotation {ids}); "
                    "not pushed: unmark or delete it in Label Studio to replace it",
                    GROUND_TRUTH_DIFFERS,
                )
            )
            continue
        ann = to_annotation(doc)
        # One POST per document (no bulk endpoint for distinct results), and not retried: a
        # retry after a lost response would add the annotation twice (a re-run finds it).
        try:
            session.client.annotations.create(
                id=key.task_id, result=ann["result"], ground_truth=True
            )
        except Exception as exc:
            if not is_transient(exc):
                raise
            raise ConnectionProblem(
                f"adding ground truth to task {key.task_id} failed against {session.url}: "
                f"{describe_error(exc)}; {created} added before it"
            ) from exc
        created += 1
    return GroundTruthReport(
        project_id=project.id, created=created, problems=tuple(problems), unchanged=unchanged
    )


def _ground_truths(session: Session, task_id: int, doc: Document) -> dict[int, Any]:
    """Annotation id -> `annotation_content` of the task's ground-truth annotations (one
    that does not convert over the document's text counts as different content: None)."""
    found = session.call(
        f"reading the annotations of task {task_id}",
        lambda: session.client.annotations.list(id=task_id),
    )
    out: dict[int, Any] = {}
    for ann in found:
        if not ann.ground_truth or ann.was_cancelled:
            continue
        earlier, _ = result_to_document({"text": doc.text}, ann.result, where="")
        out[int(ann.id or 0)] = annotation_content(earlier) if earlier is not None else None
    return out
