"""Relation rules: strict needs endpoint labels, boundaries ignores them; ids do not matter."""

from __future__ import annotations

from eventgold.documents import Document, Entity, Relation
from eventgold.eval.counts import PRF
from eventgold.eval.relations import RELATION_RULES, score_relations

TEXT = "Rebels killed ten villagers. The UN condemned it."


def doc(labels: tuple[str, str], rel_label: str = "KILLED", *, ids: str = "ab") -> Document:
    ents = (
        Entity(ids[0], 0, 6, labels[0], "Rebels"),
        Entity(ids[1], 14, 27, labels[1], "ten villagers"),
    )
    return Document(id="d", text=TEXT, entities=ents, relations=(Relation(*ids, rel_label),))


def test_same_relation_with_other_entity_ids_is_a_hit() -> None:
    gold, pred = doc(("ATTACKER", "VICTIM_GROUP")), doc(("ATTACKER", "VICTIM_GROUP"), ids="xy")
    for rule in RELATION_RULES.values():
        assert score_relations(gold, pred, rule) == {"KILLED": PRF(tp=1)}


def test_endpoint_label_error_fails_strict_only() -> None:
    gold, pred = doc(("ATTACKER", "VICTIM_GROUP")), doc(("ATTACK", "VICTIM_GROUP"))
    assert score_relations(gold, pred, RELATION_RULES["strict"]) == {"KILLED": PRF(fp=1, fn=1)}
    assert score_relations(gold, pred, RELATION_RULES["boundaries"]) == {"KILLED": PRF(tp=1)}


def test_wrong_relation_label_counts_against_both_labels() -> None:
    gold, pred = doc(("ATTACKER", "VICTIM_GROUP")), doc(("ATTACKER", "VICTIM_GROUP"), "CONDEMNS")
    got = score_relations(gold, pred, RELATION_RULES["boundaries"])
    assert got == {"KILLED": PRF(fn=1), "CONDEMNS": PRF(fp=1)}


def test_empty_sides_and_dangling_relations() -> None:
    gold = doc(("ATTACKER", "VICTIM_GROUP"))
    empty = gold.without_annotations()
    assert score_relations(empty, empty, RELATION_RULES["strict"]) == {}
    assert score_relations(gold, empty, RELATION_RULES["strict"]) == {"KILLED": PRF(fn=1)}
    dangling = empty.with_annotations(entities=(), relations=(Relation("a", "b", "KILLED"),))
    assert score_relations(empty, dangling, RELATION_RULES["strict"]) == {}


def test_a_dangling_relation_is_skipped_and_the_others_still_count() -> None:
    gold = doc(("ATTACKER", "VICTIM_GROUP"))
    pred = gold.with_annotations(
        entities=gold.entities,
        relations=(Relation("a", "gone", "KILLED"), *gold.relations, Relation("a", "b", "X")),
    )
    for rule in RELATION_RULES.values():
        assert score_relations(gold, pred, rule) == {"KILLED": PRF(tp=1), "X": PRF(fp=1)}
