from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from eventgold.documents import Document, read_documents
from eventgold.eval.baselines.rules import (
    DEFAULT_GAZETTEER,
    build_rule_extractor,
    load_gazetteer,
    sentence_ids,
)
from eventgold.problems import ProblemsError
from eventgold.schema import DEFAULT_SCHEMA, Schema, load_schema
from eventgold.validate import PREDICTION_RULES, validate_document


@pytest.fixture(scope="module")
def rules():
    return build_rule_extractor(load_schema())


def extract(rules, text: str) -> tuple[set[tuple[str, str]], set[tuple[str, str, str]], Document]:
    doc = rules.predict(Document(id="t", text=text, title="t"))
    assert validate_document(doc, rules.schema, rules=PREDICTION_RULES) == []
    by_id = doc.entity_by_id()
    ents = {(e.label, e.text) for e in doc.entities}
    rels = {(r.label, by_id[r.head].text, by_id[r.tail].text) for r in doc.relations}
    return ents, rels, doc


def test_active_kill_links_attacker_to_victims_after_the_verb(rules):
    text = (
        "It was the first such attack since late August, when an IS-Khorasan suicide bomber "
        "killed around 200 people, including 13 U.S. service members, near the Kabul airport."
    )
    ents, rels, doc = extract(rules, text)
    assert ents == {
        ("ATTACK", "attack"),
        ("ATTACKER", "IS-Khorasan suicide bomber"),  # a group inside a description stays
        ("VICTIM_GROUP", "200 people"),  # the hedge "around" is left out
        ("VICTIM_GROUP", "13 U.S. service members"),
        ("LOCATION", "Kabul airport"),
    }
    assert rels == {
        ("KILLED", "IS-Khorasan suicide bomber", "200 people"),
        ("KILLED", "IS-Khorasan suicide bomber", "13 U.S. service members"),
    }
    assert doc.meta["model"]["name"] == "rules"
    assert all(doc.text[e.start : e.end] == e.text for e in doc.entities)


def test_passive_kill_links_attack_to_victims_before_the_verb(rules):
    text = (
        "As a result of this armed attack, four Taliban forces were killed and three others "
        "were wounded."
    )
    ents, rels, _ = extract(rules, text)
    assert ("ATTACK", "armed attack") in ents and ("ATTACK", "attack") not in ents
    assert rels == {("KILLED", "armed attack", "four Taliban forces")}


def test_kill_with_attack_after_victims(rules):
    _, rels, _ = extract(
        rules, "Local sources said that 14 Taliban fighters were killed in this attack."
    )
    assert rels == {("KILLED", "attack", "14 Taliban fighters")}


def test_condemn_links_a_named_person_to_the_attack(rules):
    ents, rels, _ = extract(rules, "Mr. Hekmatyar condemned the attack in a video message.")
    assert ents == {("ACTOR", "Hekmatyar"), ("ATTACK", "attack")}  # the title is left out
    assert rels == {("CONDEMNS", "Hekmatyar", "attack")}


def test_condemning_names_skip_roles_and_follow_coordination(rules):
    _, rels, _ = extract(
        rules, "Taliban spokesman Zabiullah Mujahid condemned the attack in a tweet Friday."
    )
    assert rels == {("CONDEMNS", "Zabiullah Mujahid", "attack")}
    text = (
        "Hamid Karzai, the former president, and Abdullah Abdullah, the former head of the "
        "Supreme Reconciliation Council, have condemned the attack on the office."
    )
    _, rels, _ = extract(rules, text)
    assert rels == {
        ("CONDEMNS", "Hamid Karzai", "attack"),
        ("CONDEMNS", "Abdullah Abdullah", "attack"),
    }


def test_condemns_it_links_the_attack_named_before(rules):
    text = (
        "“The Islamic Emirate of Afghanistan calls the attack on Kaj training center a big "
        "crime, strongly condemns it, and expresses sympathy to the families of the victims of "
        "this incident.”"
    )
    _, rels, _ = extract(rules, text)
    assert rels == {("CONDEMNS", "Islamic Emirate of Afghanistan", "attack")}


def test_described_as_barbaric_is_a_condemnation(rules):
    text = (
        "Rina Amiri, the US special representative for Afghan women, described the attack on "
        "al-Jihadiya school as “barbaric” in a tweet."
    )
    _, rels, _ = extract(rules, text)
    assert rels == {("CONDEMNS", "Rina Amiri", "attack")}


