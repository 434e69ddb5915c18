from __future__ import annotations

import re

from eventgold.annotate.backend.interactive import same_text, suggest
from eventgold.annotate.backend.models import load_models
from eventgold.annotate.backend.protocol import Controls
from eventgold.documents import Document, Entity
from eventgold.schema import Schema


def region(rid: str, text: str, start: int, end: int, label: str) -> dict:
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def test_same_text_finds_whole_words_not_covered() -> None:
    text = "Kabul and Kabulis; Kabul again, near Kabul."
    marked = [Entity("m", 0, 5, "LOCATION", "Kabul")]
    taken = [*marked, Entity("x", 37, 42, "ATTACKER", "Kabul")]
    found = same_text(text, marked, taken)
    # "Kabulis" is not a whole word; the last one is held by another region.
    assert [(e.start, e.end, e.label, e.id) for e in found] == [(19, 24, "LOCATION", "m-same0")]


def test_suggestions_use_the_annotators_regions(gold: list[Document], schema: Schema) -> None:
    doc = gold[0]
    text = doc.text
    models = load_models("rules", schema=schema)
    task = {
        "id": 1,
        "data": {"text": text},
        "drafts": [],
        # What the annotator already has: a victim group.
        "annotations": [{"result": [region("r2", text, 765, 776, "VICTIM_GROUP")]}],
    }
    first_kabul = text.index("Kabul")
    context = {
        "result": [
            region("r1", text, 539, 546, "ATTACK"),  # "bombing", just marked
            region("r3", text, first_kabul, first_kabul + 5, "LOCATION"),
        ]
    }
    found = suggest(models, task, context, controls=Controls(), schema=schema)
    assert found.problems == ()
    spans = [r for r in found.regions if r["type"] == "labels"]
    relations = [r for r in found.regions if r["type"] == "relation"]
    # The rules link the bombing to the victims the annotator marked before.
    assert relations == [
        {
            "type": "relation",
            "from_id": "r1",
            "to_id": "r2",
            "direction": "right",
            "labels": ["KILLED"],
        }
    ]
    assert {"r1", "r2"} <= {s["id"] for s in spans}
    others = [m.start() for m in re.finditer(r"(?<!\w)Kabul(?!\w)", text)][1:]
    kabuls = [s for s in spans if s["id"].startswith("r3-same")]
    assert [s["value"]["start"] for s in kabuls] == others
    assert all(s["value"]["labels"] == ["LOCATION"] and s["score"] == 1.0 for s in kabuls)


def test_a_region_that_does_not_fit_the_text_is_reported(schema: Schema) -> None:
    models = load_models("rules", schema=schema)
    task = {"id": 4, "data": {"text": "Kabul was hit."}}
    bad = region("r1", "Kabul was hit.", 0, 5, "LOCATION")
    bad["value"]["text"] = "Herat"
    found = suggest(models, task, {"result": [bad]}, controls=Controls(), schema=schema)
    assert found.regions == ()
    assert [str(p) for p in found.problems] == [
        f"task 4 / context / region 0: not a span of this text: {bad!r:.120}"
    ]
