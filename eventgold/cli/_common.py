"""What every command shares: consoles, option types, and how problems end a command.

Only the CLI prints or exits; library functions return data or raise `ProblemsError`.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from label_studio_sdk.core.api_error import ApiError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar

from eventgold.annotate.labelstudio.connection import ConnectionProblem, Session, connect
from eventgold.annotate.labelstudio.server import DEFAULT_HOME, ServerError
from eventgold.problems import Problem, ProblemsError
from eventgold.progress import Steps
from eventgold.schema import Schema, default_schema_path, load_schema

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SCHEMA_HELP = (
    "Schema file (YAML). Default: schemas/conflict_events.yaml in the current folder if there "
    "is one, else the shipped schema."
)
SchemaOpt = Annotated[
    Path | None,
    typer.Option("--schema", "-s", help=SCHEMA_HELP, envvar="EVENTGOLD_SCHEMA", show_envvar=True),
]
DEFAULT_SCHEMA_PATH = None  # `get_schema` then takes `default_schema_path()`

R = TypeVar("R")

UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", help="Label Studio URL (else LABEL_STUDIO_URL, else the server of --home)."
    ),
]
ApiKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help="Label Studio API key or personal access token (else LABEL_STUDIO_API_KEY).",
        show_default=False,
    ),
]

HOME_ENV = "EVENTGOLD_HOME"
HOME_HELP = (
    "Folder of the local Label Studio that `eventgold serve` runs (its data, credentials and "
    "address); commands find that server and its key there when no --url/--api-key is given."
)
HomeOpt = Annotated[Path, typer.Option("--home", help=HOME_HELP, envvar=HOME_ENV, show_envvar=True)]
DEFAULT_HOME_PATH = DEFAULT_HOME

MAX_SHOWN = 50


def progress_bar() -> Bar:
    """The progress bar of long commands, on stderr so stdout stays clean, cleared when done;
    none when stderr is not a terminal (a log or a pipe would only get a stray blank line)."""
    return Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def run_steps(steps: Steps[R], stages: Mapping[str, str]) -> R:
    """Run a long operation, one bar per stage (described by `stages`, else by its name);
    return its result. The bar starts with the first progress, so errors raised before it
    (bad input, a project check) print without one."""
    try:
        first = next(steps)
    except StopIteration as stop:
        return stop.value
    with progress_bar() as bar:
        bars: dict[str, TaskID] = {}
        event = first
        while True:
            if event.stage not in bars:
                described = stages.get(event.stage, event.stage)
                bars[event.stage] = bar.add_task(described, total=event.total)
            bar.update(bars[event.stage], completed=event.done, total=event.total)
            try:
                event = next(steps)
            except StopIteration as stop:
                return stop.value


def print_problems(problems: Sequence[Problem], *, title: str = "") -> None:
    if title:
        err.print(f"[bold red]{title}[/]", markup=True)
    for p in problems[:MAX_SHOWN]:
        err.print(f"  - {p}", markup=False)
    if len(problems) > MAX_SHOWN:
        err.print(f"  … and {len(problems) - MAX_SHOWN} more", markup=False)


def fail(message: str, *, problems: Sequence[Problem] = (), code: int = 1) -> NoReturn:
    """Print a one-line error (and its located problems) to stderr and exit non-zero."""
    err.print(f"[bold red]error:[/] {message}", markup=True) if message else None
    print_problems(problems)
    raise typer.Exit(code)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn expected failures into one clear message and exit 1, never a traceback."""
    try:
        yield
    except KeyboardInterrupt:
        fail(
            "interrupted: nothing half-written was kept (files are replaced atomically); run "
            "the command again to finish (a re-run never duplicates what is already done)",
            code=130,
        )
    except ProblemsError as exc:
        fail(exc.summary or "invalid input", problems=exc.problems)
    except (ConnectionProblem, ServerError) as exc:
        fail(str(exc))
    except ApiError as exc:
        fail(f"Label Studio refused the request: HTTP {exc.status_code}: {api_detail(exc.body)}")
    except OSError as exc:  # a path that is a folder, not one, unreadable, ...
        if exc.filename is None and exc.errno in _DEVICE_ERRNOS:
            fail(
                f"{exc.strerror}: free space or fix the disk, then run again (files are written "
                "atomically: nothing half-written was kept)"
            )
        if exc.filename is None:  # not about a path the user gave: a bug, keep its traceback
            raise
        reason = next((m for t, m in _OS_ERRORS.items() if isinstance(exc, t)), exc.strerror)
        fail(f"{reason}: {exc.filename}")


# Failures of the disk rather than of an input: a write says so without naming a file.
_DEVICE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})

# What an `OSError` about a path means for the user, most specific first.
_OS_ERRORS: dict[type[OSError], str] = {
    FileNotFoundError: "file not found",
    FileExistsError: "a file where a folder is expected",
    IsADirectoryError: "a folder where a file is expected",
    NotADirectoryError: "not a folder",
    PermissionError: "permission denied",
}


def api_detail(body: object) -> str:
    """The useful part of a Label Studio error body (validation errors or detail), short."""
    if isinstance(body, dict):
        found = body.get("validation_errors") or body.get("detail") or body
        return str(found)[:300]
    return str(body)[:300]


def open_session(url: str | None, api_key: str | None, home: Path = DEFAULT_HOME) -> Session:
    """Connect to Label Studio (`home`: where `eventgold serve` keeps the local server) or end
    the command with one line (never the key)."""
    with user_errors():
        return connect(url=url, api_key=api_key, home=home)


def schema_file(path: Path | None) -> Path:
    """The schema file a command reads: `path`, else `default_schema_path()` (an input that
    no output may overwrite)."""
    return path if path is not None else default_schema_path()


def get_schema(path: Path | None) -> Schema:
    """The schema at `path`, or at `default_schema_path()` if None; errors end the command."""
    with user_errors():
        return load_schema(schema_file(path))


def warn_config_differences(differences: Sequence[str]) -> None:
    """Warn (stderr) that a project's labels differ from the schema's, one line a difference."""
    if differences:
        err.print(
            "warning: the project's labels differ from the schema's, so annotations with a "
            "label the schema lacks are rejected" + "".join(f"\n  - {d}" for d in differences),
            markup=False,
        )