def test_gazetteer_actor_condemning(rules):
    ents, rels, _ = extract(rules, "UNAMA strongly condemned the suicide bombing in Kabul.")
    assert ents == {("ACTOR", "UNAMA"), ("ATTACK", "suicide bombing"), ("LOCATION", "Kabul")}
    assert rels == {("CONDEMNS", "UNAMA", "suicide bombing")}


def test_places_and_actors_need_an_event_or_condemnation_in_the_sentence(rules):
    ents, rels, _ = extract(
        rules, "Kabul residents met in Herat. UNAMA announced a comprehensive investigation."
    )
    assert ents == set() and rels == set()


def test_a_killing_without_its_attack_links_the_nearest_preceding_attack(rules):
    text = "30 September was a bombing in Kabul.\n\nAt least 35 students died there."
    ents, rels, _ = extract(rules, text)
    assert ("VICTIM_GROUP", "35 students") in ents
    assert rels == {("KILLED", "bombing", "35 students")}
    far = "A bombing hit Kabul. It was loud. It was late. Police came. 35 students died."
    assert extract(rules, far)[1] == set()


def test_injuries_are_victims_but_not_killed(rules):
    text = (
        "Recently, a bomb blast during evening prayers in Kabul resulted in the death of 21 "
        "worshippers, while more than 30 others were injured."
    )
    ents, rels, _ = extract(rules, text)
    assert {("VICTIM_GROUP", "21 worshippers"), ("VICTIM_GROUP", "30 others")} <= ents
    assert rels == {("KILLED", "bomb blast", "21 worshippers")}
    _, rels, _ = extract(
        rules, "The attack killed five members of the Taliban and injured 18 others."
    )
    assert rels == {("KILLED", "attack", "five members of the Taliban")}


def test_counted_attacks_are_not_one_attack_and_places_keep_type_words(rules):
    text = (
        "In the past few days, two armed attacks and one blast have taken place in Nangarhar "
        "province."
    )
    ents, _, _ = extract(rules, text)
    assert ents == {("ATTACK", "blast"), ("LOCATION", "Nangarhar province")}


def test_sentence_ids_break_after_stops_and_newlines(rules):
    sdoc = rules.nlp.make_doc("He said “no.” Then\nnext")
    ids = dict(zip([t.text for t in sdoc], sentence_ids(sdoc), strict=False))
    assert ids["”"] == ids["no"] == 0 and ids["Then"] == 1 and ids["next"] == 2


def _schema_file(tmp_path: Path, edit) -> Schema:
    data = yaml.safe_load(DEFAULT_SCHEMA.read_text())
    edit(data)
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_schema(path)


def test_schema_without_a_rule_label_is_refused_naming_label_and_allowed(tmp_path):
    def drop_actor(data):
        data["entities"] = [e for e in data["entities"] if e["label"] != "ACTOR"]
        data["relations"] = [r for r in data["relations"] if r["label"] != "CONDEMNS"]
        del data["events"]  # its condemned_by and condemns name them too

    with pytest.raises(ProblemsError) as info:
        build_rule_extractor(_schema_file(tmp_path, drop_actor))
    messages = [p.message for p in info.value.problems]
    assert messages == [
        "the rule extractor emits entity label 'ACTOR', which is not in schema "
        "'conflict_events'; allowed: ATTACK, ATTACKER, LOCATION, VICTIM_GROUP",
        "the rule extractor emits relation label 'CONDEMNS', which is not in schema "
        "'conflict_events'; allowed: KILLED",
    ]
    assert info.value.problems[0].where.endswith("gazetteer.yaml: labels.actor")
    assert "does not fit schema 'conflict_events'" in str(info.value)


def test_schema_narrowing_a_relation_head_is_refused(tmp_path):
    def narrow(data):
        data["relations"][0]["head"] = ["ATTACK"]
        del data["events"]  # an ATTACKER that killed anchors events: it needs that head

    with pytest.raises(ProblemsError) as info:
        build_rule_extractor(_schema_file(tmp_path, narrow))
    assert [p.message for p in info.value.problems] == [
        "the rules use ATTACKER as KILLED head, but schema 'conflict_events' allows head "
        "labels: ATTACK"
    ]


