"""evaluate(): figures, provenance, missing documents, confusion and error cases."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventgold.documents import Document, Entity
from eventgold.eval.evaluate import (
    METRICS_VERSION,
    NONE,
    confusion_cells,
    evaluate,
    iter_evaluate,
    sentence_bounds,
)
from eventgold.eval.matching import match_spans
from eventgold.problems import ProblemsError
from eventgold.progress import Progress, collect


def test_result_json_carries_figures_and_provenance(gold_dir: Path, pred_file: Path, schema):
    result = evaluate(gold_dir, pred_file, schema, bootstrap=200, seed=1)
    data = result.to_json()
    assert data["metrics_version"] == METRICS_VERSION
    assert data["schema"] == {"name": "conflict_events", "version": "1.0.0"}
    gold_bytes = (gold_dir / "documents.jsonl").read_bytes()
    assert data["inputs"]["gold"]["sha256"] == hashlib.sha256(gold_bytes).hexdigest()
    assert (
        data["inputs"]["predictions"]["sha256"]
        == hashlib.sha256(pred_file.read_bytes()).hexdigest()
    )
    assert data["bootstrap"]["resamples"] == 200 and data["bootstrap"]["seed"] == 1
    strict = data["figures"]["entities"]["strict"]
    # 7 gold spans, 8 predictions: 5 correct, 2 incorrect (Kabul label, 'the attack'), 1 spurious.
    assert {k: strict["overall"][k] for k in ("correct", "incorrect", "missed", "spurious")} == {
        "correct": 5,
        "incorrect": 2,
        "missed": 0,
        "spurious": 1,
    }
    assert strict["overall"]["precision"] == pytest.approx(5 / 8)
    assert strict["overall"]["recall"] == pytest.approx(5 / 7)
    lo, hi = strict["overall"]["ci"]
    assert lo <= strict["overall"]["f1"] <= hi
    assert set(strict["labels"]) == {"ACTOR", "ATTACK", "ATTACKER", "LOCATION", "VICTIM_GROUP"}
    assert strict["macro"]["f1"] == pytest.approx(
        sum(f["f1"] for f in strict["labels"].values()) / 5
    )
    assert data["figures"]["entities"]["partial"]["overall"]["partial"] == 1
    assert data["figures"]["relations"]["boundaries"]["overall"]["tp"] == 1
    assert data["per_document"]["doc_ids"] == ["d1", "d2", "d3"]


def test_confusion_and_errors(gold_docs, pred_docs, schema) -> None:
    result = evaluate(gold_docs, pred_docs, schema, bootstrap=0)
    assert result.confusion[("LOCATION", "ATTACKER")] == 1
    assert result.confusion[(NONE, "ATTACKER")] == 1  # the spurious 'Nothing'
    assert result.confusion[("ATTACKER", "ATTACKER")] == 2
    kinds = {(e.doc_id, e.kind, e.context) for e in result.errors}
    assert kinds == {
        ("d1", "wrong label", "Rebels attacked Kabul."),
        ("d1", "wrong boundary", "The UN condemned the attack."),
        ("d3", "spurious", "Nothing happened today."),
    }
    assert result.error_counts == {
        "missed": 0,
        "spurious": 1,
        "wrong label": 1,
        "wrong boundary": 1,
        "wrong label and boundary": 0,
    }
    assert result.intervals[("entities", "strict", "ALL")] is None  # bootstrap=0


def test_missing_predictions_are_empty_and_reported(gold_docs, schema) -> None:
    result = evaluate(gold_docs, gold_docs[1:2], schema, bootstrap=0, tokens=False)
    assert result.missing == ("d1", "d3")
    overall = result.figures()["entities"]["strict"]["overall"]
    assert (overall["correct"], overall["missed"]) == (3, 4)
    assert "tokens" not in result.figures()


def test_empty_gold_and_empty_predictions(schema) -> None:
    # Refused in the library (issue 18: eval's refusals are policy, for every caller).
    with pytest.raises(ProblemsError) as caught:
        evaluate([], [], schema, bootstrap=10)
    assert caught.value.summary == (
        "the gold (documents) holds no documents: there is nothing to score"
    )
    assert [p.code for p in caught.value.problems] == ["empty-gold"]


def test_progress_events_end_with_the_result(gold_docs, pred_docs, schema) -> None:
    events, result = collect(iter_evaluate(gold_docs, pred_docs, schema, bootstrap=0))
    assert isinstance(events[0], Progress) and events[0].stage == "scoring"
    assert result.table.doc_ids == ("d1", "d2", "d3")


def test_scoring_pauses_the_collector_per_batch_never_across_a_yield(
    gold_docs, pred_docs, schema, monkeypatch
) -> None:
    import gc

    from eventgold.eval import evaluate as module

    monkeypatch.setattr(module, "PROGRESS_EVERY", 2)
    paused: list[bool] = []
    real_add = module.ColumnsBuilder.add

    def add(self, spans, resolved):
        paused.append(not gc.isenabled())
        return real_add(self, spans, resolved)

    monkeypatch.setattr(module.ColumnsBuilder, "add", add)
    steps = []
    for event in iter_evaluate(gold_docs, pred_docs, schema, bootstrap=0):
        assert gc.isenabled()  # the caller's code runs with the collector as it left it
        if isinstance(event, Progress) and event.stage == "scoring":
            steps.append(event.done)
    assert paused == [True] * 6  # both sides of 3 documents
    assert steps == [2, 3]


def test_sentence_bounds() -> None:
    text = "First one. Second, with 3.5 km! Third\nline"
    assert text[slice(*sentence_bounds(text, 11, 17))] == "Second, with 3.5 km!"
    assert text[slice(*sentence_bounds(text, 32, 37))] == "Third"


def _sentence_bounds_by_hand(text: str, start: int, end: int, reach: int) -> tuple[int, int]:
    # The character-by-character definition `sentence_bounds` implements with regexes.
    lo = max(0, start - reach)
    a = lo
    for i in range(start - 1, lo - 1, -1):
        if text[i] == "\n" or (text[i] in " \t" and i > 0 and text[i - 1] in ".!?"):
            a = i + 1
            break
    hi = min(len(text), end + reach)
    b = hi
    for i in range(end, hi):
        if text[i] == "\n" or (text[i] in ".!?" and (i + 1 == len(text) or text[i + 1].isspace())):
            b = i + (text[i] != "\n")
            break
    return a, b


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab .!?\t\n\u00a0\u2003\x1c", max_size=40),
    st.integers(0, 40),
    st.integers(0, 40),
    st.integers(0, 12),
)
def test_sentence_bounds_equal_the_definition(text: str, x: int, y: int, reach: int) -> None:
    start, end = sorted((min(x, len(text)), min(y, len(text))))
    assert sentence_bounds(text, start, end, reach=reach) == _sentence_bounds_by_hand(
        text, start, end, reach
    )


def test_error_keys_come_in_text_order_with_ties_fixed() -> None:
    from eventgold.eval.evaluate import MISSED, SPURIOUS, WRONG_BOUNDARY, error_keys
    from eventgold.eval.matching import match_spans

    gold = [("B", 0, 5), ("A", 0, 10), ("A", 20, 25)]
    pred = [("A", 21, 25), ("C", 30, 32)]
    keys = error_keys(match_spans(gold, pred))
    assert keys == [
        (MISSED, ("A", 0, 10), None),
        (MISSED, ("B", 0, 5), None),
        (WRONG_BOUNDARY, ("A", 20, 25), ("A", 21, 25)),
        (SPURIOUS, None, ("C", 30, 32)),
    ]


def _confusion_oracle(gold: list, pred: list) -> Counter:
    """The definition: every gold x predicted pair sharing a character, NONE for the rest."""
    gold_set, pred_set = set(gold), set(pred)
    pairs = [(g, p) for g in gold_set for p in pred_set if g[1] < p[2] and p[1] < g[2]]
    cells = Counter((g[0], p[0]) for g, p in pairs)
    cells.update((g[0], NONE) for g in gold_set - {g for g, _ in pairs})
    cells.update((NONE, p[0]) for p in pred_set - {p for _, p in pairs})
    return cells


_spans = st.tuples(st.sampled_from("AB"), st.integers(0, 30), st.integers(0, 8)).map(
    lambda t: (t[0], t[1], t[1] + t[2])  # empty spans included
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_spans, max_size=12), st.lists(_spans, max_size=12), st.integers(0, 6))
def test_confusion_cells_are_every_overlapping_pair(gold: list, pred: list, shared: int) -> None:
    pred = pred + gold[:shared]  # identical spans, which the cells are built from separately
    assert Counter(confusion_cells(match_spans(gold, pred))) == _confusion_oracle(gold, pred)


def _pred_records(schema) -> tuple[list[Document], list[dict]]:
    """Valid gold of 40 benchmark documents, and prediction records in gold order: three
    documents left out (first, middle, last), one with offset-free entities to align."""
    from bench.bench_eval import make_corpus, valid_gold

    gold, pred = make_corpus(40, seed=3, entities=8, relations=3)
    gold = [valid_gold(g, schema) for g in gold]
    pred = [valid_gold(p, schema) for p in pred]
    records = [p.to_json() for i, p in enumerate(pred) if i not in (0, 17, 39)]
    records[5]["entities"] = [{"label": e.label, "text": e.text} for e in pred[6].entities[:3]]
    records[5]["relations"] = []
    return gold, records


def test_predictions_in_gold_order_are_checked_and_scored_in_one_pass(
    tmp_path: Path, schema, jsonl, monkeypatch
) -> None:
    import random

    from eventgold.documents import write_documents
    from eventgold.eval.inputs import GoldFile, index_gold

    gold, records = _pred_records(schema)
    write_documents(tmp_path / "gold.jsonl", gold)
    in_order = jsonl(tmp_path / "in_order.jsonl", records)
    shuffled = jsonl(tmp_path / "shuffled.jsonl", random.Random(0).sample(records, len(records)))

    def two_pass(*_: object) -> Document:
        raise AssertionError("predictions in gold order read the gold more than once")

    with monkeypatch.context() as m:
        # The one pass neither indexes the gold first nor looks a gold document up.
        m.setattr("eventgold.eval.evaluate.index_gold", two_pass)
        m.setattr(GoldFile, "get", two_pass)
        one = evaluate(tmp_path / "gold.jsonl", in_order, schema, bootstrap=50).to_json()
    two = evaluate(tmp_path / "gold.jsonl", shuffled, schema, bootstrap=50).to_json()
    # In gold order, but a gap longer than the one pass holds: the two-pass way again.
    from eventgold.eval import evaluate as module

    indexed: list[Path] = []
    monkeypatch.setattr("eventgold.eval.one_pass.MAX_PASSED", 0)
    monkeypatch.setattr(module, "index_gold", lambda p, s: indexed.append(p) or index_gold(p, s))
    gap = evaluate(tmp_path / "gold.jsonl", in_order, schema, bootstrap=50).to_json()
    assert indexed == [tmp_path / "gold.jsonl"]
    assert one["documents"]["missing_predictions"] == ["d000000", "d000017", "d000039"]
    assert one["alignment"]["exact"] > 0 and one["per_document"]["doc_ids"][0] == "d000000"
    assert gap == one
    del one["inputs"], two["inputs"]  # the two prediction files' hashes
    assert one == two


def test_gold_problems_are_listed_whatever_the_predictions(tmp_path: Path, schema, jsonl):
    from eventgold.documents import write_documents
    from eventgold.problems import ProblemsError

    gold, records = _pred_records(schema)
    first, *rest = gold[30].entities
    rebel = Entity(first.id, first.start, first.end, "REBEL", first.text)
    gold[30] = gold[30].with_annotations(entities=[rebel, *rest], relations=gold[30].relations)
    write_documents(tmp_path / "gold.jsonl", gold)
    path = jsonl(tmp_path / "pred.jsonl", records)  # in order and fine
    with pytest.raises(ProblemsError, match=r"gold .*gold\.jsonl has 1 problem") as caught:
        evaluate(tmp_path / "gold.jsonl", path, schema, bootstrap=0)
    assert "document 'd000030' / entity 0" in str(caught.value.problems[0])


def test_problems_in_predictions_in_gold_order_are_all_listed(
    tmp_path: Path, schema, jsonl
) -> None:
    from eventgold.documents import write_documents
    from eventgold.eval.inputs import check_predictions, index_gold
    from eventgold.problems import ProblemsError

    gold, records = _pred_records(schema)
    write_documents(tmp_path / "gold.jsonl", gold)
    records[2]["text"] = "another text"
    records[9]["entities"][0]["label"] = "REBEL"
    records.insert(20, {"id": "nope", "entities": []})
    path = jsonl(tmp_path / "bad.jsonl", records)
    with pytest.raises(ProblemsError) as caught:
        evaluate(tmp_path / "gold.jsonl", path, schema, bootstrap=0, strict=True)
    gold_file = index_gold(tmp_path / "gold.jsonl", schema)
    _, expected = check_predictions(path, gold_file, schema, strict=True)
    assert caught.value.problems == expected and len(expected) == 3
    assert "bad.jsonl have 3 problem(s)" in str(caught.value.summary)


@settings(max_examples=300, deadline=None)
@given(st.lists(_spans, max_size=12), st.lists(_spans, max_size=12), st.integers(0, 6))
def test_error_counts_without_the_list_are_those_of_the_list(
    gold: list, pred: list, shared: int
) -> None:
    from eventgold.eval.evaluate import error_counts_of, error_keys

    m = match_spans(gold, pred + gold[:shared])
    assert error_counts_of(m) == Counter(kind for kind, _, _ in error_keys(m))


def test_result_written_streaming_is_the_json_of_to_json(
    tmp_path: Path, gold_dir: Path, pred_file: Path, schema, monkeypatch
) -> None:
    import json

    from eventgold.eval.table import CountTable

    result = evaluate(gold_dir, pred_file, schema, bootstrap=20)
    expected = json.dumps(result.to_json(), ensure_ascii=False) + "\n"
    write = CountTable.write_json
    # Blocks of one row and of two, so that rows are joined across blocks.
    for rows in (1, 2):
        monkeypatch.setattr(
            CountTable, "write_json", lambda t, fh, n=rows: write(t, fh, block_rows=n)
        )
        result.write_json(tmp_path / "r.json")
        assert (tmp_path / "r.json").read_text(encoding="utf-8") == expected
