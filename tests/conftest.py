"""Shared fixtures. Label Studio is a real server: initialised once per run, copied per server."""

from __future__ import annotations

import itertools
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import settings

from eventgold.annotate.labelstudio import server as ls_server_mod
from eventgold.annotate.labelstudio.connection import Session, connect
from eventgold.annotate.labelstudio.server import Credentials, RunningServer

# Property tests explore new examples on every local run; CI replays a fixed set, so that a
# red CI is a change's fault, not a draw's (an example found locally becomes a fixed test).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI") or os.environ.get("EVENTGOLD_HYPOTHESIS") == "ci":
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
TEST_CREDS = Credentials(
    username="admin@eventgold.test",
    # Starts with "-" as a generated password can (1 in 64): init once took it for an option.
    password="-test-password-123",
    token="0123456789abcdef0123456789abcdef01234567",  # test-only token, server on 127.0.0.1
)


@pytest.fixture(scope="session")
def ls_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised Label Studio data folder (~30 s once), copied by every server fixture."""
    template = tmp_path_factory.mktemp("ls-template") / "data"
    ls_server_mod.init_data_dir(template, TEST_CREDS)
    return template


@pytest.fixture(scope="session")
def start_ls(
    ls_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., RunningServer]]:
    """Start extra servers from the template (for crash tests); all are stopped at the end."""
    started: list[RunningServer] = []
    counter = itertools.count()

    def _start(*, data_dir: Path | None = None, port: int | None = None) -> RunningServer:
        if data_dir is None:
            data_dir = tmp_path_factory.mktemp(f"ls-{next(counter)}") / "data"
            ls_server_mod.copy_template(ls_template, data_dir)
        server = ls_server_mod.start(data_dir, TEST_CREDS, port=port or ls_server_mod.free_port())
        started.append(server)
        return server

    yield _start
    for server in started:
        ls_server_mod.stop_pid(server.pid)


@pytest.fixture(scope="session")
def ls_server(start_ls: Callable[..., RunningServer]) -> RunningServer:
    """The run's shared Label Studio server."""
    return start_ls()


@pytest.fixture(scope="session")
def ml_server(start_ls: Callable[..., RunningServer]) -> RunningServer:
    """A Label Studio that may call an ML backend on 127.0.0.1 and post webhooks to it
    (1.23.2 refuses both by default)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ML_BLOCK_LOCAL_IP", "false")
        mp.setenv("SSRF_PROTECTION_ENABLED", "false")
        return start_ls()


@pytest.fixture(scope="session")
def ls_session(ls_server: RunningServer) -> Iterator[Session]:
    with connect(url=ls_server.url, api_key=TEST_CREDS.token) as session:
        yield session


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The commands' cache (push ledgers) in the run's scratch, never the user's."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVENTGOLD_CACHE_DIR", str(cache))
        yield cache


_project_counter = itertools.count()


@pytest.fixture
def project_title(request: pytest.FixtureRequest) -> str:
    """A project title unique to the test, so tests sharing a server never collide."""
    return f"{request.node.name[:40]}-{next(_project_counter)}"


# --- PostgreSQL ---
# Label Studio on PostgreSQL as well as on SQLite. `./dev test` starts a private cluster with
# scripts/postgres.sh and exports EVENTGOLD_TEST_POSTGRES; without it these tests skip, unless
# EVENTGOLD_REQUIRE_POSTGRES is set (CI), where a missing PostgreSQL must fail, not skip.

PG_URL_ENV = "EVENTGOLD_TEST_POSTGRES"
PG_REQUIRE_ENV = "EVENTGOLD_REQUIRE_POSTGRES"
PG_TIMINGS: dict[str, float] = {}  # measured durations, shown in the terminal summary


def _pg_unavailable(reason: str) -> NoReturn:
    if os.environ.get(PG_REQUIRE_ENV):
        pytest.fail(f"{reason} ({PG_REQUIRE_ENV} is set, so PostgreSQL is required)", pytrace=False)
    pytest.skip(f"{reason}; `./dev test` starts one with scripts/postgres.sh")


def pg_with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` instead (same server, user and password)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def pg_where(url: str) -> str:
    """host:port/db of a URL, for messages: never the password."""
    return ls_server_mod.Database(url).describe()


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL to test on (EVENTGOLD_TEST_POSTGRES), checked to accept a connection."""
    url = os.environ.get(PG_URL_ENV, "")
    if not url:
        _pg_unavailable(f"no PostgreSQL to test on: {PG_URL_ENV} is not set")
    try:
        import psycopg
    except ImportError:
        _pg_unavailable("psycopg is not installed (pip install 'psycopg[binary]')")
    try:
        with psycopg.connect(url, connect_timeout=10):
            pass
    except psycopg.Error as exc:
        # The driver's message can quote the connection string; give only where and what.
        _pg_unavailable(f"cannot connect to {pg_where(url)}: {type(exc).__name__}")
    return url


