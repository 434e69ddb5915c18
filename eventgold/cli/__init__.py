"""The `eventgold` command line: one typer app, one module per command (thin wrappers).

A command module registers its command on the app when imported. Importing them all costs
about 0.4 s (their libraries), so the `eventgold` program imports only the module of the
command it runs (`commands_for`); ``from eventgold.cli import app`` gives the app with every
command.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

import typer

from eventgold.cli import _app


def _modules() -> list[str]:
    """The command modules: each public module of this package, named as its command."""
    return [info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]


def commands_for(argv: Sequence[str]) -> typer.Typer:
    """The app, with the command that `argv` (the arguments after the program's name) runs
    registered: only its module when `argv` starts with a command's name, else every command
    (for the list that ``--help`` prints, or the error naming an unknown command)."""
    modules = _modules()
    wanted = [argv[0]] if argv and argv[0] in modules else modules
    for name in wanted:
        importlib.import_module(f"{__name__}.{name}")
    return _app.app


def __getattr__(name: str) -> Any:
    if name == "app":  # every command, for callers that invoke the app themselves
        return commands_for(())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    commands_for(sys.argv[1:])()


__all__ = ["app", "commands_for", "main"]
