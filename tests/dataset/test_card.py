from __future__ import annotations

from pathlib import Path

import yaml

from eventgold.dataset.card import render_card
from eventgold.dataset.splits import SplitRatios
from eventgold.dataset.summary import GoldSummary, SplitSummary
from eventgold.schema import load_schema

SCHEMA = load_schema()


def split(name: str, docs: int, attackers: int, killed: int, ids: tuple[str, ...]) -> SplitSummary:
    return SplitSummary(
        name=name,
        documents=docs,
        tokens=docs * 100,
        entities={label: attackers if label == "ATTACKER" else 0 for label in SCHEMA.entity_labels},
        relations={label: killed if label == "KILLED" else 0 for label in SCHEMA.relation_labels},
        shards=tuple(f"data/{name}-00000-of-00001.parquet" for _ in range(min(docs, 1))),
        ids=ids,
    )


SUMMARY = GoldSummary(
    path=Path("/somewhere/gold"),
    splits=(
        split("train", 3, 4, 2, ("a", "b", "c")),
        split("validation", 0, 0, 0, ()),
        split("test", 1, 1, 1, ("d",)),
    ),
    rejects=2,
    ratios=SplitRatios(),
    seed="eventgold",
    shard_rows=5000,
    moved=("d",),
)


def render(agreement: str | None = "| label | alpha |\n|---|---|\n| ATTACKER | 0.81 |") -> str:
    return render_card(
        SUMMARY,
        schema=SCHEMA,
        provenance={"label_studio_project": 12, "annotators": 3, "pulled": "2026-11-01"},
        agreement_markdown=agreement,
    )


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def test_front_matter_is_hf_style() -> None:
    meta = front_matter(render())
    assert meta["license"] == "other"
    assert "publishers' terms" in meta["license_details"]
    assert meta["task_categories"] == ["token-classification"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["pretty_name"] == "conflict_events gold (schema 1.0.0)"
    # Empty splits have no data files (load_dataset cannot read an empty Parquet split).
    assert meta["configs"] == [
        {
            "config_name": "default",
            "data_files": [
                {"split": "train", "path": "data/train-*.parquet"},
                {"split": "test", "path": "data/test-*.parquet"},
            ],
        }
    ]


def test_body_has_schema_counts_provenance_agreement_and_loading() -> None:
    card = render()
    for line in (
        "| ATTACKER | Perpetrator of a specific attack, as named in the text "
        "(group, person or description). |",
        "| KILLED | ATTACKER, ATTACK | VICTIM_GROUP | "
        "The attacker or attack killed members of the victim group. |",
        "| train | 3 | 300 | 4 | 2 | 1 |",
        "| validation | 0 | 0 | 0 | 0 | 0 |",
        "| ATTACKER | 4 | 0 | 1 | 5 |",
        "| KILLED | 2 | 0 | 1 | 3 |",
        "- train: `a`, `b`, `c`",
        "Placed by the small-corpus rule (not pinned: they can move in a later release): `d`.",
        "Annotated in Label Studio project 12. 3 annotator(s). 2 rejected annotation(s)",
        "| pulled | 2026-11-01 |",
        "| ATTACKER | 0.81 |",
        "Annotation guidelines: `GUIDELINES.md`, beside the schema file `conflict_events.yaml`.",
        'gold = datasets.load_from_disk("gold/hf")  # DatasetDict',
    ):
        assert line in card, line
    assert "Unicode code points" in card and "end exclusive" in card
    assert "/somewhere" not in card  # no absolute paths: the card is the same on any machine


def test_annotator_names_are_counted() -> None:
    card = render_card(
        SUMMARY,
        schema=SCHEMA,
        provenance={"annotators": "alice, bob", "label_studio_project": "'conflict' (id 4)"},
        agreement_markdown=None,
    )
    assert (
        "Annotated in Label Studio project 'conflict' (id 4). 2 annotator(s): alice, bob." in card
    )


def test_card_is_deterministic_and_says_when_agreement_is_missing() -> None:
    assert render() == render()
    card = render(agreement=None)
    assert (
        "## Agreement\n\nNot computed for this release (`eventgold agree --markdown FILE`" in card
    )


def test_a_project_schema_names_its_own_guidelines_without_a_repository_link(tmp_path) -> None:
    import dataclasses

    (tmp_path / "G.md").write_text("# Ours\n")
    own = dataclasses.replace(SCHEMA, guidelines="G.md", path=str(tmp_path / "ours.yaml"))
    card = render_card(SUMMARY, schema=own, provenance={}, agreement_markdown=None)
    assert "Annotation guidelines: `G.md`, beside the schema file `ours.yaml`." in card
    assert "eventgold repository" not in card and str(tmp_path) not in card
    missing = dataclasses.replace(own, guidelines="nowhere.md")
    assert "Annotation guidelines" not in render_card(
        SUMMARY, schema=missing, provenance={}, agreement_markdown=None
    )


def test_the_card_does_not_depend_on_where_the_schema_was_read_from(tmp_path: Path) -> None:
    # Issue 18, defect 10: eventgold installed from another checkout read the shipped schema
    # from there, and the card's guidelines line changed with that path.
    from eventgold.schema import DEFAULT_SCHEMA

    elsewhere = tmp_path / "another-checkout" / "schemas"
    elsewhere.mkdir(parents=True)
    for name in (DEFAULT_SCHEMA.name, "GUIDELINES.md"):
        (elsewhere / name).write_bytes((DEFAULT_SCHEMA.parent / name).read_bytes())
    there = load_schema(elsewhere / DEFAULT_SCHEMA.name)
    card = render()
    assert (
        render_card(
            SUMMARY,
            schema=there,
            provenance={"label_studio_project": 12, "annotators": 3, "pulled": "2026-11-01"},
            agreement_markdown="| label | alpha |\n|---|---|\n| ATTACKER | 0.81 |",
        )
        == card
    )
    assert (
        "\nAnnotation guidelines: `GUIDELINES.md`, beside the schema file "
        "`conflict_events.yaml`.\n" in card
    )


def test_licences_are_listed_and_share_alike_sets_the_dataset_licence() -> None:
    from dataclasses import replace

    plain = render_card(SUMMARY, schema=SCHEMA, provenance={}, agreement_markdown=None)
    assert yaml.safe_load(plain.split("---")[1])["license"] == "other"
    assert "| licence |" not in plain
    sources = (
        ("CC BY 2.5", "Wikinews contributors", 1),
        ("CC BY-SA 4.0", "Wikipedia contributors", 2),
    )
    card = render_card(
        replace(SUMMARY, sources=sources), schema=SCHEMA, provenance={}, agreement_markdown=None
    )
    assert yaml.safe_load(card.split("---")[1])["license"] == "cc-by-sa-4.0"
    assert "| CC BY-SA 4.0 | Wikipedia contributors | 2 |" in card
    assert "released under CC BY-SA 4.0, with each text's attribution as listed" in card
    assert "1 document(s) record no licence." in card  # 4 documents, 3 with a licence
