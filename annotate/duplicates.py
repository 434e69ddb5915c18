"""The push's duplicate repair: a document's later tasks in a project, found and deleted.

A document can get a second task: a batch the server commits after its request timed out
looks missing when re-read, and is sent again; two pushes at once (from two machines) each
import what the other is importing; an earlier run or another tool left one. The first task of
each document is kept, so runs that repair at the same time agree on which; a later copy that
holds annotations not imported with it is kept too, and reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.labelstudio.convert import TaskKey
from eventgold.annotate.labelstudio.tasks import delete_tasks, iter_task_keys
from eventgold.problems import Problem

DUPLICATE_INPUT = "duplicate-input"  # problem code: a document with more than one task


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
    extra, problems = delete_late_copies(
        session,
        project_id,
        known=known,
        after_id=after_id,
        inline_annotations=inline_annotations,
    )
    return len(extra), problems


def delete_late_copies(
    session: Session,
    project_id: int,
    *,
    known: Iterable[str],
    after_id: int,
    inline_annotations: Mapping[str, int],
) -> tuple[list[int], list[Problem]]:
    """`remove_late_duplicates`, returning the ids of the deleted tasks."""
    extra, problems = later_copies(
        iter_task_keys(session, project_id, after_id=after_id),
        first=dict.fromkeys(known, 0),
        inline_annotations=inline_annotations,
    )
    delete_tasks(session, project_id, extra)
    return extra, problems
