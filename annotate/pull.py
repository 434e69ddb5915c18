"""Pull annotations back from Label Studio: validated, selected, and written as the gold set.

The project's full JSON export (the only export that keeps relations) is read in chunks of task
ids, the next fetched while the current one is worked on (`annotate.labelstudio.exporting`), so a
100k-task project is never in memory whole. Each
annotation is converted (`annotate.labelstudio.convert`) and validated with the gold rules plus
a text check: the text's sha256 must still be the one recorded when the task was pushed.
Cancelled (skipped) annotations are counted, not used. An annotation whose only problems are
relations (no label or several, a label or endpoint types the schema does not allow, a missing
endpoint, head and tail the same, a repeat) is kept without those relations: an annotator's
work on a task is never lost for one relation. Each dropped relation is counted and written to
`rejects.jsonl` with the task's link, the annotator and both regions' texts. An annotation with
any other problem (a span, the text) is rejected whole, with the task id and link, document id,
annotation id, annotator and every located reason; nothing is dropped without a trace.

Selection, one annotation per task (``ground-truth-then-latest``): an annotation marked ground
truth wins (e.g. adjudicated), then the most recently updated one, then the highest annotation
id. ``latest`` ignores the ground-truth mark.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eventgold.annotate.corpus import text_sha256
from eventgold.annotate.labelstudio.changes import project_state
from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.labelstudio.convert import DroppedRelation, convert_result, read_task
from eventgold.annotate.labelstudio.exporting import iter_export, start_export
from eventgold.annotate.labelstudio.project import project_config_differences, require_project
from eventgold.annotate.labelstudio.tasks import task_link
from eventgold.annotate.labelstudio.users import user_names
from eventgold.atomic import scratch_dir
from eventgold.dataset.folder import ANNOTATIONS_FILE, PULL_FILE, REJECTS_FILE, require_gold_target
from eventgold.dataset.writer import iter_write_gold
from eventgold.documents import Document
from eventgold.problems import DUPLICATE_DOCUMENT, Problem, ProblemsError, allowed
from eventgold.progress import Progress, Steps, drain
from eventgold.schema import Schema, schema_fingerprint
from eventgold.timestamps import updated_at
from eventgold.tokens import warm_up
from eventgold.validate import GOLD_RULES, relation_where, validate_document

TEXT_CHANGED = "text-changed"
BAD_TASK = "bad-task"

# Facts of one Label Studio instance, not of the annotation: kept out of the gold records.
RUN_META = ("task_id", "annotation_id", "updated_at")


# --- one task ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reject:
    """A whole annotation refused, with every reason located."""

    task_id: int
    doc_id: str
    annotation_id: int | None
    annotator: str
    problems: tuple[Problem, ...]

    def to_json(self, *, task_url: str = "") -> dict[str, Any]:
        return {
            "kind": "annotation",
            "task_id": self.task_id,
            "task_url": task_url,
            "doc_id": self.doc_id,
            "annotation_id": self.annotation_id,
            "annotator": self.annotator,
            "codes": sorted({p.code for p in self.problems}),
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass(frozen=True, slots=True)
class Dropped:
    """A relation left out of an annotation that was kept without it."""

    task_id: int
    doc_id: str
    annotation_id: int | None
    annotator: str
    relation: DroppedRelation

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.relation.problems

    def to_json(self, *, task_url: str = "") -> dict[str, Any]:
        return {
            "kind": "relation",
            "task_id": self.task_id,
            "task_url": task_url,
            "doc_id": self.doc_id,
            "annotation_id": self.annotation_id,
            "annotator": self.annotator,
            "relation": self.relation.to_json(),
            "codes": sorted({p.code for p in self.problems}),
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass(frozen=True, slots=True)
class PulledTask:
    """A task's usable annotations (valid, not cancelled) and its rejects."""

    task_id: int
    doc_id: str
    annotations: tuple[Document, ...]  # meta: annotator, annotation_id, ground_truth, updated_at
    rejects: tuple[Reject, ...]
    cancelled: int
    utf16_converted: int
    dropped: tuple[Dropped, ...] = ()  # relations left out of kept annotations


