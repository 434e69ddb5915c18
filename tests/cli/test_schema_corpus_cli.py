from __future__ import annotations

import typer
from typer.testing import CliRunner

from eventgold.cli import app

runner = CliRunner()


def test_schema_check_show_xml():
    result = runner.invoke(app, ["schema", "check"])
    assert (
        result.exit_code == 0
        and "conflict_events 1.0.0: 5 entity labels, 2 relation labels" in result.stdout
    )
    assert "VICTIM_GROUP" in runner.invoke(app, ["schema", "show"]).stdout
    assert '<Relation value="KILLED"/>' in runner.invoke(app, ["schema", "xml"]).stdout


def test_schema_check_lists_problems_and_fails(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("name: x\nversion: 1\nentities: []\n")
    result = runner.invoke(app, ["schema", "check", str(bad)])
    assert result.exit_code == 1
    assert "entities: must be a non-empty list of labels, got []" in result.stderr


def test_schema_commands_take_eventgold_schema_and_warn_of_missing_guidelines(tmp_path):
    from eventgold.schema import DEFAULT_SCHEMA

    edited = tmp_path / "s.yaml"
    edited.write_text(DEFAULT_SCHEMA.read_text().replace("version: 1.0.0", "version: 1.1.0"))
    env = {"EVENTGOLD_SCHEMA": str(edited)}
    result = runner.invoke(app, ["schema", "check"], env=env)
    assert result.exit_code == 0 and "ok: conflict_events 1.1.0" in result.stdout
    assert "warning: " in result.stderr and "'GUIDELINES.md' not found" in result.stderr
    assert "conflict_events 1.1.0" in runner.invoke(app, ["schema", "show"], env=env).stdout
    # -s/--schema as in every other command; an argument wins over the environment.
    assert "1.1.0" in runner.invoke(app, ["schema", "check", "-s", str(edited)]).stdout
    shipped = runner.invoke(app, ["schema", "check", str(DEFAULT_SCHEMA)], env=env).stdout
    assert "conflict_events 1.0.0" in shipped


def test_corpus_add_reports_and_exits_nonzero_on_bad_files(tmp_path):
    (tmp_path / "ok.txt").write_text("Title\nText")
    (tmp_path / "bad.txt").write_bytes(b"T\n\xff")
    corpus = tmp_path / "c.jsonl"
    result = runner.invoke(app, ["corpus", "add", str(tmp_path), "--corpus", str(corpus)])
    assert result.exit_code == 1
    assert "1 added, 0 replaced, 0 unchanged, 1 documents in all" in result.stdout
    assert "bad.txt: not valid UTF-8" in result.stderr
    assert corpus.exists()


def test_label_studio_refusals_are_one_line(capsys):
    from label_studio_sdk.core.api_error import ApiError

    from eventgold.cli import _common

    body = {"status_code": 400, "validation_errors": {"title": ["too short"]}}
    try:
        with _common.user_errors():
            raise ApiError(status_code=400, body=body)
    except typer.Exit as exc:
        assert exc.exit_code == 1
    else:
        raise AssertionError("user_errors let the error through")
    assert _common.api_detail(body) == "{'title': ['too short']}"
    assert "HTTP 400" in capsys.readouterr().err


def test_a_project_folder_schema_is_the_default(tmp_path, monkeypatch):
    from eventgold.schema import DEFAULT_SCHEMA

    monkeypatch.delenv("EVENTGOLD_SCHEMA", raising=False)
    monkeypatch.chdir(tmp_path)
    assert "conflict_events 1.0.0" in runner.invoke(app, ["schema", "check"]).stdout  # shipped
    (tmp_path / "schemas").mkdir()
    own = DEFAULT_SCHEMA.read_text().replace("version: 1.0.0", "version: 1.2.0")
    (tmp_path / "schemas" / "conflict_events.yaml").write_text(own)
    assert "conflict_events 1.2.0" in runner.invoke(app, ["schema", "check"]).stdout
    assert "conflict_events 1.2.0" in runner.invoke(app, ["schema", "show"]).stdout


def test_schema_check_fails_on_an_unclosed_quote_with_located_problems(tmp_path):
    from eventgold.schema import DEFAULT_SCHEMA

    bad = tmp_path / "s.yaml"
    bad.write_text(DEFAULT_SCHEMA.read_text().replace('hotkey: "2"', 'hotkey: "2'))
    result = runner.invoke(app, ["schema", "check", str(bad)])
    assert result.exit_code == 1 and "ok:" not in result.stdout
    assert f"error: schema {bad} has 2 problem(s)" in result.stderr  # + the events section's
    assert (
        f"  - {bad}: entities[1] (VICTIM_GROUP).hotkey: key 'hotkey' given twice, at line 18"
        in result.stderr
    )


def test_two_different_schemas_on_the_command_line_are_refused(tmp_path, monkeypatch):
    from eventgold.schema import DEFAULT_SCHEMA

    other = tmp_path / "other.yaml"
    other.write_text(DEFAULT_SCHEMA.read_text(encoding="utf-8"), encoding="utf-8")
    for command in ("check", "show", "xml"):
        args = ["schema", command, str(DEFAULT_SCHEMA), "--schema", str(other)]
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert result.stderr == (
            f"error: two schemas given, {DEFAULT_SCHEMA} and --schema {other}: give one\n"
        )
    # The same file twice is one schema; EVENTGOLD_SCHEMA gives way to the argument.
    same = runner.invoke(app, ["schema", "check", str(other), "--schema", str(other)])
    assert same.exit_code == 0
    monkeypatch.setenv("EVENTGOLD_SCHEMA", str(tmp_path / "missing.yaml"))
    assert runner.invoke(app, ["schema", "check", str(other)]).exit_code == 0
