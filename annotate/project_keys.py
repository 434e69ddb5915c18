"""The keys of every task of a project when a push starts: from the ledger, or a full scan.

Reading every task key costs ~1 ms a task (three minutes at 100,000). With a ledger of this
machine's last push (`annotate.ledger`) a push instead:

1. takes the project's state in one call (`changes.project_state`): the server's time, before
   anything is read, which becomes the next ledger's time, and the task count;
2. reads the keys of the tasks updated since the ledger's time, less `changes.MARGIN` (other
   machines' imports, annotations, edits: Label Studio sets ``updated_at`` on each; a bulk
   predictions import does not, so the model versions are asked for separately,
   `tasks.tasks_with_version`);
3. counts deletions: ledger tasks + changed tasks the ledger lacks - task count. Only if that is
   not 0 does it list every task id (ids only, ~0.4 ms a task), to drop the deleted tasks, whose
   documents are then pushed again; a task in neither the ledger nor the changes means the
   ledger cannot be trusted, and every key is read.

A full scan is done instead, with the reason, without a ledger (none, damaged, another version,
of an earlier project with the same id), with `rescan`, or with --remove-duplicates (it
deletes tasks by their annotation counts, which it reads fresh).

At the end of a push the ledger's time is the start's, unless the push imported tasks and
nothing else in the project changed meanwhile (one count of the tasks updated since, not
counting this push's own id ranges; `quiet_end`): then it is the end's, and the next push reads
the tasks updated since it less the margin outside those ranges, and inside them those updated
after the last one was imported (its exact time), so it does not read this push's tasks back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from eventgold.annotate.labelstudio.changes import (
    MARGIN,
    ProjectState,
    changed_count,
    last_update,
    project_state,
    task_ids,
    updated_after,
)
from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.labelstudio.convert import TaskKey
from eventgold.annotate.labelstudio.tasks import (
    SCAN_PAGE_SIZE,
    iter_task_keys,
    outside,
    tasks_with_version,
)
from eventgold.annotate.ledger import Ledger, ledger_path, read_ledger
from eventgold.progress import Progress, Steps

RESCAN_ASKED = "--rescan was asked for"
REMOVE_DUPLICATES = "--remove-duplicates reads every task's annotation count"
NO_LEDGER_DIR = "no ledger folder was given"
# The most id ranges of its own tasks a push leaves out of its last count (each one a filter
# item in the request's URL); beyond it, the next push reads this push's tasks back.
MAX_OWN_RANGES = 20


@dataclass(frozen=True, slots=True)
class ProjectKeys:
    keys: tuple[TaskKey, ...]  # every task of the project, in id order
    start: ProjectState  # before anything was read
    created_at: str  # the project's creation time, as the server reports it
    from_ledger: bool
    full_reason: str  # why every key was read ("" when not, and for a new project)
    read: int  # task keys read
    ids_listed: int  # task ids listed to find deleted tasks (0 unless the count showed some)
    gone: int  # tasks of the ledger deleted since (their documents are pushed again)
    versioned: frozenset[int]  # tasks with a prediction of the model version (when asked)


def _full_scan(
    session: Session, project_id: int, *, model_version: str | None
) -> Steps[list[TaskKey]]:
    keys: list[TaskKey] = []
    for key in iter_task_keys(session, project_id, with_versions=model_version is not None):
        keys.append(key)
        if len(keys) % SCAN_PAGE_SIZE == 0:
            yield Progress("scan", len(keys), None)
    return keys


def _from_ledger(
    session: Session, project_id: int, ledger: Ledger, start: ProjectState
) -> tuple[dict[int, TaskKey], int, int, int] | str:
    """The task keys (id -> key), keys read, ids listed and tasks gone; or why the ledger
    cannot be trusted."""
    since = updated_after(ledger.started - MARGIN)
    others = tuple(outside(first, last) for first, last in ledger.own)
    changed = {k.task_id: k for k in iter_task_keys(session, project_id, where=(since, *others))}
    if ledger.own_updated is not None:  # the last push's tasks, updated after it imported them
        later = updated_after(ledger.own_updated)
        changed |= {k.task_id: k for k in iter_task_keys(session, project_id, where=(later,))}
    view = {k.task_id: k for k in ledger.keys}
    unknown = len(changed.keys() - view.keys())
    listed = gone = 0
    if len(view) + unknown != start.tasks:  # deletions leave no trace but the count
        current = task_ids(session, project_id)
        listed = len(current)
        if strange := current - view.keys() - changed.keys():
            return (
                f"{len(strange)} task(s) of the project are neither in the ledger nor changed "
                f"since it was written (task {min(strange)})"
            )
        deleted = view.keys() - current - changed.keys()
        gone = len(deleted)
        for task_id in deleted:
            del view[task_id]
    view.update(changed)
    return view, len(changed), listed, gone


def project_keys(
    session: Session,
    project_id: int,
    *,
    created: bool,
    created_at: str,
    ledger_dir: Path | None,
    rescan: bool,
    remove_duplicates: bool,
    model_version: str | None,
) -> Steps[ProjectKeys]:
    """The keys of every task of the project (see the module doc), `created` just now (at
    `created_at`, the server's time); `model_version` when predictions of it are pushed (then
    `ProjectKeys.versioned` says which tasks have one)."""
    if created and created_at:  # no tasks yet, and every task will be updated after that
        start = ProjectState(datetime.fromisoformat(created_at), 0, 0)
        return ProjectKeys((), start, created_at, False, "", 0, 0, 0, frozenset())
    start = project_state(session, project_id)  # its time is the next ledger's
    if created:
        return ProjectKeys((), start, created_at, False, "", 0, 0, 0, frozenset())
    reasons = {
        RESCAN_ASKED: rescan,
        REMOVE_DUPLICATES: remove_duplicates,
        NO_LEDGER_DIR: ledger_dir is None,
    }
    reason = next((r for r, why in reasons.items() if why), "")
    if not reason and ledger_dir is not None:
        path = ledger_path(ledger_dir, session.url, project_id)
        ledger = read_ledger(path, url=session.url, project_id=project_id, created_at=created_at)
        got = (
            ledger if isinstance(ledger, str) else _from_ledger(session, project_id, ledger, start)
        )
        if isinstance(got, str):
            reason = got
        else:
            view, read, listed, gone = got
            versioned = (
                tasks_with_version(session, project_id, model_version)
                if model_version is not None
                else frozenset()
            )
            keys = tuple(view[i] for i in sorted(view))
            return ProjectKeys(keys, start, created_at, True, "", read, listed, gone, versioned)
    keys = yield from _full_scan(session, project_id, model_version=model_version)
    versioned = frozenset(
        k.task_id for k in keys if model_version is not None and model_version in k.model_versions
    )
    return ProjectKeys(tuple(keys), start, created_at, False, reason, len(keys), 0, 0, versioned)


def id_ranges(ids: Iterable[int]) -> list[tuple[int, int]]:
    """`ids` as runs of consecutive integers, ``(first, last)`` each, ascending."""
    runs: list[tuple[int, int]] = []
    for i in sorted(set(ids)):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def quiet_end(
    session: Session, project_id: int, *, start: ProjectState, own: list[int]
) -> tuple[datetime, tuple[tuple[int, int], ...], datetime] | None:
    """After a push that imported the tasks `own` (ids from the import answers): if no other
    task was updated since `start` less the margin, the time the next push reads other tasks'
    changes from, the id ranges of `own`, and the last update of those tasks (`Ledger.started`,
    `.own`, `.own_updated`); else None (then `start`'s time, and no ranges). Two requests.

    Why not always the end: a task another client changed during the push, after the scan read
    it, would be missed. Why not always `start`: the next push would read back every task this
    one imported (the first re-push after importing 100,000 documents would read 100,000). The
    tasks this push imported are left out of the count by id ranges; their keys are the ones
    the import answered. No other task updated also means no task imported twice (a batch the
    server committed after its request failed has ids no answer gave).
    """
    ranges = tuple(id_ranges(own))
    if not ranges or len(ranges) > MAX_OWN_RANGES:
        return None
    since = start.server_time - MARGIN
    others, now = changed_count(session, project_id, since=since, besides=list(ranges))
    if others:
        return None
    # The tasks of the last range were imported last: the latest update there is after every
    # import of this push (a later one elsewhere in `ranges` is read again: more, never less).
    first, last = ranges[-1]
    return now, ranges, last_update(session, project_id, first=first, last=last)
