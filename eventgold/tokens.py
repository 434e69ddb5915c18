"""Tokens and IOB2 tags of a document: the token-classification view of the gold set.

Tokens come from spaCy's blank English tokenizer (rule-based, no model download), then are
split at every entity boundary that falls inside a token and at any whitespace, and
whitespace-only pieces are dropped. Because every entity starts and ends on a token edge, the
IOB2 view is lossless: `spans_from_iob(offsets, tags)` gives back exactly the entity spans of a
gold document (trimmed, non-overlapping, which `validate` enforces for gold).

Spans the IOB view cannot hold (an overlap, an unknown label, a span of only whitespace) are not
silently lost: they are reported as `Problem`s on the result. Untrimmed spans (not allowed in
gold) come back trimmed.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # spaCy takes ~0.8 s to import: loaded with the tokenizer, on first use
    from spacy.language import Language

from eventgold.documents import Document, Entity
from eventgold.problems import Problem, allowed
from eventgold.schema import Schema
from eventgold.validate import (
    OFFSETS_OUT_OF_RANGE,
    OVERLAPPING_SPANS,
    UNKNOWN_ENTITY_LABEL,
    entity_where,
)

EMPTY_SPAN = "empty-span"  # a span with no non-whitespace character has no token
# Whether a code point is whitespace (str.isspace), for every code point up to the last
# whitespace one (U+3000) plus one that is not: larger code points are clipped to it (a test
# checks every code point; checking at import would slow every command's start).
_IS_SPACE = np.array([chr(c).isspace() for c in range(0x3002)], dtype=bool)
_NOT_SPACE = len(_IS_SPACE) - 1
# The same flags for ASCII bytes, as a `bytes.translate` table (other bytes never occur).
_ASCII_SPACE = bytes(_IS_SPACE[:128].astype(np.uint8)) + bytes(128)


@dataclass(frozen=True, slots=True)
class TokenTags:
    """Tokens of one document with code-point offsets (end exclusive) and IOB2 tags."""

    tokens: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    tags: tuple[str, ...]
    # Entities left out of the tags, each with why; empty for valid gold.
    problems: tuple[Problem, ...] = ()

    @property
    def offsets(self) -> tuple[tuple[int, int], ...]:
        return tuple(zip(self.starts, self.ends, strict=True))


_NLP_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _load_nlp() -> Language:
    # Loaded once per process; only the tokenizer's offsets are used. The lexical attribute
    # getters (lower, shape, like_num, ...: 23 functions run for each word the vocab has not
    # seen) are most of the cost of a new word and nothing here reads them; the offsets are
    # the same without them (tested).
    import spacy

    nlp = spacy.blank("en")
    nlp.vocab.lex_attr_getters = {}
    return nlp


@functools.lru_cache(maxsize=1)
def _offset_attrs() -> list[int]:
    from spacy.attrs import IDX, LENGTH

    return [IDX, LENGTH]


def _nlp() -> Language:
    with _NLP_LOCK:  # `warm_up` may be loading it in another thread
        return _load_nlp()


def warm_up() -> None:
    """Load the tokenizer in a background thread (~0.4 s), e.g. while a server is answering."""
    threading.Thread(target=_nlp, name="eventgold-tokenizer", daemon=True).start()


def token_arrays(text: str, *, boundaries: Sequence[int] = ()) -> tuple[np.ndarray, np.ndarray]:
    """`tokenize` as two int64 arrays, token starts and ends: the fast path of the gold writer.

    spaCy's token offsets come as arrays; whitespace is counted per token from a cumulative sum
    over the text's code points, and entity boundaries are located with a binary search. A
    document with a token that mixes whitespace and text, or that a boundary falls inside, is
    cut into pieces with `_pieces`.
    """
    arr = _nlp().tokenizer(text).to_array(_offset_attrs()).astype(np.int64)  # shape (n, 2)
    starts, ends = arr[:, 0], arr[:, 0] + arr[:, 1]
    if not len(starts):  # empty text: no tokens, and no token for a boundary to fall inside
        return starts, ends
    is_space = _space_flags(text)
    spaces = np.zeros(len(is_space) + 1, dtype=np.int64)
    np.cumsum(is_space, out=spaces[1:])
    n_space = spaces[ends] - spaces[starts]
    # Python's sort and numpy's maximum: `np.unique` and `clip` cost ~10 us each in argument
    # handling alone, on arrays of a few dozen values.
    cuts = np.array(sorted(set(boundaries)), dtype=np.int64)
    k = np.searchsorted(starts, cuts, side="right") - 1
    kk = np.maximum(k, 0)
    inside = (k >= 0) & (cuts > starts[kk]) & (cuts < ends[kk])
    if inside.any() or ((n_space > 0) & (n_space < ends - starts)).any():
        return _pieces(is_space, starts, ends, cuts)
    keep = n_space == 0
    return starts[keep], ends[keep]


def token_arrays_many(
    texts: Sequence[str], boundaries: Sequence[Sequence[int]]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`token_arrays` of each text, with its own boundaries: the same arrays.

    spaCy still tokenizes a text at a time, but the cutting is done once for all of them, laid
    end to end (`_pieces`, with each text's start as one more edge): on a text of a few KB the
    fixed cost of a dozen numpy calls is most of `token_arrays`, three times spaCy's own.
    """
    if not texts:
        return []
    tokenizer, attrs = _nlp().tokenizer, _offset_attrs()
    arrays = [tokenizer(text).to_array(attrs).reshape(-1, 2) for text in texts]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    base = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=base[1:])
    sizes = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    offsets = np.concatenate(arrays).astype(np.int64)
    starts = offsets[:, 0] + np.repeat(base[:-1], sizes)
    ends = starts + offsets[:, 1]
    is_space = _space_flags("".join(texts))
    counts = list(map(len, boundaries))
    flat = np.fromiter(itertools.chain.from_iterable(boundaries), dtype=np.int64, count=sum(counts))
    owner = np.repeat(np.arange(len(texts)), counts)
    within = (flat > 0) & (flat < lengths[owner])  # as `_pieces` keeps a text's own
    cuts = np.concatenate((flat[within] + base[owner[within]], base))
    first, rest = _pieces(is_space, starts, ends, cuts)
    bounds = np.searchsorted(first, base).tolist()
    return [
        (first[a:b] - base[i], rest[a:b] - base[i])
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    ]


