"""The push ledger: a project's task keys as this machine's last push left them.

One JSON file per (server, project) in the user's cache folder (`default_ledger_dir`), written
atomically at the end of a push (unless the push found and changed nothing): the project's
identity (id and creation time, so a project
re-created with the same id is told apart), the server's time before that push read anything
(or after it, when nothing but its own imports changed meanwhile: `annotate.project_keys`), and
per task its id, doc id, text hash and annotation count. The next push reads only the tasks
updated since that time (see `annotate.project_keys`).

Prediction model versions are not kept: importing predictions leaves a task's ``updated_at``
as it was (measured on Label Studio 1.23.2), so a push of predictions asks the server which
tasks have its model version.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from eventgold.annotate.labelstudio.convert import TaskKey
from eventgold.annotate.lock import server_key
from eventgold.atomic import atomic_file

LEDGER_FORMAT = "eventgold-push-ledger"
LEDGER_VERSION = 1
CACHE_ENV = "EVENTGOLD_CACHE_DIR"


@dataclass(frozen=True, slots=True)
class Ledger:
    server: str  # `lock.server_key` of the server's URL
    project_id: int
    project_created_at: str  # as the server reports it (ISO 8601)
    started: datetime  # the server's time: tasks updated after it (less a margin) are re-read
    keys: tuple[TaskKey, ...]  # every task of the project, in id order
    # Id ranges ``(first, last)`` of the tasks the push imported, when `started` is its end,
    # and the last update of any of them then: the next push reads those updated after it.
    own: tuple[tuple[int, int], ...] = ()
    own_updated: datetime | None = None


def default_ledger_dir() -> Path:
    """``$EVENTGOLD_CACHE_DIR/push``, else ``$XDG_CACHE_HOME/eventgold/push``, else
    ``~/.cache/eventgold/push``."""
    if cache := os.environ.get(CACHE_ENV):
        return Path(cache) / "push"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "eventgold" / "push"


def ledger_path(folder: Path, url: str, project_id: int) -> Path:
    """The ledger file of project `project_id` on the server at `url` (any spelling of it)."""
    name = hashlib.sha256(f"{server_key(url)}\0{project_id}".encode()).hexdigest()[:16]
    return Path(folder) / f"ledger-{name}.json"


def write_ledger(path: Path, ledger: Ledger) -> None:
    facts = {
        "format": LEDGER_FORMAT,
        "version": LEDGER_VERSION,
        "server": ledger.server,
        "project_id": ledger.project_id,
        "project_created_at": ledger.project_created_at,
        "started_at": ledger.started.isoformat(),
        "own_ranges": [list(r) for r in ledger.own],
        "own_updated_at": ledger.own_updated.isoformat() if ledger.own_updated else None,
        "tasks": [[k.task_id, k.doc_id, k.sha256, k.annotations] for k in ledger.keys],
    }
    with atomic_file(path, private=True) as fh:
        json.dump(facts, fh, ensure_ascii=False, separators=(",", ":"))


def _key(row: object) -> TaskKey:
    if not isinstance(row, list) or len(row) != 4:
        raise ValueError(f"a task row is {row!r}")
    task_id, doc_id, sha256, annotations = row
    if not (isinstance(task_id, int) and isinstance(doc_id, str) and isinstance(sha256, str)):
        raise ValueError(f"a task row is {row!r}")
    if not isinstance(annotations, int):
        raise ValueError(f"a task row is {row!r}")
    return TaskKey(task_id, doc_id, sha256, annotations=annotations)


def read_ledger(path: Path, *, url: str, project_id: int, created_at: str) -> Ledger | str:
    """The ledger at `path` if it is one of this project on this server, else why not."""
    if not path.is_file():
        return f"no ledger of an earlier push of this project from this machine ({path})"
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
        if facts.get("format") != LEDGER_FORMAT:
            raise ValueError("not a push ledger")
        if facts.get("version") != LEDGER_VERSION:
            return (
                f"the ledger {path} has version {facts.get('version')!r}; this eventgold reads "
                f"version {LEDGER_VERSION}"
            )
        started = datetime.fromisoformat(facts["started_at"])
        keys = tuple(_key(row) for row in facts["tasks"])
        own = tuple((int(first), int(last)) for first, last in facts["own_ranges"])
        own_at = facts["own_updated_at"]
        own_updated = datetime.fromisoformat(own_at) if own_at is not None else None
        if own and own_updated is None:
            raise ValueError("own_ranges without own_updated_at")
        server, pid, created = facts["server"], facts["project_id"], facts["project_created_at"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return f"the ledger {path} is damaged ({exc.__class__.__name__}: {exc})"
    if (server, pid) != (server_key(url), project_id):
        return f"the ledger {path} is of project {pid} on {server}"
    if created != created_at:
        return (
            f"the ledger {path} is of an earlier project with the same id (created {created}; "
            f"this one was created {created_at})"
        )
    return Ledger(server, pid, created, started, keys, own, own_updated)
