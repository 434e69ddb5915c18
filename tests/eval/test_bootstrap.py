"""Bootstrap intervals and the paired test, from per-document counts."""

from __future__ import annotations

import numpy as np
import pytest

from eventgold.documents import Document, Entity
from eventgold.eval.bootstrap import Bootstrap, intervals, paired_test, resampled_f1
from eventgold.eval.table import OVERALL, CountTable, build_table, f1_metrics

STRICT = ("entities", "strict", OVERALL)


def table(rows: list[list[int]]) -> CountTable:
    """A one-group table: strict SemEval counts per document."""
    return CountTable(
        doc_ids=tuple(f"d{i}" for i in range(len(rows))),
        groups=(STRICT,),
        counts=np.asarray(rows, dtype=np.int64).reshape(len(rows), 5),
    )


def test_intervals_are_seeded_and_contain_the_observed_f1() -> None:
    rng = np.random.default_rng(1)
    rows = [
        [int(rng.integers(0, 5)), 0, 0, int(rng.integers(0, 3)), int(rng.integers(0, 3))]
        for _ in range(40)
    ]
    t = table(rows)
    settings = Bootstrap(resamples=300, seed=7)
    ci = intervals(t, settings)[STRICT]
    assert ci == intervals(t, settings)[STRICT]  # same seed, same interval
    assert ci != intervals(t, Bootstrap(resamples=300, seed=8))[STRICT]
    sums = t.counts.sum(axis=0)
    observed = 2 * sums[0] / (2 * sums[0] + sums[3] + sums[4])
    assert ci[0] < observed < ci[1]
    assert resampled_f1(t, settings).shape == (300, len(f1_metrics(t)))


def test_constant_documents_give_a_zero_width_interval_and_empty_gives_none() -> None:
    t = table([[1, 0, 0, 1, 0]] * 10)
    lo, hi = intervals(t, Bootstrap(resamples=50))[STRICT]
    assert lo == pytest.approx(hi) == pytest.approx(2 / 3)
    assert intervals(table([]), Bootstrap(resamples=50))[STRICT] is None


def test_paired_test_identical_systems_and_a_clear_difference() -> None:
    a = table([[3, 0, 0, 0, 0]] * 30)
    same = paired_test(a, a, Bootstrap(resamples=200))[STRICT]
    assert (same.delta, same.p_value) == (0.0, 1.0)
    b = table([[1, 0, 0, 2, 2]] * 15 + [[3, 0, 0, 0, 0]] * 15)
    diff = paired_test(a, b, Bootstrap(resamples=500, seed=3))[STRICT]
    assert diff.delta > 0.2 and diff.low > 0 and diff.p_value < 0.01
    assert diff.p_value >= 1 / 501  # add-one smoothing: never exactly 0


def test_paired_test_needs_the_same_documents() -> None:
    with pytest.raises(ValueError, match="same documents"):
        paired_test(table([[1, 0, 0, 0, 0]]), table([[1, 0, 0, 0, 0]] * 2), Bootstrap())


def test_resamples_do_not_depend_on_the_block_size(monkeypatch) -> None:
    """Blocks only bound memory (at most WEIGHTS weights at a time): the seeded resamples, and
    so every interval and paired test, are the same for any block size."""
    import eventgold.eval.bootstrap as bootstrap

    rng = np.random.default_rng(3)
    t = table([[int(rng.integers(0, 5)), 0, 0, int(rng.integers(0, 3)), 1] for _ in range(50)])
    settings = Bootstrap(resamples=230, seed=5)
    whole = resampled_f1(t, settings)
    monkeypatch.setattr(bootstrap, "WEIGHTS", 50 * 7)  # blocks of 7 resamples
    assert np.array_equal(resampled_f1(t, settings), whole, equal_nan=True)
    monkeypatch.setattr(bootstrap, "WEIGHTS", 1)  # one at a time
    assert np.array_equal(resampled_f1(t, settings), whole, equal_nan=True)


def test_each_resample_draws_every_document_n_times_in_all_with_equal_chances() -> None:
    """A resample is n draws with replacement: counts sum to n, and over many resamples
    every document is drawn once on average (the multinomial the intervals rest on)."""
    from eventgold.eval.bootstrap import _weights

    n = 40
    blocks = list(_weights(n, Bootstrap(resamples=3000, seed=1)))
    weights = np.concatenate(blocks)
    assert weights.shape == (3000, n)
    assert (weights.sum(axis=1) == n).all() and (weights >= 0).all()
    assert np.array_equal(weights, np.round(weights))
    # Each count is Binomial(n, 1/n): mean 1, variance (1 - 1/n); 3,000 resamples put every
    # document's mean within 0.1 of 1 (over 5 standard errors) and its variance near.
    assert np.abs(weights.mean(axis=0) - 1).max() < 0.1
    assert np.abs(weights.var(axis=0) - (1 - 1 / n)).max() < 0.15
    # And the counts are not the same for every document (a broken draw could sum to n).
    assert len({tuple(row) for row in weights[:50]}) == 50


