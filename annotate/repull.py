"""Re-pull into a gold folder a pull wrote: fetch only the tasks that changed, same gold.

The previous pull left its facts in ``pull.json`` (server, project, selection, schema, the
server's time before it read anything, task count, highest task id) and, per task it kept or
rejected, a row in ``annotations.jsonl`` or ``rejects.jsonl``. A re-pull:

1. asks the task list for the tasks updated after that time (saving, creating or deleting an
   annotation updates the task; new tasks are updated after it too), ids only;
2. counts deletions: previous count - (current count - changed tasks above the previous
   highest id); only if that is not 0 does it scan every id, to name the deleted tasks;
3. exports the changed tasks by id, converts and selects them as a full pull does
   (`annotate.pull.task_to_pulled`, `choose`), puts their rows and gold record in place of the
   old ones, drops the deleted tasks', and patches the gold folder with them
   (`dataset.patch.iter_patch_gold`, atomically: only the changed records are encoded; it
   writes the whole folder instead, with the reason, where a patch could differ).

The result is the gold a full pull would write, byte for byte (pull.json aside: its times). A
full pull is done instead, with the reason, when the folder was not written by a pull of the
same server, project, selection and schema (or by an older eventgold), when a document id is on
two tasks (which task keeps it depends on every task), or when spans were converted from
UTF-16 units (counted per project, not per task).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from eventgold.annotate.labelstudio.changes import (
    MARGIN,
    changed_task_ids,
    project_state,
    task_ids,
)
from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.labelstudio.exporting import iter_export_ids
from eventgold.annotate.labelstudio.project import project_config_differences, require_project
from eventgold.annotate.labelstudio.tasks import task_link
from eventgold.annotate.labelstudio.users import user_names
from eventgold.annotate.pull import (
    DEFAULT_SELECTION,
    RUN_TIMES,
    PullReport,
    choose,
    iter_pull_to_gold,
    split_run_meta,
    task_to_pulled,
    write_pull_facts,
)
from eventgold.atomic import scratch_dir
from eventgold.dataset.folder import (
    ANNOTATIONS_FILE,
    DOCUMENTS_FILE,
    GOLD_MARKER,
    PULL_FILE,
    REJECTS_FILE,
    require_gold_target,
)
from eventgold.dataset.patch import GoldDelta, iter_patch_gold
from eventgold.documents import Document
from eventgold.problems import DUPLICATE_DOCUMENT
from eventgold.progress import Progress, Steps
from eventgold.schema import Schema, schema_fingerprint


@dataclass(frozen=True, slots=True)
class RepullReport:
    """The gold's counts, and how it was pulled. When incremental, ``report.annotations`` and
    ``report.cancelled`` count the fetched tasks only (the others were not read)."""

    report: PullReport
    incremental: bool
    fetched: int  # tasks exported
    deleted: int  # tasks gone since the previous pull that had a row in the gold
    full_reason: str = ""  # why a full pull was done ("" when incremental)
    # Incremental only: why the gold folder was written whole, not patched ("" when patched).
    rewrite_reason: str = ""


@dataclass(frozen=True, slots=True)
class _Previous:
    started: datetime
    tasks: int
    highest: int
    traces: dict[int, dict[str, Any]]  # task id -> annotations.jsonl row
    lines: dict[int, str]  # task id -> that row's line as read, to write back as it was
    rejects: dict[int, list[dict[str, Any]]]  # task id -> rejects.jsonl rows, in order


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _previous(
    out_dir: Path, *, url: str, project_id: int, selection: str, schema: Schema
) -> _Previous | str:
    """The previous pull's facts, or why the folder cannot be re-pulled incrementally."""
    names = (GOLD_MARKER, PULL_FILE, ANNOTATIONS_FILE, REJECTS_FILE, DOCUMENTS_FILE)
    if missing := [n for n in names if not (out_dir / n).is_file()]:
        return f"{out_dir} holds no gold from a previous pull (no {', '.join(missing)})"
    try:
        facts = json.loads((out_dir / PULL_FILE).read_text(encoding="utf-8"))
        started = datetime.fromisoformat(facts["started_at"])
        tasks, highest = int(facts["tasks"]), int(facts["highest_task_id"])
    except (ValueError, KeyError, TypeError):
        return f"{out_dir / PULL_FILE} was written by an older eventgold or is damaged"
    for key, now in (
        ("label_studio_url", url),
        ("project_id", project_id),
        ("selection", selection),
        ("schema", schema_fingerprint(schema)),
    ):
        if facts.get(key) != now:
            return f"the previous pull's {key} was {facts.get(key)!r}, this one's is {now!r}"
    if facts.get("utf16_converted"):
        return "the previous pull converted spans from UTF-16 offsets (counted per project)"
    rejects: dict[int, list[dict[str, Any]]] = {}
    for row in _read_jsonl(out_dir / REJECTS_FILE):
        if DUPLICATE_DOCUMENT in row.get("codes", ()):
            return f"document '{row.get('doc_id')}' is on two tasks"
        rejects.setdefault(int(row["task_id"]), []).append(row)
    traces: dict[int, dict[str, Any]] = {}
    lines: dict[int, str] = {}
    with (out_dir / ANNOTATIONS_FILE).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                traces[int(row["task_id"])] = row
                lines[int(row["task_id"])] = line if line.endswith("\n") else line + "\n"
    if lines and (line := next(iter(lines.values()))) != _trace_line(json.loads(line)):
        lines = {}  # written another way: every row is written again
    return _Previous(started, tasks, highest, traces, lines, rejects)


