"""Offset-free predictions: exact, then case/whitespace-insensitive, successive occurrences."""

from __future__ import annotations

from eventgold.eval.align import align_record, find_span, needs_alignment

TEXT = "Kabul was hit. Later KABUL  police said Kabul\nwas calm; kabul again."


def test_find_exact_then_loose() -> None:
    assert find_span(TEXT, "Kabul", 0) == (0, 5, True)
    assert find_span(TEXT, "Kabul", 1) == (40, 45, True)
    assert find_span(TEXT, "kabul police", 0) == (21, 34, False)  # case + double space
    assert find_span(TEXT, "Kabul was", 41) is None
    assert find_span(TEXT, "Kabul was", 1) == (40, 49, False)  # newline counts as space
    assert find_span(TEXT, "   ", 0) is None


def test_successive_mentions_take_successive_occurrences() -> None:
    obj = {
        "id": "d",
        "entities": [
            {"label": "LOCATION", "text": "Kabul"},
            {"label": "LOCATION", "text": "Kabul"},
            {"label": "LOCATION", "text": "Kabul"},
            {"label": "ACTOR", "text": "Kabul"},  # another label starts again from the top
            {"label": "LOCATION", "text": "Herat", "id": "h"},
        ],
        "relations": [{"head": "e3", "tail": "h", "label": "CONDEMNS"}],
    }
    assert needs_alignment(obj)
    record, report = align_record(obj, doc_id="d", text=TEXT)
    spans = [(e["start"], e["end"], e["text"]) for e in record["entities"]]
    # Third "Kabul": no exact occurrence is left after 45, so the loose match finds "kabul".
    assert spans == [(0, 5, "Kabul"), (40, 45, "Kabul"), (56, 61, "kabul"), (0, 5, "Kabul")]
    assert (report.exact, report.fuzzy, report.dropped_relations) == (3, 1, 1)
    assert [(u.label, u.text) for u in report.unaligned] == [("LOCATION", "Herat")]
    assert record["relations"] == []


def test_entities_with_offsets_are_kept() -> None:
    obj = {"id": "d", "entities": [{"start": 0, "end": 5, "label": "LOCATION", "text": "Kabul"}]}
    assert not needs_alignment(obj)
    record, report = align_record(obj, doc_id="d", text=TEXT)
    assert record["entities"] == obj["entities"] and report.exact == 0
