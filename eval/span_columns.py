"""Spans and relations of many documents as arrays: what `eval.columns` scores.

`ColumnsBuilder` lays documents out as they are read; `SpanColumns` holds a run of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np

from eventgold.eval.matching import Span
from eventgold.eval.relations import Resolved

_LABEL, _START, _END = itemgetter(0), itemgetter(1), itemgetter(2)


@dataclass(frozen=True, slots=True, eq=False)
class SpanColumns:
    """One side's spans and relations in documents ``0 .. documents - 1``, as arrays.

    Span i is in document ``doc[i]`` (never decreasing), has the label ``labels[label[i]]``
    and covers the characters ``start[i]:end[i]`` (end exclusive, as `Entity`). Relation k
    has the label ``relation_labels[relation[k]]`` and joins span ``head[k]`` to span
    ``tail[k]`` (rows of the span arrays, of one document; relations in document order).
    """

    documents: int
    labels: tuple[str, ...]
    doc: np.ndarray
    label: np.ndarray
    start: np.ndarray
    end: np.ndarray
    relation_labels: tuple[str, ...]
    relation: np.ndarray
    head: np.ndarray
    tail: np.ndarray

    def slices(self, bounds: Sequence[int]) -> Iterator[SpanColumns]:
        """Documents ``bounds[k] .. bounds[k + 1] - 1`` for each k, each renumbered from 0."""
        spans = np.searchsorted(self.doc, bounds)
        relations = np.searchsorted(self.doc[self.head], bounds)
        for k in range(len(bounds) - 1):
            first, (a, b), (c, d) = bounds[k], spans[k : k + 2], relations[k : k + 2]
            yield SpanColumns(
                bounds[k + 1] - first,
                self.labels,
                self.doc[a:b] - first,
                self.label[a:b],
                self.start[a:b],
                self.end[a:b],
                self.relation_labels,
                self.relation[c:d],
                self.head[c:d] - a,
                self.tail[c:d] - a,
            )

    def recoded(self, labels: list[str], relation_labels: list[str]) -> SpanColumns:
        """The same with codes into `labels` and `relation_labels` (which hold this one's)."""
        return SpanColumns(
            self.documents,
            tuple(labels),
            self.doc,
            recode(self.label, self.labels, labels),
            self.start,
            self.end,
            tuple(relation_labels),
            recode(self.relation, self.relation_labels, relation_labels),
            self.head,
            self.tail,
        )


def label_codes(labels: list[str]) -> tuple[tuple[str, ...], np.ndarray]:
    """The distinct labels, sorted, and each label's place among them."""
    vocab = sorted(set(labels))
    index = {label: i for i, label in enumerate(vocab)}
    code = np.fromiter(map(index.__getitem__, labels), dtype=np.int64, count=len(labels))
    return tuple(vocab), code


class ColumnsBuilder:
    """`SpanColumns` built a document at a time, from its spans and its relations resolved to
    them (`table.gold_parts`)."""

    def __init__(self) -> None:
        self._labels: list[str] = []
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._sizes: list[int] = []
        self._relation_labels: list[str] = []
        self._heads: list[int] = []
        self._tails: list[int] = []

    def add(self, spans: list[Span], resolved: Iterable[Resolved]) -> None:
        base = len(self._starts)
        self._labels += map(_LABEL, spans)
        self._starts += map(_START, spans)
        self._ends += map(_END, spans)
        self._sizes.append(len(spans))
        if resolved:
            row = {span: base + i for i, span in enumerate(spans)}
            for r in resolved:
                self._relation_labels.append(r[0])
                self._heads.append(row[r[1:4]])
                self._tails.append(row[r[4:7]])

    def add_spans(self, spans: list[Span], sizes: list[int]) -> None:
        """Documents without relations: `spans` laid end to end, ``sizes[i]`` of document i."""
        self._labels += map(_LABEL, spans)
        self._starts += map(_START, spans)
        self._ends += map(_END, spans)
        self._sizes += sizes

    def columns(self) -> SpanColumns:
        labels, label = label_codes(self._labels)
        relation_labels, relation = label_codes(self._relation_labels)
        return SpanColumns(
            len(self._sizes),
            labels,
            np.repeat(np.arange(len(self._sizes)), self._sizes),
            label,
            np.asarray(self._starts, dtype=np.int64),
            np.asarray(self._ends, dtype=np.int64),
            relation_labels,
            relation,
            np.asarray(self._heads, dtype=np.int64),
            np.asarray(self._tails, dtype=np.int64),
        )


def recode(codes: np.ndarray, labels: Sequence[str], vocab: list[str]) -> np.ndarray:
    """`codes` into `labels` as codes into `vocab` (which holds every label of `labels`)."""
    index = {label: i for i, label in enumerate(vocab)}
    return np.array([index[label] for label in labels], dtype=np.int64)[codes]
