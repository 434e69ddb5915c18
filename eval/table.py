"""The per-document count table every figure, interval and paired test is computed from.

Scoring a corpus is one pass that records, for each document, the counts of every metric
group (family, rule, scope). Summing rows gives the micro figures; weighting rows by
bootstrap resample counts gives resampled figures without re-scoring anything.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import TextIO

import numpy as np

from eventgold.documents import Document
from eventgold.eval import iob
from eventgold.eval.counts import PRF_COUNT_NAMES, SPAN_COUNT_NAMES
from eventgold.eval.iob_counts import ChunkCounts
from eventgold.eval.matching import (
    RULES,
    Span,
    SpanMatch,
    Tally,
    label_tally,
    match_spans,
    span_counts,
)
from eventgold.eval.relations import RELATION_RULES, Resolved, resolve
from eventgold.eval.span_columns import label_codes

OVERALL = "ALL"  # scope of the micro figures over all labels
MACRO = "MACRO"  # scope of the unweighted mean of per-label F1

SPAN = "span"  # SemEval counts
SET = "set"  # tp/fp/fn counts
COUNT_NAMES: dict[str, tuple[str, ...]] = {SPAN: SPAN_COUNT_NAMES, SET: PRF_COUNT_NAMES}
FAMILY_KIND = {"entities": SPAN, "relations": SET, "tokens": SET, "events": SET}

GroupKey = tuple[str, str, str]  # (family, rule, scope)
# a gold document (its id and text) and its spans -> its token starts and ends
TokenEdges = Callable[[Document, list[Span]], tuple[np.ndarray, np.ndarray]]
TOKENS = ("tokens", "iob2")  # the family and rule of the IOB2 token scores
# a document -> its spans (`Entity.key`, in entity order) and its relations resolved to them
GoldParts = Callable[[Document], tuple[list[Span], set[Resolved]]]


def group_width(g: GroupKey) -> int:
    """Number of count columns of group `g`."""
    return len(COUNT_NAMES[FAMILY_KIND[g[0]]])


def group_offsets(groups: Iterable[GroupKey]) -> dict[GroupKey, int]:
    """First count column of each group when `groups` are laid out in order."""
    out, j = {}, 0
    for g in groups:
        out[g] = j
        j += group_width(g)
    return out


@dataclass(frozen=True, slots=True)
class CountTable:
    """``counts[i, j]``: document ``doc_ids[i]``, column j. Group g owns columns
    ``offsets[g] : offsets[g] + len(COUNT_NAMES[kind])``."""

    doc_ids: tuple[str, ...]
    groups: tuple[GroupKey, ...]
    counts: np.ndarray

    @property
    def offsets(self) -> dict[GroupKey, int]:
        return group_offsets(self.groups)

    def to_json(self) -> dict:
        return {
            "doc_ids": list(self.doc_ids),
            "groups": ["/".join(g) for g in self.groups],
            "counts": self.counts.tolist(),
        }

    def write_json(self, fh: TextIO, *, block_rows: int = 2000) -> None:
        """Write `to_json` (as ``json.dumps`` writes it) to `fh`, the counts a block of rows
        at a time: as Python lists, 100,000 rows take ~150 MB, and their JSON ~50 MB more."""
        fh.write('{"doc_ids": ')
        fh.write(json.dumps(list(self.doc_ids), ensure_ascii=False))
        fh.write(', "groups": ')
        fh.write(json.dumps(["/".join(g) for g in self.groups], ensure_ascii=False))
        fh.write(', "counts": [')
        for at in range(0, len(self.counts), block_rows):
            if at:
                fh.write(", ")
            fh.write(_rows_json(self.counts[at : at + block_rows]))
        fh.write("]}")

    @classmethod
    def from_json(cls, data: dict) -> CountTable:
        groups = tuple(tuple(g.split("/", 2)) for g in data["groups"])
        width = sum(group_width(g) for g in groups)
        counts = np.asarray(data["counts"], dtype=np.int64).reshape(len(data["doc_ids"]), width)
        return cls(doc_ids=tuple(data["doc_ids"]), groups=groups, counts=counts)  # type: ignore[arg-type]


# The JSON of the counts 0 to 4095 (nearly every count), by value.
_INT_JSON = np.array([str(i) for i in range(4096)], dtype=object)


def _rows_json(rows: np.ndarray) -> str:
    """``json.dumps(rows.tolist())[1:-1]`` for a 2-D integer array: its rows, each a JSON
    list, joined by ", ". Counts below 4096 are looked up rather than formatted, four times
    faster than json's encoder (writing the per-document counts was 8% of eval's time)."""
    if not rows.size or rows.min() < 0 or rows.max() >= len(_INT_JSON):
        return json.dumps(rows.tolist())[1:-1]
    return ", ".join(["[" + ", ".join(row) + "]" for row in _INT_JSON[rows].tolist()])


# C-level accessors: scoring reads hundreds of thousands of spans.
_span = attrgetter("label", "start", "end")  # Entity -> (label, start, end), its `key`
_first = itemgetter(0)  # key -> its label
_id = attrgetter("id")


def _resolve(doc: Document, spans: list[Span]) -> set[Resolved]:
    if not doc.relations:
        return set()
    return resolve(dict(zip(map(_id, doc.entities), spans, strict=True)), doc.relations)


def gold_parts(gold: Document) -> tuple[list[Span], set[Resolved]]:
    """What scoring reads of a gold document: its spans, and its relations resolved."""
    spans = list(map(_span, gold.entities))
    return spans, _resolve(gold, spans)


def _split_sets(
    gold: set, pred: set, tp_labels: list[str], fn_labels: list[str], fp_labels: list[str]
) -> tuple[int, int, int]:
    """Append the labels (key[0]) of gold & pred, gold - pred and pred - gold; their sizes."""
    tp = gold & pred
    fn, fp = gold - tp, pred - tp
    tp_labels += map(_first, tp)
    fn_labels += map(_first, fn)
    fp_labels += map(_first, fp)
    return len(tp), len(fn), len(fp)


class TableBuilder:
    """Collects what each document contributes, then assembles the table with numpy: scoring
    a document at a time, from `Document` objects (`eventgold eval` scores columns,
    `eval.columns`, and tests check that both give the same table).

    Per document only the irreducible work runs in Python (span pairing, relation key sets),
    and its results are appended to corpus-wide lists; labels are read off those lists and
    the per-label and per-rule columns computed once, as formulas over count vectors.
    """

    def __init__(
        self,
        *,
        relations: bool = True,
        tokens: bool = True,
        token_edges: TokenEdges = iob.span_edge_arrays,
        parts: GoldParts | None = None,
        pred_parts: GoldParts | None = None,
    ) -> None:
        self.relations = relations
        self.tokens = tokens
        self._token_edges = token_edges  # e.g. `GoldTokens.span_arrays`: a gold folder's view
        self._parts = parts  # `gold_parts` made elsewhere (`ReadAhead.parts`), or None
        self._pred_parts = pred_parts  # the same of predictions (`OnePass.pred_parts`)
        # Token chunks are counted a batch of documents at a time, with numpy.
        self._chunks = ChunkCounts() if tokens else None
        self.doc_ids: list[str] = []
        families = [f"relations/{name}" for name in RELATION_RULES] if relations else []
        self._families = families
        # Event kinds in a fixed order, each a list of labels (strings, which the garbage
        # collector never scans). Sides are stored as disjoint parts, so that every span or
        # key is stored once: gold = same + left gold, pred = same + left pred for entities;
        # gold = tp + fn, pred = tp + fp for relations and tokens.
        self._kinds = ["entities/same", "entities/left_gold", "entities/left_pred"]
        self._kinds += ["entities/paired"]
        self._kinds += [f"{f}/{k}" for f in families for k in ("tp", "fn", "fp")]
        self._flat: dict[str, list[str]] = {kind: [] for kind in self._kinds}
        # Per document: events of each kind, then pairings, one flat list (not a list per
        # document: 100,000 small lists would be objects for every garbage collection to walk).
        self._sizes: list[int] = []
        self._relation_slots = [
            (rule, *(self._flat[f"relations/{name}/{k}"] for k in ("tp", "fn", "fp")))
            for name, rule in RELATION_RULES.items()
            if relations
        ]

    def add(self, gold: Document, pred: Document) -> SpanMatch:
        """Score one document pair; return its span pairing (for error listings). With
        `parts` (`pred_parts`), the gold's (prediction's) spans and relations come from it,
        not from the document."""
        self.doc_ids.append(gold.id)
        flat = self._flat
        gold_rel: set[Resolved] | None = None
        if self._parts is not None:
            gold_spans, gold_rel = self._parts(gold)
        else:
            gold_spans = list(map(_span, gold.entities))
        pred_rel: set[Resolved] | None = None
        if self._pred_parts is not None:
            pred_spans, pred_rel = self._pred_parts(pred)
        else:
            pred_spans = list(map(_span, pred.entities))
        m = match_spans(gold_spans, pred_spans)
        flat["entities/same"] += map(_first, m.same)
        flat["entities/left_gold"] += map(_first, m.left_gold)
        flat["entities/left_pred"] += map(_first, m.left_pred)
        flat["entities/paired"] += map(_first, map(_first, m.same_label))
        bounds = sum([g[1] == p[1] and g[2] == p[2] for g, p in m.closest])
        sizes = [len(m.same), len(m.left_gold), len(m.left_pred), len(m.same_label)]
        # Entity ids resolve to the spans just built (relations are scored by what they join).
        if self._relation_slots:
            if gold_rel is None:
                gold_rel = _resolve(gold, gold_spans)
            if pred_rel is None:
                pred_rel = _resolve(pred, pred_spans)
            for rule, tp_labels, fn_labels, fp_labels in self._relation_slots:
                g, p = rule.keys(gold_rel), rule.keys(pred_rel)
                sizes += _split_sets(g, p, tp_labels, fn_labels, fp_labels)
        if self._chunks is not None:
            self._chunks.add(*self._token_edges(gold, gold_spans), gold_spans, pred_spans)
        sizes += (bounds, len(m.closest), len(m.same_label), len(m.cross_label))
        self._sizes += sizes
        return m

    def _events(self, kind: str, sizes: np.ndarray) -> LabelCounts:
        """One kind's events per document (`sizes`: how many each) and label."""
        vocab, code = label_codes(self._flat[kind])
        return LabelCounts.of(np.repeat(np.arange(len(sizes)), sizes), code, vocab, len(sizes))

    def table(self) -> CountTable:
        n = len(self.doc_ids)
        width = len(self._kinds) + 4
        sizes = np.asarray(self._sizes, dtype=np.int64).reshape(n, width)
        column = {kind: j for j, kind in enumerate(self._kinds)}
        entities = {
            k: self._events(f"entities/{k}", sizes[:, column[f"entities/{k}"]])
            for k in ENTITY_KINDS
        }
        relations = {
            name: {
                k: self._events(f"relations/{name}/{k}", sizes[:, column[f"relations/{name}/{k}"]])
                for k in SET_KINDS
            }
            for name in RELATION_RULES
            if self.relations
        }
        chunks = self._chunks.matrices() if self._chunks is not None else None
        return assemble_table(self.doc_ids, entities, sizes[:, -4:], relations, chunks)


