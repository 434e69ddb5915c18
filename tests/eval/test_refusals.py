"""What scoring refuses (eval.refusals), for every caller of `evaluate` (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventgold.documents import Document, write_documents
from eventgold.eval.compare import compare_predictions
from eventgold.eval.evaluate import evaluate
from eventgold.eval.refusals import EMPTY_GOLD, NO_MATCH, refuse_unscorable
from eventgold.problems import ProblemsError


def test_refuse_unscorable_names_the_inputs_and_the_splits() -> None:
    with pytest.raises(ProblemsError) as caught:
        refuse_unscorable(gold="g", predictions="p.jsonl", documents=0, missing=0)
    assert caught.value.summary == "the gold g holds no documents: there is nothing to score"
    assert [(p.where, p.code) for p in caught.value.problems] == [("g", EMPTY_GOLD)]
    with pytest.raises(ProblemsError) as caught:
        refuse_unscorable(gold="g", predictions="p.jsonl", documents=3, missing=3, splits=["test"])
    assert caught.value.summary == (
        "p.jsonl has a prediction for none of the 3 gold document(s) in split(s) test; a model "
        "that finds nothing still writes each document, with no entities"
    )
    assert [str(p) for p in caught.value.problems] == [
        "p.jsonl: matches none of the 3 gold document(s) in split(s) test"
    ]
    assert caught.value.problems[0].code == NO_MATCH
    refuse_unscorable(gold="g", predictions="p.jsonl", documents=3, missing=2)  # one matches


def test_predictions_of_another_corpus_are_refused_by_evaluate_and_compare(
    tmp_path: Path, gold_dir: Path, pred_file: Path, schema
) -> None:
    other = tmp_path / "other.jsonl"
    write_documents(other, [Document(id="x1", text="Another corpus.")])
    expected = (
        f"{other} has a prediction for none of the 3 gold document(s); a model that finds "
        "nothing still writes each document, with no entities"
    )
    with pytest.raises(ProblemsError) as caught:
        evaluate(gold_dir, other, schema, bootstrap=0)
    assert caught.value.summary == expected
    with pytest.raises(ProblemsError) as caught:
        compare_predictions(other, pred_file, gold=gold_dir, schema=schema, resamples=10)
    assert caught.value.summary == expected


def test_predictions_outside_the_gold_are_ignored_and_counted(
    tmp_path: Path, gold_dir: Path, pred_docs, schema
) -> None:
    extra = [Document(id="c9", text="Not annotated yet."), Document(id="c8", text="Nor this.")]
    path = tmp_path / "corpus-preds.jsonl"
    write_documents(path, [*extra[:1], *pred_docs, *extra[1:]])
    result = evaluate(gold_dir, path, schema, bootstrap=0, tokens=False)
    alone = evaluate(gold_dir, pred_docs, schema, bootstrap=0, tokens=False)
    assert result.ignored == 2 and result.table.doc_ids == ("d1", "d2", "d3")
    assert result.figures() == alone.figures()
    assert result.to_json()["documents"]["ignored_predictions"] == 2
    # In code as well as in files.
    assert evaluate(gold_dir, [*extra, *pred_docs], schema, bootstrap=0).ignored == 2
    with pytest.raises(ProblemsError) as caught:
        evaluate(gold_dir, path, schema, bootstrap=0, strict=True)
    assert [p.code for p in caught.value.problems] == ["unknown-document"] * 2


def test_with_splits_other_splits_are_ignored_even_when_strict(
    tmp_path: Path, gold_dir: Path, pred_docs, schema
) -> None:
    path = tmp_path / "p.jsonl"
    write_documents(path, pred_docs)
    scoring = {"bootstrap": 0, "tokens": False, "splits": ["test"], "strict": True}
    result = evaluate(gold_dir, path, schema, **scoring)
    assert (len(result.table.doc_ids), result.ignored, result.splits) == (1, 2, ("test",))
    write_documents(path, [*pred_docs, Document(id="x9", text="Elsewhere.")])
    with pytest.raises(ProblemsError) as caught:
        evaluate(gold_dir, path, schema, **scoring)
    assert [str(p) for p in caught.value.problems] == [
        "p.jsonl line 4 / document 'x9': document id 'x9' is not in the gold (1 documents)"
    ]