def drop_invalid_relations(
    doc: Document, problems: list[Problem], *, where: str
) -> tuple[Document, list[DroppedRelation], list[Problem]]:
    """`doc` without the relations that `problems` (of `validate_document` under `where`)
    locate, those relations with their problems, and the problems located elsewhere."""
    at = {relation_where(where, i, r): i for i, r in enumerate(doc.relations)}
    found: dict[int, list[Problem]] = {}
    rest: list[Problem] = []
    for p in problems:
        if p.where in at:
            found.setdefault(at[p.where], []).append(p)
        else:
            rest.append(p)
    if not found:
        return doc, [], rest
    by_id = doc.entity_by_id()
    dropped = []
    for i, bad in sorted(found.items()):
        r = doc.relations[i]
        head, tail = by_id.get(r.head), by_id.get(r.tail)
        dropped.append(
            DroppedRelation(
                labels=(r.label,),
                head_id=r.head,
                tail_id=r.tail,
                head_text=head.text if head is not None else "",
                tail_text=tail.text if tail is not None else "",
                problems=tuple(bad),
            )
        )
    kept = tuple(r for i, r in enumerate(doc.relations) if i not in found)
    return replace(doc, relations=kept), dropped, rest


def task_to_pulled(
    task: Mapping[str, Any], *, schema: Schema, emails: Mapping[int, str]
) -> PulledTask:
    """Convert and validate every annotation of one exported task."""
    exported = read_task(task, users=emails)
    task_id, doc_id, data = exported.id, exported.doc_id, exported.data
    text = data.get("text")
    recorded = data.get("sha256")
    changed = ""
    if isinstance(text, str) and isinstance(recorded, str) and text_sha256(text) != recorded:
        changed = (
            f"text changed after annotation: the task text's sha256 is {text_sha256(text)[:12]}… "
            f"but {recorded[:12]}… was recorded when it was pushed; re-push the document"
        )
    docs: list[Document] = []
    rejects: list[Reject] = []
    dropped: list[Dropped] = []
    cancelled = converted = 0
    for ann in exported.annotations:
        ann_id, annotator = ann.id, ann.annotator
        if ann.cancelled:
            cancelled += 1
            continue
        where = f"task {task_id} / annotation {ann_id}"
        conv = convert_result(data, ann.result, where=where, drop_bad_relations=True)
        converted += conv.utf16_converted
        problems = [Problem(where, changed, TEXT_CHANGED)] if changed else []
        problems += conv.problems
        document = conv.document
        bad_relations = list(conv.dropped)
        if document is not None:
            found = validate_document(document, schema, rules=GOLD_RULES, where=where)
            kept, invalid, rest = drop_invalid_relations(document, found, where=where)
            if problems or rest:  # rejected whole: every reason, relations' too
                problems += found
            else:
                document, bad_relations = kept, bad_relations + invalid
        if problems or document is None:
            rejects.append(Reject(task_id, doc_id, ann_id, annotator, tuple(problems)))
            continue
        dropped += [Dropped(task_id, doc_id, ann_id, annotator, r) for r in bad_relations]
        meta = {
            **document.meta,
            "task_id": task_id,
            "annotation_id": ann_id,
            "annotator": annotator,
            "ground_truth": ann.ground_truth,
            "updated_at": ann.updated_at,
        }
        docs.append(replace(document, id=doc_id, meta=meta))
    return PulledTask(
        task_id, doc_id, tuple(docs), tuple(rejects), cancelled, converted, tuple(dropped)
    )


def pull(session: Session, *, project_title: str, schema: Schema) -> Iterator[PulledTask]:
    """Stream the project's tasks, each with its valid annotations and its rejects."""
    project = require_project(session, project_title)
    emails = user_names(session)
    for task in iter_export(session, project.id):
        yield task_to_pulled(task, schema=schema, emails=emails)


def annotations_from_project(
    session: Session, *, project_title: str, schema: Schema
) -> Iterator[tuple[str, list[Document]]]:
    """``(doc_id, every valid annotation)`` per task: the input of `annotate.agree`."""
    for task in pull(session, project_title=project_title, schema=schema):
        yield task.doc_id, list(task.annotations)


# --- selection -----------------------------------------------------------------------------------


def _latest_key(doc: Document) -> tuple[datetime, int]:
    return (updated_at(doc), int(doc.meta.get("annotation_id") or 0))


SELECTIONS: dict[str, Callable[[Document], tuple[Any, ...]]] = {
    "ground-truth-then-latest": lambda d: (bool(d.meta.get("ground_truth")), *_latest_key(d)),
    "latest": _latest_key,
}
DEFAULT_SELECTION = "ground-truth-then-latest"


def split_run_meta(doc: Document) -> tuple[Document, dict[str, Any]]:
    """The gold record without Label Studio's run facts, and those facts as a trace row."""
    trace = {"doc_id": doc.id, "annotator": doc.meta.get("annotator")}
    trace.update({k: doc.meta[k] for k in RUN_META if k in doc.meta})
    meta = {k: v for k, v in doc.meta.items() if k not in RUN_META}
    return replace(doc, meta=meta), trace