def _trace_line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False) + "\n"


def comparable_files(folder: Path) -> dict[str, bytes]:
    """Every file of a gold folder by relative path, pull.json without its `RUN_TIMES`: what a
    re-pull and a full pull of the same project write alike (see the module doc)."""
    files = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == PULL_FILE:
            facts = json.loads(data)
            data = json.dumps({k: v for k, v in facts.items() if k not in RUN_TIMES}).encode()
        files[str(path.relative_to(folder))] = data
    return files


def iter_repull_to_gold(
    session: Session,
    *,
    project_title: str,
    out_dir: Path,
    schema: Schema,
    selection: str = DEFAULT_SELECTION,
    agreement_markdown: str | None = None,
    full: bool = False,
) -> Steps[RepullReport]:
    """Re-pull the project into `out_dir`, incrementally when it can (see the module doc)."""
    out_dir = Path(out_dir)

    def full_pull(reason: str) -> Steps[RepullReport]:
        report = yield from iter_pull_to_gold(
            session,
            project_title=project_title,
            out_dir=out_dir,
            schema=schema,
            selection=selection,
            agreement_markdown=agreement_markdown,
        )
        return RepullReport(report, False, report.tasks, 0, reason)

    if full:
        return (yield from full_pull("--full was asked for"))
    require_gold_target(out_dir)
    project = require_project(session, project_title)
    prev = _previous(
        out_dir, url=session.url, project_id=project.id, selection=selection, schema=schema
    )
    if isinstance(prev, str):
        return (yield from full_pull(prev))
    differences = project_config_differences(session, project, schema)
    state = project_state(session, project.id)  # its time is the next re-pull's cutoff
    changed = changed_task_ids(session, project.id, since=prev.started - MARGIN)
    new = sum(1 for i in changed if i > prev.highest)
    tasks, highest = state.tasks, max(state.highest_id, *changed, 0)
    deleted: set[int] = set()
    if prev.tasks - (state.tasks - new) != 0:  # deleted tasks leave no trace but the count
        current = task_ids(session, project.id) | set(changed)
        deleted = (prev.traces.keys() | prev.rejects.keys()) - current
        tasks, highest = len(current), max(current, default=0)
    emails = user_names(session)

    # The changed tasks as a full pull sees them.
    traces = {t: r for t, r in prev.traces.items() if t not in deleted}
    trace_lines = {t: line for t, line in prev.lines.items() if t not in deleted}
    rejects = {t: r for t, r in prev.rejects.items() if t not in deleted}
    gone = {prev.traces[t]["doc_id"] for t in prev.traces.keys() & (deleted | set(changed))}
    added: dict[str, Document] = {}
    counts: Counter[str] = Counter()
    for task in iter_export_ids(session, project.id, changed):
        pulled = task_to_pulled(task, schema=schema, emails=emails)
        counts["fetched"] += 1
        counts["annotations"] += len(pulled.annotations)
        counts["cancelled"] += pulled.cancelled
        if pulled.utf16_converted:
            return (yield from full_pull("a changed task's spans had UTF-16 offsets"))
        link = task_link(session.url, project.id, pulled.task_id)
        rows = [r.to_json(task_url=link) for r in pulled.rejects]
        rows += [d.to_json(task_url=link) for d in pulled.dropped]
        traces.pop(pulled.task_id, None)
        trace_lines.pop(pulled.task_id, None)
        rejects.pop(pulled.task_id, None)
        if rows:
            rejects[pulled.task_id] = rows
        chosen = choose(pulled.annotations, selection=selection)
        if chosen is not None:
            doc, traces[pulled.task_id] = split_run_meta(chosen)
            added[doc.id] = doc
        yield Progress("pull", counts["fetched"], len(changed))
    kept = Counter(r["doc_id"] for r in traces.values())
    if twice := sorted(d for d, n in kept.items() if n > 1):
        return (yield from full_pull(f"document '{twice[0]}' is on two tasks"))

    reject_rows = [row for _, rows in sorted(rejects.items()) for row in rows]
    trace_rows = [row for _, row in sorted(traces.items())]
    report = _report(project.id, out_dir, tasks, trace_rows, reject_rows, counts, differences)
    provenance = {
        "label_studio_project": project_title,
        "annotators": ", ".join(sorted({str(r.get("annotator")) for r in trace_rows})) or "none",
        "selection": selection,
        "schema": f"{schema.name} {schema.version}",
    }

    with scratch_dir(out_dir.parent, ".eventgold-pull-") as tmp:
        trace_spool, run = Path(tmp) / ANNOTATIONS_FILE, Path(tmp) / PULL_FILE
        with trace_spool.open("w", encoding="utf-8") as fh:
            fh.writelines(trace_lines.get(t) or _trace_line(r) for t, r in sorted(traces.items()))
        write_pull_facts(
            run,
            url=session.url,
            project_id=project.id,
            project_title=project_title,
            started=state.server_time,
            tasks=tasks,
            highest_task_id=highest,
            selection=selection,
            schema=schema,
            utf16_converted=0,
        )
        patched = yield from iter_patch_gold(
            out_dir,
            GoldDelta(tuple(added.values()), frozenset(gone)),
            out_dir,
            schema=schema,
            rejects=reject_rows,
            provenance=provenance,
            agreement_markdown=agreement_markdown,
            sidecars={ANNOTATIONS_FILE: trace_spool, PULL_FILE: run},
        )
    return RepullReport(report, True, counts["fetched"], len(deleted), "", patched.reason)


