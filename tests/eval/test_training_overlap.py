"""Scored documents the predicting model was trained on (issue 18, defect 11)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from eventgold.documents import Document, write_documents
from eventgold.eval.evaluate import evaluate
from eventgold.eval.training_overlap import trained_on


def by_model(doc: Document, ids: list[str]) -> Document:
    return replace(doc, meta={"model": {"name": "trained", "path": "m", "trained_on": ids}})


def test_trained_on_reads_the_models_training_ids() -> None:
    doc = Document(id="d1", text="x")
    assert trained_on(by_model(doc, ["d0", "d1"]))
    assert not trained_on(by_model(doc, ["d0"]))
    assert not trained_on(doc)  # no model named: nothing known
    assert not trained_on(replace(doc, meta={"model": "rules"}))


def test_evaluate_lists_the_scored_documents_the_model_saw(
    tmp_path: Path, gold_dir: Path, pred_docs, schema
) -> None:
    preds = [by_model(d, ["d1", "d3", "elsewhere"]) for d in pred_docs]
    path = tmp_path / "p.jsonl"
    write_documents(path, preds)
    for predictions in (path, preds):
        result = evaluate(gold_dir, predictions, schema, bootstrap=0, tokens=False)
        assert result.seen_in_training == ("d1", "d3")
    assert result.to_json()["documents"]["seen_in_training"] == ["d1", "d3"]
    clean = evaluate(gold_dir, pred_docs, schema, bootstrap=0, tokens=False)
    assert clean.seen_in_training == ()


def test_compare_names_the_system_scored_on_its_training_documents(
    tmp_path: Path, gold_dir: Path, pred_docs, schema
) -> None:
    from eventgold.eval.compare import compare_predictions

    seen, clean = tmp_path / "seen.jsonl", tmp_path / "clean.jsonl"
    write_documents(seen, [by_model(d, ["d1", "d2", "d3"]) for d in pred_docs])
    write_documents(clean, pred_docs)
    result = compare_predictions(seen, clean, gold=gold_dir, schema=schema, resamples=0)
    assert result.warnings() == [
        f"{seen}: 3 scored document(s) were training documents of the model that predicted "
        "them, so its figures overstate it"
    ]
