"""compare: saved results or prediction files, same gold required."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eventgold.eval.compare import compare_predictions, compare_results, compare_tables
from eventgold.eval.evaluate import evaluate
from eventgold.eval.table import CountTable
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
    assert saved.gold_unchecked == () and saved.warnings() == []


def test_a_result_without_a_gold_hash_is_compared_with_a_warning(
    tmp_path: Path, gold_dir: Path, pred_file: Path, schema
) -> None:
    a = evaluate(gold_dir, pred_file, schema, bootstrap=0).to_json()
    b = {key: value for key, value in a.items() if key != "inputs"}
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a))
    pb.write_text(json.dumps(b))
    result = compare_results(pa, pb, resamples=20)
    assert result.warnings() == [
        f"{pb}: records no gold hash (inputs.gold.sha256), so whether both results scored the "
        "same gold is not checked, only that they scored the same document ids"
    ]
    assert result.to_json()["gold_unchecked"] == [str(pb)]


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


def test_a_family_scored_in_one_result_only_is_left_out_not_zero(
    tmp_path: Path, gold_docs, pred_docs, schema
) -> None:
    """Audit defect 2: A scored with --no-tokens showed tokens iob2 F1 0.000 against B."""
    pa, pb = tmp_path / "rA.json", tmp_path / "rB.json"
    pa.write_text(json.dumps(evaluate(gold_docs, pred_docs, schema, tokens=False).to_json()))
    pb.write_text(json.dumps(evaluate(gold_docs, pred_docs, schema).to_json()))
    result = compare_results(pa, pb, resamples=50)
    assert {family for family, _, _ in result.rows} == {"entities", "relations"}
    reason = f"{pa} has no tokens/iob2 counts (eval --no-tokens leaves them out)"
    assert result.to_json()["left_out"] == [
        {"metric": "tokens/iob2", "only_in": str(pb), "reason": reason}
    ]
    assert result.notes() == [
        f"not compared (scored in one result only): tokens/iob2, {pa} has no tokens/iob2 "
        "counts (eval --no-tokens leaves them out)"
    ]
    same = compare_results(pb, pb, resamples=50)
    assert ("tokens", "iob2", "ALL") in same.rows and same.notes() == []
    assert same.to_json()["left_out"] == []


def test_a_label_on_one_side_only_is_compared_as_zero(gold_docs, schema) -> None:
    """Labels keep their semantics: no item on a side is a count of 0, not a missing metric."""
    a = evaluate(gold_docs, gold_docs, schema, bootstrap=0).table
    b = CountTable(
        doc_ids=a.doc_ids,
        groups=(*a.groups, ("entities", "strict", "NEW")),
        counts=np.hstack([a.counts, np.array([[0, 0, 0, 0, 1], [0] * 5, [0] * 5])]),
    )
    result = compare_tables(a, b, names=("a", "b"), resamples=0)
    row = result.rows["entities", "strict", "NEW"]
    assert (row.f1_a, row.f1_b) == (0.0, 0.0) and result.left_out == ()


def test_results_sharing_no_metric_are_refused(gold_docs, schema) -> None:
    a = evaluate(gold_docs, gold_docs, schema, bootstrap=0).table
    b = CountTable(a.doc_ids, (("tokens", "iob2", "ALL"),), np.zeros((3, 3), dtype=np.int64))
    c = CountTable(a.doc_ids, (), np.zeros((3, 0), dtype=np.int64))
    with pytest.raises(ProblemsError) as info:
        compare_tables(b, c, names=("a", "b"))
    assert str(info.value.problems[0]) == (
        "a vs b: no metric scored in both: a has tokens/iob2, b has none"
    )
