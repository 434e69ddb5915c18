"""A local Label Studio on SQLite (the embedded default) or PostgreSQL: init, start, stop.

Facts this module is built on (measured with label-studio 1.23):
- a fresh data folder takes ~30 s to initialise, a copy of an initialised one starts in ~4 s,
  so `init_template` runs `label-studio init` once and `start` copies the template;
- if the requested port is busy Label Studio silently moves to another one, so we check the
  port is free first, then poll `/health` on the port we asked for while checking the process
  is alive;
- `LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true` lets the fixed admin token work on a new org;
- the analytics, Sentry and version-check variables keep it off the network.
Secrets live in a credentials file readable only by its owner and never appear in messages.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.request import urlopen

from eventgold.atomic import atomic_file

DEFAULT_HOME = Path(".eventgold")
DEFAULT_PORT = 8080
_QUIET_ENV = {
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
    "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
}


class ServerError(RuntimeError):
    """The local server could not be initialised, started or stopped; the message says why."""


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str
    token: str

    def __repr__(self) -> str:  # never leak secrets through logs or tracebacks
        return f"Credentials(username={self.username!r}, password=***, token=***)"

    @classmethod
    def generate(cls, username: str = "admin@eventgold.local") -> Credentials:
        return cls(
            username=username, password=secrets.token_urlsafe(18), token=secrets.token_hex(20)
        )


def save_credentials(path: Path, creds: Credentials) -> None:
    """Write credentials to `path` with mode 0600 (created that way, never world-readable)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, private=True) as fh:
        json.dump(
            {"username": creds.username, "password": creds.password, "token": creds.token}, fh
        )


def load_credentials(path: Path) -> Credentials | None:
    """The credentials saved at `path`, None if there is no such file; a damaged file is a
    `ServerError` that names it (never its content: it holds the password and the token)."""
    path = Path(path)
    if not path.exists():
        return None
    data = _read_record(path, ("username", "password", "token"))
    if data is None:
        raise ServerError(
            f"{path} is damaged (not the JSON of a username, password and token that "
            "`eventgold serve` wrote); it holds the local server's admin password and API "
            "token: restore it from a backup (commands that talk to a server also take --url "
            "and --api-key)"
        )
    return Credentials(
        username=str(data["username"]), password=str(data["password"]), token=str(data["token"])
    )


