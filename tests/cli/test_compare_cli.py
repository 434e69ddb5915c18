"""`eventgold compare` end to end: saved results, or prediction files with --gold."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from eventgold.cli import app

runner = CliRunner()


def test_compare_results_and_predictions(tmp_path: Path, gold_dir: Path, pred_file: Path) -> None:
    gold_file = gold_dir / "documents.jsonl"
    for name, preds in (("a", pred_file), ("b", gold_file)):
        args = ["eval", "--gold", str(gold_dir), "--predictions", str(preds)]
        args += ["--json", str(tmp_path / f"{name}.json"), "--bootstrap", "0"]
        assert runner.invoke(app, args).exit_code == 0
    out = tmp_path / "cmp.json"
    result = runner.invoke(
        app,
        [
            "compare",
            str(tmp_path / "a.json"),
            str(tmp_path / "b.json"),
            "--bootstrap",
            "100",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        "entities strict ALL" in result.output and "entities strict ATTACKER" not in result.output
    )
    assert "p is two-sided" in result.output
    saved = json.loads(out.read_text())
    assert saved["bootstrap"]["resamples"] == 100
    result = runner.invoke(
        app,
        [
            "compare",
            str(pred_file),
            str(gold_file),
            "--gold",
            str(gold_dir),
            "--labels",
            "--bootstrap",
            "100",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "entities strict ATTACKER" in result.output


def test_compare_refuses_prediction_files_without_gold(pred_file: Path) -> None:
    result = runner.invoke(app, ["compare", str(pred_file), str(pred_file)])
    assert result.exit_code == 1
    assert (
        f"{pred_file.name} is not an eval result (eval --json); prediction files need --gold"
        in (result.output)
    )


def test_compare_without_resamples_gives_figures_and_no_test(
    tmp_path: Path, gold_dir: Path, pred_file: Path
) -> None:
    out = tmp_path / "c.json"
    gold_file = gold_dir / "documents.jsonl"
    args = ["compare", str(pred_file), str(gold_file), "--gold", str(gold_dir)]
    result = runner.invoke(app, [*args, "--bootstrap", "0", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "no bootstrap (--bootstrap 0): no interval and no test" in result.output
    rows = json.loads(out.read_text())["metrics"]
    assert all(r["ci"] is None and r["p_value"] is None for r in rows)
    assert runner.invoke(app, [*args, "--bootstrap", "-5"]).exit_code == 2  # refused by the CLI


def test_compare_refuses_a_prediction_file_matching_no_gold_document_as_eval_does(
    tmp_path: Path, gold_dir: Path, pred_file: Path
) -> None:
    """Issue 18, defect 6: it scored 0 against 1 with p = 0.02 and exit 0."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    expected = f"{empty} has a prediction for none of the 3 gold document(s)"
    result = runner.invoke(app, ["compare", str(empty), str(pred_file), "--gold", str(gold_dir)])
    assert result.exit_code == 1 and expected in result.output
    assert "F1 A" not in result.output
    result = runner.invoke(app, ["eval", "--gold", str(gold_dir), "--predictions", str(empty)])
    assert result.exit_code == 1 and expected in result.output


def test_compare_reports_a_damaged_result_without_a_traceback(
    tmp_path: Path, gold_dir: Path, pred_file: Path
) -> None:
    """Audit defect 1: counts cut to one row ended in numpy's "cannot reshape array"."""
    ra, rb = tmp_path / "rA.json", tmp_path / "rB.json"
    args = ["eval", "--gold", str(gold_dir), "--predictions", str(pred_file), "--bootstrap", "0"]
    assert runner.invoke(app, [*args, "--json", str(ra)]).exit_code == 0
    data = json.loads(ra.read_text())
    data["per_document"]["counts"] = data["per_document"]["counts"][:1]
    rb.write_text(json.dumps(data))
    result = runner.invoke(app, ["compare", str(ra), str(rb)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "rB.json: per_document.counts has 1 row(s), per_document.doc_ids 3" in result.output
    assert "F1 A" not in result.output


def test_compare_leaves_out_tokens_that_one_result_was_not_scored_on(
    tmp_path: Path, gold_dir: Path, pred_file: Path
) -> None:
    """Audit defect 2: it showed "tokens iob2 ALL │ 0.000 │ 1.000" for an A never token-scored."""
    ra, rb, out = tmp_path / "rA.json", tmp_path / "rB.json", tmp_path / "c.json"
    args = ["eval", "--gold", str(gold_dir), "--bootstrap", "0", "--predictions"]
    assert (
        runner.invoke(app, [*args, str(pred_file), "--json", str(ra), "--no-tokens"]).exit_code == 0
    )
    assert runner.invoke(app, [*args, str(pred_file), "--json", str(rb)]).exit_code == 0
    result = runner.invoke(app, ["compare", str(ra), str(rb), "--labels", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "tokens iob2" not in result.output and "entities strict ALL" in result.output
    note = (
        f"note: not compared (scored in one result only): tokens/iob2, {ra} has no "
        "tokens/iob2 counts (eval --no-tokens leaves them out)"
    )
    assert note in " ".join(result.output.split())
    saved = json.loads(out.read_text())
    assert not [m for m in saved["metrics"] if m["metric"].startswith("tokens/")]
    assert [x["metric"] for x in saved["left_out"]] == ["tokens/iob2"]


def test_compare_says_what_each_prediction_file_misses_or_has_extra(
    tmp_path: Path, gold_dir: Path, pred_file: Path
) -> None:
    lines = pred_file.read_text().splitlines()
    b = tmp_path / "b.jsonl"
    extra = json.dumps({"id": "not-in-gold", "entities": []})
    b.write_text("\n".join([lines[1], extra]) + "\n")  # d2 only, and one outside the gold
    out = tmp_path / "cmp.json"
    args = ["compare", str(pred_file), str(b), "--gold", str(gold_dir), "--bootstrap", "0"]
    result = runner.invoke(app, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert f"warning: {b}: 2 gold document(s) had no prediction (scored as empty)\n" in (
        result.stderr
    )
    assert f"warning: {b}: 1 prediction(s) ignored: their documents are not in the gold\n" in (
        result.stderr
    )
    assert str(pred_file) not in result.stderr  # A misses nothing
    data = json.loads(out.read_text())
    assert data["missing_predictions"] == [0, 2] and data["ignored_predictions"] == [0, 1]
