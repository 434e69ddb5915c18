"""Scoring from columns gives the per-document table of `build_table`, whatever the spans."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventgold.documents import Document, Entity, Relation
from eventgold.eval import columns
from eventgold.eval.columns import (
    ColumnsBuilder,
    ColumnScorer,
    column_table,
    columns_of,
    overlap_pairs,
    score_columns,
)
from eventgold.eval.evaluate import ERROR_KINDS, NONE, confusion_cells, error_counts_of
from eventgold.eval.matching import match_spans
from eventgold.eval.table import CountTable, build_table

TEXT = "abcdefghij" * 4
LABELS = ["A", "B", "C"]
RELATIONS = ["R", "S"]


@st.composite
def documents(draw: st.DrawFn, doc_id: str) -> Document:
    """Spans that overlap, repeat (under other ids) and nest; relations, dangling ones too."""
    entities = []
    for i in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, len(TEXT) - 1))
        end = draw(st.integers(start + 1, min(start + 12, len(TEXT))))
        label = draw(st.sampled_from(LABELS))
        entities.append(Entity(f"e{i}", start, end, label, TEXT[start:end]))
    ids = [e.id for e in entities] + ["dangling"]
    relations = []
    if entities:
        for _ in range(draw(st.integers(0, 4))):
            head, tail = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
            relations.append(Relation(head, tail, draw(st.sampled_from(RELATIONS))))
    return Document(doc_id, TEXT, entities=tuple(entities), relations=tuple(relations))


@st.composite
def corpora(draw: st.DrawFn) -> tuple[list[Document], list[Document]]:
    n = draw(st.integers(0, 6))
    gold = [draw(documents(f"d{i}")) for i in range(n)]
    pred = [draw(documents(f"d{i}")) for i in range(n)]
    return gold, pred


def _same(a: CountTable, b: CountTable) -> None:
    assert a.doc_ids == b.doc_ids
    assert a.groups == b.groups
    assert a.counts.tolist() == b.counts.tolist()


def _by_rows(gold: list[Document], pred: list[Document], relations: bool) -> CountTable:
    return build_table(zip(gold, pred, strict=True), relations=relations, tokens=False)


def _by_columns(gold: list[Document], pred: list[Document], relations: bool) -> CountTable:
    ids = [d.id for d in gold]
    return column_table(ids, columns_of(gold), columns_of(pred), relations=relations)


@settings(max_examples=300, deadline=None)
@given(corpora(), st.booleans(), st.sampled_from([1, 2, 2048]), st.sampled_from([1, 3, 1 << 22]))
def test_equals_build_table(
    corpus: tuple[list[Document], list[Document]], relations: bool, chunk: int, candidates: int
) -> None:
    gold, pred = corpus
    with pytest.MonkeyPatch.context() as mp:
        # Small runs of documents and of candidate pairs take the paths a large corpus takes.
        mp.setattr(columns, "CHUNK_DOCUMENTS", chunk)
        mp.setattr(columns, "CANDIDATES", candidates)
        _same(_by_columns(gold, pred, relations), _by_rows(gold, pred, relations))


def test_equals_build_table_on_the_small_files(gold_docs, pred_docs) -> None:
    _same(_by_columns(gold_docs, pred_docs, True), _by_rows(gold_docs, pred_docs, True))
    j = _by_columns(gold_docs, pred_docs, True).offsets["entities", "strict", "ALL"]
    assert _by_columns(gold_docs, pred_docs, True).counts[0, j : j + 5].tolist() == [2, 2, 0, 0, 0]


def test_competing_overlaps_are_taken_closest_first() -> None:
    # Two predictions overlap one gold span: the closer one is paired, the other is spurious.
    gold = Document("d", TEXT, entities=(Entity("g", 0, 10, "A", TEXT[:10]),))
    pred = gold.with_annotations(
        entities=(Entity("far", 5, 20, "A", TEXT[5:20]), Entity("near", 0, 9, "B", TEXT[:9])),
        relations=(),
    )
    table = _by_columns([gold], [pred], False)
    j = table.offsets["entities", "strict", "ALL"]
    assert table.counts[0, j : j + 5].tolist() == [0, 1, 0, 0, 1]  # COR INC PAR MIS SPU
    j = table.offsets["entities", "type", "ALL"]
    # type: same-label pairs first, so 'far' (A) pairs and 'near' (B) is spurious
    assert table.counts[0, j : j + 5].tolist() == [1, 0, 0, 0, 1]


def test_empty_corpus() -> None:
    empty = ColumnsBuilder().columns()
    _same(column_table([], empty, empty), build_table([], tokens=False))


def test_refuses_sides_of_other_sizes() -> None:
    one = columns_of([Document("d", "text")])
    with pytest.raises(ValueError, match=r"^2 document ids, 1 gold and 1 predicted documents$"):
        column_table(["d", "e"], one, one)


def test_a_text_too_long_for_direct_keys_is_scored_on_offset_ranks() -> None:
    # Offsets past 2**29 leave no bits for the document in a key: they are ranked instead,
    # and competing pairs still go by distance in characters. Gold A [0, 10); predictions
    # B [8, 10) (2 characters off) and A [0, 30) (20 off; as ranks, as close as the other).
    text = "x" * 40

    def documents(shift: int) -> tuple[list[Document], list[Document]]:
        def doc(spans: list[tuple[str, int, int]]) -> Document:
            entities = tuple(
                Entity(f"e{i}", s + shift, e + shift, label, text[s:e])
                for i, (label, s, e) in enumerate(spans)
            )
            return Document("d", text if not shift else "", entities=entities)

        return [doc([("A", 0, 10)])], [doc([("B", 8, 10), ("A", 0, 30)])]

    huge = 1 << 30
    assert not columns._Packing(huge + 1, 2).fits()
    far = score_columns(["d"], *map(columns_of, documents(huge)))
    near = score_columns(["d"], *map(columns_of, documents(0)))
    assert far.table.counts.tolist() == near.table.counts.tolist()
    assert far.errors == near.errors
    assert near.errors.wrong_both == 1 and near.errors.wrong_boundary == 0  # B [8, 10) paired


def test_overlap_pairs_stay_in_their_document() -> None:
    # Gold [2, 5) in document 0; predictions [0, 3) in 0, [3, 4) in 0, [2, 5) in 1.
    gi, pi = overlap_pairs(
        np.array([0]),
        np.array([2]),
        np.array([5]),
        np.array([0, 0, 1]),
        np.array([0, 3, 2]),
        np.array([3, 4, 5]),
        8,
    )
    assert sorted(zip(gi.tolist(), pi.tolist(), strict=True)) == [(0, 0), (0, 1)]


def _per_document(gold: list[Document], pred: list[Document]) -> tuple[dict, dict]:
    """Confusion and strict errors as `evaluate` counts them, a document at a time."""
    confusion: Counter = Counter()
    errors: Counter = Counter()
    for g, p in zip(gold, pred, strict=True):
        m = match_spans([e.key for e in g.entities], [e.key for e in p.entities])
        confusion.update(confusion_cells(m))
        errors.update(error_counts_of(m))
    return dict(confusion), dict(errors)


@settings(max_examples=200, deadline=None)
@given(corpora())
def test_confusion_and_errors_equal_evaluates(corpus) -> None:
    gold, pred = corpus
    found = score_columns([d.id for d in gold], columns_of(gold), columns_of(pred))
    confusion, errors = _per_document(gold, pred)
    assert {(g or NONE, p or NONE): k for (g, p), k in found.confusion.items()} == confusion
    kinds = dict(zip(ERROR_KINDS, found.errors, strict=True))
    assert {k: v for k, v in kinds.items() if v} == {k: v for k, v in errors.items() if v}


@settings(max_examples=100, deadline=None)
@given(corpora(), st.integers(0, 6))
def test_runs_scored_apart_give_the_table_of_one_run(corpus, cut: int) -> None:
    # Each run has labels of its own (a label may appear in one run only).
    gold, pred = corpus
    scorer = ColumnScorer()
    for part in (slice(0, cut), slice(cut, None)):
        g, p = gold[part], pred[part]
        scorer.add([d.id for d in g], columns_of(g), columns_of(p))
    _same(scorer.scores().table, _by_rows(gold, pred, True))
