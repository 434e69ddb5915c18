"""Scoring from columns: many documents' spans and relations as arrays, paired at once.

`table.TableBuilder` pairs one document at a time, in Python. `column_table` gives the same
`CountTable` (a test checks that both agree) from `SpanColumns`, each side's spans and
relations over every document laid out in arrays, with a few sorts and searches in numpy:

  1. Every span of both sides gets one integer key, ordered by (document, start, end,
     label), and both sides are sorted together: equal neighbours are identical spans, and
     a span a side lists twice collapses (spans are a set).
  2. The spans left are paired over overlap: each gold span looks, with a binary search,
     only at the predictions of its document that start before it ends and late enough to
     reach it (`overlap_pairs`).
  3. A pair whose gold and predicted span overlap nothing else is taken by every pass of
     `matching` whatever the order, so it needs none (most pairs). The others compete, and
     are taken in `matching`'s order (closest boundaries first), in Python.
  4. Relations become integer keys over the spans' ranks in step 1, and sets are sorted.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from eventgold.documents import Document
from eventgold.eval.relations import RELATION_RULES
from eventgold.eval.span_columns import ColumnsBuilder, SpanColumns
from eventgold.eval.table import (
    ENTITY_KINDS,
    SET_KINDS,
    CountTable,
    LabelCounts,
    assemble_table,
    gold_parts,
)

CANDIDATES = 1 << 22  # (gold, predicted) candidate pairs held at once while pairing
CHUNK_DOCUMENTS = 2048  # documents scored at once: their arrays stay in the CPU's caches
_KEY_LIMIT = 1 << 62  # packed keys stay below this (int64, with a bit to spare)


def columns_of(docs: Iterable[Document]) -> SpanColumns:
    """The `SpanColumns` of documents, in order."""
    builder = ColumnsBuilder()
    for doc in docs:
        builder.add(*gold_parts(doc))
    return builder.columns()


def overlap_pairs(
    g_doc: np.ndarray,
    g_start: np.ndarray,
    g_end: np.ndarray,
    p_doc: np.ndarray,
    p_start: np.ndarray,
    p_end: np.ndarray,
    width: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Every (gold, predicted) pair of one document sharing a character, as indices into
    both sides; the predictions sorted by (document, start), every offset below `width`.

    A prediction reaches a gold span only if it starts before the span ends and at most the
    longest prediction's length before it starts: for each gold span, that range of
    predictions is found by binary search and each candidate in it checked, at most
    `CANDIDATES` candidates at a time.
    """
    empty = np.zeros(0, dtype=np.int64)
    if not len(g_start) or not len(p_start):
        return empty, empty
    at = p_doc * width + p_start
    longest = int((p_end - p_start).max())
    hi = np.searchsorted(at, g_doc * width + g_end)
    lo = np.searchsorted(at, g_doc * width + np.maximum(g_start - longest + 1, 0))
    n = hi - lo
    ends = np.cumsum(n)
    gold_parts_, pred_parts = [], []
    first = 0
    while first < len(n):
        before = int(ends[first - 1]) if first else 0
        stop = max(int(np.searchsorted(ends, before + CANDIDATES, side="right")), first + 1)
        counts = n[first:stop]
        gi = np.repeat(np.arange(first, stop), counts)
        offsets = np.arange(len(gi)) - np.repeat(ends[first:stop] - counts - before, counts)
        pi = np.repeat(lo[first:stop], counts) + offsets
        keep = p_end[pi] > g_start[gi]
        gold_parts_.append(gi[keep])
        pred_parts.append(pi[keep])
        first = stop
    return np.concatenate(gold_parts_), np.concatenate(pred_parts)


def _greedy(
    gold: list[int], pred: list[int], used_gold: set[int], used_pred: set[int]
) -> list[int]:
    """Positions of the pairs taken in the given order while neither side is already taken
    (updates the sets): `matching._greedy` on indices."""
    taken = []
    for k, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if g not in used_gold and p not in used_pred:
            used_gold.add(g)
            used_pred.add(p)
            taken.append(k)
    return taken


@dataclass(frozen=True, slots=True)
class _Side:
    """One side's distinct spans left after the identical ones, decoded from their keys."""

    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray


