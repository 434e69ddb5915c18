"""Document-level bootstrap: confidence intervals for every F1 and a paired test.

Documents, not spans, are resampled, because errors cluster within a document. A resample is
a vector of how many times each document was drawn (multinomial, seeded); its counts are that
vector times the per-document count table, one matrix product for all metrics at once, so
nothing is re-scored. Intervals are percentile intervals.

A resample that happens to leave out every gold and predicted item of a label has no F1 for
it (0/0), not an F1 of 0: that resample is left out of the label's interval, and its MACRO
averages the labels it has, as the point estimate does. A metric undefined in every resample
has no interval.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from eventgold.eval.table import (
    CountTable,
    GroupKey,
    f1_metrics,
    f1_values,
    group_offsets,
    group_width,
    reported,
)

# Resamples per matrix product: at most BLOCK, and at most WEIGHTS / documents, so that a
# block of weights stays near 64 MB however large the corpus (smaller blocks read the count
# table more often, and on a large corpus that costs more than the block's memory saves).
# numpy draws the same resamples whatever the block size (tested).
BLOCK = 200
WEIGHTS = 8_000_000


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """Settings, reported with every result so it can be reproduced."""

    resamples: int = 1000
    seed: int = 0
    confidence: float = 0.95

    def to_json(self) -> dict:
        return {
            "resamples": self.resamples,
            "seed": self.seed,
            "confidence": self.confidence,
            "unit": "document",
            "interval": "percentile",
        }


def _weights(n_docs: int, settings: Bootstrap) -> Iterator[np.ndarray]:
    """Blocks of resamples: how many times each document is drawn in n draws with
    replacement. That is a multinomial over equal shares, counted from uniform draws: the same
    distribution as `Generator.multinomial`, which is several times slower and on a large
    corpus would be most of the bootstrap's time."""
    rng = np.random.default_rng(settings.seed)
    left = settings.resamples
    block = max(1, min(BLOCK, WEIGHTS // n_docs))
    while left > 0:
        size = min(block, left)
        left -= size
        weights = np.empty((size, n_docs), dtype=np.float32)  # counts of draws: exact
        for i in range(size):  # row by row: no integer copy of the block, the same draws
            weights[i] = np.bincount(rng.integers(0, n_docs, size=n_docs), minlength=n_docs)
        yield weights


EXACT_FLOAT32 = 2**24  # every integer up to this is a float32, and none above it is missing


class ResampledSums:
    """A count table's column sums under blocks of resample weights, ``weights @ counts``.

    The product is made in float32 (half the memory traffic of float64, and about twice as
    fast) and kept when it is exact, else made again in float64. Every weight and count is a
    non-negative integer, so every product and partial sum is one too, none larger than the
    final sum: if every final sum is below 2**24, no step rounded, whatever order the BLAS
    adds in, and the figures are those of float64, to the last bit.
    """

    def __init__(self, counts: np.ndarray) -> None:
        self._counts = counts
        fits = counts.size == 0 or int(counts.max()) < EXACT_FLOAT32
        self._counts32 = counts.astype(np.float32) if fits else None
        self._counts64: np.ndarray | None = None

    def times(self, weights: np.ndarray) -> np.ndarray:
        """``weights @ counts`` as float64 (`weights`: resamples by documents)."""
        if self._counts32 is not None:
            sums = weights.astype(np.float32, copy=False) @ self._counts32
            if sums.size == 0 or float(sums.max()) < EXACT_FLOAT32:
                return sums.astype(np.float64)
        if self._counts64 is None:
            self._counts64 = self._counts.astype(np.float64)
        return weights.astype(np.float64) @ self._counts64


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """numpy's matrix products (BLAS) on one thread for the block.

    OpenBLAS spreads a product over every core and its threads spin while they wait: on a
    machine whose cores are busy with other work, the bootstrap of 100,000 documents took 8-11 s
    on two threads against 1.6-2.5 s on one (measured in turns, load average 4.4 on 2 cores);
    on idle cores one thread costs a fraction of a second more. Sums of integer counts are
    exact in any order, so the intervals are the same.
    """
    from threadpoolctl import threadpool_limits  # scikit-learn's; loads only when resampling

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def resampled_f1(table: CountTable, settings: Bootstrap) -> np.ndarray:
    """``(resamples, metrics)`` F1 values, metrics in `f1_metrics` order."""
    n = len(table.doc_ids)
    if n == 0 or settings.resamples <= 0:
        return np.zeros((0, len(f1_metrics(table))))
    counts = ResampledSums(table.counts)
    with one_blas_thread():
        return np.concatenate([f1_values(table, counts.times(w)) for w in _weights(n, settings)])


def intervals(table: CountTable, settings: Bootstrap) -> dict[GroupKey, tuple[float, float] | None]:
    """Percentile interval of every F1 (None when there is nothing to resample)."""
    samples = resampled_f1(table, settings)
    names = f1_metrics(table)
    tail = (1 - settings.confidence) / 2 * 100
    out: dict[GroupKey, tuple[float, float] | None] = {}
    for name, column in zip(names, samples.T, strict=True):
        defined = column[~np.isnan(column)]
        if len(defined) == 0:
            out[name] = None
            continue
        low, high = np.percentile(defined, [tail, 100 - tail])
        out[name] = (float(low), float(high))
    return out if len(samples) else dict.fromkeys(names)


@dataclass(frozen=True, slots=True)
class PairedResult:
    """F1 of systems A and B on the same documents, and the bootstrap test of A - B.

    Interval and p-value come from one distribution, the resampled differences (see
    `percentile_test`), so they never disagree: the interval at the settings' confidence
    excludes 0 exactly when ``p_value < 1 - confidence``.
    """

    f1_a: float
    f1_b: float
    delta: float
    low: float | None  # None, as `high` and `p_value`, when nothing was resampled
    high: float | None
    p_value: float | None

    def to_json(self) -> dict:
        return {
            "f1_a": self.f1_a,
            "f1_b": self.f1_b,
            "delta": self.delta,
            "ci": None if self.low is None else [self.low, self.high],
            "p_value": self.p_value,
        }


def align_tables(a: CountTable, b: CountTable) -> tuple[CountTable, CountTable]:
    """Give both tables the same groups (missing ones are zero) in the same column order.

    Raises ValueError if they do not cover the same documents in the same order.
    """
    if a.doc_ids != b.doc_ids:
        raise ValueError("the two results do not cover the same documents (same gold?)")
    groups = tuple(dict.fromkeys(a.groups + b.groups))
    return _regroup(a, groups), _regroup(b, groups)


def _regroup(t: CountTable, groups: tuple[GroupKey, ...]) -> CountTable:
    new_offsets, old_offsets = group_offsets(groups), t.offsets
    widths = {g: group_width(g) for g in groups}
    width = sum(widths.values())
    counts = np.zeros((len(t.doc_ids), width), dtype=np.int64)
    for g in t.groups:
        j, k = new_offsets[g], old_offsets[g]
        counts[:, j : j + widths[g]] = t.counts[:, k : k + widths[g]]
    return CountTable(doc_ids=t.doc_ids, groups=groups, counts=counts)


def paired_test(a: CountTable, b: CountTable, settings: Bootstrap) -> dict[GroupKey, PairedResult]:
    """Paired bootstrap of F1(A) - F1(B) for every metric; the same resamples for both."""
    a, b = align_tables(a, b)
    names = f1_metrics(a)
    obs_a = reported(f1_values(a, a.counts.sum(axis=0).astype(np.float64)))
    obs_b = reported(f1_values(b, b.counts.sum(axis=0).astype(np.float64)))
    delta = obs_a - obs_b
    n = len(a.doc_ids)
    if n == 0 or settings.resamples <= 0:
        return {  # no resamples, or no documents: the figures, and no test
            name: PairedResult(float(x), float(y), float(d), None, None, None)
            for name, x, y, d in zip(names, obs_a, obs_b, delta, strict=True)
        }
    ca, cb = ResampledSums(a.counts), ResampledSums(b.counts)
    with one_blas_thread():
        diffs = np.concatenate(
            [f1_values(a, ca.times(w)) - f1_values(b, cb.times(w)) for w in _weights(n, settings)]
        )
    # Rounded: 1 - 0.95 is 0.05000000000000004 in floats, which a p of exactly 0.05 is below.
    low, high, p = percentile_test(diffs, round(1 - settings.confidence, 12))
    return {
        name: PairedResult(
            f1_a=float(x),
            f1_b=float(y),
            delta=float(d),
            low=None if np.isnan(lo) else float(lo),
            high=None if np.isnan(hi) else float(hi),
            p_value=float(min(1.0, pv)),
        )
        for name, x, y, d, lo, hi, pv in zip(names, obs_a, obs_b, delta, low, high, p, strict=True)
    }


# Differences this close to 0 are float noise (equal systems): they count as 0 on both sides.
NOISE = 1e-12


def percentile_test(diffs: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval and two-sided p-value per column of ``(resamples, metrics)`` differences.

    One method for both, the percentile bootstrap, read two ways. Per metric, of its m
    defined resamples (a resample where either system has no F1 says nothing about their
    difference: NaN, left out), ``c`` is the smaller of how many are <= 0 and how many are
    >= 0; then

    - ``p = min(1, (2c + 1) / (m + 1))``: twice the share on the far side of 0, with add-one
      smoothing so it is never exactly 0;
    - the interval is ``[d_k, d_(m+1-k)]`` (sorted differences, 1-based), k the smallest
      count with ``p < alpha`` exactly when ``c < k``: ``k = ceil((alpha (m+1) - 1) / 2)``,
      about the alpha/2 and 1 - alpha/2 percentiles (k = 25 of 1,000 at 95%).

    So the interval excludes 0 if and only if p < alpha. With fewer resamples than that
    needs (k < 1: m < 20 at 95%) no p is below alpha, and the interval is NaN (none). A
    metric with no defined resample gets the interval [0, 0] and p = 1.
    """
    diffs = np.where(np.abs(diffs) < NOISE, 0.0, diffs)
    defined = ~np.isnan(diffs)
    m = defined.sum(axis=0)
    c = np.minimum((defined & (diffs <= 0)).sum(axis=0), (defined & (diffs >= 0)).sum(axis=0))
    p = np.minimum(1.0, (2 * c + 1) / (m + 1))
    k = np.ceil((alpha * (m + 1) - 1) / 2 - NOISE).astype(np.int64)
    ordered = np.sort(diffs, axis=0)  # NaN last
    low = np.full(diffs.shape[1], np.nan)
    high = np.full(diffs.shape[1], np.nan)
    for j in range(diffs.shape[1]):
        if m[j] == 0:
            low[j] = high[j] = 0.0
        elif k[j] >= 1:
            low[j], high[j] = ordered[k[j] - 1, j], ordered[m[j] - k[j], j]
    return low, high, p
