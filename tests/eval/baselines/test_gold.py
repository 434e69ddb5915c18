from __future__ import annotations

import pytest

from eventgold.documents import Entity, write_document_file, write_documents
from eventgold.eval.baselines.gold import load_gold, read_document_set
from eventgold.problems import ProblemsError


def test_gold_from_jsonl_gold_folder_or_json_files(gold_documents, schema, tmp_path):
    write_documents(tmp_path / "g.jsonl", gold_documents)
    (tmp_path / "gold").mkdir()
    write_documents(tmp_path / "gold" / "documents.jsonl", gold_documents)
    (tmp_path / "ann").mkdir()
    for doc in gold_documents:
        write_document_file(tmp_path / "ann" / f"{doc.id}.json", doc)
    for source in ("g.jsonl", "gold", "ann"):
        assert load_gold(tmp_path / source, schema=schema) == gold_documents


def test_gold_must_pass_the_gold_rules(gold_documents, schema, tmp_path):
    doc = gold_documents[0]
    first = doc.entities[0]  # "suicide bomber"; "bomber" overlaps it
    overlapping = Entity("x", first.start + 8, first.end, "ATTACK", first.text[8:])
    bad = doc.with_annotations(entities=(*doc.entities, overlapping), relations=doc.relations)
    write_documents(tmp_path / "g.jsonl", [bad])
    with pytest.raises(ProblemsError) as info:
        load_gold(tmp_path / "g.jsonl", schema=schema)
    assert "'bomber' overlaps entity e0 [15, 29) 'suicide bomber'" in str(info.value)
    assert info.value.summary == f"cannot use gold {tmp_path / 'g.jsonl'}: 1 problem(s)"


def test_empty_or_missing_gold_is_explained(schema, tmp_path):
    with pytest.raises(ProblemsError, match=r"no gold documents \(expected a JSONL file"):
        load_gold(tmp_path, schema=schema)
    with pytest.raises(FileNotFoundError):
        load_gold(tmp_path / "nope", schema=schema)


def test_bad_json_files_are_reported_not_skipped(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    docs, problems = read_document_set(tmp_path)
    assert docs == [] and "not a JSON document" in problems[0].message
