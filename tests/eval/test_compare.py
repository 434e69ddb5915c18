"""compare: saved results or prediction files, same gold required."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventgold.eval.compare import compare_predictions, compare_results
from eventgold.eval.evaluate import evaluate
from eventgold.problems import ProblemsError


def test_compare_saved_results_equals_compare_predictions(
    tmp_path: Path, gold_dir: Path, pred_file: Path, schema
) -> None:
    gold_copy = tmp_path / "gold.jsonl"
    gold_copy.write_bytes((gold_dir / "documents.jsonl").read_bytes())
    paths = []
    for name, preds in (("a", pred_file), ("b", gold_copy)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(evaluate(gold_dir, preds, schema, bootstrap=0).to_json()))
        paths.append(path)
    saved = compare_results(*paths, resamples=200, seed=2)
    direct = compare_predictions(
        pred_file, gold_copy, gold=gold_dir, schema=schema, resamples=200, seed=2
    )
    key = ("entities", "strict", "ALL")
    assert saved.rows[key] == direct.rows[key]
    assert saved.rows[key].f1_b == 1.0 and saved.rows[key].delta < 0
    assert direct.to_json()["metrics"][0]["metric"] == "entities/strict/ALL"


def test_results_of_different_gold_are_refused(tmp_path: Path, schema, gold_docs) -> None:
    a = evaluate(gold_docs, gold_docs, schema, bootstrap=0).to_json()
    b = dict(a, inputs={"gold": {"path": "x", "sha256": "f" * 64}})
    a["inputs"]["gold"]["sha256"] = "0" * 64
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a))
    pb.write_text(json.dumps(b))
    with pytest.raises(ProblemsError, match="different gold files"):
        compare_results(pa, pb)
    pb.write_text(json.dumps({"figures": {}}))
    with pytest.raises(ProblemsError, match="not an eval result"):
        compare_results(pa, pb)
