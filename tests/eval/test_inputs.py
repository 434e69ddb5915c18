"""Loading gold and predictions: folder or file, and every bad-file problem located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventgold.documents import Document, write_documents
from eventgold.eval.inputs import (
    check_predictions,
    index_gold,
    load_gold,
    load_predictions,
)
from eventgold.problems import ProblemsError


def test_gold_from_folder_or_file(gold_dir: Path, schema, gold_docs) -> None:
    assert load_gold(gold_dir, schema) == gold_docs
    assert load_gold(gold_dir / "documents.jsonl", schema) == gold_docs


def test_missing_gold_file(tmp_path: Path, schema) -> None:
    with pytest.raises(FileNotFoundError):
        load_gold(tmp_path / "gone", schema)
    with pytest.raises(ProblemsError, match=r"has no documents\.jsonl, so it is not a gold folder"):
        load_gold(tmp_path, schema)  # an empty folder


def test_good_predictions_and_missing_documents(pred_file: Path, gold_docs, schema, jsonl) -> None:
    preds = load_predictions(pred_file, gold_docs, schema)
    assert set(preds.documents) == {"d1", "d2", "d3"} and preds.missing == ()
    only_d2 = jsonl(pred_file.parent / "one.jsonl", [{"id": "d2", "entities": []}])
    preds = load_predictions(only_d2, gold_docs, schema)
    assert preds.missing == ("d1", "d3")
    assert preds.for_gold(gold_docs[0]).entities == ()  # missing: scored as empty


def test_bad_prediction_file_lists_every_problem_located(tmp_path: Path, gold_docs, schema, jsonl):
    text = gold_docs[0].text
    path = jsonl(
        tmp_path / "bad.jsonl",
        [
            {"id": "nope", "text": "x", "entities": []},
            {
                "id": "d1",
                "text": text,
                "entities": [
                    {"id": "e1", "start": 0, "end": 6, "label": "REBEL", "text": "Rebels"},
                    {"id": "e1", "start": 40, "end": 99, "label": "ATTACK", "text": "x"},
                ],
                "relations": [{"head": "e1", "tail": "e9", "label": "CONDEMNS"}],
            },
            {"id": "d2", "text": "A different text.", "entities": []},
        ],
    )
    (tmp_path / "bad.jsonl").write_text(path.read_text() + "{not json\n")
    _, problems = check_predictions(path, gold_docs, schema, strict=True)
    lines = [str(p) for p in problems]
    assert lines == [
        "bad.jsonl line 1 / document 'nope': document id 'nope' is not in the gold (3 documents)",
        "bad.jsonl line 2 / document 'd1' / entity 0 (e1): label 'REBEL' is not in schema "
        "'conflict_events'; allowed: ACTOR, ATTACK, ATTACKER, LOCATION, VICTIM_GROUP",
        "bad.jsonl line 2 / document 'd1' / entity 1 (e1): duplicate entity id 'e1'",
        "bad.jsonl line 2 / document 'd1' / entity 1 (e1): offsets [40, 99) are not a non-empty "
        "range inside the text (0 to 51)",
        "bad.jsonl line 2 / document 'd1' / relation 0 (CONDEMNS e1 -> e9): head 'e1' is REBEL; "
        "CONDEMNS allows head labels: ACTOR",
        "bad.jsonl line 2 / document 'd1' / relation 0 (CONDEMNS e1 -> e9): tail 'e9' not found "
        "among entity ids",
        "bad.jsonl line 3 / document 'd2': text differs from the gold text at character 0 "
        "(gold 'Gunmen killed ten vi', got 'A different text.')",
        "bad.jsonl line 4: not valid JSON (Expecting property name enclosed in double quotes at "
        "column 2)",
    ]
    with pytest.raises(ProblemsError) as exc:
        load_predictions(path, gold_docs, schema, strict=True)
    assert exc.value.summary.endswith("bad.jsonl have 8 problem(s)")


def test_duplicate_prediction_document(tmp_path: Path, gold_docs, schema, jsonl) -> None:
    path = jsonl(tmp_path / "dup.jsonl", [{"id": "d2", "entities": []}] * 2)
    _, problems = check_predictions(path, gold_docs, schema)
    assert [str(p) for p in problems] == [
        "dup.jsonl line 2 / document 'd2': duplicate document id (first seen at dup.jsonl line 1)"
    ]


def test_offset_free_json_mapping_is_aligned(tmp_path: Path, gold_docs, schema) -> None:
    path = tmp_path / "llm.json"
    path.write_text(
        json.dumps(
            {
                "d2": [
                    {"label": "ATTACKER", "text": "gunmen"},
                    {"label": "LOCATION", "text": "Kandahar"},
                ]
            }
        )
    )
    preds = load_predictions(path, gold_docs, schema)
    (e,) = preds.documents["d2"].entities
    assert (e.start, e.end, e.text) == (0, 6, "Gunmen")
    assert preds.alignment is not None
    assert (preds.alignment.exact, preds.alignment.fuzzy, len(preds.alignment.unaligned)) == (
        0,
        1,
        1,
    )
    assert preds.missing == ("d1", "d3")


def test_gold_index_reads_documents_back_one_at_a_time(gold_dir: Path, schema, gold_docs) -> None:
    gold = index_gold(gold_dir, schema)
    assert len(gold) == 3 and list(gold.ids) == ["d1", "d2", "d3"]
    assert "d2" in gold and "nope" not in gold
    assert list(gold) == gold_docs  # read again from the file, in file order
    assert gold.get("d1") == gold_docs[0]


def test_jsonl_predictions_are_read_again_when_asked_for(
    pred_file: Path, gold_dir: Path, schema, gold_docs
) -> None:
    gold = index_gold(gold_dir, schema)
    preds = load_predictions(pred_file, gold, schema)
    in_memory = load_predictions(pred_file, gold_docs, schema)
    assert dict(preds.documents) == dict(in_memory.documents)
    assert [preds.for_gold(g) for g in gold] == [in_memory.for_gold(g) for g in gold_docs]
    # Only where each line is was kept: a file rewritten after the check is caught.
    pred_file.write_text(pred_file.read_text().replace('"d2"', '"d9"'))
    with pytest.raises(ProblemsError, match=r"pred\.jsonl changed while they were read"):
        preds.documents["d2"]


def test_gold_changed_between_check_and_scoring_is_an_error(gold_dir: Path, schema) -> None:
    gold = index_gold(gold_dir, schema)
    (gold_dir / "documents.jsonl").write_text("")
    with pytest.raises(ProblemsError, match=r"documents\.jsonl changed while it was read"):
        list(gold)


def test_scoring_files_keeps_a_bounded_amount_per_document(tmp_path: Path, schema) -> None:
    """Gold and predictions are read a document at a time: what stays per document is its
    row of counts and where its lines are, not the documents."""
    import tracemalloc

    from bench.bench_eval import make_corpus, valid_gold
    from eventgold.eval.evaluate import evaluate

    def peak(n: int) -> int:
        gold, pred = make_corpus(n, seed=1, entities=10, relations=0)
        gold = [valid_gold(g, schema) for g in gold]
        write_documents(tmp_path / f"g{n}.jsonl", gold)
        write_documents(tmp_path / f"p{n}.jsonl", pred)
        del gold, pred
        tracemalloc.start()
        evaluate(tmp_path / f"g{n}.jsonl", tmp_path / f"p{n}.jsonl", schema, bootstrap=0)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    peak(50)  # the tokenizer loads once, on first use: not a cost per document
    per_document = (peak(3000) - peak(1000)) / 2000  # both list 5,000 errors, the cap
    # The bound sits between streaming (~3 KB a document) and holding the documents (~9 KB).
    assert per_document < 5000, per_document


def test_a_bom_is_read_null_and_half_offsets_are_refused_and_bad_bytes_named(
    tmp_path: Path, gold_docs, schema
) -> None:
    first, second = gold_docs[0].id, gold_docs[1].id
    path = tmp_path / "odd.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"id": first, "entities": []}).encode() + b"\nnull\n"
        + json.dumps({"id": second, "entities": [{"label": "ATTACK", "start": 5}]}).encode()
        + b"\n\xff\n"
    )  # fmt: skip
    with pytest.raises(ProblemsError) as caught:
        load_predictions(path, gold_docs, schema)
    assert [str(p) for p in caught.value.problems] == [
        "odd.jsonl line 2: a prediction must be a JSON object with a string 'id'",
        f"odd.jsonl line 3 / document '{second}' / entity 0: field 'end' is missing",
        "odd.jsonl line 4: not valid UTF-8 (invalid start byte at byte 0)",
    ]


def test_a_prediction_text_is_left_out_or_the_gold_text(tmp_path: Path, gold_docs, schema, jsonl):
    d1, d2, d3 = (d.id for d in gold_docs)
    path = jsonl(
        tmp_path / "texts.jsonl",
        [
            {"id": d1, "text": 123, "entities": []},
            {"id": d2, "text": "", "entities": []},
            {"id": d3, "text": None, "entities": []},  # null: left out, the gold text is used
        ],
    )
    with pytest.raises(ProblemsError) as caught:
        load_predictions(path, gold_docs, schema)
    assert [str(p) for p in caught.value.problems] == [
        f"texts.jsonl line 1 / document '{d1}': field 'text' must be str (or left out), got int 123",
        f"texts.jsonl line 2 / document '{d2}': text differs from the gold text at character 0 "
        f"(gold {gold_docs[1].text[:20]!r}, got '')",
    ]


def test_gold_problems_name_their_line(tmp_path: Path, schema) -> None:
    bad = {"id": "g2", "text": "a b", "entities": [{"start": 0, "end": 2, "label": "ACTOR"}]}
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"id": "g1", "text": "x"}) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(ProblemsError) as caught:
        load_gold(path, schema)
    assert [p.where for p in caught.value.problems] == [
        "gold.jsonl line 2 / document 'g2' / entity 0 (e0)"
    ]


def test_a_text_differing_only_in_unicode_normalisation_says_so(tmp_path: Path, schema, jsonl):
    gold = [Document(id="n1", text="Caf\u00e9 owners fled.")]  # composed é
    path = jsonl(tmp_path / "p.jsonl", [{"id": "n1", "text": "Cafe\u0301 owners fled."}])
    _, problems = check_predictions(path, gold, schema)
    assert [p.message for p in problems] == [
        "text differs from the gold text at character 3 (gold '\u00e9 owners fled.', got "
        "'e\u0301 owners fled.'): the two are equal once Unicode-normalised (NFC); give the "
        "gold text as it is, or leave 'text' out, with offsets into the gold text"
    ]
