"""Adjudication strategies on conflicts, ties and overlaps; the review; the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eventgold.annotate.adjudication.merge import (
    BOUNDARY_DIFFERS,
    DECIDED,
    INVALID_SPAN,
    LABEL_AND_BOUNDARY_DIFFER,
    LABEL_DIFFERS,
    LEFT_OUT,
    ONLY_IN,
    OVERLAP_RESOLVED,
    RELATION_DIFFERS,
    RELATION_DROPPED,
    SKIPPED,
    TIE,
    ReviewEntry,
    adjudicate,
    review_markdown,
    write_review,
)
from eventgold.cli import app
from eventgold.documents import (
    Document,
    Entity,
    Relation,
    load_documents,
    write_documents,
)
from eventgold.problems import ProblemsError
from eventgold.schema import load_schema
from eventgold.validate import validate_document

SCHEMA = load_schema()
# gunmen [0,6) killed [7,13) ten [14,17) villagers [18,27) near [28,32) Kunduz [33,39)
TEXT = "gunmen killed ten villagers near Kunduz on Monday"
GUNMEN = ("ATTACKER", 0, 6)
KILLED = ("ATTACK", 7, 13)
TEN_VILLAGERS = ("VICTIM_GROUP", 14, 27)
VILLAGERS = ("VICTIM_GROUP", 18, 27)
KUNDUZ = ("LOCATION", 33, 39)


def ann(
    annotator: str,
    spans: list[tuple[str, int, int]],
    relations: tuple[tuple[int, int, str], ...] = (),
    *,
    doc_id: str = "d1",
    **meta: object,
) -> Document:
    """An annotation by `annotator`; relations name entities by index in `spans`."""
    ents = tuple(Entity(f"x{i}", s, e, label, TEXT[s:e]) for i, (label, s, e) in enumerate(spans))
    rels = tuple(Relation(f"x{h}", f"x{t}", label) for h, t, label in relations)
    return Document(
        id=doc_id, text=TEXT, meta={"annotator": annotator, **meta}, entities=ents, relations=rels
    )


def keys(doc: Document) -> list[tuple[str, int, int]]:
    return [e.key for e in doc.entities]


def kinds(review: list[ReviewEntry]) -> list[str]:
    return [e.kind for e in review]


def test_majority_of_three_keeps_spans_and_relations_with_two_votes() -> None:
    a = ann("a", [GUNMEN, TEN_VILLAGERS, KUNDUZ], ((0, 1, "KILLED"),))
    b = ann("b", [GUNMEN, TEN_VILLAGERS], ((0, 1, "KILLED"),))
    c = ann("c", [GUNMEN, VILLAGERS, KILLED], ((0, 1, "KILLED"),))
    (merged,), review = adjudicate([("d1", [a, b, c])], SCHEMA, strategy="majority")
    # gunmen 3/3, "ten villagers" 2/3 kept; Kunduz, "villagers", killed 1/3 dropped.
    assert keys(merged) == [GUNMEN, TEN_VILLAGERS]
    assert [e.id for e in merged.entities] == ["e1", "e2"]
    assert merged.relations == (Relation("e1", "e2", "KILLED"),)
    assert validate_document(merged, SCHEMA) == []
    assert merged.meta["adjudication"]["strategy"] == "majority"
    assert "annotator" not in merged.meta
    decided = review[0]
    assert decided.kind == DECIDED
    assert decided.message == (
        "majority of 3 annotator(s) (a, b, c): 2 of 5 span(s) and 1 of 2 relation(s) kept"
    )
    assert TIE not in kinds(review)  # three voters never tie


@pytest.mark.parametrize(
    ("tie", "senior", "expected"),
    [
        ("drop", None, [GUNMEN]),
        ("keep", None, [GUNMEN, KILLED, KUNDUZ]),
        ("senior", "a", [GUNMEN, KUNDUZ]),  # a voted for Kunduz only
        ("senior", "b", [GUNMEN, KILLED]),
    ],
)
def test_majority_ties_follow_the_tie_rule(
    tie: str, senior: str | None, expected: list[tuple[str, int, int]]
) -> None:
    a = ann("a", [GUNMEN, KUNDUZ])
    b = ann("b", [GUNMEN, KILLED])
    (merged,), review = adjudicate(
        [("d1", [a, b])], SCHEMA, strategy="majority", tie=tie, senior=senior
    )
    assert keys(merged) == expected
    ties = [e for e in review if e.kind == TIE]
    assert len(ties) == 2  # killed and Kunduz each have 1 of 2 votes
    assert ties[0].message.startswith(f"1 of 2 votes; tie rule '{tie}'")


def test_overlap_after_voting_is_resolved_and_recorded() -> None:
    # With "keep", both boundaries of the victims are kept by the tie rule, and they overlap:
    # the longer span wins (equal votes), the other is dropped with its relation.
    a = ann("a", [GUNMEN, TEN_VILLAGERS], ((0, 1, "KILLED"),))
    b = ann("b", [GUNMEN, VILLAGERS], ((0, 1, "KILLED"),))
    (merged,), review = adjudicate([("d1", [a, b])], SCHEMA, strategy="majority", tie="keep")
    assert keys(merged) == [GUNMEN, TEN_VILLAGERS]
    assert validate_document(merged, SCHEMA) == []
    overlap = next(e for e in review if e.kind == OVERLAP_RESOLVED)
    assert overlap.text == "VICTIM_GROUP [18, 27) 'villagers'"
    assert overlap.message == (
        "overlaps the kept VICTIM_GROUP [14, 27) 'ten villagers' (1 vote(s) against 1)"
    )
    dropped = next(e for e in review if e.kind == RELATION_DROPPED)
    assert dropped.text.endswith("-KILLED-> VICTIM_GROUP [18, 27) 'villagers'")


def test_overlap_resolution_prefers_more_votes_over_length() -> None:
    # "gunmen killed" (ATTACK, 2 of 3 votes) overlaps "gunmen" (ATTACKER, 3 of 3): the shorter
    # span with more votes wins. c's own annotation overlaps, allowed in work in progress.
    long = ("ATTACK", 0, 13)
    a = ann("a", [GUNMEN])
    b = ann("b", [GUNMEN, long])
    c = ann("c", [long, GUNMEN])
    (merged,), review = adjudicate([("d1", [a, b, c])], SCHEMA, strategy="majority")
    assert keys(merged) == [GUNMEN]
    assert [e.text for e in review if e.kind == OVERLAP_RESOLVED] == [
        "ATTACK [0, 13) 'gunmen killed'"
    ]


def test_ground_truth_marked_annotation_wins_even_if_older() -> None:
    a = ann("a", [GUNMEN], ground_truth=True, updated_at="2024-01-01T00:00:00Z")
    b = ann("b", [KUNDUZ], updated_at="2024-06-01T00:00:00Z")
    (merged,), review = adjudicate([("d1", [b, a])], SCHEMA, strategy="ground-truth")
    assert keys(merged) == [GUNMEN]
    assert review[0].message == "annotator 'a': marked ground truth"
    assert "ground_truth" not in merged.meta


def test_ground_truth_without_mark_takes_the_most_recent() -> None:
    a = ann("a", [GUNMEN], updated_at="2024-01-01T10:00:00+02:00")
    b = ann("b", [KUNDUZ], updated_at="2024-01-01T09:00:00Z")  # = 11:00 at +02:00: later
    c = ann("c", [KILLED])  # no time: oldest
    (merged,), review = adjudicate([("d1", [a, b, c])], SCHEMA, strategy="ground-truth")
    assert keys(merged) == [KUNDUZ]
    assert review[0].message == (
        "annotator 'b': no ground truth marked; most recent (updated_at 2024-01-01T09:00:00Z)"
    )


def test_annotator_strategy_takes_the_named_annotation_and_skips_where_missing() -> None:
    groups = [
        ("d1", [ann("a", [GUNMEN]), ann("b", [KUNDUZ])]),
        ("d2", [ann("a", [], doc_id="d2")]),
    ]
    merged, review = adjudicate(groups, SCHEMA, strategy="annotator", annotator="b")
    assert [d.id for d in merged] == ["d1"]
    assert keys(merged[0]) == [KUNDUZ]
    skipped = next(e for e in review if e.kind == SKIPPED)
    assert (skipped.document, skipped.message) == (
        "d2",
        "strategy 'annotator' has no annotation to take; annotators: a",
    )


def test_unknown_annotator_names_the_available_ones() -> None:
    groups = [("d1", [ann("alice", []), ann("bob", [])])]
    with pytest.raises(ProblemsError) as info:
        adjudicate(groups, SCHEMA, strategy="annotator", annotator="carol")
    assert [str(p) for p in info.value.problems] == [
        "annotator: unknown annotator 'carol'; available: alice, bob"
    ]


def test_unknown_strategy_and_bad_tie_options_name_what_is_allowed() -> None:
    groups = [("d1", [ann("a", []), ann("b", [])])]
    with pytest.raises(ProblemsError) as info:
        adjudicate(groups, SCHEMA, strategy="vote")
    assert str(info.value.problems[0]) == (
        "strategy: unknown strategy 'vote'; allowed: annotator, ground-truth, majority"
    )
    with pytest.raises(ProblemsError) as info:
        adjudicate(groups, SCHEMA, strategy="majority", tie="coin")
    assert str(info.value.problems[0]) == (
        "tie: unknown tie rule 'coin'; allowed: drop, keep, senior"
    )
    with pytest.raises(ProblemsError) as info:
        adjudicate(groups, SCHEMA, strategy="majority", tie="senior")
    assert str(info.value.problems[0]) == "senior: tie rule 'senior' needs a senior annotator name"
    with pytest.raises(ProblemsError) as info:
        adjudicate(groups, SCHEMA, strategy="majority", tie="senior", senior="z")
    assert str(info.value.problems[0]) == "senior: unknown annotator 'z'; available: a, b"


def test_review_lists_each_kind_of_disagreement_with_text() -> None:
    a = ann("a", [GUNMEN, TEN_VILLAGERS, ("LOCATION", 28, 39)], ((0, 1, "KILLED"),))
    b = ann("b", [("ACTOR", 0, 6), VILLAGERS, KUNDUZ, KILLED])
    _, review = adjudicate([("d1", [a, b])], SCHEMA, strategy="annotator", annotator="a")
    by_kind: dict[str, list[ReviewEntry]] = {}
    for entry in review:
        by_kind.setdefault(entry.kind, []).append(entry)
    label, (boundary, near), only, relation = (
        *by_kind[LABEL_DIFFERS],
        by_kind[BOUNDARY_DIFFERS],
        *by_kind[ONLY_IN],
        *by_kind[RELATION_DIFFERS],
    )
    assert label.text == "gunmen"
    assert label.message == ("a: ATTACKER [0, 6) 'gunmen'; b: ACTOR [0, 6) 'gunmen'")
    assert label.decision == "kept ATTACKER [0, 6) 'gunmen'"
    assert boundary.text == "ten villagers"
    assert boundary.message == (
        "a: VICTIM_GROUP [14, 27) 'ten villagers'; b: VICTIM_GROUP [18, 27) 'villagers'"
    )
    assert only.text == "killed"
    assert only.annotators == ("b",)
    assert only.decision == "nothing kept"
    assert relation.text == (
        "ATTACKER [0, 6) 'gunmen' -KILLED-> VICTIM_GROUP [14, 27) 'ten villagers'"
    )
    assert relation.decision == "kept"
    assert near.text == "near Kunduz"
    assert near.decision == "kept LOCATION [28, 39) 'near Kunduz'"
    # A label and boundary difference needs both to change:
    c = ann("c", [("ATTACK", 0, 13)])
    _, review2 = adjudicate([("d1", [a, c])], SCHEMA, strategy="annotator", annotator="c")
    both = next(e for e in review2 if e.kind == LABEL_AND_BOUNDARY_DIFFER)
    assert both.text == "gunmen killed"


def test_agreeing_annotators_leave_nothing_to_review() -> None:
    a = ann("a", [GUNMEN, KUNDUZ])
    _, review = adjudicate([("d1", [a, ann("b", [GUNMEN, KUNDUZ])])], SCHEMA, strategy="majority")
    assert kinds(review) == [DECIDED]


def test_invalid_inputs_are_left_out_and_untrimmed_spans_dropped() -> None:
    bad = ann("a", [("WEAPON", 0, 6)])
    untrimmed = ann("b", [("ATTACKER", 0, 7)])  # "gunmen " ends with a space
    merged, review = adjudicate([("d1", [bad, untrimmed])], SCHEMA, strategy="majority")
    assert keys(merged[0]) == []
    left_out = [e for e in review if e.kind == LEFT_OUT]
    assert left_out[0].message == "document 'd1' / annotator 'a': left out: 1 problem(s)"
    invalid = next(e for e in review if e.kind == INVALID_SPAN)
    assert invalid.message == "span 'gunmen ' starts or ends with whitespace"


def test_review_markdown_and_jsonl(tmp_path) -> None:
    a = ann("a", [GUNMEN], doc_id="d1")
    b = ann("b", [("ACTOR", 0, 6)], doc_id="d1")
    _, review = adjudicate([("d1", [a, b])], SCHEMA, strategy="annotator", annotator="a")
    md = review_markdown(review, title="Review")
    assert md.splitlines()[:3] == ["# Review", "", "1 document(s), 1 item(s) to check."]
    assert "## d1" in md
    assert (
        "- **label-differs** «gunmen» — a: ATTACKER [0, 6) 'gunmen'; b: ACTOR [0, 6) 'gunmen' "
        "→ kept ATTACKER [0, 6) 'gunmen'"
    ) in md
    paths = write_review(tmp_path / "review.md", review)
    assert [p.name for p in paths] == ["review.md", "review.jsonl"]
    lines = (tmp_path / "review.jsonl").read_text().splitlines()
    assert [json.loads(x)["kind"] for x in lines] == kinds(review)


# ----------------------------------------------------------------------------- CLI

runner = CliRunner()


def _inputs(tmp_path) -> list[str]:
    gold = ann("a", [GUNMEN, TEN_VILLAGERS, KUNDUZ], ((0, 1, "KILLED"),))
    write_documents(tmp_path / "gold.jsonl", [gold])
    # No annotator in meta: named after the file, "second_pass".
    second = Document(id="d1", text=TEXT, entities=(Entity("y", 0, 6, "ATTACKER", "gunmen"),))
    write_documents(tmp_path / "second_pass.jsonl", [second])
    return [str(tmp_path / "gold.jsonl"), str(tmp_path / "second_pass.jsonl")]


def test_cli_adjudicate_writes_gold_and_review(tmp_path) -> None:
    out = tmp_path / "merged.jsonl"
    result = runner.invoke(
        app, ["adjudicate", *_inputs(tmp_path), "--strategy", "majority", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    docs, problems = load_documents(out)
    assert problems == [] and keys(docs[0]) == [GUNMEN]
    assert validate_document(docs[0], SCHEMA) == []
    md = (tmp_path / "merged.review.md").read_text()
    assert "only-in** «Kunduz» — a: LOCATION [33, 39) 'Kunduz'; second_pass: none" in md
    assert (tmp_path / "merged.review.jsonl").exists()


def test_cli_adjudicate_unknown_annotator_fails_with_names(tmp_path) -> None:
    result = runner.invoke(
        app,
        [
            "adjudicate",
            *_inputs(tmp_path),
            "--strategy",
            "annotator",
            "--annotator",
            "zed",
            "--out",
            str(tmp_path / "m.jsonl"),
        ],
    )
    assert result.exit_code == 1
    assert "unknown annotator 'zed'; available: a, second_pass" in result.output
    assert not (tmp_path / "m.jsonl").exists()


def test_cli_push_needs_project(tmp_path) -> None:
    args = ["adjudicate", *_inputs(tmp_path), "--strategy", "majority", "--out", "x", "--push"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "--push needs --project TITLE" in result.output