ENTITY_KINDS = ("same", "left_gold", "left_pred", "paired")
SET_KINDS = ("tp", "fn", "fp")


@dataclass(frozen=True, slots=True)
class LabelCounts:
    """``counts[i, j]``: the events of one kind in document i (a row of the table) with the
    label ``labels[j]``."""

    labels: tuple[str, ...]
    counts: np.ndarray

    @classmethod
    def of(cls, doc: np.ndarray, code: np.ndarray, labels: tuple[str, ...], n: int) -> LabelCounts:
        """Counted from events: event i is in document ``doc[i]`` with label ``labels[code[i]]``."""
        width = len(labels)
        if not len(code):
            return cls(labels, np.zeros((n, width), dtype=np.int64))
        flat = np.bincount(doc * width + code, minlength=n * width)
        return cls(labels, flat.reshape(n, width))

    def present(self) -> set[str]:
        """The labels at least one event has."""
        return {label for label, k in zip(self.labels, self.counts.sum(0), strict=True) if k}

    def matrix(self, vocab: list[str]) -> np.ndarray:
        """The counts of the labels of `vocab` (which holds every label present), in its order."""
        index = {label: j for j, label in enumerate(self.labels)}
        out = np.zeros((len(self.counts), len(vocab)), dtype=np.int64)
        for j, label in enumerate(vocab):
            if label in index:
                out[:, j] = self.counts[:, index[label]]
        return out


