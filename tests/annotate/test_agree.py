"""Agreement figures on small examples worked by hand, cross-checked against sklearn and the
krippendorff package."""

from __future__ import annotations

import json

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from eventgold.annotate.agree import (
    ALL,
    DUPLICATE_ANNOTATOR,
    INVALID_ANNOTATION,
    KAPPA,
    RELATION,
    SPAN_OVERLAP,
    SPAN_STRICT,
    TEXT_MISMATCH,
    agree,
    agreement_markdown,
    cohen_kappa,
    load_annotation_inputs,
    overlap_matches,
    prepare_tasks,
    token_labels,
    tokens,
)
from eventgold.cli import app
from eventgold.documents import (
    Document,
    Entity,
    Relation,
    write_document_file,
    write_documents,
)
from eventgold.schema import load_schema

SCHEMA = load_schema()
# Eight tokens, one per word: gunmen(0) killed(7) ten(14) villagers(18) near(28) Kunduz(33)
# on(40) Monday(43).
TEXT = "gunmen killed ten villagers near Kunduz on Monday"


def ann(
    annotator: str,
    spans: list[tuple[str, int, int]],
    relations: tuple[tuple[int, int, str], ...] = (),
    *,
    doc_id: str = "d1",
    text: str = TEXT,
    **meta: object,
) -> Document:
    """An annotation by `annotator`; relations name entities by index in `spans`."""
    ents = tuple(Entity(f"e{i}", s, e, label, text[s:e]) for i, (label, s, e) in enumerate(spans))
    rels = tuple(Relation(f"e{h}", f"e{t}", label) for h, t, label in relations)
    return Document(
        id=doc_id, text=text, meta={"annotator": annotator, **meta}, entities=ents, relations=rels
    )


# a: ATTACKER gunmen, ATTACK killed, VICTIM_GROUP "ten villagers", LOCATION Kunduz;
#    KILLED gunmen -> ten villagers.
A = ann(
    "a",
    [("ATTACKER", 0, 6), ("ATTACK", 7, 13), ("VICTIM_GROUP", 14, 27), ("LOCATION", 33, 39)],
    ((0, 2, "KILLED"),),
)
# b: ATTACKER gunmen, VICTIM_GROUP "villagers", LOCATION Kunduz; KILLED gunmen -> villagers.
B = ann(
    "b",
    [("ATTACKER", 0, 6), ("VICTIM_GROUP", 18, 27), ("LOCATION", 33, 39)],
    ((0, 1, "KILLED"),),
)
A_TOKENS = ["ATTACKER", "ATTACK", "VICTIM_GROUP", "VICTIM_GROUP", "O", "LOCATION", "O", "O"]
B_TOKENS = ["ATTACKER", "O", "O", "VICTIM_GROUP", "O", "LOCATION", "O", "O"]


def test_tokens_are_words_without_whitespace() -> None:
    assert [TEXT[s:e] for s, e in tokens(TEXT)] == TEXT.split()
    assert tokens("a \n b") == [(0, 1), (4, 5)]


def test_token_labels_take_covering_entity_else_o() -> None:
    toks = tokens(TEXT)
    assert token_labels(toks, A.entities) == A_TOKENS
    assert token_labels(toks, B.entities) == B_TOKENS


def test_token_label_of_overlapping_entities_is_the_one_covering_more_of_the_token() -> None:
    toks = tokens(TEXT)
    # "gunmen killed" (ATTACK) and "men" (ATTACKER, ends inside the first token): ATTACK covers
    # all 6 characters of "gunmen", ATTACKER only 3, so ATTACK wins; order given is irrelevant.
    ents = [Entity("x", 3, 6, "ATTACKER", "men"), Entity("y", 0, 13, "ATTACK", TEXT[0:13])]
    assert token_labels(toks, ents)[:3] == ["ATTACK", "ATTACK", "O"]
    assert token_labels(toks, ents[::-1])[:3] == ["ATTACK", "ATTACK", "O"]


