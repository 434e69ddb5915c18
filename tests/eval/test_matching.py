"""The four SemEval-2013 rules: hand-worked cases, invariants, and nervaluate as the oracle."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nervaluate import Evaluator

from eventgold.eval.counts import SpanCounts
from eventgold.eval.matching import (
    RULES,
    match_spans,
    overlapping_pairs,
    overlaps,
    score,
    score_labels,
)


def counts(rule: str, gold: list, pred: list) -> SpanCounts:
    return score(RULES[rule], gold, pred)


def label_counts(rule: str, gold: list, pred: list) -> dict[str, SpanCounts]:
    return score_labels(RULES[rule], gold, pred)


# The six scenarios of SemEval-2013 9.1 (as tabulated in nervaluate's README):
# gold, prediction, then the category under strict / exact / partial / type.
SCENARIOS = {
    "same span same label": (("A", 0, 5), ("A", 0, 5), ("COR", "COR", "COR", "COR")),
    "spurious": (None, ("A", 0, 5), ("SPU", "SPU", "SPU", "SPU")),
    "missed": (("A", 0, 5), None, ("MIS", "MIS", "MIS", "MIS")),
    "same span wrong label": (("A", 0, 5), ("B", 0, 5), ("INC", "COR", "COR", "INC")),
    "overlap same label": (("A", 0, 5), ("A", 2, 8), ("INC", "INC", "PAR", "COR")),
    "overlap wrong label": (("A", 0, 5), ("B", 2, 8), ("INC", "INC", "PAR", "INC")),
}
FIELD = {"COR": "correct", "INC": "incorrect", "PAR": "partial", "MIS": "missed", "SPU": "spurious"}


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("rule_index", range(4))
def test_semeval_scenarios(scenario: str, rule_index: int) -> None:
    gold, pred, expected = SCENARIOS[scenario]
    rule = list(RULES)[rule_index]
    c = counts(rule, [gold] if gold else [], [pred] if pred else [])
    want = {name: 0 for name in FIELD.values()}
    want[FIELD[expected[rule_index]]] = 1
    assert c == SpanCounts(**want), (scenario, rule)


def _all_scenarios() -> tuple[list, list]:
    # Each scenario moved to its own stretch of text so nothing overlaps across scenarios.
    gold, pred = [], []
    for i, (g, p, _) in enumerate(SCENARIOS.values()):
        if g:
            gold.append((g[0], g[1] + 100 * i, g[2] + 100 * i))
        if p:
            pred.append((p[0], p[1] + 100 * i, p[2] + 100 * i))
    return gold, pred


def test_all_scenarios_together_worked_by_hand() -> None:
    gold, pred = _all_scenarios()  # 5 gold spans, 5 predictions
    strict = counts("strict", gold, pred)
    assert strict.as_tuple() == (1, 3, 0, 1, 1)
    assert (strict.possible, strict.actual) == (5, 5)
    assert strict.precision == pytest.approx(1 / 5)
    exact = counts("exact", gold, pred)
    assert exact.as_tuple() == (2, 2, 0, 1, 1)
    assert exact.f1 == pytest.approx(2 / 5)
    partial = counts("partial", gold, pred)
    assert partial.as_tuple() == (2, 0, 2, 1, 1)
    assert partial.precision == pytest.approx((2 + 0.5 * 2) / 5)
    assert partial.recall == pytest.approx(3 / 5)
    typed = counts("type", gold, pred)
    assert typed.as_tuple() == (2, 2, 0, 1, 1)


def test_per_label_filters_both_sides_like_nervaluate() -> None:
    gold, pred = _all_scenarios()
    strict = label_counts("strict", gold, pred)
    # Label A: 5 gold; A predictions: exact hit, spurious, overlap -> COR 1, INC 1, SPU 1.
    assert strict["A"].as_tuple() == (1, 1, 0, 3, 1)
    # Label B: no gold, two B predictions, both spurious for B.
    assert strict["B"].as_tuple() == (0, 0, 0, 0, 2)
    assert label_counts("exact", gold, pred) == strict
    assert label_counts("partial", gold, pred)["A"].as_tuple() == (1, 0, 1, 3, 1)
    assert label_counts("type", gold, pred)["A"].as_tuple() == (2, 0, 0, 3, 1)


def test_empty_gold_empty_predictions_and_zero_division() -> None:
    for rule in RULES:
        none = counts(rule, [], [])
        assert (none.precision, none.recall, none.f1) == (0.0, 0.0, 0.0)
        only_pred = counts(rule, [], [("A", 0, 3), ("B", 4, 6)])
        assert only_pred.spurious == 2 and only_pred.f1 == 0.0
        only_gold = counts(rule, [("A", 0, 3)], [])
        assert only_gold.missed == 1 and only_gold.recall == 0.0 and only_gold.precision == 0.0


def test_nested_and_same_span_predictions_count_once_each() -> None:
    gold = [("A", 0, 10)]
    pred = [("A", 0, 10), ("A", 2, 5), ("B", 0, 10)]
    for rule in RULES:
        c = counts(rule, gold, pred)
        assert c.as_tuple() == (1, 0, 0, 0, 2), rule
    assert label_counts("strict", gold, pred)["B"].as_tuple() == (0, 0, 0, 0, 1)


def test_one_prediction_over_two_gold_spans_pairs_with_the_closest() -> None:
    gold = [("A", 0, 5), ("A", 6, 10)]
    pred = [("A", 0, 10)]  # distance 5 to the first, 6 to the second
    assert match_spans(gold, pred).closest == ((("A", 0, 5), ("A", 0, 10)),)
    assert counts("strict", gold, pred).as_tuple() == (0, 1, 0, 1, 0)
    assert counts("partial", gold, pred).as_tuple() == (0, 0, 1, 1, 0)
    assert counts("type", gold, pred).as_tuple() == (1, 0, 0, 1, 0)
    assert counts("type", gold, pred).possible == 2  # never counted twice


def test_type_rule_prefers_a_same_label_pair_over_a_closer_other_label() -> None:
    gold = [("A", 0, 10)]
    pred = [("B", 0, 10), ("A", 1, 9)]
    assert counts("type", gold, pred).as_tuple() == (1, 0, 0, 0, 1)
    assert counts("exact", gold, pred).as_tuple() == (1, 0, 0, 0, 1)


def _nervaluate(gold_docs: list[list], pred_docs: list[list], labels: list[str]) -> dict:
    # nervaluate's ends are inclusive.
    def conv(docs: list[list]) -> list[list[dict]]:
        return [[{"label": lab, "start": s, "end": e - 1} for lab, s, e in d] for d in docs]

    return Evaluator(conv(gold_docs), conv(pred_docs), tags=labels, loader="dict").evaluate()


NERVALUATE_NAMES = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}


def test_documented_difference_nervaluate_depends_on_prediction_order() -> None:
    gold = [("A", 0, 10), ("A", 12, 20)]
    straddling, exact = ("A", 5, 15), ("A", 0, 10)
    first = _nervaluate([gold], [[straddling, exact]], ["A"])["overall"]["strict"]
    second = _nervaluate([gold], [[exact, straddling]], ["A"])["overall"]["strict"]
    assert (first.correct, first.missed) != (second.correct, second.missed)
    ours = [counts("strict", gold, p) for p in ([straddling, exact], [exact, straddling])]
    assert ours[0] == ours[1] == SpanCounts(correct=1, incorrect=1)
    assert (second.correct, second.incorrect, second.missed, second.spurious) == (1, 1, 0, 0)


def test_documented_difference_nervaluate_needs_one_percent_of_a_long_gold_span() -> None:
    gold, pred = [("A", 0, 200)], [("A", 199, 210)]
    theirs = _nervaluate([gold], [pred], ["A"])["overall"]["partial"]
    assert (theirs.partial, theirs.spurious) == (0, 1)
    assert counts("partial", gold, pred).partial == 1


LABELS = ["A", "B", "C"]


@st.composite
def one_to_one_docs(draw: st.DrawFn) -> tuple[list, list]:
    """Documents where every span overlaps at most one span on the other side, gold spans at
    most 20 characters: the inputs where nervaluate's list-order matching is well defined."""
    gold, pred = [], []
    at = 0
    for _ in range(draw(st.integers(0, 6))):
        at += draw(st.integers(0, 3))
        width = draw(st.integers(1, 20))
        kind = draw(st.sampled_from(["both", "both", "gold", "pred"]))
        g_start = at + draw(st.integers(0, width - 1))
        g_end = draw(st.integers(g_start + 1, at + width))
        g = (draw(st.sampled_from(LABELS)), g_start, g_end)
        point = draw(st.integers(g_start, g_end - 1))  # shared character
        p = (
            draw(st.sampled_from(LABELS)),
            draw(st.integers(at, point)),
            draw(st.integers(point + 1, at + width)),
        )
        if kind == "gold" or kind == "both":
            gold.append(g)
        if kind == "pred":
            pred.append((p[0], at, at + width))
        if kind == "both":
            pred.append(p)
        at += width
    return gold, pred


