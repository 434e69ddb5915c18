"""The `eventgold` command line: one typer app, one module per command (thin wrappers)."""

from __future__ import annotations

import importlib
import pkgutil

from eventgold.cli._app import app


def _register() -> None:
    # Each public module of this package defines commands on `app` when imported.
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_register()


def main() -> None:
    app()


__all__ = ["app", "main"]
