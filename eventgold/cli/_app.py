"""The one typer app. Command modules in this package register on it when imported."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="eventgold",
    help="Gold datasets for conflict-event extraction: schema, corpus, Label Studio round trip, "
    "gold dataset, and scoring.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
schema_app = typer.Typer(
    help="Check, show and convert the annotation schema.", no_args_is_help=True
)
corpus_app = typer.Typer(
    help="Build the corpus of documents from article files.", no_args_is_help=True
)
app.add_typer(schema_app, name="schema")
app.add_typer(corpus_app, name="corpus")


@app.callback()
def _group() -> None:
    # A callback keeps the app a group of commands when only one command module is imported
    # (`eventgold.cli.commands_for`): typer runs a lone command as the program itself.
    return None