def _read_record(path: Path, keys: tuple[str, ...]) -> dict[str, object] | None:
    """The JSON object at `path` if it has every one of `keys`, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) and all(k in data for k in keys) else None


@dataclass(frozen=True, slots=True)
class Database:
    """Where Label Studio keeps its data: SQLite in the data folder, or a PostgreSQL URL."""

    url: str = ""  # "" means SQLite; else postgres://user:pass@host:port/name

    def env(self) -> dict[str, str]:
        if not self.url:
            return {}
        parts = urlsplit(self.url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise ServerError(
                f"--db must be a postgres://user:password@host:port/database URL, got scheme "
                f"'{parts.scheme}'"
            )
        return {
            "DJANGO_DB": "default",
            "POSTGRE_NAME": parts.path.lstrip("/") or "postgres",
            "POSTGRE_USER": parts.username or "postgres",
            "POSTGRE_PASSWORD": parts.password or "",
            "POSTGRE_HOST": parts.hostname or "localhost",
            "POSTGRE_PORT": str(parts.port or 5432),
        }

    @property
    def password(self) -> str:
        return (urlsplit(self.url).password or "") if self.url else ""

    def describe(self) -> str:
        if not self.url:
            return "SQLite"
        parts = urlsplit(self.url)
        return f"PostgreSQL {parts.hostname}:{parts.port or 5432}/{parts.path.lstrip('/')}"


_EXCEPTION_LINE = re.compile(r"^[\w.]+(?:Error|Exception|Exit): \S")


def log_reason(log: Path, *, hide: tuple[str, ...]) -> str:
    """``": <why>"``: the last exception line of a failed run's log (say, a database that
    refused the connection), else its last line, with any of `hide` (secrets) masked; "" if the
    log is empty."""
    try:
        lines = [
            ln.strip() for ln in log.read_text(encoding="utf-8", errors="replace").splitlines()
        ]
    except OSError:
        return ""
    last = next((ln for ln in reversed(lines) if _EXCEPTION_LINE.match(ln)), "") or next(
        (ln for ln in reversed(lines) if ln), ""
    )
    for secret in hide:
        if secret:
            last = last.replace(secret, "***")
    return f": {last[:300]}" if last else ""


def label_studio_bin() -> str:
    """The `label-studio` executable: next to this Python first, then on PATH."""
    beside = Path(sys.executable).with_name("label-studio")
    if beside.exists():
        return str(beside)
    found = shutil.which("label-studio")
    if not found:
        raise ServerError(
            "the label-studio server is not installed; install it with "
            "`pip install 'eventgold[server]'` or point --url at a running server"
        )
    return found


def server_env(
    creds: Credentials, *, data_dir: Path, db: Database, base: Mapping[str, str]
) -> dict[str, str]:
    env = {
        k: v
        for k, v in base.items()
        if not k.startswith(("LABEL_STUDIO_", "POSTGRE_", "DJANGO_DB"))
    }
    env.update(_QUIET_ENV)
    env.update(db.env())
    env.update(
        {
            "LABEL_STUDIO_USERNAME": creds.username,
            "LABEL_STUDIO_PASSWORD": creds.password,
            "LABEL_STUDIO_USER_TOKEN": creds.token,
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        }
    )
    return env


def _is_initialised(data_dir: Path, db: Database) -> bool:
    marker = data_dir / ".eventgold-initialised"
    return marker.exists() and marker.read_text() == (db.url or "sqlite")


def init_data_dir(
    data_dir: Path, creds: Credentials, *, db: Database = Database(), timeout: float = 300.0
) -> None:
    """Run `label-studio init` (migrations, admin user, token) into `data_dir` once."""
    data_dir = Path(data_dir).resolve()
    if _is_initialised(data_dir, db):
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        label_studio_bin(),
        "init",
        "--no-browser",
        "--data-dir",
        str(data_dir),
    ]
    # The admin's name, password and token go by environment (LABEL_STUDIO_USERNAME, ...), not
    # by argument: arguments show in `ps`, and a generated password starting with "-" was
    # taken by argparse for an option.
    env = server_env(creds, data_dir=data_dir, db=db, base=os.environ)
    log = data_dir / "init.log"
    with log.open("wb") as fh:
        try:
            proc = subprocess.run(
                cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout
            )
        except subprocess.TimeoutExpired as exc:
            raise ServerError(
                f"label-studio init took more than {timeout:.0f} s; see {log}"
            ) from exc
    if proc.returncode != 0:
        why = log_reason(log, hide=(creds.password, creds.token, db.password))
        raise ServerError(f"label-studio init failed (exit {proc.returncode}){why}; see {log}")
    (data_dir / ".eventgold-initialised").write_text(db.url or "sqlite")


def copy_template(template: Path, data_dir: Path) -> None:
    """Copy an initialised SQLite data folder; ~4 s to start instead of ~30 s to init."""
    data_dir = Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise ServerError(f"will not copy a template over a non-empty folder: {data_dir}")
    shutil.copytree(template, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.log"))


PORT_RANGE = (1, 65535)


def _bind_error(host: str, port: int) -> OSError | None:
    """Why `host:port` cannot be listened on now, or None if it can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc
    return None


def port_is_free(host: str, port: int) -> bool:
    return _bind_error(host, port) is None


