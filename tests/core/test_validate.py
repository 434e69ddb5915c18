from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from eventgold.documents import Document, Entity, Relation
from eventgold.schema import load_schema
from eventgold.validate import GOLD_RULES, PREDICTION_RULES, validate_document

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


def test_duplicate_span_is_a_problem_in_gold_and_predictions():
    # Set-based scoring would count the copy once, silently; nervaluate counts it spurious.
    dup = (ent("a", "Gunmen", "ATTACKER"), ent("b", "Gunmen", "ATTACKER"))
    doc = Document(id="d", text=TEXT, entities=dup)
    for rules in (GOLD_RULES, PREDICTION_RULES):
        assert [str(p) for p in validate_document(doc, SCHEMA, rules=rules)] == [
            "document 'd' / entity 1 (b): same label and span as entity a"
        ]
    other_label = (ent("a", "Gunmen", "ATTACKER"), ent("b", "Gunmen", "ACTOR"))
    overlapping = Document(id="d", text=TEXT, entities=other_label)
    assert validate_document(overlapping, SCHEMA, rules=PREDICTION_RULES) == []


# --- fuzz: any shape of annotation gets located problems, never an exception ---------------


LABELS = [*SCHEMA.entity_labels, "WEAPON", ""]
RELATIONS = [*SCHEMA.relation_labels, "LOVES"]


@st.composite
def fuzzed_documents(draw) -> Document:
    text = draw(st.text(alphabet=st.sampled_from([*"ab c.\n😀“”é"]), min_size=0, max_size=30))
    n = len(text)
    entities = []
    for i in range(draw(st.integers(0, 6))):
        start = draw(st.integers(-2, n + 2))
        end = draw(st.integers(-2, n + 3))
        real = text[max(start, 0) : max(end, 0)]
        surface = draw(st.sampled_from([real, real + "x", ""]))
        entities.append(Entity(f"e{i % 4}", start, end, draw(st.sampled_from(LABELS)), surface))
    ids = [e.id for e in entities] + ["ghost"]
    relations = [
        Relation(
            draw(st.sampled_from(ids)), draw(st.sampled_from(ids)), draw(st.sampled_from(RELATIONS))
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    return Document(id="fuzz", text=text, entities=tuple(entities), relations=tuple(relations))


@settings(max_examples=300, deadline=None)
@given(doc=fuzzed_documents())
def test_validator_never_raises_and_locates_every_problem(doc):
    for rules in (None, PREDICTION_RULES):
        problems = (
            validate_document(doc, SCHEMA)
            if rules is None
            else validate_document(doc, SCHEMA, rules=rules)
        )
        assert all(
            p.where.startswith("document 'fuzz' / ") and p.code and p.message for p in problems
        )
    # A document with no problems really is valid gold: every span matches the text.
    if not validate_document(doc, SCHEMA):
        assert all(
            doc.text[e.start : e.end] == e.text and e.label in SCHEMA.entity_labels
            for e in doc.entities
        )
        assert all(r.head in {e.id for e in doc.entities} for r in doc.relations)


def test_offsets_counted_in_utf16_units_are_named_as_such():
    text = "Rebels 😀 killed five villagers."
    start = text.index("five")  # JavaScript counts the emoji twice: one more from here on
    doc = Document(
        "d", text, entities=(Entity("v", start + 1, start + 15, "VICTIM_GROUP", "five villagers"),)
    )
    assert messages(doc) == [
        f"document 'd' / entity 0 (v): offsets [{start + 1}, {start + 15}) cover "
        "'ive villagers.' but the entity text is 'five villagers'; read as UTF-16 code units "
        "(as JavaScript counts) they cover it: offsets count characters (code points, Python "
        f"str indices), here [{start}, {start + 14})"
    ]
