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
    assert report.repeated == 4  # every "Kabul" placed had other occurrences to choose from
    assert [(u.label, u.text) for u in report.unaligned] == [("LOCATION", "Herat")]
    assert record["relations"] == []


def test_entities_with_offsets_are_kept() -> None:
    obj = {"id": "d", "entities": [{"start": 0, "end": 5, "label": "LOCATION", "text": "Kabul"}]}
    assert not needs_alignment(obj)
    record, report = align_record(obj, doc_id="d", text=TEXT)
    assert record["entities"] == obj["entities"] and report.exact == 0


def test_a_text_only_mention_passes_over_a_span_an_entity_with_offsets_holds() -> None:
    text = "Kabul was hit. Later Kabul was calm."
    obj = {
        "id": "d",
        "entities": [
            {"id": "a", "start": 0, "end": 5, "label": "LOCATION", "text": "Kabul"},
            {"label": "LOCATION", "text": "Kabul"},  # the second one: the first is held
            {"label": "ACTOR", "text": "Kabul"},  # another label may share the first span
        ],
    }
    record, report = align_record(obj, doc_id="d", text=text)
    spans = [(e["label"], e["start"], e["end"]) for e in record["entities"]]
    # The ACTOR comes after the second LOCATION in the list: reading order puts it there too.
    assert spans == [("LOCATION", 0, 5), ("LOCATION", 21, 26), ("ACTOR", 21, 26)]
    assert [e["id"] for e in record["entities"]] == ["a", "e1", "e2"]  # e<index> by default
    assert (report.exact, report.repeated) == (2, 2)


def test_a_mention_that_occurs_once_is_not_counted_as_repeated() -> None:
    text = "Gunmen attacked Kunduz; police said the gunmen fled."
    obj = {"id": "d", "entities": [{"label": "LOCATION", "text": "Kunduz"}]}
    assert align_record(obj, doc_id="d", text=text)[1].repeated == 0
    obj = {"id": "d", "entities": [{"label": "ATTACKER", "text": "Gunmen"}]}  # and "gunmen"
    assert align_record(obj, doc_id="d", text=text)[1].repeated == 1


def test_a_mention_goes_to_the_first_occurrence_after_the_previous_mention() -> None:
    # Gold annotates the second "Taliban" only; the model lists Kabul, then Taliban.
    text = "The Taliban said it. In Kabul, the Taliban fighters were seen."
    obj = {
        "id": "d",
        "entities": [
            {"label": "LOCATION", "text": "Kabul"},
            {"label": "ATTACKER", "text": "Taliban"},
            {"label": "ACTOR", "text": "The Taliban"},  # none after: the earlier one
            {"label": "ATTACKER", "text": "taliban"},  # only loosely: the first free one
        ],
    }
    record, report = align_record(obj, doc_id="d", text=text)
    spans = [(e["label"], e["start"], e["end"]) for e in record["entities"]]
    assert spans == [
        ("LOCATION", 24, 29),
        ("ATTACKER", 35, 42),
        ("ACTOR", 0, 11),
        ("ATTACKER", 4, 11),
    ]
    assert (report.exact, report.fuzzy, report.repeated) == (3, 1, 3)  # Kabul is unique


def test_whole_words_come_before_occurrences_inside_a_word() -> None:
    text = "Gunmen fired. A Gun was found; the gunshot was heard."
    obj = {
        "id": "d",
        "entities": [
            {"label": "ATTACK", "text": "gun"},  # loose over a whole word beats exact inside one
            {"label": "ATTACKER", "text": "Gun"},  # exact: the whole word, though after Gunmen
            {"label": "ACTOR", "text": "men"},  # only inside a word: taken there, not refused
        ],
    }
    record, report = align_record(obj, doc_id="d", text=text)
    spans = [(e["label"], e["start"], e["end"]) for e in record["entities"]]
    assert spans == [("ATTACK", 16, 19), ("ATTACKER", 16, 19), ("ACTOR", 3, 6)]
    assert (report.exact, report.fuzzy, report.unaligned) == (2, 1, ())
