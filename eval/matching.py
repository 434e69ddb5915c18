"""Entity matching under the four SemEval-2013 task 9.1 rules, one class per rule.

A span is ``(label, start, end)`` (`Entity.key`). `match_spans` pairs one document's gold and
predicted spans once; each rule class then reads its counts off that pairing, so scoring four
rules costs one pairing, not four.

How pairs are chosen (the same for every rule, and why):
  1. A gold and a predicted span with the same label and boundaries are matched first.
  2. The remaining spans are paired one to one over *overlap* (at least one shared character),
     closest boundaries first: pairs are taken in order of |start difference| + |end
     difference|, ties broken by position then label, skipping spans already paired.
Because the order comes from the spans themselves, the result does not depend on the order
of the input lists, and every gold span is counted exactly once (POS = number of gold spans)
and every prediction exactly once (ACT = number of predictions).

Differences from nervaluate 1.2.1 (whose strategies walk the predictions in list order and
take the *first* overlapping gold span): when a prediction overlaps several gold spans, or
several predictions overlap one gold span, nervaluate's counts depend on list order and we
pair by closest boundaries instead. nervaluate also counts an overlap only if it covers at
least 1% of the gold span, so a 1-character overlap with a gold span over 100 characters is
not an overlap there but is here. When every span overlaps at most one span on the other side
and gold spans are at most 100 characters, the two agree exactly (tested with nervaluate as
the oracle). Per-label figures follow nervaluate: both sides are filtered to the label first,
so a prediction with the wrong label counts against its own label, not the gold one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from eventgold.eval.counts import SpanCounts

Span = tuple[str, int, int]
Pair = tuple[Span, Span]  # (gold, predicted)


def _greedy(pairs: Iterable[Pair], used_gold: set[Span], used_pred: set[Span]) -> list[Pair]:
    """Take pairs in the given order while neither side is already taken (updates the sets)."""
    taken = []
    for g, p in pairs:
        if g not in used_gold and p not in used_pred:
            used_gold.add(g)
            used_pred.add(p)
            taken.append((g, p))
    return taken


Count = Any  # an int, or a numpy array of per-document ints: the rule formulas serve both


@dataclass(frozen=True, slots=True)
class Tally:
    """The numbers every rule's counts are a formula of.

    ``same``: identical spans. ``closest``: further pairs by overlap whatever the labels, of
    which ``bounds`` have the same boundaries. ``same_label``: further pairs with equal labels;
    ``cross_label``: pairs with other labels among what ``same_label`` left. For one label
    with both sides filtered to it, ``closest = same_label`` and ``bounds = cross_label = 0``
    (identical boundaries and label would be in ``same``), see `SpanMatch.label_tallies`.
    """

    gold: Count
    pred: Count
    same: Count
    bounds: Count
    closest: Count
    same_label: Count
    cross_label: Count


def label_tally(gold: Count, pred: Count, same: Count, paired: Count) -> Tally:
    """The `Tally` of one label, both sides filtered to it (``paired``: same-label pairs)."""
    return Tally(gold, pred, same, 0, paired, paired, 0)


class SpanMatch(NamedTuple):
    """One document's gold and predicted spans and how they pair up (see module docstring).

    The pair lists are in no particular order (readers that show pairs sort them). A named
    tuple, not a frozen dataclass: one is made per document, and the dataclass's
    ``__init__`` (an ``object.__setattr__`` per field) is several times slower to build.
    """

    gold: frozenset[Span]
    pred: frozenset[Span]
    same: frozenset[Span]
    left_gold: frozenset[Span]  # gold - same
    left_pred: frozenset[Span]  # pred - same
    closest: tuple[Pair, ...]
    same_label: tuple[Pair, ...]
    cross_label: tuple[Pair, ...]

    def tally(self) -> Tally:
        bounds = sum(1 for g, p in self.closest if g[1] == p[1] and g[2] == p[2])
        return Tally(
            len(self.gold),
            len(self.pred),
            len(self.same),
            bounds,
            len(self.closest),
            len(self.same_label),
            len(self.cross_label),
        )

    def label_tallies(self) -> dict[str, Tally]:
        """Per label, as nervaluate does it: both sides filtered to the label first."""
        t: dict[str, list[int]] = {}
        for spans, slot in ((self.gold, 0), (self.pred, 1), (self.same, 2)):
            for s in spans:
                t.setdefault(s[0], [0, 0, 0, 0])[slot] += 1
        for g, _ in self.same_label:
            t[g[0]][3] += 1
        return {label: label_tally(*v) for label, v in t.items()}


_START = itemgetter(1)


def overlaps(gold: Iterable[Span], pred: Iterable[Span]) -> list[Pair]:
    """Every (gold, predicted) pair sharing at least one character, in no particular order.

    One sweep over both sides sorted by start: a prediction that starts more than the longest
    prediction's length before a gold span ends before it, and before every later one, so
    it is never looked at again, so each gold span looks only at the predictions near it, not
    at every prediction from the first.
    """
    by_start = sorted(pred, key=_START)
    if not by_start:
        return []
    longest = max([p[2] - p[1] for p in by_start])
    n = len(by_start)
    out: list[Pair] = []
    first = 0  # predictions before it end before every gold span still to come
    for g in sorted(gold, key=_START):
        g_start, g_end = g[1], g[2]
        reach = g_start - longest
        while first < n and by_start[first][1] < reach:
            first += 1
        j = first
        while j < n:
            p = by_start[j]
            if p[1] >= g_end:
                break  # sorted by start: no later prediction reaches back into g
            if p[2] > g_start:
                out.append((g, p))
            j += 1
    return out


def _closest_first(pairs: Iterable[Pair]) -> list[Pair]:
    keyed = [
        (abs(g[1] - p[1]) + abs(g[2] - p[2]), g[1], g[2], g[0], p[1], p[2], p[0], g, p)
        for g, p in pairs
    ]
    keyed.sort()
    return [(k[7], k[8]) for k in keyed]


def overlapping_pairs(gold: Iterable[Span], pred: Iterable[Span]) -> list[Pair]:
    """Every (gold, predicted) pair sharing a character, closest boundaries first.

    Order: |start difference| + |end difference|, then gold start, end, label, then
    predicted start, end, label; a total order, so the input order never matters.
    """
    return _closest_first(overlaps(gold, pred))


_GOLD = itemgetter(0)
_PRED = itemgetter(1)


def _pairings(
    left_gold: Iterable[Span], left_pred: Iterable[Span]
) -> tuple[list[Pair], list[Pair], list[Pair]]:
    """The closest, same-label and cross-label pairings of the module docstring's step 2."""
    pairs = overlaps(left_gold, left_pred)
    n = len(pairs)
    if len(set(map(_GOLD, pairs))) == n == len(set(map(_PRED, pairs))):
        # No span overlaps two on the other side, so every greedy pass takes every pair
        # offered, whatever the order: skip the ordering (most documents, measured).
        same_label = [x for x in pairs if x[0][0] == x[1][0]]
        return pairs, same_label, [x for x in pairs if x[0][0] != x[1][0]]
    pairs = _closest_first(pairs)
    closest = _greedy(pairs, set(), set())
    used_gold: set[Span] = set()
    used_pred: set[Span] = set()
    same_label = _greedy([x for x in pairs if x[0][0] == x[1][0]], used_gold, used_pred)
    cross_label = _greedy([x for x in pairs if x[0][0] != x[1][0]], used_gold, used_pred)
    return closest, same_label, cross_label


