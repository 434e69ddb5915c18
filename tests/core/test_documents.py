from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventgold.documents import (
    Document,
    Entity,
    Relation,
    annotation_content,
    existing_gold_documents,
    iter_jsonl_documents,
    json_error,
    load_documents,
    parse_document,
    read_document_file,
    read_documents,
    write_document_file,
    write_documents,
)
from eventgold.problems import ProblemsError

# Offsets are code points: each of these characters is ONE position, whatever its UTF-8 or
# UTF-16 width, and "\r\n" is two.
EDGE_TEXT = "Café “quoted”  😀 Kabul\r\nnext  line"


def span(text: str, surface: str, label: str, eid: str) -> Entity:
    start = text.index(surface)
    return Entity(id=eid, start=start, end=start + len(surface), label=label, text=surface)


def test_offsets_are_code_points_end_exclusive():
    e = span(EDGE_TEXT, "Kabul", "LOCATION", "e1")
    assert (e.start, e.end) == (17, 22)
    assert EDGE_TEXT[e.start : e.end] == "Kabul"
    assert len("😀".encode("utf-16-le")) // 2 == 2  # the emoji would be 2 in UTF-16 units
    quoted = span(EDGE_TEXT, "“quoted”", "VICTIM_GROUP", "e2")
    assert quoted.end - quoted.start == 8


def test_round_trip_keeps_every_edge_character(tmp_path):
    doc = Document(
        id="d1",
        text=EDGE_TEXT,
        title="T",
        source="s.txt",
        meta={"k": [1, 2]},
        entities=(
            span(EDGE_TEXT, "Kabul", "LOCATION", "e1"),
            span(EDGE_TEXT, "😀", "ATTACK", "e2"),
        ),
        relations=(Relation(head="e2", tail="e1", label="KILLED"),),
    )
    path = tmp_path / "docs.jsonl"
    assert write_documents(path, [doc]) == 1
    assert list(read_documents(path)) == [doc]
    raw = path.read_bytes()
    assert "😀".encode() in raw and b"\\r\\n" in raw  # UTF-8, not escaped; CRLF kept in JSON
    write_document_file(tmp_path / "d1.json", doc)
    assert read_document_file(tmp_path / "d1.json") == doc


def test_bad_lines_are_located_and_reading_goes_on(tmp_path):
    path = tmp_path / "x.jsonl"
    good = json.dumps({"id": "a", "text": "hello"})
    path.write_bytes(
        (good + "\n" + '{"id": "b", "text": "trunc' + "\n" + '{"id": "c", "text": 5}\n').encode()
        + b"\xff\xfe\n"
    )
    rows = list(iter_jsonl_documents(path))
    assert [w for w, _, _ in rows] == [
        "x.jsonl line 1",
        "x.jsonl line 2",
        "x.jsonl line 3",
        "x.jsonl line 4",
    ]
    assert rows[0][1] is not None and not rows[0][2]
    # json's reason ends in "at": not "starting at at column" (issue 18, defect 13).
    assert str(rows[1][2][0]) == (
        "x.jsonl line 2: not valid JSON (Invalid control character at column 27)"
    )
    assert (
        str(rows[2][2][0]) == "x.jsonl line 3 / document 'c': field 'text' must be str, got int 5"
    )
    assert "not valid UTF-8" in str(rows[3][2][0])
    docs, problems = load_documents(path)
    assert [d.id for d in docs] == ["a"] and len(problems) == 3
    # Streaming stops at the first bad line, but every bad line is reported, in order.
    with pytest.raises(ProblemsError) as exc:
        list(read_documents(path))
    assert exc.value.summary.endswith("x.jsonl line 2 is not a document (and 2 more bad lines)")
    assert [p.where.split(" /")[0] for p in exc.value.problems] == [
        "x.jsonl line 2",
        "x.jsonl line 3",
        "x.jsonl line 4",
    ]


