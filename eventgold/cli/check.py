"""`eventgold check --project TITLE`: what pull would not take whole, with links to fix it."""

from __future__ import annotations

from typing import Annotated

import typer

from eventgold.annotate.check import REJECTED, CheckReport, check_project
from eventgold.annotate.labelstudio.connection import connect
from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_HOME_PATH,
    DEFAULT_SCHEMA_PATH,
    MAX_SHOWN,
    ApiKeyOpt,
    HomeOpt,
    SchemaOpt,
    UrlOpt,
    get_schema,
    out,
    run_steps,
    user_errors,
    warn_config_differences,
)

_STAGES = {"check": "reading the export"}


def print_check_report(report: CheckReport, *, title: str) -> None:
    out.print(
        f"project '{title}' (id {report.project_id}): {report.tasks} task(s), "
        f"{report.annotations} submitted annotation(s); pull would reject {report.rejected} "
        f"annotation(s) and leave {report.relations_dropped} relation(s) out"
    )
    warn_config_differences(report.config_differences)
    for f in report.findings[:MAX_SHOWN]:
        verdict = "rejected whole" if f.kind == REJECTED else "relation left out"
        head = f"task {f.task_id} ('{f.doc_id}'), annotation {f.annotation_id} by {f.annotator}"
        detail = "" if f.kind == REJECTED else f" {f.what}:"
        out.print(f"  - {head}: {verdict}:{detail}", markup=False)
        for p in f.problems:
            out.print(f"      {p.message} [{p.code}]", markup=False)
        out.print(f"      fix it: {f.link}", markup=False)
    if len(report.findings) > MAX_SHOWN:
        out.print(f"  … and {len(report.findings) - MAX_SHOWN} more")


@app.command("check")
def check_cli(
    project: Annotated[str, typer.Option("--project", help="Project title (exact).")],
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    home: HomeOpt = DEFAULT_HOME_PATH,
    schema_path: SchemaOpt = DEFAULT_SCHEMA_PATH,
) -> None:
    """List the submitted annotations that pull would reject or trim, with links to fix them.

    Exits 1 when there is any, so it can gate a pull."""
    schema = get_schema(schema_path)
    with user_errors():
        session = connect(url=url, api_key=api_key, home=home)
        report: CheckReport = run_steps(
            check_project(session, project_title=project, schema=schema), _STAGES
        )
    print_check_report(report, title=project)
    if report.findings:
        raise typer.Exit(1)