def test_two_annotators_hand_worked() -> None:
    report = agree([("d1", [A, B])], SCHEMA)
    assert report.tasks == 1 and report.annotators == ("a", "b")
    (pair,) = report.pairs
    assert pair.scope == "a vs b"
    m = pair.measures

    # Strict: |A| = 4, |B| = 3, matched = 2 (gunmen, Kunduz): F1 = 2*2/(4+3) = 4/7;
    # items = 4 + 3 - 2 = 5 distinct spans.
    assert m[SPAN_STRICT][ALL].value == pytest.approx(4 / 7)
    assert m[SPAN_STRICT][ALL].items == 5
    # Overlap: "ten villagers" [14,27) and "villagers" [18,27) also match: 2*3/7 = 6/7, 4 items.
    assert m[SPAN_OVERLAP][ALL].value == pytest.approx(6 / 7)
    assert m[SPAN_OVERLAP][ALL].items == 4
    # Per label: ATTACKER 2*1/2 = 1 on 1 item; VICTIM_GROUP strict 0/2 = 0 on 2 items.
    assert (m[SPAN_STRICT]["ATTACKER"].value, m[SPAN_STRICT]["ATTACKER"].items) == (1.0, 1)
    assert (m[SPAN_STRICT]["VICTIM_GROUP"].value, m[SPAN_STRICT]["VICTIM_GROUP"].items) == (0, 2)
    assert m[SPAN_OVERLAP]["VICTIM_GROUP"].value == 1.0
    # ACTOR: nobody used it, so there is no figure.
    assert m[SPAN_STRICT]["ACTOR"].value is None
    assert m[SPAN_STRICT]["ACTOR"].warning == "undefined: neither annotated any"
    # Relations: tails differ ("ten villagers" vs "villagers"): 0 matched of 1 + 1, 2 items.
    assert (m[RELATION][ALL].value, m[RELATION][ALL].items) == (0.0, 2)

    # Kappa on 8 tokens: agree on 6 (all but killed, ten): po = 6/8 = 48/64.
    # Marginals a: ATTACKER 1, ATTACK 1, VICTIM_GROUP 2, LOCATION 1, O 3;
    #           b: ATTACKER 1, VICTIM_GROUP 1, LOCATION 1, O 5.
    # pe = (1*1 + 1*0 + 2*1 + 1*1 + 3*5) / 64 = 19/64; kappa = (48-19)/(64-19) = 29/45.
    assert m[KAPPA][ALL].value == pytest.approx(29 / 45)
    assert m[KAPPA][ALL].value == pytest.approx(cohen_kappa_score(A_TOKENS, B_TOKENS))
    assert m[KAPPA][ALL].items == 8
    # Binary VICTIM_GROUP: a 0,0,1,1,0,0,0,0; b 0,0,0,1,0,0,0,0. po = 7/8 = 56/64,
    # pe = (2*1 + 6*7)/64 = 44/64, kappa = (56-44)/(64-44) = 12/20 = 0.6.
    assert m[KAPPA]["VICTIM_GROUP"].value == pytest.approx(0.6)
    vg_a = [x == "VICTIM_GROUP" for x in A_TOKENS]
    vg_b = [x == "VICTIM_GROUP" for x in B_TOKENS]
    assert m[KAPPA]["VICTIM_GROUP"].value == pytest.approx(cohen_kappa_score(vg_a, vg_b))

    # Alpha, 2 coders, 8 units, n = 16 values. Coincidences off the diagonal: ATTACK-O and
    # VICTIM_GROUP-O, each counted both ways: sum = 4. Value totals n_c: ATTACKER 2, ATTACK 1,
    # VICTIM_GROUP 3, LOCATION 2, O 8; sum over c != k of n_c n_k = 16^2 - (4+1+9+4+64) = 174.
    # alpha = 1 - (n - 1) * 4 / 174 = 1 - 60/174 = 19/29.
    assert report.alpha[ALL].value == pytest.approx(19 / 29)
    assert report.alpha[ALL].items == 8
    codes = {"O": 0, "ATTACKER": 1, "ATTACK": 2, "VICTIM_GROUP": 3, "LOCATION": 4}
    data = [[codes[x] for x in A_TOKENS], [codes[x] for x in B_TOKENS]]
    assert report.alpha[ALL].value == pytest.approx(
        krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    )
    # Binary VICTIM_GROUP alpha: one 1-0 unit (2 coincidences), n_1 = 3, n_0 = 13:
    # 1 - 15 * 2 / (2 * 3 * 13) = 1 - 30/78 = 8/13.
    assert report.alpha["VICTIM_GROUP"].value == pytest.approx(8 / 13)


def test_pooled_equals_the_single_pair() -> None:
    report = agree([("d1", [A, B])], SCHEMA)
    assert report.pooled is not None
    assert report.pooled.measures[SPAN_STRICT][ALL] == report.pairs[0].measures[SPAN_STRICT][ALL]


