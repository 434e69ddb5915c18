"""`eventgold pull --project TITLE --out gold/`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eventgold.annotate.labelstudio.connection import ConnectionProblem, connect
from eventgold.annotate.pull import DEFAULT_SELECTION, SELECTIONS, PullReport
from eventgold.annotate.repull import RepullReport, iter_repull_to_gold
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
    run_steps,
    user_errors,
    warn_config_differences,
)
from eventgold.paths import require_distinct_paths
from eventgold.problems import allowed

_STAGES = {
    "pull": "reading the export",
    "read": "checking documents",
    "write": "writing Parquet",
    "hf": "saving the HF dataset",
}


def print_pull_report(report: PullReport, *, read: str = "") -> None:
    """`read` replaces the annotations and cancellations seen (an incremental pull saw a few)."""
    tasks = (
        f"{report.unannotated} task(s) unannotated, "
        f"{report.rejected_tasks} task(s) with every annotation rejected"
    )
    counts = (
        f"{read}; {tasks}"
        if read
        else f"{report.annotations} usable annotation(s), {tasks}, {report.cancelled} "
        "cancelled/skipped"
    )
    out.print(
        f"{report.out_dir}: {report.documents} gold document(s) from {report.tasks} task(s) "
        f"({counts})"
    )
    if report.utf16_converted:
        out.print(
            f"  {report.utf16_converted} span(s) had UTF-16 offsets, converted to code points"
        )
    warn_config_differences(report.config_differences)
    if not report.documents:
        err.print(
            "warning: no task has a usable annotation yet, so the gold folder holds no documents"
            + (
                f"; {report.rejects_path} says why each annotation was rejected"
                if report.rejected
                else ""
            ),
            markup=False,
        )
    if report.rejected:
        codes = ", ".join(f"{code}: {n}" for code, n in report.reject_codes.items())
        out.print(
            f"  {report.rejected} annotation(s) rejected ({codes}); see {report.rejects_path}"
        )
    if report.relations_dropped:
        codes = ", ".join(f"{code}: {n}" for code, n in report.dropped_codes.items())
        out.print(
            f"  {report.relations_dropped} relation(s) left out of kept annotations ({codes}); "
            f"each with its task link, annotator and regions in {report.rejects_path}"
        )


@app.command("pull")
def pull_cli(
    project: Annotated[str, typer.Option("--project", help="Project title (exact).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Gold folder to (re)write.")] = Path(
        "gold"
    ),
    selection: Annotated[
        str, typer.Option(help=f"One annotation per task: {allowed(SELECTIONS)}.")
    ] = DEFAULT_SELECTION,
    agreement: Annotated[
        Path | None,
        typer.Option(
            help="Agreement section for the dataset card: the Markdown file that "
            "`eventgold agree --markdown` wrote."
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Read every task, even into a gold folder a previous pull wrote."
        ),
    ] = False,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    home: HomeOpt = DEFAULT_HOME_PATH,
    schema_path: SchemaOpt = DEFAULT_SCHEMA_PATH,
) -> None:
    """Pull annotations into a validated gold folder; rejects are listed with reasons.

    Into a gold folder a previous pull of the project wrote, only the tasks changed since are
    read (see docs/labelstudio.md), unless --full is given.
    """
    schema = get_schema(schema_path)
    with user_errors():
        require_distinct_paths({"--agreement": agreement}, (), folders={"--out": out_dir})
        card_agreement = agreement.read_text(encoding="utf-8") if agreement is not None else None
        try:
            session = connect(url=url, api_key=api_key, home=home)
            steps = iter_repull_to_gold(
                session,
                project_title=project,
                out_dir=out_dir,
                schema=schema,
                selection=selection,
                agreement_markdown=card_agreement,
                full=full,
            )
            repull: RepullReport = run_steps(steps, _STAGES)
        except ConnectionProblem as exc:
            fail(str(exc))
    print_repull(repull)


def print_repull(repull: RepullReport) -> None:
    if not repull.incremental:
        if repull.full_reason:
            out.print(f"full pull: {repull.full_reason}", markup=False)
        print_pull_report(repull.report)
        return
    report = repull.report
    read = (
        f"incremental: {repull.fetched} changed task(s) read with {report.annotations} usable "
        f"annotation(s) and {report.cancelled} cancelled/skipped, {repull.deleted} deleted "
        "task(s) dropped"
    )
    print_pull_report(report, read=read)
    if repull.rewrite_reason:
        out.print(f"gold written whole, not patched: {repull.rewrite_reason}", markup=False)
