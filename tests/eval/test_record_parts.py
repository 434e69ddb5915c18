"""A clean prediction record read straight from its JSON (`eval.record_parts`) against the full
parse and check (`parse_document`, `validate_document` with the prediction rules)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eventgold.documents import parse_document
from eventgold.eval.record_parts import RecordRules, record_parts
from eventgold.eval.table import gold_parts
from eventgold.schema import load_schema
from eventgold.validate import GOLD_RULES, PREDICTION_RULES, Rules, validate_document

SCHEMA = load_schema()
RULES = RecordRules(SCHEMA)
TEXT = "Gunmen attacked the village of Kaya; the army condemned the attack."
LABELS = (*SCHEMA.entity_labels, "NOT_A_LABEL")
CYCLE = ("ATTACKER", "VICTIM_GROUP", "ACTOR", "ATTACK")  # entity labels most relations fit
RELATIONS = (*SCHEMA.relation_labels, "NOT_A_RELATION")

# Values a field may take: mostly right, sometimes of a wrong type or absent.
_ODD = st.sampled_from([None, True, 1.5, "3", [], {}])


def _mostly(
    value: st.SearchStrategy, fault: st.SearchStrategy, *, one_in: int = 10
) -> st.SearchStrategy:
    """`fault` once in `one_in` times, else `value` (so that many records are clean)."""
    return st.sampled_from([True] * (one_in - 1) + [False]).flatmap(
        lambda ok: value if ok else fault
    )


def _maybe(value: st.SearchStrategy, *, absent: bool = True) -> st.SearchStrategy:
    """Mostly `value`; else a value of a wrong type, or (if `absent`) nothing."""
    return _mostly(value, _ODD | st.just(_ABSENT) if absent else _ODD, one_in=40)


_ABSENT = object()


def _record(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not _ABSENT}


@st.composite
def entities(draw: st.DrawFn, index: int) -> Any:
    start = draw(st.integers(0, len(TEXT) - 1) | st.integers(-1, len(TEXT) - 1))
    end = draw(st.integers(start + 1, len(TEXT)) | st.integers(start - 1, len(TEXT) + 1))
    covered = TEXT[max(start, 0) : max(end, 0)]
    entity = {
        "id": draw(_maybe(st.sampled_from([f"e{index}", f"x{index}"] * 3 + ["e0"]))),
        "start": draw(_maybe(st.just(start))),
        "end": draw(_maybe(st.just(end))),
        "label": draw(
            _maybe(
                _mostly(st.just(CYCLE[index % 4]), st.sampled_from(LABELS), one_in=4), absent=False
            )
        ),
        "text": draw(_maybe(st.sampled_from([covered] * 7 + [covered + "!"]))),
    }
    return draw(_mostly(st.just(_record(entity)), _ODD))


def _fits(head: Any, tail: Any) -> list[str]:
    """The relation labels the schema allows between entities of these labels."""
    return [r.label for r in SCHEMA.relations if head in r.head and tail in r.tail]


@st.composite
def relations(draw: st.DrawFn, ents: list[Any]) -> Any:
    """A relation between two of `ents` (or a missing one), mostly with a label allowed."""
    known = {
        e.get("id", f"e{i}"): e.get("label")
        for i, e in enumerate(ents)
        if isinstance(e, dict) and isinstance(e.get("id", ""), str)
    }
    ids = sorted(known) or ["missing"]
    fitting = [(h, t) for h in ids for t in ids if h != t and _fits(known.get(h), known.get(t))]
    any_pair = st.tuples(st.sampled_from([*ids, "missing"]), st.sampled_from([*ids, "missing"]))
    head, tail = draw(_mostly(st.sampled_from(fitting), any_pair) if fitting else any_pair)
    allowed = _fits(known.get(head), known.get(tail)) or list(RELATIONS)
    label = draw(_mostly(st.sampled_from(allowed), st.sampled_from(RELATIONS)))
    relation = {
        "head": draw(_maybe(st.just(head), absent=False)),
        "tail": draw(_maybe(st.just(tail), absent=False)),
        "label": draw(_maybe(st.just(label), absent=False)),
    }
    return draw(_mostly(st.just(relation), _ODD))


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(2, 6) | st.integers(0, 6))
    ents = [draw(entities(i)) for i in range(n)]
    rels = [draw(relations(ents)) for _ in range(draw(st.integers(0, 4)))]
    fields = {
        "id": "d1",
        "text": TEXT,
        "title": draw(_maybe(st.just("A title"))),
        "source": draw(_maybe(st.just("a source"))),
        "meta": draw(_maybe(st.just({"model": {"name": "m"}}))),
        "entities": draw(_mostly(st.just(ents), _ODD)),
        "relations": draw(_mostly(st.just(rels), _ODD)),
    }
    return _record(fields)


def _full_way(obj: dict[str, Any], rules: Rules = PREDICTION_RULES) -> tuple[Any, bool]:
    """The parts of the document the full check builds, and whether it found a problem."""
    doc, problems = parse_document(obj)
    if doc is None:
        return None, True
    problems = validate_document(doc, SCHEMA, rules=rules)
    return gold_parts(doc), bool(problems)


@settings(max_examples=1500, deadline=None)
@given(records(), st.booleans())
def test_a_record_accepted_is_clean_and_has_the_same_parts(obj: dict[str, Any], gold: bool) -> None:
    parts = record_parts(obj, TEXT, RULES, gold=gold)
    expected, has_problems = _full_way(obj, GOLD_RULES if gold else PREDICTION_RULES)
    if parts is not None:
        assert not has_problems
        assert parts == expected


def test_a_clean_record_is_accepted_with_its_spans_and_resolved_relations() -> None:
    obj = {
        "id": "d1",
        "text": TEXT,
        "entities": [
            {"id": "a", "start": 0, "end": 6, "label": "ATTACKER", "text": "Gunmen"},
            {"start": 31, "end": 35, "label": "LOCATION"},  # no id: "e1"; no text: covered
            {"id": "c", "start": 41, "end": 45, "label": "ACTOR"},
            {"id": "d", "start": 60, "end": 66, "label": "ATTACK"},
        ],
        "relations": [{"head": "c", "tail": "d", "label": "CONDEMNS"}],
    }
    spans, resolved = record_parts(obj, TEXT, RULES)  # type: ignore[misc]
    assert spans == [
        ("ATTACKER", 0, 6),
        ("LOCATION", 31, 35),
        ("ACTOR", 41, 45),
        ("ATTACK", 60, 66),
    ]
    assert resolved == {("CONDEMNS", "ACTOR", 41, 45, "ATTACK", 60, 66)}
    assert (spans, resolved) == _full_way(obj)[0]


def test_every_fault_leaves_the_record_to_the_full_check() -> None:
    good = {"id": "a", "start": 0, "end": 6, "label": "ATTACKER", "text": "Gunmen"}
    victim = {"id": "v", "start": 20, "end": 27, "label": "VICTIM_GROUP"}
    faults = [
        {"entities": [{**good, "label": "NOT_A_LABEL"}]},
        {"entities": [{**good, "end": 5}]},  # the text no longer matches
        {"entities": [{**good, "start": True}]},
        {"entities": [good, {**good, "id": "b"}]},  # the same span twice
        {"entities": [good, {**victim, "id": "a"}]},  # the same id twice
        {"entities": [{"id": "a", "label": "ATTACKER", "text": "Gunmen"}]},  # to be aligned
        {"entities": [good, victim], "relations": [{"head": "v", "tail": "a", "label": "KILLED"}]},
        {"entities": [good], "relations": [{"head": "a", "tail": "a", "label": "KILLED"}]},
        {"entities": [good], "relations": [{"head": "a", "tail": "zz", "label": "KILLED"}]},
        {"meta": None},
    ]
    for fault in faults:
        obj = {"id": "d1", "text": TEXT, **fault}
        assert record_parts(obj, TEXT, RULES) is None, fault
        assert _full_way(obj)[1], fault


def test_gold_spans_must_also_be_trimmed_and_apart() -> None:
    attack = {"id": "a", "start": 7, "end": 15, "label": "ATTACK"}  # "attacked"
    faults = [
        [{**attack, "start": 6}],  # " attacked"
        [attack, {"id": "b", "start": 0, "end": 10, "label": "ATTACKER"}],  # overlaps it
        [attack, {**attack, "id": "b", "label": "ATTACKER"}],  # the same span, another label
    ]
    for ents in faults:
        obj = {"id": "d1", "text": TEXT, "entities": ents}
        assert record_parts(obj, TEXT, RULES) is not None, ents  # fine in a prediction
        assert record_parts(obj, TEXT, RULES, gold=True) is None, ents
        assert _full_way(obj, GOLD_RULES)[1], ents
    apart = [attack, {"id": "b", "start": 0, "end": 6, "label": "ATTACKER"}]
    obj = {"id": "d1", "text": TEXT, "entities": apart}
    assert record_parts(obj, TEXT, RULES, gold=True) == _full_way(obj, GOLD_RULES)[0]
