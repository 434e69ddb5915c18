"""Shared fixtures. Label Studio is a real server: initialised once per run, copied per server."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eventgold.annotate.labelstudio import server as ls_server_mod
from eventgold.annotate.labelstudio.connection import Session, connect
from eventgold.annotate.labelstudio.server import Credentials, RunningServer

ROOT = Path(__file__).resolve().parent.parent
TEST_CREDS = Credentials(
    username="admin@eventgold.test",
    password="test-password-123",
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
def ls_session(ls_server: RunningServer) -> Session:
    return connect(url=ls_server.url, api_key=TEST_CREDS.token)


_project_counter = itertools.count()


@pytest.fixture
def project_title(request: pytest.FixtureRequest) -> str:
    """A project title unique to the test, so tests sharing a server never collide."""
    return f"{request.node.name[:40]}-{next(_project_counter)}"
