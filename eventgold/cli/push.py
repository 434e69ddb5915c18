"""`eventgold push --project TITLE [--corpus FILE] [--predictions FILE --model-version V] ...`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from eventgold.annotate.corpus import DEFAULT_CORPUS
from eventgold.annotate.labelstudio.connection import ConnectionProblem, connect
from eventgold.annotate.ledger import CACHE_ENV, default_ledger_dir
from eventgold.annotate.push import DEFAULT_BATCH_SIZE, PushReport, push
from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_HOME_PATH,
    DEFAULT_SCHEMA_PATH,
    ApiKeyOpt,
    HomeOpt,
    SchemaOpt,
    UrlOpt,
    err,
    fail,
    get_schema,
    out,
    print_problems,
    run_steps,
    user_errors,
)
from eventgold.documents import (
    Document,
    iter_jsonl_documents,
    read_document_file,
    read_documents,
)
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import schema_warnings

_STAGES = {
    "read": "reading predictions/annotations",
    "scan": "reading the project's tasks",
    "import": "importing",
    "predictions": "attaching predictions",
    "repair": "removing duplicate tasks",
}


def check_jsonl(path: Path) -> int:
    """Count the documents of a JSONL file, refusing it whole if any line is bad.

    A pre-pass, so a bad line halfway never leaves a half-pushed corpus behind an error.
    """
    problems: list[Problem] = []
    n = 0
    for _, doc, found in iter_jsonl_documents(path):
        problems += found
        n += doc is not None
    if problems:
        raise ProblemsError(problems, summary=f"{path} has {len(problems)} bad line(s)")
    return n


def annotation_files(path: Path) -> list[Path]:
    """A JSONL file, or a folder of *.jsonl and one-document *.json files (name order)."""
    if path.is_dir():
        return sorted([*path.glob("*.jsonl"), *path.glob("*.json")])
    if not path.exists():
        raise FileNotFoundError(2, "not found", str(path))
    return [path]


def read_annotation_files(paths: list[Path]) -> Iterator[Document]:
    for path in paths:
        if path.suffix == ".json":
            yield read_document_file(path)
        else:
            yield from read_documents(path)


def print_push_report(report: PushReport, *, title: str) -> None:
    created = " (created)" if report.project_created else ""
    out.print(
        f"project '{title}' (id {report.project_id}){created}: {report.imported} task(s) "
        f"imported, {report.skipped} already present"
    )
    if report.keys_from_ledger:
        gone = (
            f"; the task count showed deletions: {report.ids_listed} task id(s) listed, "
            f"{report.tasks_gone} task(s) gone (their documents pushed again)"
            if report.ids_listed
            else ""
        )
        out.print(
            f"  task keys: the ledger of the last push from this machine, and "
            f"{report.keys_read} task(s) changed since{gone}",
            markup=False,
        )
    elif report.full_scan_reason:
        out.print(
            f"  read every task's key ({report.keys_read}): {report.full_scan_reason}",
            markup=False,
        )
    if report.duplicates_removed:
        out.print(
            f"  removed {report.duplicates_removed} duplicate task(s) (a request the server "
            "committed after it timed out, another push at the same time, or --remove-duplicates); "
            "each document's first task is kept"
        )
    if report.config_updated:
        out.print(
            "  set the project's labeling config, instructions and description from the schema"
            + "".join(f"\n    - {d}" for d in report.project_differences),
            markup=False,
        )
    elif report.project_differences:
        err.print(
            f"warning: project '{title}' differs from the schema (the labels are the same); "
            "pass --update-config to apply the schema"
            + "".join(f"\n  - {d}" for d in report.project_differences),
            markup=False,
        )
    if report.predictions_added or report.predictions_skipped:
        out.print(
            f"  predictions: {report.predictions_added} added, "
            f"{report.predictions_skipped} already there"
        )
    if report.model_version_set:
        out.print(
            f"  set the project's model version to '{report.model_version}': the labeling "
            "stream (Label All Tasks) shows its predictions"
        )
    if report.annotations_added or report.annotations_skipped:
        out.print(
            f"  annotations: {report.annotations_added} added, {report.annotations_skipped} not "
            "re-imported (their task was already present)"
        )


@app.command("push")
def push_cli(
    project: Annotated[str, typer.Option("--project", help="Project title (exact).")],
    corpus: Annotated[
        Path | None,
        typer.Option(help=f"Documents JSONL to push (default: {DEFAULT_CORPUS} if it exists)."),
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option(help="Model predictions JSONL to attach as pre-annotations.")
    ] = None,
    model_version: Annotated[
        str | None, typer.Option("--model-version", help="Model version of --predictions.")
    ] = None,
    annotations: Annotated[
        Path | None,
        typer.Option(help="Annotations (JSONL file or folder) to import as submissions."),
    ] = None,
    update_config: Annotated[
        bool,
        typer.Option(
            "--update-config",
            help="Set an existing project's labeling config, instructions and description from "
            "the schema where they differ.",
        ),
    ] = False,
    remove_duplicates: Annotated[
        bool,
        typer.Option(
            "--remove-duplicates",
            help="Delete a document's later tasks found in the project (its first is kept), "
            "unless they hold annotations.",
        ),
    ] = False,
    rescan: Annotated[
        bool,
        typer.Option(
            "--rescan",
            help="Read every task's key from the project instead of the ledger of the last push "
            f"from this machine (kept in ${CACHE_ENV}, else the user's cache folder).",
        ),
    ] = False,
    batch_size: Annotated[int, typer.Option(help="Tasks per import request.")] = DEFAULT_BATCH_SIZE,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    home: HomeOpt = DEFAULT_HOME_PATH,
    schema_path: SchemaOpt = DEFAULT_SCHEMA_PATH,
) -> None:
    """Push documents to a Label Studio project, idempotently (re-runs skip what is there)."""
    schema = get_schema(schema_path)
    for problem in schema_warnings(schema):
        err.print(f"warning: {problem}", markup=False)
    if predictions is not None and not model_version:
        fail("--predictions needs --model-version")
    if corpus is None and (
        DEFAULT_CORPUS.exists() or (predictions is None and annotations is None)
    ):
        corpus = DEFAULT_CORPUS
    with user_errors():
        total = check_jsonl(corpus) if corpus is not None else 0
        if predictions is not None:
            check_jsonl(predictions)
        ann_paths = annotation_files(annotations) if annotations is not None else None
        try:
            session = connect(url=url, api_key=api_key, home=home)
            events = push(
                session,
                project_title=project,
                documents=read_documents(corpus) if corpus is not None else (),
                schema=schema,
                predictions=read_documents(predictions) if predictions is not None else None,
                model_version=model_version or "",
                annotations=read_annotation_files(ann_paths) if ann_paths is not None else None,
                batch_size=batch_size,
                update_config=update_config,
                remove_duplicates=remove_duplicates,
                total=total,
                ledger_dir=default_ledger_dir(),
                rescan=rescan,
            )
            report = run_steps(events, _STAGES)
        except ConnectionProblem as exc:
            fail(str(exc))
    print_push_report(report, title=project)
    if report.problems:
        counts = ", ".join(
            f"{code or 'other'}: {n}" for code, n in sorted(report.problem_counts.items())
        )
        print_problems(report.problems, title=f"{len(report.problems)} problem(s) ({counts}):")
        raise typer.Exit(1)
