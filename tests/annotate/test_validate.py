from __future__ import annotations

from eventgold.annotate.documents import Document, Entity, Relation
from eventgold.annotate.schema import load_schema
from eventgold.annotate.validate import PREDICTION_RULES, validate_document

TEXT = "Gunmen killed 12 worshippers in Kabul. UNAMA condemned the attack."
SCHEMA = load_schema()


def ent(eid: str, surface: str, label: str, *, shift: int = 0) -> Entity:
    start = TEXT.index(surface) + shift
    return Entity(id=eid, start=start, end=start + len(surface), label=label, text=surface)


GOOD = Document(
    id="d",
    text=TEXT,
    entities=(
        ent("a", "Gunmen", "ATTACKER"),
        ent("v", "12 worshippers", "VICTIM_GROUP"),
        ent("l", "Kabul", "LOCATION"),
        ent("u", "UNAMA", "ACTOR"),
        ent("k", "attack", "ATTACK"),
    ),
    relations=(Relation("a", "v", "KILLED"), Relation("u", "k", "CONDEMNS")),
)


def messages(doc: Document, **kw) -> list[str]:
    return [str(p) for p in validate_document(doc, SCHEMA, **kw)]


def test_good_document_has_no_problems():
    assert messages(GOOD) == []


def test_each_problem_is_located_and_names_allowed_and_received():
    bad = Document(
        id="d",
        text=TEXT,
        entities=(
            ent("a", "Gunmen", "WEAPON"),
            Entity("b", 7, 13, "ATTACK", "killer"),
            Entity("c", 60, 99, "ATTACK", "x"),
            ent("l", "Kabul", "LOCATION"),
            Entity("l2", TEXT.index("Kabul"), TEXT.index("Kabul") + 3, "LOCATION", "Kab"),
            ent("u", "UNAMA", "ACTOR"),
        ),
        relations=(
            Relation("u", "zz", "CONDEMNS"),
            Relation("l", "u", "KILLED"),
            Relation("u", "u", "LOVES"),
        ),
    )
    assert messages(bad) == [
        "document 'd' / entity 0 (a): label 'WEAPON' is not in schema 'conflict_events'; "
        "allowed: ACTOR, ATTACK, ATTACKER, LOCATION, VICTIM_GROUP",
        "document 'd' / entity 1 (b): offsets [7, 13) cover 'killed' but the entity text is 'killer'",
        "document 'd' / entity 2 (c): offsets [60, 99) are not a non-empty range inside the text (0 to 66)",
        "document 'd' / entity 4 (l2): span [32, 35) 'Kab' overlaps entity l [32, 37) 'Kabul'",
        "document 'd' / relation 0 (CONDEMNS u -> zz): tail 'zz' not found among entity ids",
        "document 'd' / relation 1 (KILLED l -> u): head 'l' is LOCATION; KILLED allows head labels: "
        "ATTACK, ATTACKER",
        "document 'd' / relation 1 (KILLED l -> u): tail 'u' is ACTOR; KILLED allows tail labels: "
        "VICTIM_GROUP",
        "document 'd' / relation 2 (LOVES u -> u): label 'LOVES' is not in schema 'conflict_events'; "
        "allowed: CONDEMNS, KILLED",
        "document 'd' / relation 2 (LOVES u -> u): head and tail are the same entity",
    ]


def test_nested_overlap_beyond_the_neighbour_is_caught():
    long = Entity("x", 0, 37, "ATTACK", TEXT[0:37])
    doc = Document(
        id="d",
        text=TEXT,
        entities=(long, ent("v", "12 worshippers", "VICTIM_GROUP"), ent("l", "Kabul", "LOCATION")),
    )
    codes = [p.code for p in validate_document(doc, SCHEMA)]
    assert codes == ["overlapping-spans", "overlapping-spans"]
    assert validate_document(doc, SCHEMA, rules=PREDICTION_RULES) == []


def test_untrimmed_span_is_a_gold_problem_only():
    doc = Document(id="d", text=TEXT, entities=(Entity("a", 0, 7, "ATTACKER", "Gunmen "),))
    assert [p.code for p in validate_document(doc, SCHEMA)] == ["untrimmed-span"]
    assert validate_document(doc, SCHEMA, rules=PREDICTION_RULES) == []


def test_duplicate_span_is_a_gold_problem_only():
    dup = (ent("a", "Gunmen", "ATTACKER"), ent("b", "Gunmen", "ATTACKER"))
    doc = Document(id="d", text=TEXT, entities=dup)
    assert [str(p) for p in validate_document(doc, SCHEMA)] == [
        "document 'd' / entity 1 (b): same label and span as entity a"
    ]
    assert validate_document(doc, SCHEMA, rules=PREDICTION_RULES) == []
