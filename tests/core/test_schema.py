from __future__ import annotations

import pytest
import yaml

from eventgold.problems import ProblemsError
from eventgold.schema import DEFAULT_SCHEMA, check_schema_data, check_schema_file, load_schema
from eventgold.strict_yaml import unclosed_quote_line


def test_default_schema_declares_the_issue_labels():
    s = load_schema()
    assert s.entity_labels == ("ATTACKER", "VICTIM_GROUP", "LOCATION", "ACTOR", "ATTACK")
    assert s.relation("KILLED").head == ("ATTACKER", "ATTACK")
    assert s.relation("KILLED").tail == ("VICTIM_GROUP",)
    assert s.relation("CONDEMNS").tail == ("ATTACK", "ATTACKER")
    assert s.iob_labels[:3] == ("O", "B-ATTACKER", "I-ATTACKER") and len(s.iob_labels) == 11


def broken() -> dict:
    data = yaml.safe_load(DEFAULT_SCHEMA.read_text())
    data["entities"].append({"label": "ATTACKER", "color": "red"})
    data["relations"].append({"label": "HELPED", "head": ["WEAPON"], "tail": []})
    return data


def test_broken_schema_lists_every_problem_located():
    problems = [str(p) for p in check_schema_data(broken(), path="s.yaml")]
    assert problems == [
        "s.yaml: entities[5] (ATTACKER).label: duplicate entity label 'ATTACKER'",
        "s.yaml: entities[5] (ATTACKER).color: must be #rgb or #rrggbb hex, got 'red'",
        "s.yaml: relations[2] (HELPED).head: unknown entity label 'WEAPON'; allowed: "
        "ACTOR, ATTACK, ATTACKER, LOCATION, VICTIM_GROUP",
        "s.yaml: relations[2] (HELPED).tail: must list one or more entity labels (ACTOR, ATTACK, "
        "ATTACKER, LOCATION, VICTIM_GROUP), got []",
    ]


def test_empty_label_list_and_unknown_keys():
    problems = [
        str(p)
        for p in check_schema_data({"name": "x", "version": "1", "colour": 1, "entities": []})
    ]
    assert (
        "schema: colour: unknown key; allowed: description, entities, events, guidelines, name, relations, version"
        in problems
    )
    assert "schema: entities: must be a non-empty list of labels, got []" in problems