def test_warnings_below_min_items() -> None:
    report = agree([("d1", [A, B])], SCHEMA)
    strict = report.pairs[0].measures[SPAN_STRICT][ALL]
    assert strict.warning == "rests on 5 item(s), fewer than 10"
    assert strict.render() == "0.571 (n=5) †"
    # With a threshold of 5, five spans are enough and eight tokens too.
    relaxed = agree([("d1", [A, B])], SCHEMA, min_items=5)
    assert relaxed.pairs[0].measures[SPAN_STRICT][ALL].warning == ""
    assert relaxed.pairs[0].measures[KAPPA][ALL].warning == ""
    assert relaxed.pairs[0].measures[RELATION][ALL].warning == "rests on 2 item(s), fewer than 5"


def test_three_annotators_alpha_hand_worked_with_missing_values() -> None:
    text = "gunmen killed"
    a = ann("a", [("ATTACKER", 0, 6)], text=text)
    b = ann("b", [("ATTACKER", 0, 6)], text=text)
    c = ann("c", [], text=text)
    report = agree([("d1", [a, b, c])], SCHEMA)
    # Unit 1 values (ATTACKER, ATTACKER, O), m = 3, each ordered pair weighs 1/(m-1) = 1/2:
    # o[ATT,ATT] = 2/2 = 1, o[ATT,O] = o[O,ATT] = 2/2 = 1. Unit 2 (O,O,O): o[O,O] = 6/2 = 3.
    # n_ATT = 2, n_O = 4, n = 6: alpha = 1 - 5 * 2 / (2 * 2 * 4) = 1 - 10/16 = 0.375.
    assert report.alpha[ALL].value == pytest.approx(0.375)
    assert [p.scope for p in report.pairs] == ["a vs b", "a vs c", "b vs c"]
    assert report.pairs[0].measures[SPAN_STRICT][ALL].value == 1.0
    assert report.pairs[1].measures[SPAN_STRICT][ALL].value == 0.0

    # A second document coded by a and b only: c is missing there, not "O".
    d2 = [ann("a", [], doc_id="d2", text="on Monday"), ann("b", [], doc_id="d2", text="on Monday")]
    report2 = agree([("d1", [a, b, c]), ("d2", d2)], SCHEMA)
    nan = np.nan
    data = [[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, nan, nan]]
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert report2.alpha[ALL].value == pytest.approx(expected)
    assert report2.alpha[ALL].items == 4
    assert report2.pooled is not None and report2.pooled.tasks == 2


def test_alpha_undefined_when_a_single_value() -> None:
    report = agree([("d1", [ann("a", []), ann("b", [])])], SCHEMA)
    assert report.alpha[ALL].value is None
    assert report.alpha[ALL].warning == "undefined: fewer than two distinct values coded"
    assert report.pairs[0].measures[KAPPA][ALL].value is None


def test_single_annotation_tasks_are_not_compared() -> None:
    report = agree([("d1", [A]), ("d2", [ann("a", [], doc_id="d2")])], SCHEMA)
    assert (report.tasks, report.single, report.pooled) == (0, 2, None)
    assert "No document has two annotations yet." in agreement_markdown(report)


def test_overlap_matching_is_one_to_one() -> None:
    # One long span overlapping two short ones counts once.
    assert overlap_matches([("X", 0, 10)], [("X", 0, 4), ("X", 5, 10)]) == 1
    assert overlap_matches([("X", 0, 10)], [("Y", 0, 10)]) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("OAB"), st.sampled_from("OAB")), min_size=1))
def test_kappa_matches_sklearn(pairs: list[tuple[str, str]]) -> None:
    ours = cohen_kappa(pairs)
    if ours is None:  # one label throughout: chance agreement is 1
        assert len({x for p in pairs for x in p}) == 1
    else:
        x, y = zip(*pairs, strict=True)
        assert ours == pytest.approx(cohen_kappa_score(x, y))


def test_prepare_leaves_out_bad_annotations_with_reasons() -> None:
    other_text = ann("c", [], text=TEXT + " night")
    bad_label = ann("d", [("WEAPON", 0, 6)])
    older = ann("a", [], updated_at="2024-01-01T00:00:00Z")
    tasks, problems = prepare_tasks([("d1", [A, B, other_text, bad_label, older])], SCHEMA)
    (task,) = tasks
    assert task.annotators == ("a", "b")
    # A has no updated_at, so it counts as older than `older`, which is kept.
    assert task.annotations["a"] is older
    codes = [p.code for p in problems]
    assert TEXT_MISMATCH in codes and INVALID_ANNOTATION in codes and DUPLICATE_ANNOTATOR in codes
    mismatch = next(p for p in problems if p.code == TEXT_MISMATCH)
    assert mismatch.where == "document 'd1' / annotator 'c'"
    assert "differs from the text of annotator 'a' (49 characters)" in mismatch.message
    assert any(
        "label 'WEAPON' is not in schema" in p.message and "ATTACKER" in p.message for p in problems
    )