def rare_actor_gold() -> list[Document]:
    """19 documents with an ATTACKER, one with an ACTOR: a third of resamples lack ACTOR."""
    docs = [
        Document(f"d{i}", "Rebels hit", entities=(Entity("a", 0, 6, "ATTACKER", "Rebels"),))
        for i in range(19)
    ]
    return [*docs, Document("d19", "UN says", entities=(Entity("b", 0, 2, "ACTOR", "UN"),))]


def test_a_perfect_system_gets_one_for_every_interval_however_rare_a_label() -> None:
    docs = rare_actor_gold()
    t = build_table([(d, d) for d in docs], relations=False, tokens=False)
    cis = intervals(t, Bootstrap(resamples=300, seed=1))
    # About a third of the resamples lack d19: ACTOR has no F1 there, rather than F1 0.
    assert set(cis.values()) == {(1.0, 1.0)}


def test_paired_test_leaves_out_resamples_without_the_label() -> None:
    gold = rare_actor_gold()
    perfect = build_table([(d, d) for d in gold], relations=False, tokens=False)
    blind = build_table([(d, d.without_annotations()) for d in gold], relations=False, tokens=False)
    rows = paired_test(perfect, blind, Bootstrap(resamples=300, seed=1))
    actor = rows["entities", "strict", "ACTOR"]
    assert (actor.f1_a, actor.f1_b, actor.delta) == (1.0, 0.0, 1.0)
    assert (actor.low, actor.high) == (1.0, 1.0)  # never 0: resamples without d19 left out
    same = paired_test(perfect, perfect, Bootstrap(resamples=300, seed=1))
    assert all(r.delta == 0 and r.p_value == 1.0 for r in same.values())


def test_the_interval_excludes_zero_exactly_when_p_is_below_alpha() -> None:
    """One method for both (issue 18, defect 12): an interval [-0.289, -0.068] with p = 0.066
    was possible when they came from two methods."""
    rng = np.random.default_rng(12)
    significant = seen = 0
    for case in range(40):
        n = int(rng.integers(8, 40))
        gold = rng.integers(1, 5, size=n)
        # B finds a share of the gold spans drawn around A's: small and large differences.
        hit_a = rng.binomial(gold, 0.6)
        hit_b = rng.binomial(gold, float(rng.uniform(0.3, 0.8)))
        rows_a = [
            [h, 0, 0, g - h, int(rng.integers(0, 2))] for g, h in zip(gold, hit_a, strict=True)
        ]
        rows_b = [
            [h, 0, 0, g - h, int(rng.integers(0, 2))] for g, h in zip(gold, hit_b, strict=True)
        ]
        for resamples in (100, 1000):
            settings = Bootstrap(resamples=resamples, seed=case)
            row = paired_test(table(rows_a), table(rows_b), settings)[STRICT]
            excludes_zero = row.low > 0 or row.high < 0
            assert excludes_zero == (row.p_value < 0.05), (case, resamples, row)
            significant += excludes_zero
            seen += 1
    assert 0 < significant < seen  # both kinds of case were tried


def test_too_few_resamples_for_a_95_interval_give_none_and_no_small_p() -> None:
    a = table([[3, 0, 0, 0, 0]] * 30)
    b = table([[1, 0, 0, 2, 2]] * 30)
    row = paired_test(a, b, Bootstrap(resamples=19, seed=1))[STRICT]
    assert (row.low, row.high, row.p_value) == (None, None, 0.05)
    row = paired_test(a, b, Bootstrap(resamples=20, seed=1))[STRICT]
    assert row.low == row.high == pytest.approx(row.delta) and row.p_value == 1 / 21


def test_resampled_sums_are_the_float64_product_below_and_above_float32s_exact_range():
    from eventgold.eval.bootstrap import EXACT_FLOAT32, ResampledSums

    rng = np.random.default_rng(3)
    weights = rng.integers(0, 5, size=(7, 50)).astype(np.float32)
    small = rng.integers(0, 40, size=(50, 6))
    assert np.array_equal(ResampledSums(small).times(weights), weights.astype(float) @ small)
    # Sums beyond 2**24 would round in float32: they are made in float64.
    large = small + EXACT_FLOAT32 // 8
    exact = weights.astype(np.float64) @ large.astype(np.float64)
    assert exact.max() > EXACT_FLOAT32
    assert np.array_equal(ResampledSums(large).times(weights), exact)
