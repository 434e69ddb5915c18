from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventgold.documents import Document, Entity
from eventgold.schema import load_schema
from eventgold.tokens import (
    EMPTY_SPAN,
    _nlp,
    spans_from_iob,
    token_arrays,
    token_arrays_many,
    tokenize,
    tokens_and_tags,
)
from eventgold.validate import OVERLAPPING_SPANS, UNKNOWN_ENTITY_LABEL

SCHEMA = load_schema()
LABELS = SCHEMA.entity_labels


def doc_with(text: str, spans: list[tuple[str, int, int]]) -> Document:
    ents = tuple(
        Entity(id=f"e{i}", start=s, end=e, label=label, text=text[s:e])
        for i, (label, s, e) in enumerate(spans)
    )
    return Document(id="d", text=text, entities=ents)


def round_trip(doc: Document) -> list[tuple[str, int, int]]:
    tt = tokens_and_tags(doc, SCHEMA)
    return spans_from_iob(tt.offsets, tt.tags)


def test_tags_and_offsets_of_a_sentence() -> None:
    text = "ISKP  attacked Kabul’s school."
    doc = doc_with(text, [("ATTACKER", 0, 4), ("LOCATION", 15, 20)])
    tt = tokens_and_tags(doc, SCHEMA)
    assert tt.tokens == ("ISKP", "attacked", "Kabul", "’s", "school", ".")
    assert tt.tags == ("B-ATTACKER", "O", "B-LOCATION", "O", "O", "O")
    assert all(text[s:e] == t for t, s, e in zip(tt.tokens, tt.starts, tt.ends, strict=True))
    assert tt.problems == ()


def test_span_inside_a_token_splits_it() -> None:
    text = "proTalibans fought"
    doc = doc_with(text, [("ATTACKER", 3, 10)])  # "Taliban" inside spaCy's one token
    tt = tokens_and_tags(doc, SCHEMA)
    assert tt.tokens[:3] == ("pro", "Taliban", "s")
    assert tt.tags[:3] == ("O", "B-ATTACKER", "O")
    assert round_trip(doc) == [("ATTACKER", 3, 10)]


def test_multi_token_span_with_emoji_curly_quotes_and_double_spaces() -> None:
    text = "“Islamic  State 😀” struck Jalalabad\n\nagain ☠ 35 students"
    s = text.index("Islamic")
    spans = [
        ("ATTACKER", s, text.index("State") + 5),
        ("LOCATION", text.index("Jalalabad"), text.index("Jalalabad") + 9),
        ("VICTIM_GROUP", text.index("35"), len(text)),
    ]
    doc = doc_with(text, spans)
    tt = tokens_and_tags(doc, SCHEMA)
    assert tt.tags[tt.tokens.index("State")] == "I-ATTACKER"
    assert not any(t.isspace() or " " in t for t in tt.tokens)
    assert round_trip(doc) == spans


def test_adjacent_spans_of_one_label_stay_two_spans() -> None:
    text = "HamasFatah"
    spans = [("ACTOR", 0, 5), ("ACTOR", 5, 10)]
    assert round_trip(doc_with(text, spans)) == spans


def test_unrepresentable_spans_are_reported_not_lost_silently() -> None:
    text = "Islamic State attacked Kabul"
    doc = doc_with(text, [("ATTACKER", 0, 13), ("ACTOR", 8, 13), ("WEAPON", 23, 28)])
    doc = Document(
        id="d",
        text=text + "   ",
        entities=(*doc.entities, Entity("e3", 28, 31, "LOCATION", "   ")),
    )
    tt = tokens_and_tags(doc, SCHEMA)
    codes = sorted(p.code for p in tt.problems)
    assert codes == sorted([OVERLAPPING_SPANS, UNKNOWN_ENTITY_LABEL, EMPTY_SPAN])
    unknown = next(p for p in tt.problems if p.code == UNKNOWN_ENTITY_LABEL)
    assert "label 'WEAPON'" in unknown.message
    assert "allowed: ACTOR, ATTACK, ATTACKER, LOCATION, VICTIM_GROUP" in unknown.message
    assert "entity 2 (e2)" in unknown.where
    assert spans_from_iob(tt.offsets, tt.tags) == [("ATTACKER", 0, 13)]