class _Packing:
    """Span keys: document, start, end and label in bit fields, most significant first, so
    that sorted keys are in order of document, start, end and label."""

    def __init__(self, width: int, labels: int, *, values: np.ndarray | None = None) -> None:
        self.offset_bits = max(width - 1, 1).bit_length()
        self.label_bits = max(labels - 1, 1).bit_length()
        self.start_shift = self.offset_bits + self.label_bits
        self.doc_shift = self.start_shift + self.offset_bits
        self.width = 1 << self.offset_bits
        self.values = values  # with offsets given as ranks (`_offset_ranks`): the offsets

    @property
    def document_bits(self) -> int:
        """Bits left for the document once a key and its side bit fit below `_KEY_LIMIT`
        (negative when not even one document's keys fit)."""
        return _KEY_LIMIT.bit_length() - 2 - self.doc_shift

    def fits(self) -> bool:
        """Whether the keys of one document, and a side bit, fit below `_KEY_LIMIT`."""
        return self.document_bits >= 0

    def offsets(self, ranks: np.ndarray) -> np.ndarray:
        """The character offsets of `_Side` offsets (which are ranks with `values`)."""
        return ranks if self.values is None else self.values[ranks]

    def pack(
        self, doc: np.ndarray, start: np.ndarray, end: np.ndarray, label: np.ndarray
    ) -> np.ndarray:
        return (
            (doc << self.doc_shift) | (start << self.start_shift) | (end << self.label_bits) | label
        )

    def unpack(self, key: np.ndarray) -> _Side:
        mask = self.width - 1
        return _Side(
            key >> self.doc_shift,
            (key >> self.start_shift) & mask,
            (key >> self.label_bits) & mask,
            key & ((1 << self.label_bits) - 1),
        )

    def without_label(self, key: np.ndarray) -> np.ndarray:
        return key >> self.label_bits


