"""`eventgold schema check|show|xml`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from eventgold.annotate.cli._app import schema_app
from eventgold.annotate.cli._common import (
    DEFAULT_SCHEMA_PATH,
    SCHEMA_HELP,
    err,
    fail,
    get_schema,
    out,
)
from eventgold.annotate.schema import (
    check_schema_file,
    default_schema_path,
    describe,
    schema_warnings,
    to_label_config,
)

SchemaArg = Annotated[
    Path | None,
    typer.Argument(
        help=SCHEMA_HELP, envvar="EVENTGOLD_SCHEMA", show_envvar=True, show_default=False
    ),
]


@schema_app.command("check")
def check_cli(path: SchemaArg = DEFAULT_SCHEMA_PATH) -> None:
    """Check a schema file; list every problem, located."""
    path = path if path is not None else default_schema_path()
    schema, problems = check_schema_file(path)
    if schema is None:
        fail(f"schema {path} has {len(problems)} problem(s)", problems=problems)
    out.print(
        f"ok: {schema.name} {schema.version}: {len(schema.entities)} entity labels, "
        f"{len(schema.relations)} relation labels"
    )
    for problem in schema_warnings(schema):
        err.print(f"warning: {problem}", markup=False)


@schema_app.command("show")
def show_cli(path: SchemaArg = DEFAULT_SCHEMA_PATH) -> None:
    """Show the labels and relations a schema declares."""
    schema = get_schema(path)
    table = Table(title=f"{schema.name} {schema.version}")
    for col in ("kind", "label", "detail"):
        table.add_column(col)
    for row in describe(schema):
        table.add_row(*row)
    out.print(table)


@schema_app.command("xml")
def xml_cli(path: SchemaArg = DEFAULT_SCHEMA_PATH) -> None:
    """Print the Label Studio labeling config derived from the schema."""
    out.print(to_label_config(get_schema(path)), markup=False, end="")
