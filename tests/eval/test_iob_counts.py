"""IOB2 chunk counts a batch at a time (`eval.iob_counts`) against `iob.span_chunks`."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eventgold.eval.iob import span_chunks
from eventgold.eval.iob_counts import ChunkCounts

LABELS = ("A", "B", "C")


@st.composite
def documents(draw: st.DrawFn) -> tuple[list[int], list[int], list, list]:
    """Tokens (gaps allowed) over a text of up to 40 characters, and two sides of spans that
    may overlap, nest, repeat and cut through tokens."""
    length = draw(st.integers(0, 40))
    cuts = sorted(draw(st.sets(st.integers(0, length), max_size=20)))
    tokens = [(a, b) for a, b in itertools.pairwise(cuts) if draw(st.booleans())]
    span = st.tuples(st.sampled_from(LABELS), st.integers(0, 41), st.integers(1, 42)).filter(
        lambda s: s[1] < s[2]
    )
    gold = draw(st.lists(span, max_size=8))
    pred = draw(st.lists(span, max_size=8)) + draw(st.lists(st.sampled_from(gold or [None])))
    pred = [s for s in pred if s is not None]
    return [a for a, _ in tokens], [b for _, b in tokens], gold, pred


@settings(max_examples=300, deadline=None)
@given(st.lists(documents(), max_size=9), st.integers(1, 4))
def test_counts_equal_span_chunks_and_set_operations(docs: list, batch: int) -> None:
    counts = ChunkCounts(batch_documents=batch)
    expected = []
    for starts, ends, gold, pred in docs:
        counts.add(np.array(starts, dtype=np.int32), np.array(ends, dtype=np.int64), gold, pred)
        g, p = span_chunks(starts, ends, gold), span_chunks(starts, ends, pred)
        expected.append([Counter(c[0] for c in chunks) for chunks in (g & p, g - p, p - g)])
    labels, tp, fn, fp = counts.matrices()
    assert labels == sorted({label for row in expected for c in row for label in c})
    for i, row in enumerate(expected):
        for matrix, counter in zip((tp, fn, fp), row, strict=True):
            assert matrix[i].tolist() == [counter[label] for label in labels]
    assert tp.shape == fn.shape == fp.shape == (len(docs), len(labels))


def test_a_label_with_no_chunk_is_not_a_column() -> None:
    counts = ChunkCounts()
    # "B" covers no token (it lies in the gap between them); "A" makes a chunk on each side.
    counts.add(np.array([0, 6]), np.array([4, 9]), [("A", 0, 4)], [("A", 6, 9), ("B", 4, 6)])
    labels, tp, fn, fp = counts.matrices()
    assert labels == ["A"]
    assert (tp.tolist(), fn.tolist(), fp.tolist()) == ([[0]], [[1]], [[1]])
