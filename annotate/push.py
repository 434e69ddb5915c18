"""Push documents (with optional predictions and annotations) to a Label Studio project.

Idempotent by design: the project's existing task keys ``(doc_id, sha256)`` are known first,
so a document already present with the same text is skipped and one present with a different
text is reported as a conflict instead of being imported twice. They come from the ledger of
this machine's last push and the tasks changed since, or from a scan of every task (keyset
pagination, data only, never annotations): see `annotate.project_keys`. New documents go in
bulk batches with their predictions and annotations inline (one request per batch). A failed
batch is never blindly retried: the tasks created since the last known id are re-read first,
because the server may have committed the batch before the connection broke. So a re-run, or a
run after a crash, leaves each document present exactly once.

Predictions and annotations are joined to documents by id. They are spooled to a temporary
file with an in-memory index of offsets (tens of bytes per document), so no input is held in
memory whole. Predictions for documents already present are attached with the bulk
predictions API unless the task already has a prediction of that model version; annotations
are only imported with a new task (re-importing them would duplicate submissions), and the
report counts those left out.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from eventgold.annotate.corpus import text_sha256
from eventgold.annotate.duplicates import DUPLICATE_INPUT, delete_late_copies, later_copies
from eventgold.annotate.labelstudio.changes import project_state
from eventgold.annotate.labelstudio.connection import (
    Backoff,
    ConnectionProblem,
    Session,
)
from eventgold.annotate.labelstudio.convert import (
    TaskKey,
    inline_counts,
    pushed_sha256,
    to_prediction,
    to_task,
)
from eventgold.annotate.labelstudio.project import ensure_project
from eventgold.annotate.labelstudio.tasks import (
    delete_tasks,
    iter_task_keys,
    post_json,
    tasks_with_version,
)
from eventgold.annotate.labelstudio.users import ensure_users
from eventgold.annotate.ledger import Ledger, ledger_path, write_ledger
from eventgold.annotate.lock import push_lock, server_key
from eventgold.annotate.project_keys import ProjectKeys, project_keys, quiet_end
from eventgold.annotate.spool import Spool
from eventgold.atomic import scratch_dir
from eventgold.documents import (
    Document,
)
from eventgold.problems import TEXT_MISMATCH, Problem, ProblemsError
from eventgold.progress import Progress, Steps
from eventgold.schema import Schema
from eventgold.validate import GOLD_RULES, PREDICTION_RULES, Rules, validate_document

DEFAULT_BATCH_SIZE = 500
PUSH_SCRATCH = "eventgold-push-"  # the spools' folder in the system's temporary folder

# Problem codes of push.
CONFLICT = "conflict"  # same doc id, different text
NO_TASK = "no-task"  # a prediction/annotation for a document in neither the input nor the project
BAD_MODEL_VERSION = "bad-model-version"


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
    # The project's model version when predictions were pushed, and whether this run set it
    # (it was another one, or none): the labeling stream shows only that version's predictions.
    model_version: str = ""
    model_version_set: bool = False
    # How the project's task keys were known: from the ledger of this machine's last push and
    # the tasks changed since, or by reading every task (and why).
    keys_from_ledger: bool = False
    full_scan_reason: str = ""
    keys_read: int = 0  # task keys read before importing
    ids_listed: int = 0  # task ids listed because the task count showed deletions
    tasks_gone: int = 0  # tasks of the ledger deleted since (their documents pushed again)

    @property
    def problem_counts(self) -> dict[str, int]:
        return dict(Counter(p.code for p in self.problems))


# Progress stages of push, in order.
STAGES = ("read", "scan", "repair", "import", "predictions")


def _spool(
    spool: Spool,
    docs: Iterable[Document],
    *,
    schema: Schema,
    rules: Rules,
    kind: str,
    problems: list[Problem],
) -> Iterator[Progress]:
    for n, doc in enumerate(docs, start=1):
        found = validate_document(doc, schema, rules=rules, where=f"{kind} for document '{doc.id}'")
        if found:
            problems += found
        else:
            spool.add(doc)
        if n % 1000 == 0:
            yield Progress("read", n, None)


# --- push ----------------------------------------------------------------------------------------


@dataclass
class _State:
    """Mutable tallies of one push run (private); frozen into `PushReport` at the end."""

    keys: dict[str, TaskKey]  # doc id -> its first task
    max_id: int
    problems: list[Problem] = field(default_factory=list)
    tasks: dict[int, TaskKey] = field(default_factory=dict)  # every task known (the ledger's)
    own: list[int] = field(default_factory=list)  # ids of the tasks this run's imports created
    versioned: frozenset[int] = frozenset()  # tasks with a prediction of the model version
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
                    TEXT_MISMATCH,
                )
            )
    return good


def _import_batch(
    session: Session,
    project_id: int,
    batch: list[tuple[Document, dict[str, Any]]],
    state: _State,
) -> None:
    """Import a batch exactly once, even if the server committed it and then the line broke."""
    backoff = Backoff(
        session.retry,
        what=f"importing {len(batch)} tasks",
        url=session.url,
        hint="re-run push to resume",
    )
    while batch:
        try:
            answer = post_json(
                session,
                f"api/projects/{project_id}/import",
                [task for _, task in batch],
                params={"return_task_ids": "true"},
            )
        except Exception as exc:
            backoff.wait_or_raise(exc)
            # Whatever the server committed before failing has ids above max_id.
            for key in iter_task_keys(session, project_id, after_id=state.max_id):
                state.keys.setdefault(key.doc_id, key)
                state.tasks[key.task_id] = key
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
            key = TaskKey(tid, doc.id, pushed_sha256(task), annotations=inline_counts(task)[0])
            state.keys[doc.id] = state.tasks[tid] = key
            state.own.append(tid)
            state.max_id = max(state.max_id, tid)
        _count_imported(batch, state)
        return


def _count_imported(batch: list[tuple[Document, dict[str, Any]]], state: _State) -> None:
    state.imported += len(batch)
    for doc, task in batch:
        annotations, predictions = inline_counts(task)
        state.annotations_added += annotations
        state.predictions_added += predictions
        if annotations:
            state.inline_annotations[doc.id] = annotations


def _import_predictions(
    session: Session,
    project_id: int,
    preds: list[dict[str, Any]],
    *,
    model_version: str,
) -> None:
    # Not retried blindly either: a failure re-reads which tasks already have this version.
    backoff = Backoff(
        session.retry,
        what=f"importing {len(preds)} predictions",
        url=session.url,
        hint="re-run push to resume",
    )
    while preds:
        try:
            post_json(
                session,
                f"api/projects/{project_id}/import/predictions",
                preds,
                params={},
            )
            return
        except Exception as exc:
            backoff.wait_or_raise(exc)
            have = tasks_with_version(session, project_id, model_version)
            preds = [p for p in preds if p["task"] not in have]


def set_model_version(session: Session, project_id: int, model_version: str) -> bool:
    """Make `model_version` the project's; True if it was another one (or none) before.

    Why: Label Studio's labeling stream ("Label All Tasks", ``/api/projects/{id}/next``) shows
    only the predictions of the project's model version. A push of documents with their
    predictions sets it, but predictions attached to tasks already present leave it as it was
    (measured on 1.23.2: empty after a push of documents, then of predictions), so annotators
    working through the stream saw no pre-annotations while the task list showed them.
    """
    project = session.call(
        f"reading project {project_id}", lambda: session.client.projects.get(id=project_id)
    )
    if (project.model_version or "") == model_version:
        return False
    session.call(
        f"setting the model version of project {project_id}",
        lambda: session.client.projects.update(id=project_id, model_version=model_version),
    )
    return True


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
    ledger_dir: Path | None = None,
    rescan: bool = False,
) -> Steps[PushReport]:
    """Push `documents` (and predictions/annotations joined by id); yield progress, return the
    report.

    `total` is the number of documents when the caller knows it (for a progress bar); a sized
    `documents` gives it too. Nothing is read from `documents` before the project is checked.
    Another push to the same project from this machine is refused while this one runs.
    Tasks found twice for a document when the push starts (left by an earlier run or another
    tool) are reported; with `remove_duplicates` the later ones are deleted first, unless they
    hold annotations (`duplicates.later_copies`).

    With `ledger_dir` (`ledger.default_ledger_dir()` for the user's cache), the project's task
    keys come from the ledger of the last push from there and the tasks changed since, and the
    ledger is written at the end; `rescan` reads every task instead (`annotate.project_keys`).
    """
    with push_lock(session.url, project_title):
        return (
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
                ledger_dir=ledger_dir,
                rescan=rescan,
            )
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
    ledger_dir: Path | None,
    rescan: bool,
) -> Steps[PushReport]:
    if predictions is not None and (not model_version or "," in model_version):
        raise ProblemsError(
            [
                Problem(
                    "--model-version",
                    f"predictions need a model version without commas, got {model_version!r}",
                    BAD_MODEL_VERSION,
                )
            ],
            summary="cannot push the predictions",
        )
    if batch_size < 1:
        raise ProblemsError(
            [Problem("--batch-size", f"must be >= 1, got {batch_size}")],
            summary="cannot push",
        )
    if total is None and isinstance(documents, Sized):
        total = len(documents)
    project = ensure_project(
        session, title=project_title, schema=schema, update_config=update_config
    )
    problems: list[Problem] = []
    # Named for this process: a push killed meanwhile leaves it, and the next one removes it.
    with scratch_dir(Path(tempfile.gettempdir()), PUSH_SCRATCH) as tmp:
        pred_spool = Spool(Path(tmp), "predictions") if predictions is not None else None
        ann_spool = Spool(Path(tmp), "annotations") if annotations is not None else None
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
            # A project created just now has no tasks to skip: no scan (a re-run after a crash
            # finds the project, so it reads its keys).
            scan = yield from project_keys(
                session,
                project.id,
                created=project.created,
                created_at=project.created_at,
                ledger_dir=ledger_dir,
                rescan=rescan,
                remove_duplicates=remove_duplicates,
                model_version=model_version if pred_spool is not None else None,
            )
            state = _State(keys={}, max_id=0, problems=problems, versioned=scan.versioned)
            copies: list[TaskKey] = []  # a document's later tasks (the first is in state.keys)
            for key in scan.keys:
                state.tasks[key.task_id] = key
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
            yield Progress("scan", len(state.keys), len(state.keys))
            removed = 0
            if copies and remove_duplicates:
                yield Progress("repair", 0, None)
                first = {doc_id: key.task_id for doc_id, key in state.keys.items()}
                extra, kept = later_copies(copies, first=first, inline_annotations={})
                delete_tasks(session, project.id, extra)
                problems += kept
                removed = len(extra)
                for task_id in extra:
                    del state.tasks[task_id]
            scanned = len(state.tasks)  # tasks in the project before this run
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
            # One cheap request tells whether any task but this run's was updated since it
            # started (`quiet_end`); if so, one more says whether the project holds more tasks
            # than it should (see `duplicates.remove_late_duplicates`), and only then are this
            # run's tasks read back.
            quiet = quiet_end(session, project.id, start=scan.start, own=state.own)
            if (
                state.imported
                and quiet is None
                and project_state(session, project.id).tasks != scanned + state.imported
            ):
                yield Progress("repair", 0, None)
                late, kept = delete_late_copies(
                    session,
                    project.id,
                    known=known,
                    after_id=before_max,
                    inline_annotations=state.inline_annotations,
                )
                removed += len(late)
                problems += kept
                for task_id in late:
                    state.tasks.pop(task_id, None)
            # A ledger that nothing in the project has departed from stays as it is: its time
            # is earlier, and what changes after this run is read by the next either way.
            unchanged = scan.from_ledger and not (scan.read or scan.gone or removed)
            if ledger_dir is not None and not (unchanged and state.imported == 0):
                _write_ledger(session, project.id, ledger_dir, scan=scan, quiet=quiet, state=state)
        finally:
            for spool in (pred_spool, ann_spool):
                if spool is not None:
                    spool.close()
    version_set = predictions is not None and set_model_version(session, project.id, model_version)
    return PushReport(
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
        model_version=model_version if predictions is not None else "",
        model_version_set=version_set,
        keys_from_ledger=scan.from_ledger,
        full_scan_reason=scan.full_reason,
        keys_read=scan.read,
        ids_listed=scan.ids_listed,
        tasks_gone=scan.gone,
    )


def _write_ledger(
    session: Session,
    project_id: int,
    ledger_dir: Path,
    *,
    scan: ProjectKeys,
    quiet: tuple[datetime, tuple[tuple[int, int], ...], datetime] | None,
    state: _State,
) -> None:
    started, own, own_updated = quiet if quiet is not None else (scan.start.server_time, (), None)
    keys = tuple(state.tasks[i] for i in sorted(state.tasks))
    server = server_key(session.url)
    ledger = Ledger(server, project_id, scan.created_at, started, keys, own, own_updated)
    write_ledger(ledger_path(ledger_dir, session.url, project_id), ledger)


def _push_documents(
    session: Session,
    project_id: int,
    documents: Iterable[Document],
    *,
    state: _State,
    pred_spool: Spool | None,
    ann_spool: Spool | None,
    annotators: Mapping[str, int],
    model_version: str,
    batch_size: int,
    total: int | None,
) -> Iterator[Progress]:
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
        if preds and key.task_id in state.versioned:
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
            yield Progress("import", done, total)
    if batch:
        _import_batch(session, project_id, batch, state)
    yield Progress("import", done, total if total is not None else done)

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
                    yield Progress("predictions", state.predictions_added, None)
            else:
                state.annotations_skipped += len(spool.take(doc_id))
    if attach:
        flush_attach()
        yield Progress("predictions", state.predictions_added, state.predictions_added)
