"""The schema's optional events: section: parsed, and every problem located."""

from __future__ import annotations

import copy

import pytest
import yaml

from eventgold.eval.events import assembly
from eventgold.schema import DEFAULT_SCHEMA, check_schema_data, schema_from_data
from eventgold.schema_events import ATTACH_RULES, GROUP_RULES, EventSpec


@pytest.fixture
def data() -> dict:
    return yaml.safe_load(DEFAULT_SCHEMA.read_text())


def problems(data: dict) -> list[str]:
    return [str(p) for p in check_schema_data(data, path="s.yaml")]


def test_shipped_schema_declares_events(data: dict) -> None:
    assert problems(data) == []
    spec = schema_from_data(data).events
    assert spec == EventSpec(
        anchor="ATTACK",
        attacker="ATTACKER",
        victims="VICTIM_GROUP",
        location="LOCATION",
        condemned_by="ACTOR",
        killed="KILLED",
        condemns="CONDEMNS",
        group="reference",
        attach="nearest",
        description=spec.description if spec else "",
    )


def test_events_section_is_optional(data: dict) -> None:
    del data["events"]
    assert problems(data) == []
    assert schema_from_data(data).events is None


def test_unknown_labels_relations_rules_and_keys_are_located_with_allowed_values(
    data: dict,
) -> None:
    bad = copy.deepcopy(data)
    bad["events"]["anchor"] = "BOMBING"
    bad["events"]["roles"]["location"] = "PLACE"
    bad["events"]["roles"]["weapon"] = "ATTACK"
    bad["events"]["killed"] = "MURDERED"
    bad["events"]["group"] = "chapter"
    bad["events"]["colour"] = "red"
    assert problems(bad) == [
        "s.yaml: events.colour: unknown key; allowed: anchor, attach, condemns, description, "
        "group, killed, roles",
        "s.yaml: events.anchor: unknown entity label 'BOMBING'; allowed: ACTOR, ATTACK, "
        "ATTACKER, LOCATION, VICTIM_GROUP",
        "s.yaml: events.roles.weapon: unknown role; allowed: attacker, condemned_by, location, "
        "victims",
        "s.yaml: events.roles.location: unknown entity label 'PLACE'; allowed: ACTOR, ATTACK, "
        "ATTACKER, LOCATION, VICTIM_GROUP",
        "s.yaml: events.killed: unknown relation label 'MURDERED'; allowed: CONDEMNS, KILLED",
        "s.yaml: events.group: unknown rule 'chapter'; allowed: mention, paragraph, reference, "
        "sentence",
    ]


def test_missing_roles_and_wrong_relation_endpoints(data: dict) -> None:
    bad = copy.deepcopy(data)
    del bad["events"]["roles"]["attacker"]
    assert problems(bad) == ["s.yaml: events.roles.attacker: required, got nothing"]
    bad = copy.deepcopy(data)
    bad["events"]["killed"] = "CONDEMNS"
    assert problems(bad) == [
        "s.yaml: events.killed: relation 'CONDEMNS' must allow ATTACK, ATTACKER as its head; "
        "its head: ACTOR",
        "s.yaml: events.killed: relation 'CONDEMNS' must allow VICTIM_GROUP as its tail; "
        "its tail: ATTACK, ATTACKER",
    ]
    bad = copy.deepcopy(data)
    bad["events"] = ["ATTACK"]
    assert problems(bad) == ["s.yaml: events: must be a mapping, got ['ATTACK']"]


def test_rule_names_are_the_ones_assembly_implements() -> None:
    assert set(GROUP_RULES) == set(assembly.GROUP_RULES)
    assert set(ATTACH_RULES) == set(assembly.ATTACH_RULES)
