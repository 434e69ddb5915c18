"""`predicted_event_rows`: the event rows of a prediction file, read in one pass or two."""

from __future__ import annotations

from pathlib import Path

from eventgold.documents import write_documents
from eventgold.eval.events.rows import predicted_event_rows
from eventgold.schema import load_schema
from tests.eval.events.helpers import seed_gold, seed_gold_file


def _cells(rows: list) -> list[dict]:
    return [r.to_record() for r in rows]


def test_rows_are_the_same_read_in_one_pass_or_two(tmp_path: Path) -> None:
    schema = load_schema()
    gold = seed_gold_file(tmp_path)
    docs = seed_gold()
    in_order, shuffled = tmp_path / "in-order.jsonl", tmp_path / "shuffled.jsonl"
    write_documents(in_order, docs[1:])  # the first document without a prediction
    # Out of the gold's order: read the two-pass way.
    write_documents(shuffled, [*docs[2:], docs[1]])
    one_pass, complete = predicted_event_rows(gold, in_order, schema)
    two_pass, also_complete = predicted_event_rows(gold, shuffled, schema)
    assert one_pass and _cells(one_pass) == _cells(two_pass)
    assert complete and also_complete
    assert docs[0].id not in {r.event.doc_id for r in one_pass}


def test_a_limit_keeps_the_first_rows_in_the_gold_order(tmp_path: Path) -> None:
    schema = load_schema()
    gold = seed_gold_file(tmp_path)
    write_documents(tmp_path / "pred.jsonl", seed_gold())
    every, _ = predicted_event_rows(gold, tmp_path / "pred.jsonl", schema)
    assert len(every) > 2
    first, complete = predicted_event_rows(gold, tmp_path / "pred.jsonl", schema, limit=2)
    assert _cells(first) == _cells(every[:2]) and not complete
    rows, complete = predicted_event_rows(gold, tmp_path / "pred.jsonl", schema, limit=len(every))
    assert _cells(rows) == _cells(every) and complete


def test_the_table_never_overwrites_an_input(tmp_path: Path) -> None:
    import pytest

    from eventgold.eval.events.rows import events
    from eventgold.problems import ProblemsError

    gold = seed_gold_file(tmp_path)
    preds = tmp_path / "events.parquet"  # the name of the table's own file
    preds.write_bytes(gold.read_bytes())
    with pytest.raises(ProblemsError) as caught:
        events(gold, tmp_path, load_schema(), predictions=preds)
    assert [str(p) for p in caught.value.problems] == [
        f"--out {preds}: is also --predictions, an input it would overwrite; name another file"
    ]
    assert preds.read_bytes() == gold.read_bytes()
    assert not (tmp_path / "events.csv").exists()