def test_spans_from_iob_reads_stray_inside_tag_as_a_start() -> None:
    offsets = [(0, 1), (2, 3), (4, 5), (6, 7)]
    tags = ["I-ACTOR", "I-ATTACK", "I-ATTACK", "O"]
    assert spans_from_iob(offsets, tags) == [("ACTOR", 0, 1), ("ATTACK", 2, 5)]


@pytest.mark.parametrize("tag", ["X-ACTOR", "B-", "BACTOR"])
def test_spans_from_iob_rejects_non_iob_tags(tag: str) -> None:
    with pytest.raises(ValueError, match=f"tag '{tag}' is not IOB2; allowed: O, B-<label>"):
        spans_from_iob([(0, 1)], [tag])


def test_spans_from_iob_rejects_length_mismatch() -> None:
    with pytest.raises(ValueError, match="2 token offsets but 1 tags"):
        spans_from_iob([(0, 1), (2, 3)], ["O"])


def test_tokenize_cuts_at_boundaries() -> None:
    assert tokenize("abcdef gh", boundaries=[2, 4, 7]) == [(0, 2), (2, 4), (4, 6), (7, 9)]


ALPHABET = "ab .,-’“”😀é\u00a0\n\tKz"


@st.composite
def documents(draw: st.DrawFn) -> tuple[Document, list[tuple[str, int, int]]]:
    text = draw(st.text(alphabet=ALPHABET, min_size=1, max_size=40))
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=10))))
    spans: list[tuple[str, int, int]] = []
    for s, e in zip(cuts[::2], cuts[1::2], strict=False):
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            spans.append((draw(st.sampled_from(LABELS)), s, e))
    return doc_with(text, spans), spans


@settings(max_examples=150, deadline=None)
@given(documents())
def test_iob_round_trip_gives_back_exactly_the_spans(
    case: tuple[Document, list[tuple[str, int, int]]],
) -> None:
    doc, spans = case
    tt = tokens_and_tags(doc, SCHEMA)
    assert tt.problems == ()
    assert spans_from_iob(tt.offsets, tt.tags) == spans
    assert all(doc.text[s:e] == t for t, s, e in zip(tt.tokens, tt.starts, tt.ends, strict=True))
    assert all(t and not any(c.isspace() for c in t) for t in tt.tokens)


def _tokenize_loop(
    text: str, t_starts: list[int], t_ends: list[int], cuts: list[int]
) -> list[tuple[int, int]]:
    """The definition: spaCy tokens split at whitespace and at `cuts` (sorted, unique), one
    token at a time (what `token_arrays` did before it cut all pieces at once)."""
    n_cuts = len(cuts)
    out: list[tuple[int, int]] = []
    ci = 0
    for t_start, t_end in zip(t_starts, t_ends, strict=True):
        piece = text[t_start:t_end]
        if re.search(r"\s", piece) is None:
            pieces: Sequence[tuple[int, int]] = ((t_start, t_end),)
        else:
            pieces = [(t_start + m.start(), t_start + m.end()) for m in re.finditer(r"\S+", piece)]
        for start, end in pieces:
            while ci < n_cuts and cuts[ci] <= start:
                ci += 1
            j = ci
            while j < n_cuts and cuts[j] < end:
                out.append((start, cuts[j]))
                start = cuts[j]
                j += 1
            out.append((start, end))
    return out


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=ALPHABET + "ISKP's-(x)\u3000\u2028", max_size=60),
    st.lists(st.integers(-2, 62), max_size=8),
)
def test_offsets_equal_the_per_token_loop(text: str, raw_cuts: list[int]) -> None:
    cuts = sorted({c for c in raw_cuts if 0 <= c <= len(text)})
    spacy_tokens = _nlp().tokenizer(text)
    reference = _tokenize_loop(
        text, [t.idx for t in spacy_tokens], [t.idx + len(t) for t in spacy_tokens], cuts
    )
    assert tokenize(text, boundaries=cuts) == reference
    assert tokenize(text, boundaries=[*cuts, *cuts]) == reference  # repeats change nothing
    assert tokenize(text, boundaries=raw_cuts) == reference  # outside the text: no effect


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=ALPHABET, max_size=40),
    st.lists(st.integers(0, 40), max_size=10),
    st.lists(st.integers(0, 40), max_size=6),
)
def test_pieces_equal_the_loop_for_any_tokens_covering_the_text(
    text: str, raw_edges: list[int], raw_cuts: list[int]
) -> None:
    # spaCy's blank English never mixes whitespace and text in a token; any tokenizer that
    # covers the text may, so `_pieces` is checked on arbitrary tokens as well.
    import numpy as np

    from eventgold.tokens import _IS_SPACE, _NOT_SPACE, _pieces

    edges = sorted({0, len(text), *(e for e in raw_edges if e <= len(text))})
    t_starts, t_ends = edges[:-1], edges[1:]
    cuts = sorted({c for c in raw_cuts if c <= len(text)})
    codepoints = np.array([ord(c) for c in text], dtype=np.int64)
    is_space = _IS_SPACE[np.minimum(codepoints, _NOT_SPACE)]
    starts, ends = _pieces(
        is_space,
        np.array(t_starts, dtype=np.int64),
        np.array(t_ends, dtype=np.int64),
        np.array(cuts, dtype=np.int64),
    )
    got = list(zip(starts.tolist(), ends.tolist(), strict=True))
    assert got == _tokenize_loop(text, t_starts, t_ends, cuts)


