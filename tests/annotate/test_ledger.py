from __future__ import annotations

import json
from datetime import datetime, timezone

from eventgold.annotate.labelstudio.convert import TaskKey
from eventgold.annotate.ledger import (
    Ledger,
    default_ledger_dir,
    ledger_path,
    read_ledger,
    write_ledger,
)
from eventgold.annotate.lock import server_key
from eventgold.annotate.project_keys import id_ranges

URL = "http://127.0.0.1:8080"
CREATED = "2026-12-01T10:00:00.123456+00:00"


def ledger() -> Ledger:
    keys = (TaskKey(3, "d-1", "a" * 64, annotations=2), TaskKey(7, "d-2", "b" * 64))
    when = datetime(2026, 12, 7, 1, 2, 3, tzinfo=timezone.utc)
    own_updated = datetime(2026, 12, 7, 1, 2, 2, 654321, tzinfo=timezone.utc)
    return Ledger(server_key(URL), 4, CREATED, when, keys, ((3, 3), (7, 9)), own_updated)


def test_a_ledger_reads_back_as_written_and_only_for_its_project(tmp_path):
    path = ledger_path(tmp_path, URL, 4)
    # One file per server (any spelling of it) and project.
    assert path == ledger_path(tmp_path, "http://localhost:8080/", 4)
    assert path != ledger_path(tmp_path, URL, 5)
    write_ledger(path, ledger())
    assert read_ledger(path, url="http://localhost:8080", project_id=4, created_at=CREATED) == (
        ledger()
    )
    assert path.stat().st_mode & 0o077 == 0  # the user's own
    assert read_ledger(path, url=URL, project_id=4, created_at="2026-12-02T00:00:00+00:00") == (
        f"the ledger {path} is of an earlier project with the same id (created {CREATED}; "
        "this one was created 2026-12-02T00:00:00+00:00)"
    )
    assert read_ledger(path, url=URL, project_id=9, created_at=CREATED) == (
        f"the ledger {path} is of project 4 on http://loopback:8080"
    )


def test_a_missing_damaged_or_other_version_ledger_says_why(tmp_path):
    path = tmp_path / "ledger.json"
    assert read_ledger(path, url=URL, project_id=4, created_at=CREATED) == (
        f"no ledger of an earlier push of this project from this machine ({path})"
    )
    write_ledger(path, ledger())
    facts = json.loads(path.read_text(encoding="utf-8"))
    for changed, why in (
        ({"format": "other"}, "ValueError: not a push ledger"),
        ({"tasks": [[1, "d", "x"]]}, "ValueError: a task row is [1, 'd', 'x']"),
        ({"tasks": [[1, "d", "x", "2"]]}, "ValueError: a task row is [1, 'd', 'x', '2']"),
        ({"started_at": "yesterday"}, "ValueError: Invalid isoformat string: 'yesterday'"),
        ({"own_ranges": None}, "TypeError: 'NoneType' object is not iterable"),
        ({"own_updated_at": None}, "ValueError: own_ranges without own_updated_at"),
    ):
        path.write_text(json.dumps({**facts, **changed}), encoding="utf-8")
        assert read_ledger(path, url=URL, project_id=4, created_at=CREATED) == (
            f"the ledger {path} is damaged ({why})"
        )
    path.write_text(json.dumps({**facts, "version": 2}), encoding="utf-8")
    assert read_ledger(path, url=URL, project_id=4, created_at=CREATED) == (
        f"the ledger {path} has version 2; this eventgold reads version 1"
    )


def test_the_ledger_folder_is_the_users_cache_unless_told(monkeypatch, tmp_path):
    monkeypatch.delenv("EVENTGOLD_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_ledger_dir() == tmp_path / "xdg" / "eventgold" / "push"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_ledger_dir() == tmp_path / "home" / ".cache" / "eventgold" / "push"
    monkeypatch.setenv("EVENTGOLD_CACHE_DIR", str(tmp_path / "c"))
    assert default_ledger_dir() == tmp_path / "c" / "push"


def test_id_ranges_are_runs_of_consecutive_ids():
    assert id_ranges([]) == []
    assert id_ranges([5, 3, 4, 9, 10, 12, 4]) == [(3, 5), (9, 10), (12, 12)]
