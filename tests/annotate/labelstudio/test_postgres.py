"""Label Studio on PostgreSQL: the same round trip as on SQLite, and the data really is there."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eventgold.annotate.labelstudio import server as srv
from eventgold.annotate.labelstudio.config import to_label_config
from eventgold.annotate.labelstudio.connection import Session
from eventgold.cli import app
from eventgold.schema import load_schema

from ...conftest import TEST_CREDS, pg_where

pytestmark = pytest.mark.labelstudio
postgres = pytest.mark.postgres

TEXT = "Gunmen killed 12 villagers in Kanta on Monday."


def _span(rid: str, words: str, label: str) -> dict[str, Any]:
    start = TEXT.index(words)
    end = start + len(words)
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": TEXT[start:end], "labels": [label]},
    }


KILLED = {
    "type": "relation",
    "from_id": "att1",
    "to_id": "vic1",
    "direction": "right",
    "labels": ["KILLED"],
}
TASKS = [
    {
        "data": {"title": "Attack in Kanta", "text": TEXT, "doc_id": f"doc-{i}"},
        "annotations": [
            {
                "result": [
                    _span("att1", "Gunmen", "ATTACKER"),
                    _span("vic1", "12 villagers", "VICTIM_GROUP"),
                    _span("loc1", "Kanta", "LOCATION"),
                    KILLED,
                ]
            }
        ],
    }
    for i in range(3)
]


def _import_and_export(session: Session, title: str) -> tuple[int, list[dict[str, Any]]]:
    """Create a project with the shipped schema, bulk-import annotated tasks, export them all."""
    client = session.client
    project = client.projects.create(title=title, label_config=to_label_config(load_schema()))
    assert project.id is not None
    client.projects.import_tasks(id=project.id, request=TASKS, return_task_ids=True)
    raw = b"".join(
        client.projects.exports.download_sync(
            id=project.id, export_type="JSON", download_all_tasks=True
        )
    )
    return project.id, json.loads(raw)


def test_relation_round_trip(ls_backend_session: Session, project_title: str) -> None:
    """Runs on SQLite and on PostgreSQL: the KILLED relation survives import and export."""
    _, exported = _import_and_export(ls_backend_session, project_title)
    assert sorted(t["data"]["doc_id"] for t in exported) == ["doc-0", "doc-1", "doc-2"]
    for task in exported:
        (annotation,) = task["annotations"]
        relations = [r for r in annotation["result"] if r["type"] == "relation"]
        assert [{k: r[k] for k in KILLED} for r in relations] == [KILLED]
        assert {r["id"] for r in annotation["result"] if r["type"] == "labels"} == {
            "att1",
            "vic1",
            "loc1",
        }


@postgres
def test_health_and_token_on_postgres(ls_pg_server: srv.RunningServer, ls_pg_session: Session):
    assert srv.health(ls_pg_server.url)
    assert ls_pg_session.client.users.whoami().email == TEST_CREDS.username


@postgres
def test_tasks_and_annotations_are_stored_in_postgresql(
    ls_pg_server: srv.RunningServer,
    ls_pg_session: Session,
    ls_pg_db_url: str,
    project_title: str,
) -> None:
    import psycopg

    project_id, _ = _import_and_export(ls_pg_session, project_title)
    with psycopg.connect(ls_pg_db_url) as conn:
        (tasks,) = conn.execute(
            "SELECT count(*) FROM task WHERE project_id = %s", (project_id,)
        ).fetchone()
        results = [
            row[0]
            for row in conn.execute(
                "SELECT c.result FROM task_completion c JOIN task t ON c.task_id = t.id "
                "WHERE t.project_id = %s",
                (project_id,),
            )
        ]
    assert tasks == len(TASKS)
    assert len(results) == len(TASKS)
    assert all(any(r.get("labels") == ["KILLED"] for r in result) for result in results)
    # Nothing fell back to the embedded database.
    assert list(Path(ls_pg_server.data_dir).rglob("*.sqlite3")) == []


@postgres
def test_serve_cli_on_postgres_detach_then_stop(
    pg_migrated_database: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI wiring of --db; a fresh database's init is what `ls_pg_initialised` tests, so this
    starts from a migrated copy (15 s instead of a second 30-80 s init)."""
    monkeypatch.delenv("EVENTGOLD_DB", raising=False)
    db_url = pg_migrated_database()
    home = tmp_path / "home"
    port = srv.free_port()
    runner = CliRunner()
    args = ["serve", "--home", str(home), "--port", str(port), "--db", db_url, "--detach"]
    try:
        started = runner.invoke(app, args)
        assert started.exit_code == 0, started.output
        assert f"Label Studio is up at http://127.0.0.1:{port} ({pg_where(db_url)})" in (
            started.stdout
        )
        password = srv.Database(db_url).env()["POSTGRE_PASSWORD"]
        assert password not in started.output
        assert srv.health(f"http://127.0.0.1:{port}")
        assert not list((home / "labelstudio").rglob("*.sqlite3"))
        assert stat.S_IMODE(home.stat().st_mode) == 0o700  # its files hold the admin token
        status = runner.invoke(app, ["serve", "status", "--home", str(home)])
        assert status.exit_code == 0 and "PostgreSQL" in status.stdout
    finally:
        stopped = runner.invoke(app, ["serve", "stop", "--home", str(home)])
    assert stopped.exit_code == 0 and "stopped" in stopped.stdout
    assert not srv.health(f"http://127.0.0.1:{port}")