@settings(max_examples=150, deadline=None)
@given(st.lists(one_to_one_docs(), min_size=1, max_size=4), st.randoms())
def test_equals_nervaluate_where_it_is_well_defined(docs: list, rnd: random.Random) -> None:
    gold_docs = [g for g, _ in docs]
    pred_docs = [rnd.sample(p, len(p)) for _, p in docs]
    theirs = _nervaluate(gold_docs, pred_docs, LABELS)
    for ours_name, their_name in NERVALUATE_NAMES.items():
        total = SpanCounts()
        per_label: dict[str, SpanCounts] = {}
        rule = RULES[ours_name]
        for g, p in zip(gold_docs, pred_docs, strict=True):
            total += score(rule, g, p)
            for label, c in score_labels(rule, g, p).items():
                per_label[label] = per_label.get(label, SpanCounts()) + c
        t = theirs["overall"][their_name]
        assert total.as_tuple() == (t.correct, t.incorrect, t.partial, t.missed, t.spurious)
        assert (total.possible, total.actual) == (t.possible, t.actual)
        assert total.precision == pytest.approx(t.precision)
        assert total.recall == pytest.approx(t.recall)
        assert total.f1 == pytest.approx(t.f1)
        assert set(per_label) == set(theirs["entities"])
        for label, c in per_label.items():
            tl = theirs["entities"][label][their_name]
            assert c.as_tuple() == (tl.correct, tl.incorrect, tl.partial, tl.missed, tl.spurious)
            assert c.f1 == pytest.approx(tl.f1)