def match_spans(gold: Iterable[Span], pred: Iterable[Span]) -> SpanMatch:
    """Pair a document's gold and predicted spans (duplicates collapse: spans are a set)."""
    gold_set = frozenset(gold)
    pred_set = frozenset(pred)
    same = gold_set & pred_set
    left_gold, left_pred = gold_set - same, pred_set - same
    if not (left_gold and left_pred):
        return SpanMatch(gold_set, pred_set, same, left_gold, left_pred, (), (), ())
    closest, same_label, cross_label = _pairings(left_gold, left_pred)
    return SpanMatch(
        gold_set,
        pred_set,
        same,
        left_gold,
        left_pred,
        tuple(closest),
        tuple(same_label),
        tuple(cross_label),
    )


def span_counts(t: Tally, matched: tuple[Count, Count, Count]) -> SpanCounts:
    """SemEval counts from a rule's (COR, INC, PAR): the rest of each side is MIS / SPU."""
    correct, incorrect, partial = matched
    return SpanCounts(
        correct=correct,
        incorrect=incorrect,
        partial=partial,
        missed=t.gold - correct - incorrect - partial,
        spurious=t.pred - correct - incorrect - partial,
    )


class StrictRule:
    """Strict: same boundaries AND same label.

    COR: a prediction with exactly the boundaries and label of a gold span.
    INC: a prediction overlapping a gold span that is otherwise unmatched, with different
         boundaries or a different label (paired closest boundaries first).
    MIS: a gold span left unpaired. SPU: a prediction left unpaired. PAR is always 0.
    Per label: both sides filtered to the label, so INC is a same-label boundary error.
    """

    name = "strict"

    def matched(self, t: Tally) -> tuple[Count, Count, Count]:
        return t.same, t.closest, 0


