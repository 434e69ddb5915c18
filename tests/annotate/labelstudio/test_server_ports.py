"""What `eventgold serve` and `eventgold backend serve` refuse before anything starts (a port,
a host, a home), with the option and the value; and where commands look for the local server."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.labelstudio import server as srv
from eventgold.annotate.labelstudio.connection import ConnectionProblem, resolve
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


def test_a_home_that_is_a_file_is_refused_before_the_first_run_is_announced(
    tmp_path: Path,
) -> None:
    home = srv.Home(tmp_path / "home")
    home.root.write_text("not a folder")
    with pytest.raises(srv.ServerError) as caught:
        srv.serve(home, host="127.0.0.1", port=srv.free_port())
    message = f"--home {home.root} is a file, not a folder; give a folder (made if missing)"
    assert str(caught.value) == message
    args = ["serve", "--home", str(home.root), "--port", str(srv.free_port())]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and f"error: {message}" in result.output
    assert "first run" not in result.output
    assert home.root.read_text() == "not a folder"


@pytest.mark.labelstudio
def test_serve_twice_from_one_home_says_it_runs_and_how_to_stop_that_home(
    ls_server: srv.RunningServer, tmp_path: Path
) -> None:
    """Also on the port it runs on (that was called a busy port), and the stop command names
    the home (`eventgold serve stop` looked in ./.eventgold)."""
    home = srv.Home(tmp_path / "home")
    home.root.mkdir()
    home.state.write_text(json.dumps({"url": ls_server.url, "pid": ls_server.pid}))
    port = int(ls_server.url.rsplit(":", 1)[1])
    args = ["serve", "--home", str(home.root), "--port", str(port), "--detach"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert f"error: a server for {home.root} is already running at {ls_server.url} (pid " in (
        result.output
    )
    assert f"stop it with `eventgold serve --home {home.root} stop`" in result.output


def test_no_server_to_talk_to_names_the_home_looked_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    home = tmp_path / "elsewhere"
    with pytest.raises(ConnectionProblem) as caught:
        resolve(url=None, api_key=None, home=home)
    assert str(caught.value) == (
        "no Label Studio to talk to: pass --url and --api-key, set LABEL_STUDIO_URL and "
        f"LABEL_STUDIO_API_KEY, or start the local one with `eventgold serve --home {home}` "
        f"(none was started from {home})"
    )


def test_a_damaged_credentials_or_server_record_is_named_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both are JSON that `serve` writes; a truncated one ended every command in a JSON
    traceback. The credentials' content (a password, a token) is never shown."""
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    home = srv.Home(tmp_path / "home")
    home.root.mkdir()
    home.credentials.write_text('{"username": "a@b.c", "password": "PASSW0RD", "tok')
    damaged = (
        f"{home.credentials} is damaged (not the JSON of a username, password and token that "
        "`eventgold serve` wrote); it holds the local server's admin password and API token: "
        "restore it from a backup (commands that talk to a server also take --url and --api-key)"
    )
    with pytest.raises(ConnectionProblem) as caught:
        resolve(url=None, api_key=None, home=home.root)
    assert str(caught.value) == damaged
    args = ["serve", "--home", str(home.root), "--port", str(srv.free_port())]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and f"error: {damaged}" in result.output
    assert "first run" not in result.output and "PASSW0RD" not in result.output
    result = CliRunner().invoke(app, ["check", "--project", "p", "--home", str(home.root)])
    assert result.exit_code == 1 and f"error: {damaged}" in result.output

    srv.save_credentials(home.credentials, TEST_CREDS)
    home.state.write_text("")  # the state alone damaged
    record = (
        f"{home.state} is damaged (not the JSON of a url and a pid that `eventgold serve` wrote); "
        "if its server still runs, stop it by its pid (`ps aux | grep label-studio`), then delete "
        "that file"
    )
    for command in (["serve", "status"], ["serve", "stop"], ["check", "--project", "p"]):
        result = CliRunner().invoke(app, [*command, "--home", str(home.root)])
        assert result.exit_code == 1 and "Traceback" not in result.output, command
        assert f"error: {record}" in result.output, command
    assert TEST_CREDS.token not in result.output


@pytest.mark.labelstudio
def test_a_failed_init_says_why_without_the_database_password(tmp_path: Path) -> None:
    """`label-studio init failed (exit 1); see init.log` was all: the cause (here a database
    that refuses the connection) was in the log only."""
    port = srv.free_port()  # nothing listens there
    db = srv.Database(f"postgres://user:S3CRETPW@127.0.0.1:{port}/db")
    with pytest.raises(srv.ServerError) as caught:
        srv.init_data_dir(tmp_path / "data", TEST_CREDS, db=db)
    message = str(caught.value)
    assert message.startswith("label-studio init failed (exit 1): django.db.utils.")
    assert f"port {port} failed: Connection refused; see " in message
    assert message.endswith("init.log") and "S3CRETPW" not in message


def test_the_reason_taken_from_a_log_masks_the_secrets(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text(
        "Traceback (most recent call last):\n  File x\n"
        "RuntimeError: token 0123abcd refused for S3CRETPW\nsome hint after it\n\n"
    )
    assert srv.log_reason(log, hide=("0123abcd", "S3CRETPW", "")) == (
        ": RuntimeError: token *** refused for ***"
    )
    log.write_text("starting\nno exception here\n")
    assert srv.log_reason(log, hide=()) == ": no exception here"
    log.write_text("")
    assert srv.log_reason(log, hide=()) == ""
    assert srv.log_reason(tmp_path / "missing.log", hide=()) == ""