def test_gazetteer_label_map_follows_a_renamed_label(tmp_path):
    def rename(data):
        data["entities"][3]["label"] = "REACTOR"
        data["relations"][1]["head"] = ["REACTOR"]
        data["events"]["roles"]["condemned_by"] = "REACTOR"

    schema = _schema_file(tmp_path, rename)
    with pytest.raises(ProblemsError, match="entity label 'ACTOR'"):
        build_rule_extractor(schema)
    gaz_data = yaml.safe_load(DEFAULT_GAZETTEER.read_text())
    gaz_data["labels"]["actor"] = "REACTOR"
    gaz_path = tmp_path / "gaz.yaml"
    gaz_path.write_text(yaml.safe_dump(gaz_data))
    renamed = build_rule_extractor(schema, gazetteer=load_gazetteer(gaz_path))
    doc = renamed.predict(Document(id="t", text="UNAMA condemned the attack."))
    assert {e.label for e in doc.entities} == {"REACTOR", "ATTACK"}
    assert validate_document(doc, schema, rules=PREDICTION_RULES) == []


def test_broken_gazetteer_lists_every_problem(tmp_path):
    path = tmp_path / "gaz.yaml"
    path.write_text("labels: {attacker: ATTACKER}\nattackers: [ISKP, 3]\n")
    with pytest.raises(ProblemsError) as info:
        load_gazetteer(path)
    text = str(info.value)
    assert "role 'victim' needs a label, got None" in text
    assert "attackers: must be a list of non-empty strings, got ['ISKP', 3]" in text
    assert "victim_nouns: must be a list of non-empty strings, got None" in text


WORDS = [
    "ISKP", "gunmen", "killed", "condemned", "Kabul", "province", "attack", "73", "civilians",
    "UNAMA", "were", "injured", "described", "as", "barbaric", "Mr.", "Hekmatyar", "and",
    "the", "of", ",", ".", "“", "”", "\n", "\n\n", "dozens", "died", "suicide", "bomber", "é",
]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40), st.sampled_from([" ", "", "  "]))
def test_any_text_gives_a_valid_prediction(rules, words, sep):
    doc = Document(id="h", text=sep.join(words))
    pred = rules.predict(doc)
    assert validate_document(pred, rules.schema, rules=PREDICTION_RULES) == []
    assert all(pred.text[e.start : e.end] == e.text for e in pred.entities)


CORPUS = Path(__file__).resolve().parents[3] / "corpus" / "documents.jsonl"


@pytest.mark.skipif(not CORPUS.exists(), reason="the shipped corpus is not in this checkout")
def test_every_corpus_article_gives_a_valid_prediction(rules):
    docs = list(read_documents(CORPUS))
    preds = [rules.predict(d) for d in docs]
    assert all(validate_document(p, rules.schema, rules=PREDICTION_RULES) == [] for p in preds)
    assert all(p.entities for p in preds) and any(p.relations for p in preds)


def test_a_gazetteer_that_is_not_utf8_is_located_by_line(tmp_path):
    """Audit defect 4: byte 0x80 ended in a UnicodeDecodeError traceback."""
    path = tmp_path / "some.yaml"
    path.write_bytes(b"version: 1\nlabels:\n  attacker: ATT\x80CKER\n")
    with pytest.raises(ProblemsError) as info:
        load_gazetteer(path)
    assert info.value.summary == f"gazetteer {path} is not UTF-8 text"
    assert [str(p) for p in info.value.problems] == [
        f"{path} line 3 column 16: not valid UTF-8: byte(s) 0x80; save the file as UTF-8"
    ]


def test_a_gazetteer_syntax_error_names_the_file_and_line(tmp_path):
    """Audit defect 4: PyYAML's text named "<unicode string>", not the file."""
    path = tmp_path / "some.yaml"
    path.write_text('version: 1\nlabels:\n  attacker: "ATTACKER\n')
    with pytest.raises(ProblemsError) as info:
        load_gazetteer(path)
    assert info.value.summary == f"gazetteer {path} is not valid YAML"
    assert [str(p) for p in info.value.problems] == [
        f"{path} line 4 column 1: YAML syntax error: found unexpected end of stream (while "
        "scanning a quoted scalar at line 3 column 13)"
    ]
    assert "<unicode string>" not in str(info.value)
