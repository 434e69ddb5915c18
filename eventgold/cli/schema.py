"""`eventgold schema check|show|xml`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from eventgold.annotate.labelstudio.config import to_label_config
from eventgold.cli._app import schema_app
from eventgold.cli._common import (
    DEFAULT_SCHEMA_PATH,
    SCHEMA_HELP,
    SchemaOpt,
    err,
    fail,
    get_schema,
    out,
)
from eventgold.schema import check_schema_file, default_schema_path, describe, schema_warnings

SchemaArg = Annotated[
    Path | None, typer.Argument(help=f"{SCHEMA_HELP} Or --schema.", show_default=False)
]


def _chosen(ctx: typer.Context, path: Path | None, option: Path | None) -> Path:
    """The file given as the argument, else with --schema/-s or EVENTGOLD_SCHEMA (as every
    other command takes it), else the default. Two different files on the command line are
    refused rather than one silently read."""
    source = ctx.get_parameter_source("schema")  # typer's own click: compared by name
    given = source is not None and source.name == "COMMANDLINE"
    if path is not None and option is not None and given and path.resolve() != option.resolve():
        fail(f"two schemas given, {path} and --schema {option}: give one")
    return path or option or default_schema_path()


@schema_app.command("check")
def check_cli(
    ctx: typer.Context, path: SchemaArg = None, schema: SchemaOpt = DEFAULT_SCHEMA_PATH
) -> None:
    """Check a schema file; list every problem, located."""
    path = _chosen(ctx, path, schema)
    loaded, problems = check_schema_file(path)
    if loaded is None:
        fail(f"schema {path} has {len(problems)} problem(s)", problems=problems)
    out.print(
        f"ok: {loaded.name} {loaded.version}: {len(loaded.entities)} entity labels, "
        f"{len(loaded.relations)} relation labels"
    )
    for problem in schema_warnings(loaded):
        err.print(f"warning: {problem}", markup=False)


@schema_app.command("show")
def show_cli(
    ctx: typer.Context, path: SchemaArg = None, schema: SchemaOpt = DEFAULT_SCHEMA_PATH
) -> None:
    """Show the labels and relations a schema declares."""
    loaded = get_schema(_chosen(ctx, path, schema))
    table = Table(title=f"{loaded.name} {loaded.version}")
    for col in ("kind", "label", "detail"):
        table.add_column(col)
    for row in describe(loaded):
        table.add_row(*row)
    out.print(table)


@schema_app.command("xml")
def xml_cli(
    ctx: typer.Context, path: SchemaArg = None, schema: SchemaOpt = DEFAULT_SCHEMA_PATH
) -> None:
    """Print the Label Studio labeling config derived from the schema."""
    out.print(to_label_config(get_schema(_chosen(ctx, path, schema))), markup=False, end="")
