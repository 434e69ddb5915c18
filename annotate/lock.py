"""One push at a time to a project from this machine, through a lock file."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from eventgold.problems import Problem, ProblemsError

PUSH_RUNNING = "push-running"  # another push to the project runs on this machine


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def server_key(url: str) -> str:
    """One spelling per server: scheme, host (loopback names as one) and port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{'loopback' if host in _LOOPBACK else host}:{port}"


@contextlib.contextmanager
def push_lock(url: str, project_title: str) -> Iterator[None]:
    """One push at a time to a project from this machine: two at once would each import what
    the other is importing (`duplicates.remove_late_duplicates` mends that across machines).

    The lock file is removed on release; a run that opened it before then checks, once it
    holds the lock, that it is still the file at that path, and otherwise starts over.
    """
    name = hashlib.sha256(f"{server_key(url)}\0{project_title}".encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"eventgold-push-{name}.lock"
    while True:
        fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until released below
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise ProblemsError(
                [
                    Problem(
                        f"project {project_title!r} at {url}",
                        f"another push to it is running on this machine ({holder}); "
                        "let it finish, then re-run (it skips what is there)",
                        PUSH_RUNNING,
                    )
                ],
                summary="another push to this project is running",
            ) from None
        try:
            same = os.fstat(fh.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        fh.close()  # removed by the run that held it: lock the new one
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fh.close()  # releases the lock