def _pairings(
    g: _Side, p: _Side, packing: _Packing
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of `matching._pairings` over the spans left: gold and predicted indices of
    the overlapping pairs, and which of them the closest, same-label and cross-label passes
    take."""
    gi, pi = overlap_pairs(g.doc, g.start, g.end, p.doc, p.start, p.end, packing.width)
    alone = (np.bincount(gi, minlength=len(g.doc))[gi] == 1) & (
        np.bincount(pi, minlength=len(p.doc))[pi] == 1
    )
    same = g.label[gi] == p.label[pi]
    closest, same_label, cross_label = alone.copy(), alone & same, alone & ~same
    compete = np.flatnonzero(~alone)
    if len(compete):
        cg, cp = gi[compete], pi[compete]
        gs, ge, ps, pe = g.start[cg], g.end[cg], p.start[cp], p.end[cp]
        at = packing.offsets  # the distance is in characters, whatever the keys hold
        distance = np.abs(at(gs) - at(ps)) + np.abs(at(ge) - at(pe))
        # `matching._closest_first`'s order (labels are codes in sorted order)
        order = np.lexsort((p.label[cp], pe, ps, g.label[cg], ge, gs, distance))
        compete, cg, cp = compete[order], cg[order].tolist(), cp[order].tolist()
        closest[compete[_greedy(cg, cp, set(), set())]] = True
        is_same = same[compete].tolist()
        used_gold: set[int] = set()
        used_pred: set[int] = set()
        for wanted, into in ((True, same_label), (False, cross_label)):
            picked = [k for k, s in enumerate(is_same) if s is wanted]
            taken = _greedy([cg[k] for k in picked], [cp[k] for k in picked], used_gold, used_pred)
            into[compete[[picked[k] for k in taken]]] = True
    return gi, pi, closest, same_label, cross_label


def _first_of_runs(values: np.ndarray) -> np.ndarray:
    """Where a sorted array's value differs from the one before (the first always does)."""
    flags = np.ones(len(values), dtype=bool)
    flags[1:] = values[1:] != values[:-1]
    return flags


def _split_sides(tagged: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct keys, each tagged with its side (``key * 2 + side``: 0 gold, 1
    predicted): the keys on both sides, in the gold only and in the prediction only, sorted."""
    key = tagged >> 1
    dup = key[1:] == key[:-1]  # a gold key followed by the same predicted key
    paired = np.zeros(len(tagged), dtype=bool)
    paired[:-1] |= dup
    paired[1:] |= dup
    side = tagged & 1
    return key[:-1][dup], key[~paired & (side == 0)], key[~paired & (side == 1)]


def _set_events(gold: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The keys in both sets, in the gold only and in the prediction only (repeats collapse)."""
    both = np.concatenate([np.unique(gold) * 2, np.unique(pred) * 2 + 1])
    both.sort(kind="stable")  # two sorted runs: merged
    return _split_sides(both)


def _offset_ranks(
    gold: SpanColumns, pred: SpanColumns, labels: int
) -> tuple[SpanColumns, SpanColumns, _Packing]:
    """Both sides with each offset replaced by its rank among the offsets of both, and the
    packing that reads the offsets back: ranks keep the order of offsets and which are equal,
    which is all that pairing compares, and fit in far fewer bits."""
    values = np.unique(np.concatenate([gold.start, gold.end, pred.start, pred.end]))

    def ranked(c: SpanColumns) -> SpanColumns:
        start, end = np.searchsorted(values, c.start), np.searchsorted(values, c.end)
        return dataclasses.replace(c, start=start, end=end)

    return ranked(gold), ranked(pred), _Packing(len(values) + 1, labels, values=values)


def _bounds(documents: int, packing: _Packing, last_offset: int) -> list[int]:
    """The first document of each run scored at once, then `documents`: runs of at most
    `CHUNK_DOCUMENTS`, whose keys (and a side bit) fit below `_KEY_LIMIT`."""
    if not packing.fits():
        raise ValueError(f"a text of {last_offset} characters is too long to score")
    step = min(1 << packing.document_bits, CHUNK_DOCUMENTS)
    return [*range(0, documents, step), documents]


@dataclass
class _Found:
    """What `ColumnScorer.add` finds in each run of documents it scores at once, in order:
    its count matrices (document, label) and `extra` rows; and added up over the runs, the
    confusion of labels and the strict errors."""

    entities: dict[str, list[np.ndarray]]
    extra: list[np.ndarray]
    relations: dict[str, dict[str, list[np.ndarray]]]
    # (gold label, predicted label) counts, the last row and column for "no span"
    confusion: np.ndarray
    errors: np.ndarray  # `StrictErrors` summed


class StrictErrors(NamedTuple):
    """The strict rule's errors by kind (`evaluate.error_keys`)."""

    missed: int
    spurious: int
    wrong_label: int
    wrong_boundary: int
    wrong_both: int


@dataclass(frozen=True, slots=True)
class ColumnScores:
    """What `score_columns` finds: the count table, the confusion of labels over every
    overlapping pair of spans (`evaluate.confusion_cells`; None for no span), and the strict
    rule's errors."""

    table: CountTable
    confusion: dict[tuple[str | None, str | None], int]
    errors: StrictErrors


def column_table(
    doc_ids: Sequence[str], gold: SpanColumns, pred: SpanColumns, *, relations: bool = True
) -> CountTable:
    """The `CountTable` of `table.build_table` without token scores, from columns: gold
    document i is ``doc_ids[i]``, and its prediction is document i of `pred`."""
    return score_columns(doc_ids, gold, pred, relations=relations).table


def score_columns(
    doc_ids: Sequence[str],
    gold: SpanColumns,
    pred: SpanColumns,
    *,
    relations: bool = True,
    chunks: tuple | None = None,
) -> ColumnScores:
    """`column_table`, the confusion of labels and the strict rule's errors; the table holds
    token scores when `chunks` (`ChunkCounts.matrices`) is given."""
    scorer = ColumnScorer(relations=relations)
    scorer.add(doc_ids, gold, pred)
    return scorer.scores(chunks)


def _stack(parts: list[LabelCounts]) -> LabelCounts:
    """Counts of runs of documents, each with labels of its own, one under the other."""
    labels = sorted(set().union(*(p.labels for p in parts)))
    index = {label: j for j, label in enumerate(labels)}
    out = np.zeros((sum(len(p.counts) for p in parts), len(labels)), dtype=np.int64)
    row = 0
    for p in parts:
        out[row : row + len(p.counts), [index[label] for label in p.labels]] = p.counts
        row += len(p.counts)
    return LabelCounts(tuple(labels), out)


class ColumnScorer:
    """`score_columns` over runs of documents given as they come (`add`): each run is scored
    when given and only its counts are kept, so memory grows with the documents, not with
    their spans. `scores` assembles them."""

    def __init__(self, *, relations: bool = True) -> None:
        self.doc_ids: list[str] = []
        self._entities: dict[str, list[LabelCounts]] = {k: [] for k in ENTITY_KINDS}
        self._extra: list[np.ndarray] = []
        self._relations: dict[str, dict[str, list[LabelCounts]]] = {
            name: {k: [] for k in SET_KINDS} for name in RELATION_RULES if relations
        }
        self._confusion: Counter[tuple[str | None, str | None]] = Counter()
        self._errors = np.zeros(len(StrictErrors._fields), dtype=np.int64)

    def add(self, doc_ids: Sequence[str], gold: SpanColumns, pred: SpanColumns) -> None:
        """Score documents `doc_ids`: gold document i of the run is ``doc_ids[i]``, and its
        prediction is document i of `pred`."""
        n = len(doc_ids)
        if not gold.documents == pred.documents == n:
            raise ValueError(
                f"{n} document ids, {gold.documents} gold and {pred.documents} predicted documents"
            )
        vocab = sorted(set(gold.labels) | set(pred.labels))
        relation_vocab = sorted(set(gold.relation_labels) | set(pred.relation_labels))
        width = 1 + max([int(c.end.max()) for c in (gold, pred) if len(c.end)], default=0)
        found = _Found(
            {k: [] for k in ENTITY_KINDS},
            [],
            {name: {k: [] for k in SET_KINDS} for name in self._relations},
            np.zeros((len(vocab) + 1, len(vocab) + 1), dtype=np.int64),
            self._errors,
        )
        labels = max(len(vocab), 1)
        packing = _Packing(width, labels)
        if not packing.fits():  # a text of hundreds of millions of characters
            gold, pred, packing = _offset_ranks(gold, pred, labels)
        bounds = _bounds(n, packing, width - 1)
        gold, pred = gold.recoded(vocab, relation_vocab), pred.recoded(vocab, relation_vocab)
        for g, p in zip(gold.slices(bounds), pred.slices(bounds), strict=True):
            _score_documents(g, p, packing, found)
        self.doc_ids += doc_ids

        def counts(parts: list[np.ndarray], labels: list[str]) -> LabelCounts:
            if not parts:
                return LabelCounts(tuple(labels), np.zeros((0, len(labels)), dtype=np.int64))
            return LabelCounts(tuple(labels), np.concatenate(parts))

        for kind, parts in found.entities.items():
            self._entities[kind].append(counts(parts, vocab))
        for name, kinds in found.relations.items():
            for kind, parts in kinds.items():
                self._relations[name][kind].append(counts(parts, relation_vocab))
        self._extra += found.extra
        names = [*vocab, None]
        self._confusion.update(
            {
                (names[i], names[j]): int(found.confusion[i, j])
                for i, j in zip(*np.nonzero(found.confusion), strict=True)
            }
        )

    def scores(self, chunks: tuple | None = None) -> ColumnScores:
        """Everything found so far; with token scores when `chunks` (`ChunkCounts.matrices`
        of the same documents) is given."""
        empty = LabelCounts((), np.zeros((0, 0), dtype=np.int64))
        extra = np.concatenate(self._extra) if self._extra else np.zeros((0, 4), dtype=np.int64)
        table = assemble_table(
            self.doc_ids,
            {k: _stack(v) if v else empty for k, v in self._entities.items()},
            extra,
            {
                name: {k: _stack(v) if v else empty for k, v in kinds.items()}
                for name, kinds in self._relations.items()
            },
            chunks,
        )
        return ColumnScores(table, dict(self._confusion), StrictErrors(*map(int, self._errors)))


def _confusion(g: _Side, p: _Side, width: int, labels: int) -> np.ndarray:
    """(gold label, predicted label) counts of every overlapping pair of `g` and `p` (every
    distinct span of each side), the last row and column for a span overlapping none."""
    gi, pi = overlap_pairs(g.doc, g.start, g.end, p.doc, p.start, p.end, width)
    none = labels
    cells = [g.label[gi] * (labels + 1) + p.label[pi]]
    cells.append(g.label[np.bincount(gi, minlength=len(g.doc)) == 0] * (labels + 1) + none)
    cells.append(none * (labels + 1) + p.label[np.bincount(pi, minlength=len(p.doc)) == 0])
    flat = np.bincount(np.concatenate(cells), minlength=(labels + 1) ** 2)
    return flat.reshape(labels + 1, labels + 1)


def _score_documents(
    gold: SpanColumns,
    pred: SpanColumns,
    packing: _Packing,
    found: _Found,
) -> None:
    """Score a run of documents into `found`."""
    n = gold.documents
    g_key = packing.pack(gold.doc, gold.start, gold.end, gold.label)
    p_key = packing.pack(pred.doc, pred.start, pred.end, pred.label)
    rows = len(g_key)
    both = np.concatenate([g_key * 2, p_key * 2 + 1])
    order = np.argsort(both, kind="stable")
    ordered = both[order]
    unique = ordered[_first_of_runs(ordered)]  # a side's repeated span collapses
    identical, left_gold, left_pred = map(packing.unpack, _split_sides(unique))
    gi, pi, closest, same_label, cross_label = _pairings(left_gold, left_pred, packing)
    pair_doc = left_gold.doc[gi]
    bounds = (
        closest
        & (left_gold.start[gi] == left_pred.start[pi])
        & (left_gold.end[gi] == left_pred.end[pi])
    )
    taken = closest.sum()
    same_labels = left_gold.label[gi] == left_pred.label[pi]
    found.errors += (
        len(left_gold.doc) - taken,
        len(left_pred.doc) - taken,
        bounds.sum(),
        (closest & ~bounds & same_labels).sum(),
        (closest & ~bounds & ~same_labels).sum(),
    )
    side = unique & 1
    found.confusion += _confusion(
        packing.unpack(unique[side == 0] >> 1),
        packing.unpack(unique[side == 1] >> 1),
        packing.width,
        len(gold.labels),
    )
    found.extra.append(
        np.stack(
            [
                np.bincount(pair_doc[m], minlength=n)
                for m in (bounds, closest, same_label, cross_label)
            ],
            axis=1,
        )
    )
    labels, relation_labels = gold.labels, gold.relation_labels

    def count(doc: np.ndarray, code: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        return LabelCounts.of(doc, code, names, n).counts

    entities = found.entities
    entities["same"].append(count(identical.doc, identical.label, labels))
    entities["left_gold"].append(count(left_gold.doc, left_gold.label, labels))
    entities["left_pred"].append(count(left_pred.doc, left_pred.label, labels))
    paired = gi[same_label]
    entities["paired"].append(count(left_gold.doc[paired], left_gold.label[paired], labels))
    if not found.relations:
        return
    # Ranks of spans (every side's row) and of boundaries (labels dropped), for relation keys
    new_span = _first_of_runs(ordered >> 1)
    new_bounds = _first_of_runs(packing.without_label(ordered >> 1))
    span_rank = np.empty(len(ordered), dtype=np.int64)
    span_rank[order] = np.cumsum(new_span) - 1
    bounds_rank = np.empty(len(ordered), dtype=np.int64)
    bounds_rank[order] = np.cumsum(new_bounds) - 1
    span_doc = packing.unpack(ordered[new_span] >> 1).doc
    ranks = {"strict": span_rank, "boundaries": bounds_rank}
    size = max(len(span_doc), 1)
    if len(gold.relation_labels) * size * size >= _KEY_LIMIT:
        raise ValueError(f"{size} spans are too many to score at once")
    # Document of each span rank (boundaries ranks follow the span ranks' documents too)
    doc_of = {
        "strict": span_doc,
        "boundaries": packing.unpack(ordered[new_bounds] >> 1).doc,
    }
    for name, kinds in found.relations.items():
        rank = ranks[name]
        keys = [
            (c.relation * size + rank[base + c.head]) * size + rank[base + c.tail]
            for c, base in ((gold, 0), (pred, rows))
        ]
        for kind, k in zip(SET_KINDS, _set_events(*keys), strict=True):
            label, rest = np.divmod(k, size * size)
            kinds[kind].append(count(doc_of[name][rest // size], label, relation_labels))