@pytest.fixture(scope="session")
def pg_new_database(pg_url: str) -> Iterator[Callable[..., str]]:
    """Create fresh databases (URLs returned), dropped at the end: runs never share tables.

    `template=<url>` copies that database (it must have no open connections)."""
    import psycopg
    from psycopg import sql

    created: list[str] = []

    def _new(*, template: str = "") -> str:
        name = f"eventgold_test_{os.getpid()}_{secrets.token_hex(4)}"
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            source = urlsplit(template).path.lstrip("/")
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(source))
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(query)
        created.append(name)
        return pg_with_database(pg_url, name)

    yield _new
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for name in reversed(created):  # FORCE: a server a failed test left must not block it
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@dataclass(frozen=True, slots=True)
class PgInitialised:
    data_dir: Path  # Label Studio data folder (no data: that is in the database)
    db_url: str  # the database the run's server uses
    snapshot_url: str  # a copy taken right after migrations, never connected to


@pytest.fixture(scope="session")
def ls_pg_initialised(
    pg_new_database: Callable[..., str], tmp_path_factory: pytest.TempPathFactory
) -> PgInitialised:
    """`label-studio init` on a fresh database (~30-80 s: migrations), then a snapshot of it.

    The snapshot is PostgreSQL's answer to the SQLite template folder: copying it takes <1 s,
    so other servers (e.g. the `eventgold serve --db` test) skip the migrations."""
    db_url = pg_new_database()
    data_dir = tmp_path_factory.mktemp("ls-pg") / "data"
    began = time.monotonic()
    ls_server_mod.init_data_dir(data_dir, TEST_CREDS, db=ls_server_mod.Database(db_url))
    PG_TIMINGS["label-studio init on PostgreSQL"] = time.monotonic() - began
    snapshot_url = pg_new_database(template=db_url)  # before any server connects to db_url
    return PgInitialised(data_dir=data_dir, db_url=db_url, snapshot_url=snapshot_url)


@pytest.fixture(scope="session")
def ls_pg_db_url(ls_pg_initialised: PgInitialised) -> str:
    """The database of the run's PostgreSQL-backed Label Studio (for checking what it stored)."""
    return ls_pg_initialised.db_url


@pytest.fixture(scope="session")
def pg_migrated_database(
    pg_new_database: Callable[..., str], ls_pg_initialised: PgInitialised
) -> Callable[[], str]:
    """New databases with Label Studio's tables already migrated (holding TEST_CREDS' admin)."""
    return lambda: pg_new_database(template=ls_pg_initialised.snapshot_url)


@pytest.fixture(scope="session")
def ls_pg_server(ls_pg_initialised: PgInitialised) -> Iterator[RunningServer]:
    """The run's Label Studio on PostgreSQL."""
    began = time.monotonic()
    server = ls_server_mod.start(
        ls_pg_initialised.data_dir,
        TEST_CREDS,
        port=ls_server_mod.free_port(),
        db=ls_server_mod.Database(ls_pg_initialised.db_url),
    )
    PG_TIMINGS["label-studio start on PostgreSQL"] = time.monotonic() - began
    yield server
    ls_server_mod.stop_pid(server.pid)


@pytest.fixture(scope="session")
def ls_pg_session(ls_pg_server: RunningServer) -> Iterator[Session]:
    with connect(url=ls_pg_server.url, api_key=TEST_CREDS.token) as session:
        yield session


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ls_backend_session(request: pytest.FixtureRequest) -> Session:
    """A Session on Label Studio over SQLite, then over PostgreSQL: round-trip tests take this
    to run on both. Looked up lazily so PostgreSQL only starts when a postgres test runs."""
    name = "ls_pg_session" if request.param == "postgres" else "ls_session"
    return request.getfixturevalue(name)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for what, seconds in PG_TIMINGS.items():
        terminalreporter.write_line(f"{what}: {seconds:.1f} s")


HEAVY_MODULES = ("spacy", "datasets", "pandas", "label_studio_sdk.client", "sklearn")


@pytest.fixture
def heavy_modules_after(tmp_path: Path) -> Callable[[str], list[str]]:
    """Which of `HEAVY_MODULES` a fresh interpreter has imported after running `code`."""

    def run(code: str) -> list[str]:
        probe = (
            f"{code}\nimport sys, json\n"
            f"print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.splitlines()[-1])

    return run


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has ended: a killed run's, which its scratch is named by."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


@pytest.fixture
def scratch_left(dead_pid: int) -> Callable[[Path, str, str], tuple[Path, Path]]:
    """``(folder, prefix, name) -> (stale, live)``: in `folder`, a scratch folder named by
    `prefix` that a killed run left (its process gone, a file `name` in it), and one of this
    process (a run under way)."""
    from eventgold.atomic import scratch_prefix

    def make(folder: Path, prefix: str, name: str) -> tuple[Path, Path]:
        stale = folder / f"{prefix}{dead_pid}.abc"
        stale.mkdir()
        (stale / name).write_text("{}")
        live = folder / f"{scratch_prefix(prefix)}live"
        live.mkdir()
        return stale, live

    return make