def choose(
    annotations: Iterable[Document], *, selection: str = DEFAULT_SELECTION
) -> Document | None:
    """The one annotation a task contributes to the gold, by the `selection` rule."""
    return max(annotations, key=SELECTIONS[selection], default=None)


# --- the gold folder -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PullReport:
    project_id: int
    out_dir: Path
    rejects_path: Path
    tasks: int
    documents: int  # tasks that contribute a gold document
    unannotated: int  # tasks with no usable annotation (and none rejected)
    annotations: int  # usable annotations seen
    cancelled: int
    rejected: int
    reject_codes: Mapping[str, int]
    utf16_converted: int
    # Relations left out of kept annotations, and their problem codes (in rejects.jsonl too).
    relations_dropped: int = 0
    dropped_codes: Mapping[str, int] = field(default_factory=dict)
    # How the project's labels differ from the schema's (`config_differences`): a label the
    # schema lacks gets its annotations rejected; one the project lacks, none at all.
    config_differences: tuple[str, ...] = ()
    # Tasks whose annotations were all rejected: tasks = documents + unannotated + these.
    rejected_tasks: int = 0


def iter_pull_to_gold(
    session: Session,
    *,
    project_title: str,
    out_dir: Path,
    schema: Schema,
    selection: str = DEFAULT_SELECTION,
    agreement_markdown: str | None = None,
) -> Steps[PullReport]:
    """`pull_to_gold`, yielding progress; the report is the generator's return value.

    Each selected annotation goes straight to the gold writer, which tokenises and spools it
    while the server builds the next export chunk; rejects and the trace are spooled beside.
    `out_dir` is only replaced (atomically) once the whole export has been read and written.
    """
    if selection not in SELECTIONS:
        raise ProblemsError(
            [Problem("--selection", f"unknown rule {selection!r}; allowed: {allowed(SELECTIONS)}")],
            summary="cannot pull",
        )
    out_dir = Path(out_dir)
    require_gold_target(out_dir)  # before the export, not after it
    project = require_project(session, project_title)
    differences = project_config_differences(session, project, schema)  # listed: no request
    # The server's time before anything is read: a re-pull fetches the tasks updated since.
    started = project_state(session, project.id).server_time
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventgold-users") as pool:
        users = pool.submit(user_names, session)
        export = start_export(session, project.id)
        # The tokenizer loads (~0.4 s) while the server builds the first chunk, and only after
        # the calls above: its hold on the GIL would slow them.
        warm_up()
        try:
            emails = users.result()
        except BaseException:
            export.close()
            raise
    total = export.total
    counts: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    dropped_codes: Counter[str] = Counter()
    # The card's provenance: filled in once the export has been read, before the card is made.
    provenance: dict[str, Any] = {}
    with (
        contextlib.closing(export),
        scratch_dir(out_dir.parent, ".eventgold-pull-") as tmp,
    ):
        rejects_spool = Path(tmp) / REJECTS_FILE
        trace_spool = Path(tmp) / ANNOTATIONS_FILE
        run = Path(tmp) / PULL_FILE

        def selected() -> Iterator[Document]:
            annotators: set[str] = set()
            first_task: dict[str, int] = {}
            with (
                rejects_spool.open("w", encoding="utf-8") as rfh,
                trace_spool.open("w", encoding="utf-8") as afh,
            ):
                for task in export.tasks():
                    pulled = task_to_pulled(task, schema=schema, emails=emails)
                    counts["tasks"] += 1
                    counts["highest"] = max(counts["highest"], pulled.task_id)
                    counts["annotations"] += len(pulled.annotations)
                    counts["cancelled"] += pulled.cancelled
                    counts["utf16"] += pulled.utf16_converted
                    rejects = list(pulled.rejects)
                    chosen = choose(pulled.annotations, selection=selection)
                    if chosen is not None and chosen.id in first_task:
                        rejects.append(_duplicate(pulled.task_id, chosen, first_task[chosen.id]))
                        chosen = None
                    link = task_link(session.url, project.id, pulled.task_id)
                    for r in rejects:
                        rfh.write(json.dumps(r.to_json(task_url=link), ensure_ascii=False) + "\n")
                        codes.update({p.code or "other" for p in r.problems})
                    counts["rejected"] += len(rejects)
                    for d in pulled.dropped:
                        rfh.write(json.dumps(d.to_json(task_url=link), ensure_ascii=False) + "\n")
                        dropped_codes.update({p.code or "other" for p in d.problems})
                    counts["dropped"] += len(pulled.dropped)
                    if chosen is not None:
                        first_task[chosen.id] = pulled.task_id
                        annotators.add(str(chosen.meta.get("annotator")))
                        gold_doc, trace = split_run_meta(chosen)
                        afh.write(json.dumps(trace, ensure_ascii=False) + "\n")
                        counts["documents"] += 1
                        yield gold_doc
                    elif not rejects:  # a duplicate document's task was annotated
                        counts["unannotated"] += 1
                    else:  # every annotation rejected (a duplicate document's included)
                        counts["rejected_tasks"] += 1
            # The card gets what is true of the annotations themselves, so the same annotations
            # give a byte-identical gold; where and when they were pulled goes to pull.json.
            provenance.update(
                label_studio_project=project_title,
                annotators=", ".join(sorted(annotators)) or "none",
                selection=selection,
                schema=f"{schema.name} {schema.version}",
            )
            write_pull_facts(
                run,
                url=session.url,
                project_id=project.id,
                project_title=project_title,
                started=started,
                tasks=counts["tasks"],
                highest_task_id=counts["highest"],
                selection=selection,
                schema=schema,
                utf16_converted=counts["utf16"],
            )

        steps = iter_write_gold(
            selected(),
            out_dir,
            schema=schema,
            rejects=_read_rejects(rejects_spool),  # opened when the documents are all read
            provenance=provenance,
            agreement_markdown=agreement_markdown,
            sidecars={ANNOTATIONS_FILE: trace_spool, PULL_FILE: run},
        )
        reading = True
        while True:
            try:
                step = next(steps)
            except StopIteration:
                break
            if step.stage == "read":
                yield Progress("pull", counts["tasks"], total)
                continue
            if reading:
                reading = False
                yield Progress("pull", counts["tasks"], counts["tasks"])
            yield step
    return PullReport(
        project_id=project.id,
        out_dir=out_dir,
        rejects_path=out_dir / REJECTS_FILE,
        tasks=counts["tasks"],
        documents=counts["documents"],
        unannotated=counts["unannotated"],
        annotations=counts["annotations"],
        cancelled=counts["cancelled"],
        rejected=counts["rejected"],
        reject_codes=dict(sorted(codes.items())),
        utf16_converted=counts["utf16"],
        config_differences=tuple(differences),
        rejected_tasks=counts["rejected_tasks"],
        relations_dropped=counts["dropped"],
        dropped_codes=dict(sorted(dropped_codes.items())),
    )


