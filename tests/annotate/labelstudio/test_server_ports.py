"""Where a local server (`eventgold serve`, `eventgold backend serve`) cannot listen: refused
before anything starts, with the option and the value; no server needed."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.labelstudio import server as srv
from eventgold.cli import app

from ...conftest import TEST_CREDS


@pytest.mark.parametrize("port", [0, -1, 65536, 99999])
def test_a_port_out_of_range_is_refused_with_the_range(tmp_path: Path, port: int) -> None:
    # 0 was taken by the system for "any free port": Label Studio then started elsewhere and
    # `serve` waited two minutes for it on port 0; 99999 ended in a traceback.
    home = srv.Home(tmp_path / "home")
    with pytest.raises(srv.ServerError) as caught:
        srv.serve(home, host="127.0.0.1", port=port)
    assert str(caught.value) == f"--port must be 1 to 65535, got {port}"
    assert not home.root.exists()
    result = CliRunner().invoke(app, ["serve", "--home", str(home.root), "--port", str(port)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"error: --port must be 1 to 65535, got {port}" in result.output
    assert "first run" not in result.output


def test_a_host_that_is_not_this_machine_is_named_not_called_a_busy_port(tmp_path: Path) -> None:
    home = srv.Home(tmp_path / "home")
    with pytest.raises(srv.ServerError) as caught:
        srv.serve(home, host="192.0.2.1", port=srv.free_port())  # TEST-NET-1: never local
    assert str(caught.value) == (
        "cannot listen on --host 192.0.2.1: not an address of this machine; give one of its "
        "addresses (127.0.0.1 for this machine only, 0.0.0.0 for every interface)"
    )
    with pytest.raises(srv.ServerError, match=r"^cannot listen on --host 'no-such-host\.invalid'"):
        srv.serve(home, host="no-such-host.invalid", port=srv.free_port())
    assert not home.root.exists()


def test_backend_serve_refuses_a_busy_port_before_loading_a_model() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["backend", "serve", "--model", "rules", "--port", str(port)]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith(
        f"error: port {port} on 127.0.0.1 is already in use; choose another with --port"
    )
    assert "eventgold backend" not in result.output  # no address announced that never served
    result = CliRunner().invoke(app, ["backend", "serve", "--model", "rules", "--port", "99999"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error: --port must be 1 to 65535, got 99999" in result.output


@pytest.mark.labelstudio
def test_an_interrupted_start_leaves_no_server_running(
    ls_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while Label Studio starts: the server, in its own session, was left running with
    no state file, so `serve stop` could not find it."""
    data_dir = tmp_path / "data"
    srv.copy_template(ls_template, data_dir)
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def recorded(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        proc = popen(*args, **kwargs)  # type: ignore[call-overload]
        started.append(proc)
        return proc

    def interrupted(url: str, *, timeout: float = 2.0) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(srv.subprocess, "Popen", recorded)
    monkeypatch.setattr(srv, "health", interrupted)
    with pytest.raises(KeyboardInterrupt):
        srv.start(data_dir, TEST_CREDS, port=srv.free_port())
    assert len(started) == 1
    assert started[0].poll() is not None  # stopped, not left behind
