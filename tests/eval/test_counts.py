"""PRF and SemEval counts: sums, scores, and zero division giving 0.0."""

from __future__ import annotations

import pytest

from eventgold.eval.counts import PRF, SpanCounts


def test_prf_adds_up_and_scores() -> None:
    total = PRF(tp=2, fp=1, fn=0) + PRF(tp=1, fp=0, fn=3)
    assert total == PRF(tp=3, fp=1, fn=3)
    assert total.precision == pytest.approx(3 / 4)
    assert total.recall == pytest.approx(3 / 6)
    assert total.f1 == pytest.approx(2 * 0.75 * 0.5 / 1.25)


def test_prf_from_sets() -> None:
    assert PRF.from_sets({1, 2, 3}, {2, 3, 4, 5}) == PRF(tp=2, fp=2, fn=1)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (PRF(), (0.0, 0.0, 0.0)),  # nothing anywhere
        (PRF(fn=3), (0.0, 0.0, 0.0)),  # nothing predicted: precision 0/0 -> 0
        (PRF(fp=2), (0.0, 0.0, 0.0)),  # empty gold: recall 0/0 -> 0
    ],
)
def test_prf_zero_division_gives_zero(counts: PRF, expected: tuple) -> None:
    assert (counts.precision, counts.recall, counts.f1) == expected


def test_span_counts_semeval_formulas() -> None:
    c = SpanCounts(correct=2, incorrect=1, partial=2, missed=1, spurious=3)
    assert (c.possible, c.actual) == (6, 8)
    assert c.precision == pytest.approx((2 + 1) / 8)
    assert c.recall == pytest.approx((2 + 1) / 6)
    assert c + c == SpanCounts(4, 2, 4, 2, 6)
    assert SpanCounts().f1 == 0.0
