"""Adjudicated gold back into Label Studio, as each task's ground-truth annotation, completed
by the `ADJUDICATOR` user so that it is never read back as an annotator's vote (`marker`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eventgold.annotate.adjudication.marker import ADJUDICATOR
from eventgold.annotate.corpus import text_sha256
from eventgold.annotate.labelstudio.connection import (
    ConnectionProblem,
    Session,
    describe_error,
    is_transient,
)
from eventgold.annotate.labelstudio.convert import result_to_document, to_annotation
from eventgold.annotate.labelstudio.project import require_project
from eventgold.annotate.labelstudio.tasks import iter_task_keys
from eventgold.annotate.labelstudio.users import ensure_users
from eventgold.annotate.push import NO_TASK
from eventgold.documents import Document, annotation_content
from eventgold.problems import TEXT_MISMATCH, Problem
from eventgold.schema import Schema
from eventgold.validate import validate_document

GROUND_TRUTH_DIFFERS = "ground-truth-differs"  # the task has another ground truth already


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
    adjudicator: int | None = None  # the user id, made or found at the first push
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
                    TEXT_MISMATCH,
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
        if adjudicator is None:
            adjudicator = ensure_users(session, [ADJUDICATOR])[ADJUDICATOR]
        # One POST per document (no bulk endpoint for distinct results), and not retried: a
        # retry after a lost response would add the annotation twice (a re-run finds it).
        try:
            session.client.annotations.create(
                id=key.task_id, result=ann["result"], ground_truth=True, completed_by=adjudicator
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
