"""The evidence behind the assembly rules (docs/events.md, "Relations or a rule?"): each rule
pair scored against the hand-made event key of the shipped gold. The figures are pinned here
so that the table in the docs cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventgold.documents import Document
from eventgold.eval.bootstrap import Bootstrap
from eventgold.eval.events.assembly import ATTACH_RULES, assemble
from eventgold.eval.events.key import KeyGroup, compare_rules, load_key, relations_needed
from eventgold.eval.events.scoring import score_event_lists
from eventgold.problems import ProblemsError
from eventgold.schema import load_schema
from tests.eval.events.helpers import seed_gold

ROOT = Path(__file__).resolve().parents[3]
KEY = ROOT / "tests" / "data" / "events_key.yaml"
SPEC = load_schema().events
assert SPEC is not None

# (group, attach): (event F1, slot F1 over all slots), as in docs/events.md
EXPECTED = {
    ("mention", "sentence"): (0.421, 0.489),
    ("mention", "paragraph"): (0.426, 0.542),
    ("mention", "nearest"): (0.426, 0.576),
    ("sentence", "sentence"): (0.460, 0.489),
    ("sentence", "paragraph"): (0.465, 0.542),
    ("sentence", "nearest"): (0.465, 0.576),
    ("paragraph", "sentence"): (0.702, 0.649),
    ("paragraph", "paragraph"): (0.714, 0.752),
    ("paragraph", "nearest"): (0.714, 0.742),
    ("reference", "sentence"): (0.878, 0.740),
    ("reference", "paragraph"): (0.900, 0.812),
    ("reference", "nearest"): (0.900, 0.819),
}


@pytest.fixture(scope="module")
def gold() -> list[Document]:
    return seed_gold()


def test_every_rule_pair_against_the_key(gold: list[Document]) -> None:
    key = load_key(KEY, gold)
    assert sum(len(v) for v in key.values()) == 20
    got = {}
    for r in compare_rules(gold, SPEC, key):
        f = r.scores.figures()
        got[r.group, r.attach] = (round(f["events"]["f1"], 3), round(f["slots"]["ALL"]["f1"], 3))
    assert got == EXPECTED
    best = max(got, key=lambda k: got[k][1])
    assert best == (SPEC.group, SPEC.attach)  # the schema takes the best rule


def test_what_a_same_event_relation_alone_would_add(gold: list[Document]) -> None:
    key = load_key(KEY, gold)
    triples = [
        (
            d.id,
            key[d.id],
            assemble(d, SPEC, group=KeyGroup(key[d.id]), attach=ATTACH_RULES["nearest"]).events,
        )
        for d in gold
    ]
    f = score_event_lists(triples, bootstrap=Bootstrap(resamples=0)).figures()
    assert round(f["events"]["f1"], 3) == 0.927 and round(f["slots"]["ALL"]["f1"], 3) == 0.856
    assert relations_needed(key) == {"same_event": 53, "attacker_attack": 37, "attack_location": 72}


def test_a_key_naming_unknown_ids_is_refused_with_every_problem(
    tmp_path: Path, gold: list[Document]
) -> None:
    bad = tmp_path / "key.yaml"
    bad.write_text("004_20b7060dfb18cd1a:\n  - anchors: [T99]\n    location: [T4, T77]\nzzz: []\n")
    with pytest.raises(ProblemsError) as exc:
        load_key(bad, gold)
    assert [str(p) for p in exc.value.problems] == [
        f"{bad}: 004_20b7060dfb18cd1a[0].anchors: no entity 'T99' in the document",
        f"{bad}: 004_20b7060dfb18cd1a[0].location: no entity 'T77' in the document",
        f"{bad}: 004_20b7060dfb18cd1a[0].anchors: an event needs at least one anchor",
        f"{bad}: zzz: no such gold document",
    ]