# The keys of pull.json that differ between two pulls of the same project: when they ran.
RUN_TIMES = ("pulled_at", "started_at")


def write_pull_facts(
    path: Path,
    *,
    url: str,
    project_id: int,
    project_title: str,
    started: datetime,
    tasks: int,
    highest_task_id: int,
    selection: str,
    schema: Schema,
    utf16_converted: int,
) -> None:
    """Write pull.json: where and when the gold was pulled, and what a re-pull checks."""
    facts = {
        "label_studio_url": url,
        "project_id": project_id,
        "project_title": project_title,
        "pulled_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "started_at": started.isoformat(),  # the server's clock, before anything was read
        "tasks": tasks,
        "highest_task_id": highest_task_id,
        "selection": selection,
        "schema": schema_fingerprint(schema),
        # Spans whose offsets came as UTF-16 units (Label Studio 1.23's frontend stores code
        # points: a browser check found none).
        "utf16_converted": utf16_converted,
    }
    path.write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")


def _duplicate(task_id: int, chosen: Document, first: int) -> Reject:
    return Reject(
        task_id,
        chosen.id,
        chosen.meta.get("annotation_id"),
        str(chosen.meta.get("annotator")),
        (
            Problem(
                f"task {task_id}",
                f"document id '{chosen.id}' is also task {first}; only the first is kept",
                DUPLICATE_DOCUMENT,
            ),
        ),
    )


def _read_rejects(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def pull_to_gold(
    session: Session,
    *,
    project_title: str,
    out_dir: Path,
    schema: Schema,
    selection: str = DEFAULT_SELECTION,
    agreement_markdown: str | None = None,
) -> PullReport:
    """Pull the project into the gold folder `out_dir` (replaced atomically); see the module doc."""
    steps = iter_pull_to_gold(
        session,
        project_title=project_title,
        out_dir=out_dir,
        schema=schema,
        selection=selection,
        agreement_markdown=agreement_markdown,
    )
    return drain(steps)
