"""One way to name the local server's home for every command: --home or EVENTGOLD_HOME
(issue 18, defect 5)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.labelstudio import server as srv
from eventgold.cli import app
from eventgold.documents import Document, write_documents
from tests.conftest import TEST_CREDS

runner = CliRunner()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen]:
    """A process in its own session, standing in for a server that `serve stop` stops."""
    proc = subprocess.Popen(["sleep", "120"], start_new_session=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


@pytest.fixture
def home_server() -> Iterator[Callable[[Path], subprocess.Popen]]:
    """Start a process that stands in for the Label Studio of a home: in its own session, and
    with a command line that names label-studio and the home's data folder, as `start` runs
    it (`serve stop` stops nothing else)."""
    started: list[subprocess.Popen] = []

    def start(home: Path) -> subprocess.Popen:
        data_dir = srv.Home(home).data_dir.resolve()
        argv = [sys.executable, "-c", "import time; time.sleep(120)", "label-studio", "start"]
        proc = subprocess.Popen([*argv, "--data-dir", str(data_dir)], start_new_session=True)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from a folder without a default home, with no Label Studio in the environment."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    for name in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY", "EVENTGOLD_HOME"):
        monkeypatch.delenv(name, raising=False)
    return cwd


def record(home: Path, url: str, pid: int) -> None:
    """What `eventgold serve` leaves in its home: credentials and the server's address."""
    srv.save_credentials(srv.Home(home).credentials, TEST_CREDS)
    srv.Home(home).state.write_text(json.dumps({"url": url, "pid": pid, "db": "SQLite"}))


@pytest.mark.parametrize(
    "where", [["serve", "--home", "{home}", "stop"], ["serve", "stop", "--home", "{home}"]]
)
def test_serve_stop_takes_the_home_before_or_after_stop(
    tmp_path: Path, elsewhere: Path, home_server: Callable[[Path], subprocess.Popen],
    where: list[str],
) -> None:  # fmt: skip
    home = tmp_path / "my-home"
    server = home_server(home)
    record(home, "http://127.0.0.1:9", server.pid)
    result = runner.invoke(app, [w.format(home=home) for w in where])
    assert result.exit_code == 0, result.output
    assert result.stdout == "stopped\n"
    assert server.wait(timeout=10) is not None and not srv.Home(home).state.exists()


def test_serve_stop_takes_the_home_from_the_environment(
    tmp_path: Path, elsewhere: Path, home_server: Callable[[Path], subprocess.Popen]
) -> None:
    home = tmp_path / "env-home"
    server = home_server(home)
    record(home, "http://127.0.0.1:9", server.pid)
    result = runner.invoke(app, ["serve", "stop"], env={"EVENTGOLD_HOME": str(home)})
    assert result.exit_code == 0 and result.stdout == "stopped\n"
    assert server.wait(timeout=10) is not None


def test_serve_stop_leaves_alone_a_process_that_took_the_recorded_pid(
    tmp_path: Path, elsewhere: Path, sleeper: subprocess.Popen,
    home_server: Callable[[Path], subprocess.Popen],
) -> None:  # fmt: skip
    """After a crash or a reboot the recorded pid is any program's: `serve stop` killed it (and
    its process group), while `serve status` said nothing ran. So is another home's server."""
    home = tmp_path / "my-home"
    other = home_server(tmp_path / "other-home")
    for pid in (sleeper.pid, other.pid):
        record(home, "http://127.0.0.1:9", pid)
        result = runner.invoke(app, ["serve", "--home", str(home), "stop"])
        assert result.exit_code == 0 and result.stdout == "no server was running\n"
        assert not srv.Home(home).state.exists()  # the stale record is dropped
    assert sleeper.poll() is None and other.poll() is None  # both still run


@pytest.mark.labelstudio
def test_serve_status_takes_the_home_before_or_after_status(
    ls_server, tmp_path: Path, elsewhere: Path, sleeper: subprocess.Popen
) -> None:
    home = tmp_path / "my-home"
    record(home, ls_server.url, sleeper.pid)
    running = f"running at {ls_server.url} (pid {sleeper.pid}, SQLite)\n"
    for args in (
        ["serve", "--home", str(home), "status"],
        ["serve", "status", "--home", str(home)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and result.stdout == running, result.output
    result = runner.invoke(app, ["serve", "status"], env={"EVENTGOLD_HOME": str(home)})
    assert result.exit_code == 0 and result.stdout == running
    result = runner.invoke(app, ["serve", "status"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: no local Label Studio is running from .eventgold (start one with `eventgold "
        "serve`)\n"
    )


@pytest.mark.labelstudio
@pytest.mark.parametrize("by", ["option", "environment"])
def test_every_server_command_finds_the_server_from_the_home(
    ls_server, tmp_path: Path, elsewhere: Path, sleeper: subprocess.Popen, by: str
) -> None:
    home = tmp_path / "my-home"
    record(home, ls_server.url, sleeper.pid)
    corpus = tmp_path / "corpus.jsonl"
    write_documents(corpus, [Document(id="h1", text="Gunmen struck Kabul.")])
    title = f"home-{by}"
    missing = "no-such-project-for-home"
    merged = str(tmp_path / "merged.jsonl")
    inputs = tmp_path / "a.jsonl"
    write_documents(
        inputs, [Document(id="h1", text="Gunmen struck Kabul.", meta={"annotator": "x"})]
    )
    commands = [
        (["push", "--project", title, "--corpus", str(corpus)], 0, "1 task(s) imported"),
        (["pull", "--project", title, "--out", str(tmp_path / "gold")], 0, "from 1 task(s)"),
        (["agree", "--project", missing], 1, f"project '{missing}' not found"),
        (
            ["adjudicate", str(inputs), "--strategy", "majority", "--out", merged, "--push",
             "--project", missing],
            1,
            f"project '{missing}' not found",
        ),
        (["check", "--project", missing], 1, f"project '{missing}' not found"),
        (["users", "add", "home@example.org", "--project", missing], 1, f"project '{missing}' not found"),
        (["backend", "order", "--project", missing], 1, f"project '{missing}' not found"),
        (
            ["backend", "connect", "--project", missing, "--url", "http://127.0.0.1:9"],
            1,
            f"project '{missing}' not found",
        ),
        (
            ["backend", "serve", "--model", "rules", "--project", missing],
            1,
            f"project '{missing}' not found",
        ),
    ]  # fmt: skip
    for args, code, said in commands:
        if by == "option":
            result = runner.invoke(app, [*args, "--home", str(home)])
        else:
            result = runner.invoke(app, args, env={"EVENTGOLD_HOME": str(home)})
        assert result.exit_code == code, (args, result.output)
        assert said in result.output, (args, result.output)
        assert "no Label Studio to talk to" not in result.output
        assert TEST_CREDS.token not in result.output
    result = runner.invoke(app, ["agree", "--project", missing])  # the default home: none
    assert result.exit_code == 1 and "no Label Studio to talk to" in result.output
