"""Token-level IOB2 scoring, equal to seqeval's ``mode="strict", scheme=IOB2``.

Tokens are those of the gold dataset's IOB view (`tokens.tokenize`: spaCy's blank
English tokenizer, split at every gold span boundary), so gold tags are exact and predictions
are judged on the tokens a token-classification model would see. A token belongs to a span if
they share a character; the first such token is ``B-X``, the rest ``I-X``. IOB2 cannot
represent overlap, so when predicted spans overlap, the span starting first (longest first on
ties) keeps the shared tokens.

Chunks are then read back as seqeval's strict IOB2 mode does: a chunk is ``B-X`` followed by
any run of ``I-X``; an ``I-X`` that does not continue a chunk of type X starts nothing. Each
document is one sequence.

Scoring does not write the tags: `span_chunks` gives the chunks that tagging and reading back
give (tested against them), from token ranges.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

import numpy as np

from eventgold.documents import Document, Entity
from eventgold.eval.counts import PRF
from eventgold.tokens import token_arrays, token_arrays_many

Chunk = tuple[str, int, int]  # (label, first token, end token exclusive)


def token_edges(gold: Document) -> tuple[list[int], list[int]]:
    """Starts and ends of the tokens of the gold document's IOB view."""
    starts, ends = span_edge_arrays(gold, [e.key for e in gold.entities])
    return starts.tolist(), ends.tolist()


def span_edge_arrays(
    gold: Document, spans: Sequence[tuple[str, int, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """`token_edges`, as integer arrays, of the gold document whose text is ``gold.text`` and
    whose entity spans are `spans` (``(label, start, end)``; its entities are not read)."""
    return token_arrays(gold.text, boundaries=[b for s in spans for b in (s[1], s[2])])


def span_edge_arrays_many(
    golds: Sequence[Document], spans: Sequence[Sequence[tuple[str, int, int]]]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`span_edge_arrays` of each gold document with its spans, tokenized all at once
    (`tokens.token_arrays_many`)."""
    cuts = [[b for s in doc_spans for b in (s[1], s[2])] for doc_spans in spans]
    return token_arrays_many([g.text for g in golds], cuts)


def token_offsets(gold: Document) -> list[tuple[int, int]]:
    """``(start, end)`` of each token of the gold document's IOB view."""
    return list(zip(*token_edges(gold), strict=True))


def tags_for(offsets: Sequence[tuple[int, int]], entities: Iterable[Entity]) -> list[str]:
    """IOB2 tags of the tokens at `offsets` for `entities` (see module docstring)."""
    tags = ["O"] * len(offsets)
    starts = [s for s, _ in offsets]
    for e in sorted(entities, key=lambda e: (e.start, -e.end, e.label)):
        first = True
        i = max(0, bisect_right(starts, e.start) - 1)
        while i < len(offsets) and offsets[i][0] < e.end:
            if offsets[i][1] > e.start and tags[i] == "O":
                tags[i] = ("B-" if first else "I-") + e.label
                first = False
            i += 1
    return tags


def chunks(tags: Sequence[str]) -> set[Chunk]:
    """Chunks of an IOB2 sequence read as seqeval's strict mode does."""
    found: set[Chunk] = set()
    label, start = None, 0
    inside = None  # "I-" + label: the tag that continues the open chunk
    for i, tag in enumerate(tags):
        if tag == inside or (label is None and tag == "O"):  # most tokens
            continue
        if label is not None:
            found.add((label, start, i))
            label = inside = None
        if tag.startswith("B-"):
            label, start = tag[2:], i
            inside = "I-" + label
    if label is not None:
        found.add((label, start, len(tags)))
    return found


def span_chunks(
    starts: list[int], ends: list[int], spans: Iterable[tuple[str, int, int]]
) -> set[Chunk]:
    """``chunks(tags_for(...))`` of ``(label, start, end)`` spans on the tokens at
    `starts`/`ends`, without writing tags (tested equal).

    A span's tokens run from the first one ending after its start to the last one starting
    before its end. Spans are tagged in order of start, so every span tagged before this one
    has its tokens starting at or before this one's first: what they took of this span's
    tokens is all of them up to the furthest end so far (``free``). The span keeps the rest,
    a contiguous run tagged ``B-X I-X ...``, which reads back as one chunk.
    """
    found: set[Chunk] = set()
    free = 0  # tokens before it are tagged already (or lie before every span to come)
    # Sorted as tuples in tagging order (start, longest first, label): tuples compare in C,
    # where a key function is a Python call per span.
    for start, minus_end, label in sorted([(s, -e, label) for label, s, e in spans]):
        first = bisect_right(ends, start)
        if first < free:
            first = free
        stop = bisect_left(starts, -minus_end, first)
        if first < stop:
            found.add((label, first, stop))
            free = stop
    return found


def score_chunks(gold: set[Chunk], pred: set[Chunk]) -> dict[str, PRF]:
    """Counts per label (labels on neither side are left out)."""
    labels = {c[0] for c in gold} | {c[0] for c in pred}
    return {
        label: PRF.from_sets({c for c in gold if c[0] == label}, {c for c in pred if c[0] == label})
        for label in labels
    }