def _vocab(counts: Iterable[LabelCounts]) -> list[str]:
    return sorted(set().union(*(c.present() for c in counts)))


def assemble_table(
    doc_ids: Sequence[str],
    entities: dict[str, LabelCounts],
    extra: np.ndarray,
    relations: dict[str, dict[str, LabelCounts]],
    chunks: tuple | None,
) -> CountTable:
    """The `CountTable` of what scoring found, as formulas over count vectors.

    `entities`: the events of each of `ENTITY_KINDS` (identical spans; gold and predicted
    spans left after them; same-label pairs among those, by gold label). `extra`: per
    document, (boundaries, closest, same label, cross label) of `matching.Tally`.
    `relations`: per relation rule, the events of each of `SET_KINDS`. `chunks`:
    `ChunkCounts.matrices`, or None without token scores.
    """
    n = len(doc_ids)
    # Every group is planned first, so that its counts go straight into one array (no
    # list of columns to stack: that copy doubled the table's memory at its peak).
    entity_vocab = _vocab(entities.values())
    relation_vocabs = {name: _vocab(kinds.values()) for name, kinds in relations.items()}
    groups: list[GroupKey] = [
        ("entities", name, scope) for name in RULES for scope in (OVERALL, *entity_vocab)
    ]
    for name, vocab in relation_vocabs.items():
        groups += [("relations", name, scope) for scope in (OVERALL, *vocab)]
    if chunks is not None:
        groups += [(*TOKENS, scope) for scope in (OVERALL, *chunks[0])]
    offsets = group_offsets(groups)
    counts = np.zeros((n, sum(group_width(g) for g in groups)), dtype=np.int64)

    def add(group: GroupKey, values: tuple) -> None:
        j = offsets[group]
        for k, v in enumerate(values):
            counts[:, j + k] = v

    same, left_gold, left_pred, paired = (entities[k].matrix(entity_vocab) for k in ENTITY_KINDS)
    gold, pred = same + left_gold, same + left_pred
    n_same = same.sum(1)
    overall = Tally(
        gold.sum(1), pred.sum(1), n_same, extra[:, 0], extra[:, 1], extra[:, 2], extra[:, 3]
    )
    for name, rule in RULES.items():
        add(("entities", name, OVERALL), span_counts(overall, rule.matched(overall)).as_tuple())
        for j, label in enumerate(entity_vocab):
            t = label_tally(gold[:, j], pred[:, j], same[:, j], paired[:, j])
            add(("entities", name, label), span_counts(t, rule.matched(t)).as_tuple())
    sets = (  # one rule's matrices at a time
        (
            ("relations", name),
            relation_vocabs[name],
            *(kinds[k].matrix(relation_vocabs[name]) for k in SET_KINDS),
        )
        for name, kinds in relations.items()
    )
    tokens = [(TOKENS, *chunks)] if chunks is not None else []
    for (family, name), vocab, tp, fn, fp in itertools.chain(sets, tokens):
        add((family, name, OVERALL), (tp.sum(1), fp.sum(1), fn.sum(1)))
        for j, label in enumerate(vocab):
            add((family, name, label), (tp[:, j], fp[:, j], fn[:, j]))
    return CountTable(doc_ids=tuple(doc_ids), groups=tuple(groups), counts=counts)


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off for the block, then as it was (also on error).

    Scoring allocates millions of short-lived tuples and sets, none in a cycle; each full
    collection they trigger walks every object alive, the corpus included, so on a large
    corpus the collections cost more than the scoring they interrupt. Keep the block free of
    `yield`: the collector must not stay off while a caller does its own work.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_table(
    pairs: Iterable[tuple[Document, Document]], *, relations: bool = True, tokens: bool = True
) -> CountTable:
    """Score (gold, prediction) document pairs into a `CountTable`."""
    builder = TableBuilder(relations=relations, tokens=tokens)
    with paused_gc():
        for gold, pred in pairs:
            builder.add(gold, pred)
    return builder.table()


