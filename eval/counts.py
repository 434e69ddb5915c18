"""Count records that add up across documents, and the scores derived from them.

Every figure eventgold reports is computed from summed counts (micro averaging), never by
averaging per-document scores, so counts are what the bootstrap resamples. Zero division
gives 0.0 (precision with nothing predicted, recall with nothing in the gold, F1 when both
are 0), as seqeval and nervaluate do, so an empty side scores 0 rather than failing.
"""

from __future__ import annotations

from dataclasses import dataclass


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 when the denominator is 0 (see module docstring)."""
    return numerator / denominator if denominator else 0.0


def harmonic(precision: float, recall: float) -> float:
    """F1 as the harmonic mean, 0.0 when both are 0."""
    return ratio(2 * precision * recall, precision + recall)


@dataclass(frozen=True, slots=True)
class PRF:
    """Set-based counts: true positives, false positives, false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: PRF) -> PRF:
        return PRF(tp=self.tp + other.tp, fp=self.fp + other.fp, fn=self.fn + other.fn)

    @classmethod
    def from_sets(cls, gold: set, pred: set) -> PRF:
        tp = len(gold & pred)
        return cls(tp=tp, fp=len(pred) - tp, fn=len(gold) - tp)

    @property
    def precision(self) -> float:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        return harmonic(self.precision, self.recall)

    def as_tuple(self) -> tuple[int, ...]:
        return (self.tp, self.fp, self.fn)


@dataclass(frozen=True, slots=True)
class SpanCounts:
    """SemEval-2013 task 9.1 counts for one matching rule.

    ``possible`` (POS) is what the gold holds, ``actual`` (ACT) what the system produced;
    precision = (COR + 0.5 PAR) / ACT and recall = (COR + 0.5 PAR) / POS. Only the partial rule
    produces PAR, so for the other rules this is plain COR / ACT and COR / POS.
    """

    correct: int = 0
    incorrect: int = 0
    partial: int = 0
    missed: int = 0
    spurious: int = 0

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(
            correct=self.correct + other.correct,
            incorrect=self.incorrect + other.incorrect,
            partial=self.partial + other.partial,
            missed=self.missed + other.missed,
            spurious=self.spurious + other.spurious,
        )

    @property
    def possible(self) -> int:
        return self.correct + self.incorrect + self.partial + self.missed

    @property
    def actual(self) -> int:
        return self.correct + self.incorrect + self.partial + self.spurious

    @property
    def precision(self) -> float:
        return ratio(self.correct + 0.5 * self.partial, self.actual)

    @property
    def recall(self) -> float:
        return ratio(self.correct + 0.5 * self.partial, self.possible)

    @property
    def f1(self) -> float:
        return harmonic(self.precision, self.recall)

    def as_tuple(self) -> tuple[int, ...]:
        return (self.correct, self.incorrect, self.partial, self.missed, self.spurious)


SPAN_COUNT_NAMES = ("correct", "incorrect", "partial", "missed", "spurious")
PRF_COUNT_NAMES = ("tp", "fp", "fn")