def test_duplicate_ids_and_bool_offsets_are_problems(tmp_path):
    path = tmp_path / "d.jsonl"
    rec = {
        "id": "a",
        "text": "abc",
        "entities": [{"id": "e", "start": True, "end": 2, "label": "X"}],
    }
    path.write_text(
        json.dumps({"id": "a", "text": "x"}) + "\n" + json.dumps({"id": "a", "text": "y"}) + "\n"
    )
    _, problems = load_documents(path)
    assert (
        str(problems[0])
        == "d.jsonl line 2: duplicate document id 'a' (first seen at d.jsonl line 1)"
    )
    _, problems = parse_document(rec, where="w")
    assert (
        str(problems[0]) == "w / document 'a' / entity 0: field 'start' must be int, got bool True"
    )


def test_missing_entity_text_is_taken_from_the_offsets():
    doc, problems = parse_document(
        {"id": "a", "text": "in Kabul", "entities": [{"start": 3, "end": 8, "label": "LOCATION"}]}
    )
    assert not problems and doc is not None
    assert doc.entities[0] == Entity(id="e0", start=3, end=8, label="LOCATION", text="Kabul")


text_st = st.text(
    alphabet=st.sampled_from([*"ab c\n\r\t“”'😀é", "\u00a0"]), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(text=text_st, data=st.data())
def test_write_read_round_trip_property(tmp_path_factory, text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    doc = Document(
        id=data.draw(st.text(min_size=1, max_size=5).filter(str.strip)),  # blank ids are refused
        text=text,
        entities=(Entity(id="e1", start=start, end=end, label="ATTACK", text=text[start:end]),),
    )
    path = tmp_path_factory.mktemp("rt") / "d.jsonl"
    write_documents(path, [doc])
    assert list(read_documents(path)) == [doc]


class _Int(int):
    """An int subclass: not on the fast path of `parse_document`, and still an int."""


field_values = st.one_of(
    st.integers(0, 5),
    st.builds(_Int, st.integers(0, 5)),
    st.sampled_from(["", "X", "e1", "\x00no id", True, None, 1.5, [], {}]),
)


@st.composite
def _record(draw: st.DrawFn, valid: dict) -> object:
    """`valid` with up to two fields dropped or replaced by a value of any type; or not a
    dict at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, "e", 3, []]))
    raw = dict(valid)
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(sorted(valid)))
        if draw(st.booleans()):
            raw.pop(name, None)
        else:
            raw[name] = draw(field_values)
    return raw


raw_items = _record({"id": "e", "start": 1, "end": 3, "label": "X", "text": "bc"})
raw_relations = _record({"head": "e", "tail": "f", "label": "R"})


@settings(max_examples=300, deadline=None)
@given(st.lists(raw_items, max_size=4), st.lists(raw_relations, max_size=3))
def test_every_bad_field_is_reported_and_good_ones_are_kept_as_given(
    entities: list, relations: list
) -> None:
    """Whatever the mix of types: a field that is not of its type (bool is not an int) is a
    located problem, and a well-typed record is kept with its values unchanged."""
    text = "abcdef"
    doc, problems = parse_document(
        {"id": "d", "text": text, "entities": entities, "relations": relations}, where="w"
    )

    def bad(raw: object, types: dict, required: tuple) -> bool:
        if not isinstance(raw, dict):
            return True
        return any(name not in raw for name in required) or any(
            name in raw and (isinstance(raw[name], bool) or not isinstance(raw[name], t))
            for name, t in types.items()
        )

    ent_types = {"id": str, "start": int, "end": int, "label": str, "text": str}
    rel_types = {"head": str, "tail": str, "label": str}
    bad_entities = [
        i for i, e in enumerate(entities) if bad(e, ent_types, ("start", "end", "label"))
    ]
    bad_relations = [
        i for i, r in enumerate(relations) if bad(r, rel_types, ("head", "tail", "label"))
    ]
    located = {str(p).split(":")[0] for p in problems}
    assert located == {f"w / document 'd' / entity {i}" for i in bad_entities} | {
        f"w / document 'd' / relation {i}" for i in bad_relations
    }
    if doc is not None:
        for i, (raw, e) in enumerate(zip(entities, doc.entities, strict=True)):
            assert (e.id, e.start, e.end, e.label) == (
                raw.get("id", f"e{i}"),
                raw["start"],
                raw["end"],
                raw["label"],
            )
            assert e.text == raw.get("text", text[raw["start"] : raw["end"]])
        assert [(r.head, r.tail, r.label) for r in doc.relations] == [
            (r["head"], r["tail"], r["label"]) for r in relations
        ]


def test_new_entity_is_the_frozen_entity() -> None:
    import dataclasses

    from eventgold.documents import new_entity

    made = new_entity("e1", 3, 9, "ATTACK", "bombed")
    assert type(made) is Entity and made == Entity("e1", 3, 9, "ATTACK", "bombed")
    assert hash(made) == hash(Entity("e1", 3, 9, "ATTACK", "bombed"))
    assert repr(made) == "Entity(id='e1', start=3, end=9, label='ATTACK', text='bombed')"
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.start = 4  # type: ignore[misc]


def test_annotation_content_ignores_ids_and_order_but_not_spans_or_endpoints() -> None:
    text = "Gunmen killed five villagers in Kunduz."
    a = Document(
        id="d",
        text=text,
        entities=(
            Entity("1", 0, 6, "ATTACKER", "Gunmen"),
            Entity("2", 14, 28, "VICTIM_GROUP", "five villagers"),
        ),
        relations=(Relation("1", "2", "KILLED"),),
    )
    b = a.with_annotations(
        entities=(
            Entity("v", 14, 28, "VICTIM_GROUP", "five villagers"),
            Entity("g", 0, 6, "ATTACKER", "Gunmen"),
        ),
        relations=(Relation("g", "v", "KILLED"),),
    )
    assert annotation_content(a) == annotation_content(b)
    reversed_ = a.with_annotations(entities=a.entities, relations=(Relation("2", "1", "KILLED"),))
    assert annotation_content(reversed_) != annotation_content(a)
    shorter = a.with_annotations(
        entities=(Entity("1", 0, 5, "ATTACKER", "Gunme"), a.entities[1]), relations=a.relations
    )
    assert annotation_content(shorter) != annotation_content(a)


@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_or_blank_id_is_a_problem(blank: str) -> None:
    doc, problems = parse_document({"id": blank, "text": "x"}, where="f.jsonl line 1")
    assert doc is None
    assert [str(p) for p in problems] == [
        f"f.jsonl line 1 / document '{blank}': field 'id' must not be empty, got {blank!r}"
    ]


def test_a_json_error_names_its_line_only_in_text_of_several_lines() -> None:
    with pytest.raises(json.JSONDecodeError) as one:
        json.loads('{"id": }')
    with pytest.raises(json.JSONDecodeError) as several:
        json.loads('[\n  {"id": "a"},\n  {"id": }\n]')
    assert json_error(one.value) == "Expecting value at column 8"
    assert json_error(several.value) == "Expecting value at line 3 column 10"


def test_a_folder_without_documents_is_said_to_be_no_gold_folder(tmp_path: Path) -> None:
    for name in ("a.json", "b.json", "c.json", "d.json"):
        (tmp_path / name).write_text("{}")
    with pytest.raises(ProblemsError) as exc:
        existing_gold_documents(tmp_path)
    assert str(exc.value.problems[0]) == (
        f"{tmp_path}: has no documents.jsonl, so it is not a gold folder (it holds a.json, "
        "b.json, c.json, … (4 entries)); give a gold folder written by `eventgold pull`, or a "
        "documents JSONL file"
    )
    with pytest.raises(FileNotFoundError, match="no such gold file"):
        existing_gold_documents(tmp_path / "gone")
    (tmp_path / "documents.jsonl").write_text("")
    assert existing_gold_documents(tmp_path) == tmp_path / "documents.jsonl"
