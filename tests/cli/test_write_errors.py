"""Every write a command does is inside its user-error boundary: a path it cannot write is one
line naming the path, exit 1, never a traceback (issue 18, defect 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.labelstudio.server import free_port
from eventgold.cli import app
from tests.annotate.adjudication.test_merge import _inputs

runner = CliRunner()


def _refused(args: list[str], folder: Path) -> None:
    result = runner.invoke(app, args)
    assert isinstance(result.exception, SystemExit), result.exception  # not an OSError
    assert result.exit_code == 1
    # Refused before any work (eventgold.paths), the option and the folder named.
    assert f" {folder}: is a folder; name a file\n" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("option", ["--json", "--html"])
def test_eval_output_pointed_at_a_folder(
    tmp_path: Path, gold_dir: Path, pred_file: Path, option: str
) -> None:
    args = ["eval", "--gold", str(gold_dir), "--predictions", str(pred_file), "--bootstrap", "0"]
    _refused([*args, option, str(tmp_path)], tmp_path)


def test_compare_json_pointed_at_a_folder(tmp_path: Path, gold_dir: Path, pred_file: Path) -> None:
    args = ["compare", str(pred_file), str(pred_file), "--gold", str(gold_dir)]
    _refused([*args, "--bootstrap", "0", "--json", str(tmp_path)], tmp_path)


@pytest.mark.parametrize("option", ["--json", "--markdown"])
def test_agree_outputs_pointed_at_a_folder(tmp_path: Path, option: str) -> None:
    folder = tmp_path / "a_folder"
    folder.mkdir()
    _refused(["agree", *_inputs(tmp_path), option, str(folder)], folder)


@pytest.mark.parametrize("option", ["--out", "--review"])
def test_adjudicate_outputs_pointed_at_a_folder(tmp_path: Path, option: str) -> None:
    folder = tmp_path / "a_folder.md"  # --review X writes X.md and X.jsonl
    folder.mkdir()
    args = ["adjudicate", *_inputs(tmp_path), "--strategy", "majority"]
    if option == "--review":
        args += ["--out", str(tmp_path / "merged.jsonl")]
    _refused([*args, option, str(folder)], folder)


def test_serve_home_that_is_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "home"
    a_file.write_text("not a folder")
    port = str(free_port())
    result = runner.invoke(app, ["serve", "--home", str(a_file), "--port", port])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert f"error: --home {a_file} is a file, not a folder; give a folder (made if missing)\n" in (
        result.output
    )
