"""`eventgold eval` end to end (CliRunner, small files in tmp_path)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from eventgold.cli import app

runner = CliRunner()


def test_eval_prints_table_and_writes_json_and_html(
    tmp_path: Path, gold_dir: Path, pred_file: Path
) -> None:
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    args = ["eval", "--gold", str(gold_dir), "--predictions", str(pred_file)]
    args += ["--json", str(out_json), "--html", str(out_html), "--bootstrap", "100"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "strict F1 [95% CI]" in result.output and "ATTACKER" in result.output
    assert "bootstrap: 100 resamples of 3 documents, seed 0" in result.output
    assert "warning: the intervals rest on 3 documents (fewer than 30)" in result.output
    data = json.loads(out_json.read_text())
    assert data["figures"]["entities"]["strict"]["overall"]["correct"] == 5
    assert out_html.read_text().startswith("<!DOCTYPE html>")


def test_eval_bad_predictions_exit_1_with_located_problems(
    tmp_path: Path, gold_dir: Path, jsonl
) -> None:
    bad = jsonl(tmp_path / "bad.jsonl", [{"id": "zzz", "entities": []}])
    args = ["eval", "--gold", str(gold_dir), "--predictions", str(bad), "--strict"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "bad.jsonl have 1 problem(s)" in result.output
    assert "document id 'zzz' is not in the gold (3 documents)" in result.output
    assert "Traceback" not in result.output


def test_eval_missing_file_and_missing_documents(tmp_path: Path, gold_dir: Path, jsonl) -> None:
    result = runner.invoke(
        app, ["eval", "--gold", str(gold_dir), "--predictions", str(tmp_path / "none.jsonl")]
    )
    assert result.exit_code == 1 and "file not found" in result.output
    some = jsonl(tmp_path / "some.jsonl", [{"id": "d3", "entities": []}])
    result = runner.invoke(
        app, ["eval", "--gold", str(gold_dir), "--predictions", str(some), "--bootstrap", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "2 gold document(s) had no prediction (scored as empty): d1, d2" in result.output
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    result = runner.invoke(app, ["eval", "--gold", str(gold_dir), "--predictions", str(empty)])
    assert result.exit_code == 1
    assert f"{empty} has a prediction for none of the 3 gold document(s)" in result.output


def test_scoring_without_tokens_loads_no_heavy_library(
    gold_dir: Path, pred_file: Path, heavy_modules_after
) -> None:
    code = (
        "from typer.testing import CliRunner\n"
        "from eventgold.cli import app\n"
        f"r = CliRunner().invoke(app, ['eval', '--gold', {str(gold_dir)!r}, '--predictions', "
        f"{str(pred_file)!r}, '--no-tokens', '--bootstrap', '0'])\n"
        "assert r.exit_code == 0, r.output"
    )
    assert heavy_modules_after(code) == []
    # The control: tokens need spaCy (the gold is tokenized in this process, whether or not
    # `eval.read_ahead` reads the files in a second one).
    assert heavy_modules_after(code.replace("'--no-tokens', ", "")) == ["spacy"]


def test_eval_refuses_an_empty_gold_instead_of_printing_zeros(tmp_path: Path) -> None:
    gold, preds, out_json = tmp_path / "gold.jsonl", tmp_path / "preds.jsonl", tmp_path / "r.json"
    gold.write_text("")
    preds.write_text("")
    args = ["eval", "--gold", str(gold), "--predictions", str(preds), "--json", str(out_json)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert f"the gold {gold} holds no documents: there is nothing to score" in result.output
    assert "F1" not in result.output and not out_json.exists()
