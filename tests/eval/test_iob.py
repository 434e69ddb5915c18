"""IOB2 token scoring: projection onto tokens, and seqeval (strict, IOB2) as the oracle."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import classification_report, f1_score, precision_score, recall_score
from seqeval.scheme import IOB2

from eventgold.documents import Document, Entity
from eventgold.eval.counts import PRF
from eventgold.eval.iob import (
    chunks,
    score_chunks,
    span_chunks,
    tags_for,
    token_edges,
    token_offsets,
)


def test_tags_follow_gold_tokens_and_overlap_rules() -> None:
    text = "Gunmen attacked Kabul's market."
    gold = Document(id="d", text=text, entities=(Entity("a", 16, 21, "LOCATION", "Kabul"),))
    offsets = token_offsets(gold)
    words = [text[s:e] for s, e in offsets]
    assert words == ["Gunmen", "attacked", "Kabul", "'s", "market", "."]
    assert tags_for(offsets, gold.entities) == ["O", "O", "B-LOCATION", "O", "O", "O"]
    # A prediction covering part of a token tags the whole token; overlapping predictions:
    # the one starting first keeps the shared tokens.
    pred = (
        Entity("p", 2, 10, "ATTACKER", "nmen att"),
        Entity("q", 7, 30, "ATTACK", "attacked Kabul's market"),
    )
    assert tags_for(offsets, pred) == [
        "B-ATTACKER",
        "I-ATTACKER",
        "B-ATTACK",
        "I-ATTACK",
        "I-ATTACK",
        "O",
    ]


def test_chunks_read_iob2_strictly() -> None:
    tags = ["B-A", "I-A", "I-B", "O", "I-A", "B-B", "B-B", "I-B"]
    # I-B after A and I-A after O start nothing in strict IOB2.
    assert chunks(tags) == {("A", 0, 2), ("B", 5, 6), ("B", 6, 8)}
    assert chunks([]) == set()


TAGS = ["O", "O", "B-A", "I-A", "B-B", "I-B"]
sequences = st.lists(st.lists(st.sampled_from(TAGS), max_size=12), min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(sequences, st.data())
def test_equals_seqeval_strict_iob2(gold: list[list[str]], data: st.DataObject) -> None:
    pred = [
        data.draw(st.lists(st.sampled_from(TAGS), min_size=len(g), max_size=len(g))) for g in gold
    ]
    per_label: dict[str, PRF] = {}
    for g, p in zip(gold, pred, strict=True):
        for label, prf in score_chunks(chunks(g), chunks(p)).items():
            per_label[label] = per_label.get(label, PRF()) + prf
    total = sum(per_label.values(), PRF())
    kw = {"mode": "strict", "scheme": IOB2, "zero_division": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert total.precision == pytest.approx(precision_score(gold, pred, **kw))
        assert total.recall == pytest.approx(recall_score(gold, pred, **kw))
        assert total.f1 == pytest.approx(f1_score(gold, pred, **kw))
        if per_label:
            report = classification_report(gold, pred, output_dict=True, **kw)
            for label, prf in per_label.items():
                assert prf.f1 == pytest.approx(report[label]["f1-score"])
                assert prf.tp + prf.fn == report[label]["support"]
            macro = sum(p.f1 for p in per_label.values()) / len(per_label)
            assert macro == pytest.approx(f1_score(gold, pred, average="macro", **kw))


WORDS = ["Gunmen", "attacked", "Kabul's", "market", ".", "  ", "\n", "al-Shabaab", "12"]
span_tuples = st.tuples(st.sampled_from(["A", "B"]), st.integers(0, 60), st.integers(0, 12))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12),
    st.lists(span_tuples, max_size=6),
    st.lists(span_tuples, max_size=6),
)
def test_span_chunks_equal_tagging_and_reading_back(
    words: list[str], gold_raw: list, pred_raw: list
) -> None:
    """Gold spans cut the tokens; spans may cut words, overlap, nest, or cover only spaces."""
    text = " ".join(words)

    def entities(raw: list) -> tuple[Entity, ...]:
        out = []
        for i, (label, start, width) in enumerate(raw):
            s = min(start, len(text))
            e = min(s + width, len(text))
            if s < e:
                out.append(Entity(f"e{i}", s, e, label, text[s:e]))
        return tuple(out)

    gold = Document(id="d", text=text, entities=entities(gold_raw))
    starts, ends = token_edges(gold)
    offsets = token_offsets(gold)
    assert list(zip(starts, ends, strict=True)) == offsets
    for ents in (gold.entities, entities(pred_raw)):
        reference = chunks(tags_for(offsets, ents))
        assert span_chunks(starts, ends, [e.key for e in ents]) == reference