def test_plain_text_takes_the_fast_path_and_a_cut_inside_a_token_the_pieces(monkeypatch) -> None:
    import eventgold.tokens as tokens

    calls: list[int] = []
    real = tokens._pieces
    monkeypatch.setattr(
        tokens, "_pieces", lambda is_space, *a: calls.append(len(is_space)) or real(is_space, *a)
    )
    assert tokenize("Gunmen  killed\n12 people.") == [(0, 6), (8, 14), (15, 17), (18, 24), (24, 25)]
    assert calls == []
    assert tokenize("Talibans", boundaries=[0, 7]) == [(0, 7), (7, 8)]
    assert calls == [8]
    assert tokenize("a\u00a0b  c", boundaries=[]) == [(0, 1), (2, 3), (5, 6)]


def test_tokens_are_those_of_spacy_blank_english() -> None:
    # Our tokenizer skips lexical attributes; token boundaries must not change for that.
    import spacy

    text = (
        "Al-Shabaab's fighters (ISWAP) killed 12—perhaps 15—people in Maiduguri, Nigeria's "
        "north-east, at 3:40pm on 5/11/2026; see https://example.org/a?b=1 or mail "
        "desk@example.org. Officials can't confirm it 😀 “yet”. U.S. troops weren't there…"
    )
    full = spacy.blank("en")
    expected = [(t.idx, t.idx + len(t)) for t in full(text) if not t.is_space]
    assert len(expected) > 40
    assert tokenize(text) == expected
    assert _nlp().vocab.lex_attr_getters == {}  # the reason for this test


def test_whitespace_table_covers_every_whitespace_code_point() -> None:
    """Code points past the table are clipped to its last entry, which must be non-space,
    and no code point past it may be whitespace (so clipping never changes the answer)."""
    from eventgold.tokens import _IS_SPACE, _NOT_SPACE

    assert not _IS_SPACE[_NOT_SPACE] and _IS_SPACE[ord("\u3000")]
    assert [c for c in range(len(_IS_SPACE), 0x110000) if chr(c).isspace()] == []
    assert list(_IS_SPACE) == [chr(c).isspace() for c in range(len(_IS_SPACE))]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=ALPHABET + "ISKP's-(x)\u3000\u2028", max_size=30),
            st.lists(st.integers(-2, 32), max_size=6),
        ),
        max_size=6,
    )
)
def test_many_texts_at_once_equal_each_on_its_own(cases: list[tuple[str, list[int]]]) -> None:
    texts, cuts = [t for t, _ in cases], [c for _, c in cases]
    got = token_arrays_many(texts, cuts)
    assert len(got) == len(cases)
    for (starts, ends), text, boundaries in zip(got, texts, cuts, strict=True):
        want = token_arrays(text, boundaries=boundaries)
        assert starts.tolist() == want[0].tolist() and ends.tolist() == want[1].tolist()
        assert starts.dtype == ends.dtype == np.int64
