"""The annotations that `agree` and `adjudicate` compare: from files or from a Label Studio
project, with what was left out and why, and counts that add up.

Both sources give ``(task key, annotations)`` groups, each annotation naming its annotator in
``meta["annotator"]`` (the input of `annotate.agree` and `annotate.adjudication.merge`).

- Files (`from_files`): JSONL files, ``.json`` documents or folders of them, grouped by
  document id (`annotate.agree.load_annotation_inputs`); unreadable ones are listed.
- A project (`from_project`): every task, each annotation converted and validated exactly as
  pull does (`annotate.pull.pull`); what pull would reject is left out and listed, located by
  task, annotator and reason.

Either way, a ground truth that ``adjudicate --push`` wrote (`adjudication.marker`) is the
output of adjudication, not an annotation: it is left out and counted, so a re-run gives the
same result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eventgold.annotate.adjudication.marker import is_adjudicated
from eventgold.annotate.agree import load_annotation_inputs
from eventgold.documents import Document
from eventgold.problems import Problem, ProblemsError, join
from eventgold.schema import Schema

if TYPE_CHECKING:  # Label Studio's client is imported only when a project is read
    from eventgold.annotate.labelstudio.connection import Session
    from eventgold.annotate.pull import Reject

Group = tuple[str, tuple[Document, ...]]


@dataclass(frozen=True, slots=True)
class SourceCounts:
    """What was read. ``tasks == annotated + unannotated + all_rejected``."""

    tasks: int  # tasks of the project, or documents of the files
    annotated: int  # with at least one usable annotation
    unannotated: int  # with no usable annotation and none rejected (cancelled ones count here)
    all_rejected: int  # with no usable annotation because every one was rejected
    annotations: int  # usable annotations
    rejected: int  # annotations left out as pull rejects them
    cancelled: int  # skipped in Label Studio
    adjudicated: int  # ground truths adjudicate pushed, left out

    def describe(self) -> str:
        """One line for the user."""
        return (
            f"{self.tasks} task(s): {self.annotated} with usable annotations, "
            f"{self.unannotated} with none, {self.all_rejected} whose annotations were all "
            f"rejected; {self.annotations} annotation(s) used, {self.rejected} rejected, "
            f"{self.cancelled} cancelled, {self.adjudicated} adjudicated ground truth(s) left out"
        )


@dataclass(frozen=True, slots=True)
class AnnotationSources:
    groups: tuple[Group, ...]
    problems: tuple[Problem, ...]  # inputs left out (unreadable files, rejected annotations)
    counts: SourceCounts
    origin: str  # "files" or "project 'TITLE'"


def _without_adjudicated(docs: Sequence[Document]) -> tuple[tuple[Document, ...], int]:
    kept = tuple(d for d in docs if not is_adjudicated(d))
    return kept, sum(1 for d in docs if is_adjudicated(d))


def from_files(inputs: Sequence[Path]) -> AnnotationSources:
    """The annotations of files and folders; raise `ProblemsError` if none has a document."""
    found, problems = load_annotation_inputs(inputs)
    groups: list[Group] = []
    adjudicated = 0
    for key, docs in found:
        kept, left_out = _without_adjudicated(docs)
        adjudicated += left_out
        groups.append((key, kept))
    if not groups:
        raise ProblemsError(problems, summary="no documents found in the inputs")
    annotated = sum(1 for _, docs in groups if docs)
    counts = SourceCounts(
        tasks=len(groups),
        annotated=annotated,
        unannotated=len(groups) - annotated,
        all_rejected=0,
        annotations=sum(len(docs) for _, docs in groups),
        rejected=0,
        cancelled=0,
        adjudicated=adjudicated,
    )
    return AnnotationSources(tuple(groups), tuple(problems), counts, "files")


def reject_problems(reject: Reject) -> list[Problem]:
    """Each reason pull gives for rejecting an annotation, located by task and annotator."""
    task = f"task {reject.task_id}"
    who = join(task, f"annotator '{reject.annotator}'")
    return [
        Problem(
            who + p.where[len(task) :] if p.where.startswith(task) else join(who, p.where),
            p.message,
            p.code,
        )
        for p in reject.problems
    ]


def from_project(session: Session, *, project_title: str, schema: Schema) -> AnnotationSources:
    """Every task of the project with its annotations that pull would accept."""
    from eventgold.annotate.pull import pull

    groups: list[Group] = []
    problems: list[Problem] = []
    tally = dict.fromkeys(
        ("annotated", "unannotated", "all_rejected", "annotations", "rejected", "cancelled"), 0
    )
    adjudicated = 0
    for task in pull(session, project_title=project_title, schema=schema):
        kept, left_out = _without_adjudicated(task.annotations)
        adjudicated += left_out
        groups.append((task.doc_id, kept))
        for reject in task.rejects:
            problems += reject_problems(reject)
        kind = "annotated" if kept else "all_rejected" if task.rejects else "unannotated"
        tally[kind] += 1
        tally["annotations"] += len(kept)
        tally["rejected"] += len(task.rejects)
        tally["cancelled"] += task.cancelled
    counts = SourceCounts(tasks=len(groups), adjudicated=adjudicated, **tally)
    return AnnotationSources(tuple(groups), tuple(problems), counts, f"project '{project_title}'")


def _read(
    inputs: Sequence[Path],
    project: str | None,
    *,
    schema: Schema,
    session: Callable[[], Session],
) -> AnnotationSources:
    if project is not None:
        return from_project(session(), project_title=project, schema=schema)
    if not inputs:
        raise ProblemsError(
            [], summary="give one or more input files or folders, or --project TITLE"
        )
    return from_files(inputs)


def sources_for_agreement(
    inputs: Sequence[Path],
    project: str | None,
    *,
    schema: Schema,
    session: Callable[[], Session],
) -> AnnotationSources:
    """Files or a project (not both) for `agree`; `session` connects, called only for one."""
    if project is not None and inputs:
        raise ProblemsError([], summary="give input files or --project, not both")
    return _read(inputs, project, schema=schema, session=session)


def sources_for_adjudication(
    inputs: Sequence[Path],
    project: str | None,
    *,
    schema: Schema,
    session: Callable[[], Session],
) -> AnnotationSources:
    """Files, else the project, for `adjudicate`: there the project is also where ``--push``
    sends the merged gold, so given files win and the project is read only without them."""
    return _read(inputs, None if inputs else project, schema=schema, session=session)
