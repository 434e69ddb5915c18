from __future__ import annotations

from typer.testing import CliRunner

from eventgold.cli import app


def test_serve_refuses_an_unknown_model_in_one_line() -> None:
    result = CliRunner().invoke(app, ["backend", "serve", "--model", "nosuch", "--port", "8419"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "nosuch: unknown model; use a registered name (rules)" in result.output


def test_connect_without_a_label_studio_says_so(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no local server here
    result = CliRunner(env={"LABEL_STUDIO_URL": "", "LABEL_STUDIO_API_KEY": ""}).invoke(
        app, ["backend", "connect", "--project", "p", "--url", "http://127.0.0.1:8419"]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error: no Label Studio to talk to: pass --url and --api-key" in result.output
