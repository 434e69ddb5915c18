"""`eventgold adjudicate INPUT... --strategy S --out FILE`: merge annotations into gold."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eventgold.annotate.adjudication.merge import (
    DECIDED,
    LEFT_OUT,
    STRATEGIES,
    TIE_RULES,
    adjudicate,
    review_paths,
    write_review,
)
from eventgold.annotate.sources import sources_for_adjudication
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
    open_session,
    out,
    print_problems,
    schema_file,
    user_errors,
)
from eventgold.cli.agree import InputsArg, report_sources
from eventgold.documents import write_documents
from eventgold.paths import require_distinct_paths
from eventgold.problems import allowed


@app.command("adjudicate")
def adjudicate_cli(
    strategy: Annotated[
        str,
        typer.Option(
            "--strategy", help=f"How to merge: {allowed(STRATEGIES)}.", show_default=False
        ),
    ],
    out_path: Annotated[
        Path, typer.Option("--out", help="Merged gold JSONL to write.", show_default=False)
    ],
    inputs: InputsArg = None,
    review: Annotated[
        Path | None,
        typer.Option(
            "--review",
            help="Review file: X.md and X.jsonl are written. Default: beside --out.",
        ),
    ] = None,
    annotator: Annotated[
        str | None, typer.Option(help="Annotator to take (strategy 'annotator').")
    ] = None,
    tie: Annotated[str, typer.Option(help=f"Majority tie rule: {allowed(TIE_RULES)}.")] = "drop",
    senior: Annotated[
        str | None, typer.Option(help="Senior annotator for the 'senior' tie rule.")
    ] = None,
    push: Annotated[
        bool,
        typer.Option("--push", help="Send the merged documents to --project as ground truth."),
    ] = False,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            help="Label Studio project: the --push target, and the source of annotations "
            "when no inputs are given.",
        ),
    ] = None,
    schema_path: SchemaOpt = DEFAULT_SCHEMA_PATH,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    home: HomeOpt = DEFAULT_HOME_PATH,
) -> None:
    """Merge several annotations of each document into gold, and list what to review."""
    if push and project is None:
        fail("--push needs --project TITLE")
    review_path = review if review is not None else out_path.with_suffix(".review.md")
    with user_errors():
        outputs = [("--out", out_path), *(("--review", p) for p in review_paths(review_path))]
        named = {str(p): p for p in inputs or ()} | {"--schema": schema_file(schema_path)}
        require_distinct_paths(named, outputs)
    schema = get_schema(schema_path)
    # Connect before any work, so a wrong key fails fast rather than after merging.
    session = open_session(url, api_key, home) if push else None
    with user_errors():
        sources = sources_for_adjudication(
            inputs or (),
            project,
            schema=schema,
            session=lambda: session or open_session(url, api_key, home),
        )
    groups = report_sources(sources)
    with user_errors():
        merged, entries = adjudicate(
            groups, schema, strategy=strategy, annotator=annotator, senior=senior, tie=tie
        )
    left_out = [e for e in entries if e.kind == LEFT_OUT]
    for entry in left_out[:20]:
        err.print(f"warning: {entry.message}", markup=False)
    if not merged:
        fail("nothing merged: no document had an annotation the strategy could use")
    with user_errors():
        write_documents(out_path, merged)
        written = write_review(review_path, entries, title=f"Adjudication review ({strategy})")
    to_check = sum(e.kind != DECIDED for e in entries)
    out.print(f"wrote {len(merged)} merged document(s) to {out_path}")
    out.print(f"review: {', '.join(map(str, written))} ({to_check} item(s) to check)")
    if push and project is not None and session is not None:
        from eventgold.annotate.adjudication.ground_truth import push_ground_truth

        with user_errors():
            report = push_ground_truth(
                session, project_title=project, documents=merged, schema=schema
            )
        out.print(
            f"ground truth in project '{project}': {report.created} added, "
            f"{report.unchanged} already there, {len(report.problems)} not pushed"
        )
        if report.problems:
            print_problems(report.problems, title=f"{len(report.problems)} not pushed:")
            raise typer.Exit(1)
