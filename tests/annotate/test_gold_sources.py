"""The hand-annotated gold sources in annotations/gold/ are sound.

Each file is one corpus document with its annotations (`write_document_file` format). These
tests read the real files: every one parses, carries exactly its corpus document's text,
validates against the shipped schema under the strict gold rules, and has at least one entity.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eventgold.annotate.corpus import text_sha256
from eventgold.documents import Document, read_document_file, read_documents
from eventgold.schema import load_schema
from eventgold.validate import GOLD_RULES, validate_document

ROOT = Path(__file__).resolve().parents[2]
GOLD_DIR = ROOT / "annotations" / "gold"
CORPUS = ROOT / "corpus" / "documents.jsonl"
ARTICLES = {"the", "a", "an"}

GOLD_FILES = sorted(GOLD_DIR.glob("*.json"))
CORPUS_DOCS: dict[str, Document] = {d.id: d for d in read_documents(CORPUS)}


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_gold_folder_covers_the_whole_corpus():
    assert GOLD_FILES, f"no gold files in {GOLD_DIR}"
    assert {p.stem for p in GOLD_FILES} == set(CORPUS_DOCS)


@pytest.fixture(params=GOLD_FILES, ids=_ids(GOLD_FILES))
def gold(request: pytest.FixtureRequest) -> tuple[Path, Document]:
    path: Path = request.param
    return path, read_document_file(path)


def test_file_is_valid_json_named_after_its_document(gold):
    path, doc = gold
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    assert raw["id"] == doc.id == path.stem


def test_text_title_and_source_are_the_corpus_document_exactly(gold):
    _, doc = gold
    corpus_doc = CORPUS_DOCS.get(doc.id)
    assert corpus_doc is not None, f"{doc.id} is not in {CORPUS}"
    assert doc.text == corpus_doc.text
    assert (doc.title, doc.source) == (corpus_doc.title, corpus_doc.source)
    # The recorded hash is the corpus one and still matches the text.
    assert doc.meta.get("sha256") == corpus_doc.meta["sha256"] == text_sha256(doc.text)


def test_meta_names_the_annotator(gold):
    _, doc = gold
    assert isinstance(doc.meta.get("annotator"), str) and doc.meta["annotator"].strip()


def test_validates_with_zero_problems_under_gold_rules(gold):
    _, doc = gold
    problems = validate_document(doc, load_schema(), rules=GOLD_RULES)
    assert problems == [], "\n".join(str(p) for p in problems)


def test_entity_ids_are_unique(gold):
    _, doc = gold
    counts = Counter(e.id for e in doc.entities)
    assert [i for i, n in counts.items() if n > 1] == []


def test_every_article_has_entities(gold):
    _, doc = gold
    assert len(doc.entities) >= 1


def test_spans_are_trimmed_of_punctuation_and_leading_articles(gold):
    # Stricter than the validator (which only checks whitespace): the guidelines also trim
    # punctuation and leave leading articles out of spans.
    _, doc = gold
    opening, closing = "\"'“”‘’([{,.;:!?-", "\"'“”‘’)]},.;:!?-"
    punctuated = [e for e in doc.entities if e.text[0] in opening or e.text[-1] in closing]
    with_article = [
        e for e in doc.entities if " " in e.text and e.text.split(" ", 1)[0].lower() in ARTICLES
    ]
    assert punctuated == []
    assert with_article == []


def test_relations_point_from_head_to_tail_types_allowed_by_the_schema(gold):
    _, doc = gold
    schema = load_schema()
    by_id = doc.entity_by_id()
    for r in doc.relations:
        rtype = schema.relation(r.label)
        assert rtype is not None
        assert by_id[r.head].label in rtype.head
        assert by_id[r.tail].label in rtype.tail


def test_a_corrupted_copy_is_caught(gold, tmp_path):
    # The checks above would notice a shifted offset or a changed text: prove it on a copy.
    path, doc = gold
    assert doc.entities
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["entities"][0]["start"] += 1
    bad = tmp_path / path.name
    bad.write_text(json.dumps(raw), encoding="utf-8")
    problems = validate_document(read_document_file(bad), load_schema())
    assert problems, "shifting an offset by one should be reported"