class ExactRule:
    """Exact: same boundaries, whatever the label.

    COR: a prediction with exactly the boundaries of a gold span (any label).
    INC: a prediction overlapping an otherwise unmatched gold span with different boundaries.
    MIS: a gold span left unpaired. SPU: a prediction left unpaired. PAR is always 0.
    Per label: both sides filtered to the label, so the figures equal the strict rule's.
    """

    name = "exact"

    def matched(self, t: Tally) -> tuple[Count, Count, Count]:
        return t.same + t.bounds, t.closest - t.bounds, 0


class PartialRule:
    """Partial: overlap, whatever the label; half credit when the boundaries differ.

    COR: a prediction with exactly the boundaries of a gold span (any label).
    PAR: a prediction overlapping an otherwise unmatched gold span with different boundaries;
         it scores 0.5 in precision and recall.
    MIS: a gold span left unpaired. SPU: a prediction left unpaired. INC is always 0.
    """

    name = "partial"

    def matched(self, t: Tally) -> tuple[Count, Count, Count]:
        return t.same + t.bounds, 0, t.closest - t.bounds


class TypeRule:
    """Type: overlap AND same label, whatever the boundaries.

    COR: a prediction overlapping a gold span with the same label (identical spans first, then
         same-label overlaps closest boundaries first).
    INC: a prediction overlapping a gold span still unmatched after that, with another label.
    MIS: a gold span left unpaired. SPU: a prediction left unpaired. PAR is always 0.
    """

    name = "type"

    def matched(self, t: Tally) -> tuple[Count, Count, Count]:
        return t.same + t.same_label, t.cross_label, 0


Rule = StrictRule | ExactRule | PartialRule | TypeRule

# Report order; the names are those of SemEval-2013 (nervaluate calls "type" "ent_type").
RULES: dict[str, Rule] = {r.name: r for r in (StrictRule(), ExactRule(), PartialRule(), TypeRule())}


def score(rule: Rule, gold: Iterable[Span], pred: Iterable[Span]) -> SpanCounts:
    """One document's counts under `rule` (convenience over `match_spans`)."""
    t = match_spans(gold, pred).tally()
    return span_counts(t, rule.matched(t))


def score_labels(rule: Rule, gold: Iterable[Span], pred: Iterable[Span]) -> dict[str, SpanCounts]:
    """One document's per-label counts under `rule`, both sides filtered to each label."""
    tallies = match_spans(gold, pred).label_tallies()
    return {label: span_counts(t, rule.matched(t)) for label, t in tallies.items()}