spans = st.tuples(st.sampled_from(LABELS), st.integers(0, 30), st.integers(1, 12)).map(
    lambda t: (t[0], t[1], t[1] + t[2])
)


@settings(max_examples=150, deadline=None)
@given(st.lists(spans, max_size=12), st.lists(spans, max_size=12), st.randoms())
def test_any_overlaps_order_free_and_each_span_counted_once(
    gold: list, pred: list, rnd: random.Random
) -> None:
    shuffled = (rnd.sample(gold, len(gold)), rnd.sample(pred, len(pred)))
    for rule in RULES.values():
        c = score(rule, gold, pred)
        assert c == score(rule, *shuffled)
        assert c.possible == len(set(gold)) and c.actual == len(set(pred))
        assert 0.0 <= c.f1 <= 1.0
    strict, typed = (score(RULES[r], gold, pred) for r in ("strict", "type"))
    assert strict.correct <= typed.correct


@settings(max_examples=200, deadline=None)
@given(st.lists(spans, max_size=12), st.lists(spans, max_size=12))
def test_overlaps_are_exactly_the_pairs_sharing_a_character(gold: list, pred: list) -> None:
    brute = sorted((g, p) for g in gold for p in pred if g[1] < p[2] and p[1] < g[2])
    assert sorted(overlaps(gold, pred)) == brute
    assert sorted(overlapping_pairs(gold, pred)) == brute


def _greedy_oracle(pairs: list, used_gold: set, used_pred: set) -> set:
    taken = set()
    for g, p in pairs:
        if g not in used_gold and p not in used_pred:
            used_gold.add(g)
            used_pred.add(p)
            taken.add((g, p))
    return taken


@settings(max_examples=200, deadline=None)
@given(st.lists(spans, max_size=12), st.lists(spans, max_size=12))
def test_pairings_are_the_docstring_greedy_with_or_without_competing_spans(
    gold: list, pred: list
) -> None:
    """The shortcut for documents where no span overlaps two (no ordering) gives what the
    rule written out gives: greedy passes over every overlapping pair, closest first."""
    m = match_spans(gold, pred)
    pairs = overlapping_pairs(m.left_gold, m.left_pred)
    assert set(m.closest) == _greedy_oracle(pairs, set(), set())
    used: tuple[set, set] = (set(), set())
    assert set(m.same_label) == _greedy_oracle([x for x in pairs if x[0][0] == x[1][0]], *used)
    assert set(m.cross_label) == _greedy_oracle([x for x in pairs if x[0][0] != x[1][0]], *used)
