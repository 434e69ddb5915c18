from __future__ import annotations

from pathlib import Path

import pytest

from eventgold.documents import Document, read_documents
from eventgold.eval.baselines.boilerplate import skipped_lines
from eventgold.eval.baselines.rules import build_rule_extractor
from eventgold.schema import load_schema

ROOT = Path(__file__).resolve().parents[3]
ATTACK = "A suicide bomber killed 20 civilians in Kabul."


@pytest.fixture(scope="module")
def rules():
    return build_rule_extractor(load_schema())


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ('  1. ^ Eqbal, Saqalain (2022-10-02). "Explosion in Kabul killed 20 civilians"', "reference"),
        ("^ CNN (2022-09-30). A suicide bomb blast in Kabul", "reference"),
        ("Written by Fahim Amin | Translated by English Section Editor", "by-line"),
        ("By Jane Doe", "by-line"),
        ("Source: VOA News", "source"),
        ("photo_camera AFP/ AHMAD SAHEL ARMAN - Taliban gunmen killed 3 civilians", "caption"),
        ("atalayar_aeropuerto Kabul", "image-name"),
        ("About admin", "navigation"),
    ],
)  # fmt: skip
def test_each_never_annotated_line_is_found_and_the_attack_around_it_is_not(line, rule):
    text = f"{ATTACK}\n{line}\n{ATTACK}"
    assert [(s.rule, text[s.start : s.end]) for s in skipped_lines(text)] == [(rule, line)]


def test_page_end_markers_take_the_rest_of_the_text():
    text = f"{ATTACK}\n\nCheck Also\n\n{ATTACK}\nLeave a Reply"
    (skip,) = skipped_lines(text)
    assert (skip.rule, text[skip.start : skip.end]) == (
        "page-end",
        f"Check Also\n\n{ATTACK}\nLeave a Reply",
    )


def test_article_sentences_are_not_boilerplate():
    text = (
        "By the evening, 20 civilians were dead.\nThe source: officials in Kabul.\n"
        "Taliban fighters killed 3 people.\nPrint media reported the attack."
    )
    assert list(skipped_lines(text)) == []


def test_the_rules_label_nothing_in_references_and_by_lines(rules):
    text = (
        f"{ATTACK}\nWritten by Ahmad Massoud, Kabul\n"
        '  1. ^ CNN (2022-09-30). "At least 25 dead after suicide bomb blast in Kabul"\n'
        "photo_camera AFP/ Taliban gunmen killed 3 civilians in Panjshir"
    )
    doc = rules.predict(Document(id="t", text=text, title="t"))
    first_line = len(ATTACK)
    assert doc.entities and all(e.end <= first_line for e in doc.entities)
    alone = rules.predict(Document(id="t", text=ATTACK, title="t"))
    assert [(e.label, e.text) for e in doc.entities] == [(e.label, e.text) for e in alone.entities]
    assert len(doc.relations) == len(alone.relations) > 0


def test_no_shipped_gold_span_is_in_a_skipped_line():
    """The rules agree with the hand annotations: what they skip, annotators never labelled."""
    corpus = {d.id: d for d in read_documents(ROOT / "corpus" / "documents.jsonl")}
    gold = read_documents(ROOT / "gold" / "documents.jsonl")
    skipped_total = 0
    for doc in gold:
        skipped = list(skipped_lines(corpus[doc.id].text))
        skipped_total += len(skipped)
        assert not [
            e for e in doc.entities if any(e.start < s.end and s.start < e.end for s in skipped)
        ]
    assert skipped_total == 11


def test_the_shipped_reference_list_gets_no_prediction(rules):
    doc = next(read_documents(ROOT / "corpus" / "documents.jsonl"))
    refs = doc.text.index("  1. ^ ")
    assert doc.id == "000_825f39275db574bb"
    assert [e for e in rules.predict(doc).entities if e.start >= refs] == []
