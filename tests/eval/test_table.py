"""The per-document count table: figures equal summed per-document scores."""

from __future__ import annotations

import numpy as np
import pytest

from eventgold.documents import Document, Entity
from eventgold.eval.counts import SpanCounts
from eventgold.eval.matching import RULES, score, score_labels
from eventgold.eval.table import (
    MACRO,
    OVERALL,
    CountTable,
    build_table,
    f1_metrics,
    f1_values,
    reported,
    scores,
)


def _keys(doc) -> list:
    return [e.key for e in doc.entities]


def test_table_sums_equal_rule_counts(gold_docs, pred_docs) -> None:
    table = build_table(zip(gold_docs, pred_docs, strict=True), tokens=True)
    assert table.doc_ids == ("d1", "d2", "d3")
    offsets = table.offsets
    for name, rule in RULES.items():
        want = SpanCounts()
        for g, p in zip(gold_docs, pred_docs, strict=True):
            want += score(rule, _keys(g), _keys(p))
        j = offsets["entities", name, OVERALL]
        assert tuple(table.counts[:, j : j + 5].sum(axis=0)) == want.as_tuple()
        labels = score_labels(rule, _keys(gold_docs[0]), _keys(pred_docs[0]))
        j = offsets["entities", name, "ATTACKER"]
        assert tuple(table.counts[0, j : j + 5]) == labels["ATTACKER"].as_tuple()
    # Hand-worked: d1 strict has 2 correct (Rebels, UN), Kabul and 'the attack' incorrect.
    j = offsets["entities", "strict", OVERALL]
    assert table.counts[0, j : j + 5].tolist() == [2, 2, 0, 0, 0]
    j = offsets["relations", "strict", OVERALL]
    assert table.counts[:, j : j + 3].sum(axis=0).tolist() == [1, 1, 1]  # tp, fp, fn
    j = offsets["tokens", "iob2", OVERALL]
    assert table.counts[:, j : j + 3].sum(axis=0).tolist() == [5, 3, 2]


def test_empty_corpus_has_overall_groups_and_undefined_f1_reported_as_zero() -> None:
    table = build_table([], tokens=False)
    assert ("entities", "strict", OVERALL) in table.groups
    values = f1_values(table, table.counts.sum(axis=0))
    assert values.shape == (len(f1_metrics(table)),) and np.isnan(values).all()
    assert not reported(values).any()


def test_a_label_with_nothing_on_either_side_has_no_f1_and_macro_skips_it() -> None:
    one = Document("d1", "Rebels hit", entities=(Entity("a", 0, 6, "ATTACKER", "Rebels"),))
    two = Document("d2", "in Kabul", entities=(Entity("b", 3, 8, "LOCATION", "Kabul"),))
    pairs = [(one, one), (two, two.without_annotations())]  # d2's LOCATION is missed
    table = build_table(pairs, relations=False, tokens=False)
    names = f1_metrics(table)
    both = dict(zip(names, f1_values(table, table.counts.sum(axis=0)), strict=True))
    assert both["entities", "strict", "LOCATION"] == 0.0  # missed: defined, and 0
    assert both["entities", "strict", MACRO] == 0.5
    # A resample that drew d1 twice and never d2: LOCATION has no F1 there, not an F1 of 0.
    only_one = dict(zip(names, f1_values(table, np.array([2, 0]) @ table.counts), strict=True))
    assert np.isnan(only_one["entities", "strict", "LOCATION"])
    assert only_one["entities", "strict", MACRO] == 1.0


def test_json_round_trip(gold_docs, pred_docs) -> None:
    table = build_table(zip(gold_docs, pred_docs, strict=True), tokens=False)
    again = CountTable.from_json(table.to_json())
    assert again.groups == table.groups and np.array_equal(again.counts, table.counts)


def test_scores_vectorised_zero_division() -> None:
    p, r, _ = scores("span", np.array([[0, 0, 0, 0, 0], [1, 0, 2, 1, 0]]))
    assert p.tolist() == [0.0, pytest.approx(2 / 3)]
    assert r.tolist() == [0.0, pytest.approx(2 / 4)]


def test_build_table_leaves_the_garbage_collector_as_it_found_it(gold_docs, pred_docs) -> None:
    import gc

    def broken():
        yield gold_docs[0], pred_docs[0]
        raise RuntimeError("input broke")

    assert gc.isenabled()
    build_table(zip(gold_docs, pred_docs, strict=True))
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="input broke"):
        build_table(broken())
    assert gc.isenabled()
    gc.disable()
    try:
        build_table(zip(gold_docs, pred_docs, strict=True))
        assert not gc.isenabled()
    finally:
        gc.enable()
