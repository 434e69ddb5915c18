"""`eventgold serve [--detach]`, `eventgold serve stop`, `eventgold serve status`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from eventgold.annotate.labelstudio import server as srv
from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_HOME_PATH,
    HOME_ENV,
    HOME_HELP,
    HomeOpt,
    err,
    fail,
    out,
    user_errors,
)

serve_app = typer.Typer(
    help="Run a local Label Studio (SQLite by default) for annotators.", invoke_without_command=True
)
app.add_typer(serve_app, name="serve")

# `serve stop --home X` and `serve --home X stop` both work: the subcommand's own --home wins,
# else the one given to `serve` (which also reads EVENTGOLD_HOME), else the default.
SubHomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help=f"{HOME_HELP} Default: serve's --home, else {HOME_ENV}."),
]


def _home(ctx: typer.Context, home: Path | None) -> srv.Home:
    if home is not None:
        return srv.Home(home)
    given = ctx.obj if isinstance(ctx.obj, srv.Home) else None
    return given or srv.Home(DEFAULT_HOME_PATH)


@serve_app.callback(invoke_without_command=True)
def serve_cli(
    ctx: typer.Context,
    home: HomeOpt = DEFAULT_HOME_PATH,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (refused if busy).")] = srv.DEFAULT_PORT,
    db: Annotated[
        str,
        typer.Option(
            help="postgres://user:password@host:port/db to run on PostgreSQL; default SQLite.",
            envvar="EVENTGOLD_DB",
        ),
    ] = "",
    detach: Annotated[bool, typer.Option("--detach", help="Start and return.")] = False,
    show_token: Annotated[
        bool, typer.Option("--show-token", help="Print the admin API token (secret).")
    ] = False,
) -> None:
    """Start the local Label Studio, creating its admin user and token on first run."""
    the_home = srv.Home(home)
    if ctx.invoked_subcommand is not None:
        ctx.obj = the_home  # for `serve --home X stop|status`
        return
    try:
        with user_errors():
            srv.check_serve(the_home, host=host, port=port)  # before a long first run starts
            if not (the_home.data_dir / ".eventgold-initialised").exists():
                err.print("first run: initialising Label Studio (about 30 s)…")
            server = srv.serve(the_home, host=host, port=port, db=srv.Database(db))
    except srv.ServerError as exc:
        fail(str(exc))
    creds = server.credentials
    out.print(f"Label Studio is up at {server.url} ({srv.Database(db).describe()})")
    out.print(f"  annotators log in as: {creds.username}")
    out.print(f"  password and API token: in {the_home.credentials} (owner-only)")
    if show_token:
        out.print(f"  API token: {creds.token}")
    if srv.home_option(the_home):
        out.print(
            f"  other commands find this server with --home {the_home.root} or "
            f"{HOME_ENV}={the_home.root}"
        )
    else:
        out.print("  other commands find this server automatically from this folder")
    if detach:
        out.print(f"  stop it with: eventgold serve{srv.home_option(the_home)} stop")
        return
    out.print("  press Ctrl+C to stop")
    try:
        while srv.running_server(the_home) is not None:
            time.sleep(2)
        fail("the server stopped unexpectedly; see " + str(the_home.data_dir / "server.log"))
    except KeyboardInterrupt:
        srv.stop_home(the_home)
        out.print("stopped")


@serve_app.command("stop")
def stop_cli(ctx: typer.Context, home: SubHomeOpt = None) -> None:
    """Stop the local Label Studio started from this folder."""
    the_home = _home(ctx, home)
    with user_errors():
        stopped = srv.stop_home(the_home)
    out.print("stopped" if stopped else "no server was running")


@serve_app.command("status")
def status_cli(ctx: typer.Context, home: SubHomeOpt = None) -> None:
    """Say whether the local Label Studio is running, and where."""
    the_home = _home(ctx, home)
    with user_errors():
        state = srv.running_server(the_home)
    if state is None:
        fail(
            f"no local Label Studio is running from {the_home.root} (start one with "
            f"`eventgold serve{srv.home_option(the_home)}`)"
        )
    out.print(f"running at {state['url']} (pid {state['pid']}, {state.get('db', 'SQLite')})")