def require_free_port(host: str, port: int) -> None:
    """Raise `ServerError` if nothing can listen on `host:port`: a port out of range or 0 (which
    the system replaces by any free one), a busy port (Label Studio would silently take
    another), or a host that is not an address of this machine."""
    low, high = PORT_RANGE
    if not low <= port <= high:
        raise ServerError(f"--port must be {low} to {high}, got {port}")
    exc = _bind_error(host, port)
    if exc is None:
        return
    if isinstance(exc, socket.gaierror):
        raise ServerError(
            f"cannot listen on --host {host!r}: not a host name or address this machine "
            "resolves; give one of its addresses (127.0.0.1 for this machine only, 0.0.0.0 for "
            "every interface)"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        raise ServerError(
            f"cannot listen on --host {host}: not an address of this machine; give one of its "
            "addresses (127.0.0.1 for this machine only, 0.0.0.0 for every interface)"
        )
    if exc.errno == errno.EACCES:
        raise ServerError(
            f"port {port} on {host} needs privileges this user lacks (ports below 1024 are "
            "reserved); choose another with --port"
        )
    if exc.errno == errno.EADDRINUSE:
        raise ServerError(
            f"port {port} on {host} is already in use; choose another with --port "
            "(Label Studio would silently move to a different port)"
        )
    raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def health(url: str, *, timeout: float = 2.0) -> bool:
    try:
        with urlopen(f"{url.rstrip('/')}/health", timeout=timeout) as resp:
            return resp.status == 200
    except (URLError, OSError, ValueError):
        return False


@dataclass(frozen=True, slots=True)
class RunningServer:
    url: str
    pid: int
    data_dir: Path
    log: Path
    credentials: Credentials

    def __repr__(self) -> str:
        return f"RunningServer(url={self.url!r}, pid={self.pid}, data_dir={str(self.data_dir)!r})"


def start(
    data_dir: Path,
    creds: Credentials,
    *,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    db: Database = Database(),
    timeout: float = 120.0,
) -> RunningServer:
    """Start Label Studio on an initialised data folder; return once `/health` answers.

    Raises `ServerError` if the port is taken, the process dies, or it is not healthy in time;
    the process is stopped in those cases, and when interrupted, so nothing is left behind.
    """
    data_dir = Path(data_dir).resolve()
    require_free_port(host, port)
    url = f"http://{host}:{port}"
    cmd = [
        label_studio_bin(),
        "start",
        "--no-browser",
        "--internal-host",
        host,
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    log = data_dir / "server.log"
    env = server_env(creds, data_dir=data_dir, db=db, base=os.environ)
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                why = log_reason(log, hide=(creds.password, creds.token, db.password))
                raise ServerError(
                    f"Label Studio exited with code {proc.returncode} while starting{why}; "
                    f"see {log}"
                )
            if health(url, timeout=1.0):
                return RunningServer(
                    url=url, pid=proc.pid, data_dir=data_dir, log=log, credentials=creds
                )
            time.sleep(0.25)
    except BaseException:
        # Ctrl-C while it starts: the server runs in its own session, so nothing else would
        # stop it, and no state file records it yet (`serve stop` could not find it).
        stop_pid(proc.pid)
        raise
    stop_pid(proc.pid)
    raise ServerError(f"Label Studio did not answer {url}/health within {timeout:.0f} s; see {log}")


def stop_pid(pid: int, *, timeout: float = 20.0) -> bool:
    """Stop a server process group started by `start`; True if it was running."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    return True
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
    return True


# --- `eventgold serve`: a server that belongs to a working directory -------------------------


@dataclass(frozen=True, slots=True)
class Home:
    """The folder (default ./.eventgold) that holds a local server's data, secrets and pid."""

    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "labelstudio"

    @property
    def credentials(self) -> Path:
        return self.root / "credentials.json"

    @property
    def state(self) -> Path:
        return self.root / "server.json"


def ensure_home(home: Home, *, db: Database = Database()) -> Credentials:
    """Create credentials (randomly, once) and initialise the data folder (once).

    The folder is private (0700): Label Studio's SQLite database in it holds the admin token.
    """
    home.root.mkdir(parents=True, exist_ok=True)
    home.root.chmod(0o700)
    creds = load_credentials(home.credentials)
    if creds is None:
        creds = Credentials.generate()
        save_credentials(home.credentials, creds)
    init_data_dir(home.data_dir, creds, db=db)
    return creds


def home_option(home: Home) -> str:
    """`` --home X`` to repeat in a command line, or "" for the default home."""
    return "" if home.root == DEFAULT_HOME else f" --home {home.root}"


def check_serve(home: Home, *, host: str, port: int) -> None:
    """Raise `ServerError` if `serve` would fail at once: the home's server already runs, the
    home is a file, or nothing can listen on `host:port`. Cheap: before a first run's ~30 s."""
    running = running_server(home)
    if running is not None:
        raise ServerError(
            f"a server for {home.root} is already running at {running['url']} "
            f"(pid {running['pid']}); stop it with `eventgold serve{home_option(home)} stop`"
        )
    if home.root.exists() and not home.root.is_dir():
        raise ServerError(
            f"--home {home.root} is a file, not a folder; give a folder (made if missing)"
        )
    load_credentials(home.credentials)  # a damaged file is named now, not after a first run
    require_free_port(host, port)


def serve(home: Home, *, host: str, port: int, db: Database = Database()) -> RunningServer:
    """Start (initialising on first run) the server of `home` and record its pid and URL."""
    check_serve(home, host=host, port=port)  # before a first run's ~30 s of set-up, not after
    creds = ensure_home(home, db=db)
    server = start(home.data_dir, creds, host=host, port=port, db=db)
    with atomic_file(home.state) as fh:
        json.dump({"url": server.url, "pid": server.pid, "db": db.describe()}, fh)
    return server


def read_state(home: Home) -> dict[str, object] | None:
    """What `serve` recorded of the server it started (url, pid, db), None if nothing is; a
    damaged record is a `ServerError` that names it."""
    if not home.state.exists():
        return None
    state = _read_record(home.state, ("url", "pid"))
    if state is None or not isinstance(state["pid"], int):
        raise ServerError(
            f"{home.state} is damaged (not the JSON of a url and a pid that `eventgold serve` "
            "wrote); if its server still runs, stop it by its pid (`ps aux | grep label-studio`), "
            "then delete that file"
        )
    return state


def running_server(home: Home) -> dict[str, object] | None:
    """The recorded server of `home` if its process is still alive and healthy."""
    state = read_state(home)
    if state is None:
        return None
    try:
        os.kill(int(state["pid"]), 0)
    except (ProcessLookupError, ValueError, KeyError):
        return None
    return state if health(str(state["url"])) else None


def stop_home(home: Home) -> bool:
    """Stop the recorded server of `home`; True if one was running.

    Only a process that is this home's Label Studio is stopped: after a crash or a reboot the
    recorded pid can belong to any other program (and `stop_pid` stops its whole group)."""
    state = read_state(home)
    if state is None:
        return False
    pid = int(state["pid"])  # an int: read_state checked it
    was_running = is_home_server(home, pid) and stop_pid(pid)
    home.state.unlink(missing_ok=True)
    return was_running


def is_home_server(home: Home, pid: int) -> bool:
    """Whether process `pid` is the Label Studio that `start` ran on `home`'s data folder (its
    command line names both); where the command line cannot be read, whether the recorded
    server answers."""
    command = _command_line(pid)
    if command is None:
        return running_server(home) is not None
    return "label-studio" in command and str(home.data_dir.resolve()) in command


def _command_line(pid: int) -> str | None:
    """The command line of process `pid` ("" if there is none), None if it cannot be read."""
    proc = Path(f"/proc/{pid}/cmdline")
    if Path("/proc/self/cmdline").exists():
        try:
            return proc.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""  # no such process (any more)
    try:
        done = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()
