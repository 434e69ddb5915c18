"""Event scoring: hand-checked cases, the shipped gold against itself, and what each kind of
error costs (the table in docs/events.md, "What each error costs")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from eventgold.documents import Document, Entity
from eventgold.eval.bootstrap import Bootstrap
from eventgold.eval.counts import PRF
from eventgold.eval.events.assembly import Event, assemble
from eventgold.eval.events.killed import EventKilled
from eventgold.eval.events.scoring import (
    KilledWithin,
    SameText,
    match_events,
    score_event_lists,
    score_events,
    slot_rules,
)
from eventgold.problems import ProblemsError
from eventgold.schema import load_schema, schema_from_data
from tests.eval.events.helpers import seed_gold

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = load_schema()
SPEC = SCHEMA.events
assert SPEC is not None
NO_BOOT = Bootstrap(resamples=0)


@pytest.fixture(scope="module")
def gold() -> list[Document]:
    return seed_gold()


def ent(eid: str, text: str, start: int = 0, label: str = "X") -> Entity:
    return Entity(eid, start, start + len(text), label, text)


def event(number: int = 1, *, anchor_at: int = 0, killed: int | None = None, **cols) -> Event:
    mentions = {
        c: tuple(ent(f"{c}{i}", t) for i, t in enumerate(cols.get(c, ())))
        for c in ("attacker", "victims", "location", "condemned_by")
    }
    return Event(
        doc_id="d",
        number=number,
        source="",
        anchors=(ent(f"A{number}", "attack", anchor_at),),
        killed=None if killed is None else EventKilled(killed, killed, killed, ()),
        sentence="",
        **mentions,
    )


def figures(gold_events, pred_events, tolerance: float = 0.1) -> dict:
    result = score_event_lists(
        [("d", gold_events, pred_events)], bootstrap=NO_BOOT, tolerance=tolerance
    )
    return result.figures()


def test_same_text_rule_ignores_case_spaces_and_repeats() -> None:
    rule = SameText("location")
    g = event(location=["Kabul", "Naqash  station"])
    p = event(location=["kabul", "Kabul", "Naqash station", "Herat"])
    assert rule.counts(g, p) == PRF(tp=2, fp=1, fn=0)
    assert rule.counts(g, None) == PRF(fn=2) and rule.counts(None, p) == PRF(fp=3)


def test_killed_within_tolerance() -> None:
    rule = KilledWithin(0.1)
    assert rule.counts(event(killed=35), event(killed=38)) == PRF(tp=1)  # 3 <= 3.5
    assert rule.counts(event(killed=35), event(killed=39)) == PRF(fp=1, fn=1)
    assert rule.counts(event(killed=35), event()) == PRF(fn=1)
    assert rule.counts(event(), event(killed=35)) == PRF(fp=1)
    assert rule.counts(event(), event()) == PRF()
    assert KilledWithin(0.0).counts(event(killed=35), event(killed=36)) == PRF(fp=1, fn=1)


def test_matching_is_optimal_not_greedy() -> None:
    # g1 shares 2 values with p1 and 1 with p2; g2 shares 2 with p1 and none with p2. Greedy
    # pairing (g1-p1) would leave g2 unmatched; the best assignment pairs g1-p2 and g2-p1.
    g1 = event(1, anchor_at=100, location=["Kabul", "Herat"])
    g2 = event(2, anchor_at=200, location=["Kabul", "Aybak"])
    p1 = event(1, anchor_at=300, location=["Kabul", "Herat", "Aybak"])
    p2 = event(2, anchor_at=400, location=["Herat"])
    assert sorted(match_events([g1, g2], [p1, p2], slot_rules())) == [(0, 1), (1, 0)]


def test_events_sharing_nothing_are_not_paired() -> None:
    f = figures([event(location=["Kabul"])], [event(anchor_at=50, location=["Herat"])])
    assert (f["events"]["tp"], f["events"]["fp"], f["events"]["fn"]) == (0, 1, 1)
    assert (f["slots"]["location"]["fp"], f["slots"]["location"]["fn"]) == (1, 1)


def test_shipped_gold_against_itself_is_perfect(gold: list[Document]) -> None:
    result = score_events(gold, gold, SCHEMA, bootstrap=Bootstrap(resamples=200))
    f = result.figures()
    assert f["events"]["tp"] == 20 and f["events"]["f1"] == 1.0
    for slot, fig in f["slots"].items():
        assert (fig["f1"], fig["fp"], fig["fn"]) == (1.0, 0, 0), slot
        assert fig["ci"] == [1.0, 1.0]
    assert f["slots"]["ALL"]["tp"] == 174 and f["macro"]["f1"] == 1.0


def gold_events(gold: list[Document]) -> list[tuple[str, tuple[Event, ...]]]:
    return [(d.id, assemble(d, SPEC).events) for d in gold]


def with_change(gold: list[Document], doc_id: str, change) -> dict:
    triples = [(i, evs, change(evs) if i == doc_id else evs) for i, evs in gold_events(gold)]
    return score_event_lists(triples, bootstrap=NO_BOOT).figures()


def costs(f: dict) -> dict[str, tuple[int, int]]:
    """(fp, fn) of every slot and of the events, leaving out the zeros."""
    rows = {"events": f["events"], **f["slots"]}
    return {k: (v["fp"], v["fn"]) for k, v in rows.items() if v["fp"] or v["fn"]}


def test_missing_attacker_costs_one_attacker_miss(gold: list[Document]) -> None:
    # 001: "In another incident, gunmen attacked a Taliban outpost": the model misses "gunmen"
    doc = next(d for d in gold if d.id == "001_cd875d34d6ffdbd4")
    pred = doc.with_annotations(
        entities=[e for e in doc.entities if e.text != "gunmen"], relations=doc.relations
    )
    preds = [pred if d.id == doc.id else d for d in gold]
    f = score_events(gold, preds, SCHEMA, bootstrap=NO_BOOT).figures()
    assert costs(f) == {"attacker": (0, 1), "ALL": (0, 1)}
    assert f["slots"]["attacker"]["recall"] == pytest.approx(30 / 31)


def test_wrong_location_costs_one_spurious_and_one_missed_value(gold: list[Document]) -> None:
    doc = next(d for d in gold if d.id == "004_20b7060dfb18cd1a")
    kabul = next(e for e in doc.entities if e.text == "Kabul")
    at = doc.text.index("prayers")
    moved = replace(kabul, start=at, end=at + len("prayers"), text="prayers")
    pred = doc.with_annotations(
        entities=[moved if e is kabul else e for e in doc.entities], relations=doc.relations
    )
    preds = [pred if d.id == doc.id else d for d in gold]
    f = score_events(gold, preds, SCHEMA, bootstrap=NO_BOOT).figures()
    assert costs(f) == {"location": (1, 1), "ALL": (1, 1)}
    assert f["slots"]["location"]["precision"] == pytest.approx(61 / 62)


def test_killed_count_off_by_more_than_the_tolerance(gold: list[Document]) -> None:
    def count(best):
        def change(evs):  # 004/E1: 21 worshippers killed
            assert evs[0].killed is not None and evs[0].killed.best == 21
            return (replace(evs[0], killed=EventKilled(best, best, best, ())),)

        return change

    doc = "004_20b7060dfb18cd1a"
    assert costs(with_change(gold, doc, count(23))) == {}  # |23 - 21| <= 2.1
    assert costs(with_change(gold, doc, count(24))) == {"killed": (1, 1), "ALL": (1, 1)}


def test_spurious_event_costs_one_event_and_each_of_its_values(gold: list[Document]) -> None:
    extra = event(9, anchor_at=1900, attacker=["ISKP"], location=["Herat", "Kabul"])
    f = with_change(gold, "004_20b7060dfb18cd1a", lambda evs: (*evs, extra))
    assert costs(f) == {
        "events": (1, 0),
        "attacker": (1, 0),
        "location": (2, 0),
        "ALL": (3, 0),
    }


def test_missing_event_costs_one_event_and_each_of_its_values(gold: list[Document]) -> None:
    # 004/E1: victims 21 worshippers, influential cleric, 30 others; location Kabul; killed 21
    f = with_change(gold, "004_20b7060dfb18cd1a", lambda evs: ())
    assert costs(f) == {
        "events": (0, 1),
        "victims": (0, 3),
        "location": (0, 1),
        "killed": (0, 1),
        "ALL": (0, 5),
    }


def test_score_events_refuses_a_schema_without_events_and_unknown_documents(
    gold: list[Document],
) -> None:
    import yaml

    from eventgold.schema import DEFAULT_SCHEMA

    data = yaml.safe_load(DEFAULT_SCHEMA.read_text())
    del data["events"]
    bare = schema_from_data(data, path="s.yaml")
    with pytest.raises(ProblemsError) as exc:
        score_events(gold, gold, bare)
    assert str(exc.value.problems[0]) == "s.yaml: events: no event rules are declared"
    with pytest.raises(ProblemsError) as exc:
        score_events(gold, [Document("zzz", "x")], SCHEMA)
    assert [str(p) for p in exc.value.problems] == [
        "prediction 'zzz': no gold document has this id"
    ]


def test_missing_predictions_are_scored_as_empty_and_listed(gold: list[Document]) -> None:
    result = score_events(gold, gold[1:], SCHEMA, bootstrap=NO_BOOT)
    assert result.missing == (gold[0].id,)
    assert result.figures()["events"]["fn"] == 2  # document 000 has two events