def _span_parts(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cor, inc, par, mis, spu = np.moveaxis(sums.astype(np.float64), -1, 0)
    return cor + 0.5 * par, cor + inc + par + spu, cor + inc + par + mis


def _set_parts(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp, fp, fn = np.moveaxis(sums.astype(np.float64), -1, 0)
    return tp, tp + fp, tp + fn


# (credited hits, actual, possible) from summed counts, per count kind.
_PARTS = {SPAN: _span_parts, SET: _set_parts}


def parts(kind: str, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(credited hits, actual, possible) from summed counts of `kind` (last axis)."""
    return _PARTS[kind](sums)


def scores(kind: str, sums: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 from summed counts (last axis), vectorised; 0/0 gives 0."""
    return _prf(*_PARTS[kind](sums))


def _prf(
    hit: np.ndarray, actual: np.ndarray, possible: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 from `parts` (0/0 gives 0)."""
    p = np.divide(hit, actual, out=np.zeros_like(hit), where=actual > 0)
    r = np.divide(hit, possible, out=np.zeros_like(hit), where=possible > 0)
    f = np.divide(2 * p * r, p + r, out=np.zeros_like(hit), where=(p + r) > 0)
    return p, r, f


def f1_metrics(table: CountTable) -> list[GroupKey]:
    """Every F1 the tables yield: each group, plus a MACRO per (family, rule) with labels."""
    names = list(table.groups)
    for family, rule in dict.fromkeys((g[0], g[1]) for g in table.groups):
        names.append((family, rule, MACRO))
    return names


def f1_values(table: CountTable, sums: np.ndarray) -> np.ndarray:
    """F1 of every metric of `f1_metrics` from row sums (shape ``(..., columns)``).

    A group with nothing on either side (no gold and no predicted item: a label that a
    bootstrap resample happens to leave out) has no F1: NaN, not 0, and MACRO averages the
    labels that have one. Reported figures turn a remaining NaN into 0 (`reported`).
    """
    offsets = table.offsets
    per_group: dict[GroupKey, np.ndarray] = {}
    for g in table.groups:
        kind = FAMILY_KIND[g[0]]
        j = offsets[g]
        hit, actual, possible = parts(kind, sums[..., j : j + len(COUNT_NAMES[kind])])
        f1 = _prf(hit, actual, possible)[2]
        per_group[g] = np.where((actual > 0) | (possible > 0), f1, np.nan)
    out = [per_group[g] for g in table.groups]
    for family, rule in dict.fromkeys((g[0], g[1]) for g in table.groups):
        labels = [per_group[g] for g in table.groups if g[:2] == (family, rule) and g[2] != OVERALL]
        out.append(_mean_defined(labels, sums.shape[:-1]))
    return np.stack(out, axis=-1)


def _mean_defined(values: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """The mean of the values that are not NaN, element-wise; NaN where none is."""
    if not values:
        return np.full(shape, np.nan)
    stacked = np.stack(values)
    defined = ~np.isnan(stacked)
    n = defined.sum(axis=0)
    total = np.where(defined, stacked, 0.0).sum(axis=0)
    return np.divide(total, n, out=np.full(total.shape, np.nan), where=n > 0)


def reported(values: np.ndarray) -> np.ndarray:
    """F1 values as reported: an undefined one (nothing on either side) is 0, the zero
    division rule of every figure."""
    return np.nan_to_num(values, nan=0.0)
