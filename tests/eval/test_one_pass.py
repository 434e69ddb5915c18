"""The one pass: gold and predictions checked and paired side by side, or `NotOnePass`."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventgold.eval.one_pass import (
    NotOnePass,
    OnePass,
    checked_gold,
    checked_gold_heads,
    count_lines,
)
from eventgold.eval.table import gold_parts


def test_pairs_come_in_gold_order_and_a_skipped_document_is_an_empty_prediction(
    gold_dir: Path, schema, gold_docs, pred_docs, jsonl
) -> None:
    first, last = pred_docs[0], pred_docs[2]
    path = jsonl(gold_dir.parent / "p.jsonl", [first.to_json(), last.to_json()])
    one_pass = OnePass(gold_dir, path, schema)
    pairs = list(one_pass)
    assert [(g.id, p.id) for g, p in pairs] == [("d1", "d1"), ("d2", "d2"), ("d3", "d3")]
    assert pairs[0] == (gold_docs[0], first) and pairs[2][1] == last
    assert pairs[1][1] == gold_docs[1].without_annotations()
    assert one_pass.missing == ("d2",) and one_pass.alignment is None


def test_with_parts_documents_are_heads_and_each_part_is_taken_once(
    gold_dir: Path, pred_file: Path, schema, gold_docs, pred_docs
) -> None:
    one_pass = OnePass(gold_dir, pred_file, schema, parts=True)
    for (gold, pred), want_gold, want_pred in zip(one_pass, gold_docs, pred_docs, strict=True):
        assert gold == want_gold.without_annotations()
        assert pred == want_pred.without_annotations()
        assert one_pass.gold_parts(gold) == gold_parts(want_gold)
        assert one_pass.pred_parts(pred) == gold_parts(want_pred)
        with pytest.raises(KeyError):
            one_pass.pred_parts(pred)


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (["d2", "d1"], "prediction 'd1' is out of the gold's order or not in it"),
        (["d1", "d9"], "prediction 'd9' is out of the gold's order or not in it"),
    ],
)
def test_a_prediction_out_of_the_gold_order_ends_the_pass(
    gold_dir: Path, schema, jsonl, order: list[str], message: str
) -> None:
    path = jsonl(gold_dir.parent / "p.jsonl", [{"id": i, "entities": []} for i in order])
    with pytest.raises(NotOnePass, match=message):
        list(OnePass(gold_dir, path, schema))


def test_a_bad_prediction_ends_the_pass_with_its_problem(gold_dir: Path, schema, jsonl) -> None:
    bad = {"id": "d1", "entities": [{"label": "NOPE", "start": 0, "end": 6}]}
    path = jsonl(gold_dir.parent / "p.jsonl", [bad])
    with pytest.raises(NotOnePass, match="label 'NOPE' is not in schema"):
        list(OnePass(gold_dir, path, schema))


def test_missing_files_are_refused_before_reading(gold_dir: Path, pred_file: Path, schema) -> None:
    with pytest.raises(FileNotFoundError, match="no such prediction file"):
        OnePass(gold_dir, gold_dir / "none.jsonl", schema)
    with pytest.raises(FileNotFoundError, match="no such gold file"):
        OnePass(gold_dir / "none", pred_file, schema)


@pytest.mark.parametrize(
    ("content", "lines"), [(b"", 0), (b"a\n", 1), (b"a\nb", 2), (b"a\n\nb\n", 3)]
)
def test_count_lines_counts_a_last_line_without_a_break(
    tmp_path: Path, content: bytes, lines: int
) -> None:
    (tmp_path / "f.jsonl").write_bytes(content)
    assert count_lines(tmp_path / "f.jsonl") == lines


def test_gold_heads_and_parts_equal_the_checked_documents(gold_dir: Path, schema) -> None:
    file = gold_dir / "documents.jsonl"
    parts: dict = {}
    heads = list(checked_gold_heads(file, schema, parts))
    docs = list(checked_gold(file, schema))
    assert heads == [d.without_annotations() for d in docs]
    assert parts == {d.id: gold_parts(d) for d in docs}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "d1", "text": "x"}', "duplicate document id 'd1'"),
        ('{"id": " ", "text": "x"}', "field 'id' must not be empty"),
        ("not json", "not valid JSON"),
        (
            '{"id": "d9", "text": "a b", "entities": [{"start": 0, "end": 2, "label": "ACTOR"}]}',
            "starts or ends with whitespace",
        ),
    ],
)
def test_a_gold_line_with_a_problem_ends_the_heads(
    gold_dir: Path, schema, line: str, message: str
) -> None:
    file = gold_dir / "documents.jsonl"
    file.write_text(file.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    with pytest.raises(NotOnePass, match=message):
        list(checked_gold_heads(file, schema, {}))