def test_duplicate_annotator_keeps_most_recent() -> None:
    new = ann("a", [("ATTACKER", 0, 6)], updated_at="2024-02-01T00:00:00Z")
    old = ann("a", [], updated_at="2024-01-01T00:00:00Z")
    tasks, problems = prepare_tasks([("d1", [new, old])], SCHEMA)
    assert tasks[0].annotations["a"] is new
    assert str(problems[0]) == (
        "document 'd1' / annotator 'a': annotated this document more than once; kept the one "
        "updated at 2024-02-01T00:00:00Z"
    )
    # Files without times: the one given last is kept, and said to be.
    first, last = ann("a", [("ATTACKER", 0, 6)]), ann("a", [])
    tasks, problems = prepare_tasks([("d1", [first, last])], SCHEMA)
    assert tasks[0].annotations["a"] is last
    assert problems[0].message == "annotated this document more than once; kept the one given last"


def test_load_inputs_groups_by_id_and_names_annotators_by_input(tmp_path) -> None:
    gold = tmp_path / "gold"
    gold.mkdir()
    plain = Document(id="d1", text=TEXT)
    write_document_file(gold / "d1.json", plain)
    write_document_file(gold / "d2.json", Document(id="d2", text="x", meta={"annotator": "zoe"}))
    write_documents(tmp_path / "second_pass.jsonl", [plain])
    groups, problems = load_annotation_inputs(
        [gold, tmp_path / "second_pass.jsonl", tmp_path / "missing"]
    )
    assert [k for k, _ in groups] == ["d1", "d2"]
    assert [d.meta["annotator"] for d in groups[0][1]] == ["gold", "second_pass"]
    assert groups[1][1][0].meta["annotator"] == "zoe"
    assert [str(p) for p in problems] == [f"{tmp_path / 'missing'}: no such file or folder"]


def test_markdown_section_names_the_method_and_pairs() -> None:
    md = agreement_markdown(agree([("d1", [A, B])], SCHEMA))
    assert md.startswith("## Inter-annotator agreement")
    assert "token-level nominal alpha" in md and "not unitizing" in md
    assert "| a vs b | 1 | 0.571 (n=5) † | 0.857 (n=4) † | 0.000 (n=2) † | 0.644 (n=8) † |" in md
    assert "| VICTIM_GROUP |" in md and "| KILLED |" in md


def test_report_json_round_trips() -> None:
    data = json.loads(json.dumps(agree([("d1", [A, B])], SCHEMA).to_json()))
    strict = data["pairs"][0]["measures"][SPAN_STRICT][ALL]
    assert strict == {
        "value": pytest.approx(4 / 7),
        "items": 5,
        "warning": "rests on 5 item(s), fewer than 10",
    }
    assert data["token_alpha"][ALL]["value"] == pytest.approx(19 / 29)


# ----------------------------------------------------------------------------- CLI

runner = CliRunner()


def _write_inputs(tmp_path) -> list[str]:
    gold, second = tmp_path / "gold", tmp_path / "second_pass"
    gold.mkdir()
    second.mkdir()
    write_document_file(
        gold / "d1.json",
        A.without_annotations().with_annotations(entities=A.entities, relations=A.relations),
    )
    # Annotator names come from the folder names when meta has none.
    write_document_file(
        second / "d1.json", Document(id="d1", text=TEXT, entities=B.entities, relations=B.relations)
    )
    return [str(gold), str(second)]


def test_cli_agree_writes_json_and_markdown(tmp_path) -> None:
    inputs = _write_inputs(tmp_path)
    result = runner.invoke(
        app,
        [
            "agree",
            *inputs,
            "--json",
            str(tmp_path / "r.json"),
            "--markdown",
            str(tmp_path / "r.md"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Agreement over 1 document(s), all labels" in result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["annotators"] == ["a", "second_pass"]
    assert data["pairs"][0]["measures"][KAPPA][ALL]["value"] == pytest.approx(29 / 45)
    assert (tmp_path / "r.md").read_text().startswith("## Inter-annotator agreement")


def test_cli_agree_fails_without_pairs(tmp_path) -> None:
    write_documents(tmp_path / "one.jsonl", [A])
    result = runner.invoke(app, ["agree", str(tmp_path / "one.jsonl")])
    assert result.exit_code == 1
    assert "no document has two or more usable annotations (1 with fewer)" in result.output


def test_cli_agree_needs_inputs() -> None:
    result = runner.invoke(app, ["agree"])
    assert result.exit_code == 1
    assert "give one or more input files or folders, or --project TITLE" in result.output
