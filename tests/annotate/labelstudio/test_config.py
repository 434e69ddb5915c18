from __future__ import annotations

import xml.etree.ElementTree as ET

import yaml

from eventgold.annotate.labelstudio.config import to_label_config
from eventgold.schema import DEFAULT_SCHEMA, load_schema


def test_label_config_is_derived_and_escaped(tmp_path):
    data = yaml.safe_load(DEFAULT_SCHEMA.read_text())
    data["entities"].append(
        {"label": "WEAPON", "description": 'guns & "bombs" <x>', "color": "#abc"}
    )
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    xml = to_label_config(load_schema(path))
    root = ET.fromstring(xml)  # well-formed despite &, quotes and angle brackets
    labels = [el.get("value") for el in root.iter("Label")]
    assert labels == ["ATTACKER", "VICTIM_GROUP", "LOCATION", "ACTOR", "ATTACK", "WEAPON"]
    assert root.find(".//Label[@value='WEAPON']").get("hint") == 'guns & "bombs" <x>'
    assert [el.get("value") for el in root.iter("Relation")] == ["KILLED", "CONDEMNS"]
    assert root.find("Text").get("name") == "text"


def test_a_relation_takes_one_label():
    root = ET.fromstring(to_label_config(load_schema()))
    assert root.find("Relations").get("choice") == "single"