def _space_flags(text: str) -> np.ndarray:
    """Whether each code point of `text` is whitespace (`str.isspace`)."""
    if text.isascii():  # most texts: one C call maps every character
        return np.frombuffer(text.encode("ascii").translate(_ASCII_SPACE), dtype=np.bool_)
    codepoints = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return _IS_SPACE[np.minimum(codepoints, _NOT_SPACE)]


def _pieces(
    is_space: np.ndarray, starts: np.ndarray, ends: np.ndarray, cuts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """spaCy's tokens split at whitespace and at `cuts`, all at once.

    Every edge of a piece is a token edge, a cut, or a change between whitespace and text, so
    the pieces are the segments between consecutive such edges that start on a non-space
    character: spaCy's tokens (plus at most one trailing space each) cover the whole text, so
    every non-space segment lies inside one token. Tests keep a plain per-token loop as the
    definition, and check this against it.
    """
    n = len(is_space)
    change = np.flatnonzero(is_space[1:] != is_space[:-1]) + 1
    edges = np.concatenate((starts, ends, cuts[(cuts > 0) & (cuts < n)], change))
    edges.sort()
    first_of_run = np.ones(len(edges), dtype=np.bool_)  # np.unique, with less overhead
    first_of_run[1:] = edges[1:] != edges[:-1]
    edges = edges[first_of_run]
    first, rest = edges[:-1], edges[1:]
    keep = ~is_space[first]
    return first[keep], rest[keep]


def tokenize(text: str, *, boundaries: Sequence[int] = ()) -> list[tuple[int, int]]:
    """Token offsets ``(start, end)`` of `text`, also split at each offset in `boundaries`.

    No token contains whitespace, so every token is safe in a TAB-separated CoNLL line.
    """
    starts, ends = token_arrays(text, boundaries=boundaries)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _representable(doc: Document, schema: Schema) -> tuple[list[Entity], list[Problem]]:
    """The entities the IOB view can hold (non-overlapping, known label) and why others can't."""
    labels = set(schema.entity_labels)
    problems: list[Problem] = []
    candidates: list[tuple[int, Entity]] = []
    where = f"document '{doc.id}'"
    for i, e in enumerate(doc.entities):
        ew = entity_where(where, i, e)
        if e.label not in labels:
            problems.append(
                Problem(
                    ew,
                    f"label '{e.label}' is not in schema '{schema.name}'; "
                    f"allowed: {allowed(labels)}",
                    UNKNOWN_ENTITY_LABEL,
                )
            )
        elif not (0 <= e.start < e.end <= len(doc.text)):
            problems.append(
                Problem(
                    ew,
                    f"offsets [{e.start}, {e.end}) are not a non-empty range inside the text "
                    f"(0 to {len(doc.text)})",
                    OFFSETS_OUT_OF_RANGE,
                )
            )
        elif doc.text[e.start : e.end].isspace():
            problems.append(Problem(ew, "span is only whitespace, so it has no token", EMPTY_SPAN))
        else:
            candidates.append((i, e))
    # Longest span first at each start, so a nested span loses to the span that contains it.
    candidates.sort(key=lambda ie: (ie[1].start, -ie[1].end, ie[1].label, ie[1].id))
    kept: list[Entity] = []
    for i, e in candidates:
        if kept and e.start < kept[-1].end:
            if e.key == kept[-1].key:
                continue  # the same span twice is one span in IOB; nothing is lost
            k = kept[-1]
            problems.append(
                Problem(
                    entity_where(where, i, e),
                    f"span [{e.start}, {e.end}) {e.text!r} overlaps entity {k.id} "
                    f"[{k.start}, {k.end}) {k.text!r}; IOB tags hold one label per token",
                    OVERLAPPING_SPANS,
                )
            )
            continue
        kept.append(e)
    return kept, problems


def tokens_and_tags(doc: Document, schema: Schema) -> TokenTags:
    """Tokenise `doc` and tag its entities in IOB2 with labels from `schema`."""
    entities, problems = _representable(doc, schema)
    starts, ends = token_arrays(
        doc.text, boundaries=[b for e in entities for b in (e.start, e.end)]
    )
    s_list, e_list = starts.tolist(), ends.tolist()
    tags = ["O"] * len(s_list)
    # Entities are sorted, non-overlapping and on token edges: the tokens of one are those
    # from the first starting at or after its start to the last ending at or before its end.
    for e in entities:
        first = bisect.bisect_left(s_list, e.start)
        last = bisect.bisect_right(e_list, e.end)
        if first < last:
            tags[first] = f"B-{e.label}"
            tags[first + 1 : last] = [f"I-{e.label}"] * (last - first - 1)
    text = doc.text
    return TokenTags(
        tokens=tuple([text[a:b] for a, b in zip(s_list, e_list, strict=True)]),
        starts=tuple(s_list),
        ends=tuple(e_list),
        tags=tuple(tags),
        problems=tuple(problems),
    )


def spans_from_iob(
    offsets: Sequence[tuple[int, int]], tags: Sequence[str]
) -> list[tuple[str, int, int]]:
    """Spans ``(label, start, end)`` (the `Entity.key` shape) from token offsets and IOB2 tags.

    A span runs from its ``B-`` token's start to its last ``I-`` token's end. An ``I-X`` that
    does not continue an ``X`` span starts one (the usual lenient IOB2 reading, as in seqeval).
    """
    if len(offsets) != len(tags):
        raise ValueError(f"{len(offsets)} token offsets but {len(tags)} tags")
    spans: list[tuple[str, int, int]] = []
    current: list | None = None  # [label, start, end] of the open span
    for (start, end), tag in zip(offsets, tags, strict=True):
        if tag == "O":
            current = None
            continue
        prefix, sep, label = tag.partition("-")
        if not sep or prefix not in ("B", "I") or not label:
            raise ValueError(f"tag {tag!r} is not IOB2; allowed: O, B-<label>, I-<label>")
        if prefix == "I" and current is not None and current[0] == label:
            current[2] = end
            spans[-1] = (label, current[1], end)
            continue
        current = [label, start, end]
        spans.append((label, start, end))
    return spans
