"""IOB2 chunk counts of many documents at once: the chunks of `iob.span_chunks`, with numpy.

`iob.span_chunks` walks one document's spans in tagging order, two binary searches and a
comparison each, in Python: about a third of `eventgold eval`'s token scoring. Here a batch of
documents is laid end to end (document k's offsets shifted by k * `SHIFT`, so that one sorted
array holds every token and every search stays inside its document) and the walk becomes a
running maximum.

The walk, for spans in tagging order (start, longest first, label), with ``free`` the first
token no earlier span has taken::

    first = max(bisect_right(ends, start), free)
    stop = max(first, bisect_left(starts, end))
    if first < stop: chunk (label, first, stop); free = stop

``free`` before a span equals, as far as ``first`` is concerned, the running maximum of
``max(bisect_right(ends, start), bisect_left(starts, end))`` over the spans before it: a span
that made no chunk has that maximum at most ``max(its first, free)``, which the next span's own
first (never smaller, spans being in order of start) already covers. Across documents the
running maximum needs no reset: every index of document k is at most its last token, below
every index of document k + 1.
"""

from __future__ import annotations

import numpy as np

from eventgold.eval.span_columns import ColumnsBuilder, SpanColumns

Span = tuple[str, int, int]  # (label, start, end)

SHIFT = 1 << 40  # document k's offsets are shifted by k * SHIFT: more than any text's length
BATCH_DOCUMENTS = 512  # documents counted at a time
TP, FN, FP = 0, 1, 2  # count kinds, the rows of a batch's counts


class _Side:
    """One side's spans of the documents of a batch, laid end to end."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.sizes: list[int] = []  # spans per document

    def add(self, spans: list[Span]) -> None:
        self.spans += spans
        self.sizes.append(len(spans))

    def columns(self) -> SpanColumns:
        builder = ColumnsBuilder()
        builder.add_spans(self.spans, self.sizes)
        return builder.columns()


class ChunkCounts:
    """Per document and label, the IOB2 chunks found on both sides (tp), in the gold only (fn)
    and in the prediction only (fp), on each document's gold tokens; as `iob.span_chunks`
    and set operations on its chunks would count them, a batch of documents at a time.

    Documents come one at a time (`add`) or as a run laid out in columns (`add_columns`),
    in the order of the table's rows.
    """

    def __init__(self, *, batch_documents: int = BATCH_DOCUMENTS) -> None:
        self._batch = batch_documents
        self._labels: dict[str, int] = {}  # label -> column, in order of first appearance
        self._starts: list[np.ndarray] = []  # per document of the batch: token starts
        self._ends: list[np.ndarray] = []
        self._gold = _Side()
        self._pred = _Side()
        self._done: list[np.ndarray] = []  # per batch: (3, documents, labels then known)
        # Every label seen so far -> its place in string order (the tagging order), made again
        # only when a batch brings a new one.
        self._rank: dict[str, int] = {}

    def add(self, starts: np.ndarray, ends: np.ndarray, gold: list[Span], pred: list[Span]) -> None:
        """One document: its gold tokens' starts and ends, its gold and predicted spans."""
        self._starts.append(starts)
        self._ends.append(ends)
        self._gold.add(gold)
        self._pred.add(pred)
        if len(self._starts) == self._batch:
            self._flush()

    def add_columns(
        self,
        starts: list[np.ndarray],
        ends: list[np.ndarray],
        gold: SpanColumns,
        pred: SpanColumns,
    ) -> None:
        """A run of documents: each one's gold token starts and ends, and both sides' spans
        (their relations are not read)."""
        self._flush()  # documents given one at a time come first
        self._count(starts, ends, gold, pred)

    def matrices(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """The labels that have a chunk anywhere, sorted, and the (documents, labels) counts
        of tp, fn and fp in their order."""
        self._flush()
        width = len(self._labels)
        batches = [np.pad(c, ((0, 0), (0, 0), (0, width - c.shape[2]))) for c in self._done]
        counts = np.concatenate(batches, axis=1) if batches else np.zeros((3, 0, width), np.int64)
        present = counts.any(axis=(0, 1))
        names = sorted(label for label, j in self._labels.items() if present[j])
        cols = [self._labels[label] for label in names]
        return names, counts[TP][:, cols], counts[FN][:, cols], counts[FP][:, cols]

    def _flush(self) -> None:
        if self._starts:
            self._count(self._starts, self._ends, self._gold.columns(), self._pred.columns())
        self._starts, self._ends = [], []
        self._gold, self._pred = _Side(), _Side()

    def _count(
        self, starts: list[np.ndarray], ends: list[np.ndarray], gold: SpanColumns, pred: SpanColumns
    ) -> None:
        n = len(starts)
        if not n:
            return
        lengths = np.fromiter(map(len, starts), dtype=np.int64, count=n)
        shift = np.repeat(np.arange(n, dtype=np.int64) * SHIFT, lengths)
        token_starts = np.concatenate(starts).astype(np.int64) + shift
        token_ends = np.concatenate(ends).astype(np.int64) + shift
        if not {*gold.labels, *pred.labels} <= self._rank.keys():  # a label first seen here
            seen = {*self._rank, *gold.labels, *pred.labels}
            self._rank = {label: i for i, label in enumerate(sorted(seen))}
        labels = list(self._rank)
        width = len(labels)
        gold_chunks = _chunks(gold, self._rank, token_starts, token_ends)
        pred_chunks = _chunks(pred, self._rank, token_starts, token_ends)
        both = np.intersect1d(gold_chunks[0], pred_chunks[0], assume_unique=True)
        in_gold = np.isin(gold_chunks[0], both, assume_unique=True)
        in_pred = np.isin(pred_chunks[0], both, assume_unique=True)
        columns = np.array([self._column(label) for label in labels], dtype=np.int64)
        counts = np.zeros((3, n, len(self._labels)), dtype=np.int64)
        for kind, (_, doc, lab), chosen in (
            (TP, gold_chunks, in_gold),
            (FN, gold_chunks, ~in_gold),
            (FP, pred_chunks, ~in_pred),
        ):
            cell = doc[chosen] * width + lab[chosen]
            per_rank = np.bincount(cell, minlength=n * width).reshape(n, width)
            counts[kind][:, columns] = per_rank
        self._done.append(counts)

    def _column(self, label: str) -> int:
        return self._labels.setdefault(label, len(self._labels))


def _chunks(
    side: SpanColumns, rank: dict[str, int], token_starts: np.ndarray, token_ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(key, document, label rank) of each chunk of one side's spans (see module docstring).
    A key is unique per chunk within the batch: a side's chunks take disjoint tokens."""
    if not len(side.start):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    doc = side.doc
    lab = np.array([rank[label] for label in side.labels], dtype=np.int64)[side.label]
    start = side.start + doc * SHIFT
    end = side.end + doc * SHIFT
    order = np.lexsort((lab, -end, start))  # by start, longest first, then label
    doc, lab, start, end = doc[order], lab[order], start[order], end[order]
    first = np.searchsorted(token_ends, start, side="right")  # the first token it touches
    last = np.searchsorted(token_starts, end, side="left")  # the token after its last one
    reach = np.maximum.accumulate(np.maximum(first, last))
    free = np.zeros_like(reach)  # tokens before it are taken (or before every later span)
    free[1:] = reach[:-1]
    first = np.maximum(first, free)
    stop = np.maximum(first, last)
    made = first < stop
    total = len(token_starts) + 1
    key = (first[made] * total + stop[made]) * len(rank) + lab[made]
    return key, doc[made], lab[made]
