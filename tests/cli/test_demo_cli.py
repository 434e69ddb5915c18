"""`eventgold demo` end to end through the CLI (starts its own fresh Label Studio)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.cli import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.labelstudio
@pytest.mark.slow
def test_demo_reports_a_gold_that_differs_from_the_reference(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the demo reads the shipped corpus and annotations
    reference = tmp_path / "reference"
    shutil.copytree(ROOT / "gold", reference)
    lines = (reference / "documents.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["relations"] = []
    (reference / "documents.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")

    result = CliRunner().invoke(
        app, ["demo", "--gold", str(reference), "--workdir", str(tmp_path / "work")]
    )
    assert result.exit_code == 1
    assert "pull: 17 tasks, 42 annotations, 17 gold documents, 0 rejected" in result.output
    assert f"the round trip's gold differs from {reference}" in result.output
    # What differs in the data, by document (issue 18, defect 10), not "line 1 differs".
    assert (
        f"  - documents.jsonl: document '{first['id']}': relations only in "
        f"{tmp_path / 'work' / 'gold'}: "
    ) in result.output
    assert "eventgold demo --update-gold" in result.output
    # The server it started is stopped again.
    assert "left running" not in result.output


def test_demo_outside_a_clone_names_what_is_missing_before_starting_a_server(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--workdir", str(tmp_path / "work")])
    assert result.exit_code == 1
    assert "the demo runs from a clone of the eventgold repository" in result.output
    assert "corpus/documents.jsonl" in result.output and "gold" in result.output
    assert not (tmp_path / "work").exists()  # no Label Studio was initialised


def test_demo_refuses_a_busy_port_before_initialising_a_server(tmp_path, monkeypatch):
    import socket

    monkeypatch.chdir(ROOT)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["demo", "--workdir", str(tmp_path / "work"), "--port", str(port)]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert f"error: port {port} on 127.0.0.1 is already in use; choose another with --port" in (
        result.output
    )
    assert not (tmp_path / "work").exists()  # refused at once, not after a 30 s init