def _report(
    project_id: int,
    out_dir: Path,
    tasks: int,
    traces: list[dict[str, Any]],
    rejects: list[dict[str, Any]],
    counts: Counter[str],
    differences: list[str],
) -> PullReport:
    """The whole gold's counts, from its rows (as `iter_pull_to_gold` counts them)."""
    refused = [r for r in rejects if r.get("kind") != "relation"]
    dropped = [r for r in rejects if r.get("kind") == "relation"]
    kept = {int(r["task_id"]) for r in traces}
    rejected_tasks = len({int(r["task_id"]) for r in refused} - kept)
    return PullReport(
        project_id=project_id,
        out_dir=out_dir,
        rejects_path=out_dir / REJECTS_FILE,
        tasks=tasks,
        documents=len(traces),
        unannotated=tasks - len(traces) - rejected_tasks,
        annotations=counts["annotations"],
        cancelled=counts["cancelled"],
        rejected=len(refused),
        reject_codes=_codes(refused),
        utf16_converted=0,
        relations_dropped=len(dropped),
        dropped_codes=_codes(dropped),
        config_differences=tuple(differences),
        rejected_tasks=rejected_tasks,
    )


def _codes(rows: list[dict[str, Any]]) -> dict[str, int]:
    return dict(sorted(Counter(c or "other" for r in rows for c in r["codes"]).items()))