def test_yaml_syntax_error_is_located(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nentities: [\n  - label: A\n")
    schema, problems = check_schema_file(path)
    assert schema is None
    assert str(problems[0]).startswith(f"{path} line ") and "YAML syntax error" in str(problems[0])
    with pytest.raises(ProblemsError, match="has 1 problem"):
        load_schema(path)


def test_an_unclosed_quote_is_named_where_it_opens_not_where_yaml_fails(tmp_path):
    path = tmp_path / "s.yaml"
    shipped = DEFAULT_SCHEMA.read_text(encoding="utf-8")
    path.write_text(shipped.replace('color: "#d62728"', 'color: "#d62728', 1), encoding="utf-8")
    schema, problems = check_schema_file(path)
    assert schema is None and [str(p) for p in problems] == [
        f"{path} line 14 column 14: YAML syntax error: expected <block end>, but found "
        "'<scalar>' (while parsing a block mapping at line 11 column 5); line 13 opens a quote "
        "it does not close: 'color: \"#d62728'"
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('a: "x\nb: 1\n', 0),
        ('a: "x"\nb: 1\n', None),
        ('a: "x \\" y\nb: 1\n', 0),  # an escaped quote does not close
        ('a: "x \\\\"\nb: 1\n', None),  # an escaped backslash, then the closing quote
        ("- 'it''s\nb: 1\n", 0),  # '' is a quote inside a single-quoted value
        ("- 'it''s'\nb: 1\n", None),
        ("a: x # don't\nb: 1\n", None),  # a quote in a comment opens nothing
    ],
)
def test_unclosed_quote_line(text, line):
    assert unclosed_quote_line(text, 1) == line


def test_hotkeys_case_twins_the_outside_tag_and_float_versions_are_refused():
    data = yaml.safe_load(DEFAULT_SCHEMA.read_text())
    data["version"] = 1.10  # as YAML reads an unquoted 1.10
    data["entities"][1]["hotkey"] = "1"  # ATTACKER's
    data["entities"].append({"label": "attacker"})
    data["entities"].append({"label": "O"})
    assert [str(p) for p in check_schema_data(data, path="s.yaml")] == [
        's.yaml: version: must be quoted text such as "1.0.0": YAML read it as the number 1.1, '
        "which may have lost digits (1.10 reads as 1.1)",
        "s.yaml: entities[1] (VICTIM_GROUP).hotkey: '1' is already the hotkey of ATTACKER; "
        "each label needs its own",
        "s.yaml: entities[5] (attacker).label: 'attacker' differs from 'ATTACKER' only in case",
        "s.yaml: entities[6] (O).label: 'O' is the IOB2 tag for no entity",
    ]


def test_a_missing_guidelines_file_is_a_warning_not_an_error(tmp_path):
    from eventgold.schema import schema_warnings

    assert schema_warnings(load_schema()) == []
    path = tmp_path / "s.yaml"
    path.write_text(DEFAULT_SCHEMA.read_text())  # GUIDELINES.md is not copied
    schema = load_schema(path)
    assert [str(p) for p in schema_warnings(schema)] == [
        f"{path}: guidelines: file 'GUIDELINES.md' not found (looked for "
        f"{tmp_path / 'GUIDELINES.md'}); the project's instructions will be empty"
    ]


def test_a_missing_version_is_reported_once_and_long_values_are_cut():
    data = {"name": "x", "entities": [{"label": "A"}], "relations": {"k": "v" * 200}}
    assert [str(p) for p in check_schema_data(data)] == [
        "schema: version: required, got None",
        "schema: relations: must be a list, got {'k': '" + "v" * 53,
    ]


def test_a_repeated_key_is_a_located_error_not_last_wins(tmp_path):
    # Issue 18: an unclosed quote swallowed LOCATION's lines up to its colour's quote, its
    # hotkey then replaced VICTIM_GROUP's, and the check said "ok: 4 entity labels".
    path = tmp_path / "s.yaml"
    path.write_text(DEFAULT_SCHEMA.read_text().replace('hotkey: "2"', 'hotkey: "2'))
    schema, problems = check_schema_file(path)
    assert schema is None
    assert [(str(p), p.code) for p in problems] == [
        (
            f"{path}: entities[1] (VICTIM_GROUP).hotkey: key 'hotkey' given twice, at line 18 "
            "('2 - label: LOCATION description: Place …') and at line 22 ('3'); YAML would keep "
            "only the last: give each key once (an unclosed quote above it can swallow the "
            "lines after it)",
            "duplicate-key",
        ),
        # The events section names LOCATION too: the swallowed label is caught there as well.
        (
            f"{path}: events.roles.location: unknown entity label 'LOCATION'; allowed: ACTOR, "
            "ATTACK, ATTACKER, VICTIM_GROUP",
            "",
        ),
    ]
    path.write_text("name: x\nname: y\nversion: '1.0'\nentities: [{label: A, label: B}]\n")
    assert [str(p) for p in check_schema_file(path)[1]] == [
        f"{path}: name: key 'name' given twice, at line 1 ('x') and at line 2 ('y'); YAML would "
        "keep only the last: give each key once (an unclosed quote above it can swallow the "
        "lines after it)",
        f"{path}: entities[0] (B).label: key 'label' given twice, at line 4 ('A') and at line 4 "
        "('B'); YAML would keep only the last: give each key once (an unclosed quote above it "
        "can swallow the lines after it)",
    ]


def test_a_hotkey_is_a_single_key():
    data = yaml.safe_load(DEFAULT_SCHEMA.read_text())
    for i, hotkey in enumerate(["2 - label: LOCATION", " ", "\t", True, "ctrl+1"]):
        data["entities"][i]["hotkey"] = hotkey
    assert [str(p) for p in check_schema_data(data, path="s.yaml")] == [
        "s.yaml: entities[0] (ATTACKER).hotkey: must be a single key (one character such as "
        "'1' or 'a'), got '2 - label: LOCATION'",
        "s.yaml: entities[1] (VICTIM_GROUP).hotkey: must be a single key (one character such "
        "as '1' or 'a'), got ' '",
        "s.yaml: entities[2] (LOCATION).hotkey: must be a single key (one character such as "
        "'1' or 'a'), got '\\t'",
        "s.yaml: entities[3] (ACTOR).hotkey: must be a single key (one character such as '1' "
        "or 'a'), got True",
        "s.yaml: entities[4] (ATTACK).hotkey: must be a single key (one character such as '1' "
        "or 'a'), got 'ctrl+1'",
    ]


def test_a_schema_that_is_not_utf8_is_located_by_line_and_column(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")
    schema, problems = check_schema_file(path)
    assert schema is None and [str(p) for p in problems] == [
        f"{path} line 2 column 17: not valid UTF-8: byte(s) 0xe9; save the file as UTF-8"
    ]
