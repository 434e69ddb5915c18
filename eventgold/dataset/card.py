"""The dataset card (gold/README.md): HF-style YAML front matter, then what a user must know.

Rendered only from the write summary, the schema, the caller's provenance and agreement text,
so the same gold gives a byte-identical card (no clock, no absolute paths).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from eventgold.dataset.folder import DATA_DIR, DOCUMENTS_FILE, HF_DIR, REJECTS_FILE
from eventgold.dataset.summary import GoldSummary
from eventgold.schema import Schema

if TYPE_CHECKING:
    from eventgold.eval.events.rows import EventSample

LICENSE_NOTE = (
    "The texts are excerpts of news and Wikipedia articles and stay under their publishers' "
    "terms (Wikipedia: CC BY-SA 4.0). A document that records its licence and attribution "
    "(`meta.licence`, `meta.attribution`) is listed below; for any other, its `source` is only "
    "the file it was read from, so the data alone cannot tell whose terms apply. Check the "
    "texts' terms before redistributing them."
)
SHARE_ALIKE = "BY-SA"  # a licence naming this keeps share-alike: so must the whole gold set


def _share_alike(summary: GoldSummary) -> bool:
    return any(SHARE_ALIKE in lic.upper() for lic, _, _ in summary.sources)


def _license_section(summary: GoldSummary) -> list[str]:
    lines = ["## License", "", LICENSE_NOTE]
    if _share_alike(summary):
        lines += [
            "",
            "Some texts are CC BY-SA, whose share-alike terms the dataset keeps: the gold set, "
            "annotations included, is released under CC BY-SA 4.0, with each text's "
            "attribution as listed.",
        ]
    if summary.sources:
        listed = sum(n for _, _, n in summary.sources)
        lines += [
            "",
            *_table(["licence", "attribution", "documents"], [list(s) for s in summary.sources]),
        ]
        if listed < summary.documents:
            lines += ["", f"{summary.documents - listed} document(s) record no licence."]
    return lines


def _annotators(value: Any) -> str:
    # Pull records names joined by ", "; a caller may also pass a count or a list of names.
    if isinstance(value, int):
        return f"{value} annotator(s)."
    names = value.split(", ") if isinstance(value, str) else [str(v) for v in value]
    names = [n for n in names if n and n != "none"]
    return f"{len(names)} annotator(s)" + (f": {', '.join(names)}." if names else ".")


# Provenance keys given a sentence of their own; every key is also listed in a table.
_PROVENANCE_SENTENCES = {
    "label_studio_project": lambda v: f"Annotated in Label Studio project {v}.",
    "annotators": _annotators,
}

_SIZES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


def _size_category(n: int) -> str:
    return next((name for limit, name in _SIZES if n < limit), "n>1M")


_EMPTY_NOTE = [
    "**No document has a usable gold annotation yet.** `rejects.jsonl` lists every annotation "
    "that was rejected, with its reasons.",
    "",
]


def _front_matter(summary: GoldSummary, schema: Schema) -> str:
    meta: dict[str, Any] = {
        "pretty_name": f"{schema.name} gold (schema {schema.version})",
        "language": ["en"],
        **(
            {"license": "cc-by-sa-4.0"}
            if _share_alike(summary)
            else {
                "license": "other",
                "license_name": "publishers-terms",
                "license_details": LICENSE_NOTE,
            }
        ),
        "task_categories": ["token-classification"],
        "task_ids": ["named-entity-recognition"],
        "tags": ["event-extraction", "relation-extraction", "conflict", "news"],
        "size_categories": [_size_category(summary.documents)],
    }
    data_files = [
        {"split": s.name, "path": f"{DATA_DIR}/{s.name}-*.parquet"}
        for s in summary.splits
        if s.documents
    ]
    if data_files:  # an empty gold has no Parquet file for a config to name
        meta["configs"] = [{"config_name": "default", "data_files": data_files}]
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100) + "---\n"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def schema_section(schema: Schema) -> list[str]:
    lines = ["## Schema", "", f"Schema `{schema.name}` version {schema.version}."]
    if schema.description:
        lines += ["", schema.description.strip()]
    lines += ["", "Entity labels (the `ClassLabel` order of `entities.label`):", ""]
    lines += _table(["label", "description"], [[e.label, e.description] for e in schema.entities])
    if schema.relations:
        lines += ["", "Relation labels (directed, head -> tail):", ""]
        lines += _table(
            ["label", "head", "tail", "description"],
            [
                [r.label, ", ".join(r.head), ", ".join(r.tail), r.description]
                for r in schema.relations
            ],
        )
    lines += ["", f"`ner_tags` are IOB2: {', '.join(f'`{t}`' for t in schema.iob_labels)}."]
    # Named by the schema alone, never by where the files are: the same annotations give the
    # same card whichever checkout or installed package the schema was read from.
    guidelines = schema.guidelines_path()
    if guidelines is not None and guidelines.is_file():
        lines += [
            "",
            f"Annotation guidelines: `{guidelines.name}`, beside the schema file "
            f"`{Path(schema.path).name}`.",
        ]
    return lines


def _splits_section(summary: GoldSummary, schema: Schema) -> list[str]:
    r = summary.ratios
    lines = [
        "## Splits and counts",
        "",
        f"Documents go to a split by a hash of their id (seed `{summary.seed}`, ratios "
        f"train {r.train:g} / validation {r.validation:g} / test {r.test:g}) unless "
        "`meta.split` names one, so a document placed by its hash never moves when others are "
        "added. In a corpus too small for every split to get a document by hash (under 1,000 "
        "documents), an empty split with a ratio above 0 takes the document whose hash is "
        "nearest its range. Such a document goes back to its hash's split once another fills "
        "that split, so a test document could become training data in a later release: pin "
        "it with `meta.split`. A split that is still empty is left out of the data files.",
        "",
    ]
    if summary.moved:
        moved = ", ".join(f"`{i}`" for i in summary.moved)
        lines += [
            f"Placed by the small-corpus rule (not pinned: they can move in a later release): "
            f"{moved}.",
            "",
        ]
    lines += _table(
        ["split", "documents", "tokens", "entities", "relations", "shards"],
        [
            [
                s.name,
                s.documents,
                s.tokens,
                sum(s.entities.values()),
                sum(s.relations.values()),
                len(s.shards),
            ]
            for s in summary.splits
        ],
    )
    names = [s.name for s in summary.splits]
    lines += ["", "Entities per label:", ""]
    lines += _table(
        ["label", *names, "total"],
        [
            [
                label,
                *(s.entities[label] for s in summary.splits),
                sum(s.entities[label] for s in summary.splits),
            ]
            for label in schema.entity_labels
        ],
    )
    if schema.relation_labels:
        lines += ["", "Relations per label:", ""]
        lines += _table(
            ["label", *names, "total"],
            [
                [
                    label,
                    *(s.relations[label] for s in summary.splits),
                    sum(s.relations[label] for s in summary.splits),
                ]
                for label in schema.relation_labels
            ],
        )
    listed = [s for s in summary.splits if s.ids]
    if listed:
        lines += ["", "Documents per split:", ""]
        lines += [f"- {s.name}: {', '.join(f'`{i}`' for i in s.ids)}" for s in listed]
    return lines


def _made_section(summary: GoldSummary, provenance: Mapping[str, Any]) -> list[str]:
    lines = ["## How it was made", ""]
    sentences = [
        sentence(provenance[key])
        for key, sentence in _PROVENANCE_SENTENCES.items()
        if key in provenance
    ]
    sentences.append(
        f"{summary.rejects} rejected annotation(s) are listed with located reasons in "
        f"`{REJECTS_FILE}`."
    )
    lines.append(" ".join(sentences))
    if provenance:
        lines += [""]
        lines += _table(["provenance", "value"], [[k, provenance[k]] for k in sorted(provenance)])
    return lines


def render_card(
    summary: GoldSummary,
    *,
    schema: Schema,
    provenance: Mapping[str, Any],
    agreement_markdown: str | None,
    events: EventSample | None = None,
) -> str:
    """The dataset card as Markdown with YAML front matter; deterministic. `events` (when
    the schema declares events) adds an "Events" section."""
    parts: list[str] = [
        _front_matter(summary, schema),
        f"# {schema.name} gold (schema {schema.version})",
        "",
        f"A gold dataset for conflict-event extraction from news: {summary.documents} "
        "documents with entity spans and directed relations, annotated in Label Studio and "
        "checked against the schema. Each row is one document with its spans, relations, "
        "tokens and IOB2 tags.",
        "",
        *(_EMPTY_NOTE if not summary.documents else []),
        *schema_section(schema),
        "",
        *_splits_section(summary, schema),
        "",
        *_made_section(summary, provenance),
        "",
        *_agreement_section(agreement_markdown),
        "",
        *_events_section(events),
        "## Offsets",
        "",
        "`start`/`end` of entities and `token_starts`/`token_ends` are indices into `text` in "
        "Unicode code points (Python `str` indices, not bytes or UTF-16 units), end exclusive: "
        "`text[start:end] == entity text`. Tokens are split at every entity boundary, so the "
        "IOB2 tags give back exactly the entity spans.",
        "",
        *_license_section(summary),
        "",
        "## Loading",
        "",
        "```python",
        "import datasets",
        "",
        f'gold = datasets.load_from_disk("gold/{HF_DIR}")  # DatasetDict',
        "# or stream the Parquet shards:",
        "gold = datasets.load_dataset(",
        f'    "parquet", data_files={{"train": "gold/{DATA_DIR}/train-*.parquet"}}, streaming=True',
        ")",
        'label = gold["train"].features["entities"].feature["label"]  # ClassLabel: int2str',
        "```",
        "",
        f"`{DOCUMENTS_FILE}` holds the same documents in eventgold's JSONL record format "
        "(sorted by id); `eventgold export` turns it into spaCy DocBin or CoNLL.",
    ]
    return "\n".join(parts) + "\n"


def _events_section(sample: EventSample | None) -> list[str]:
    if sample is None:
        return []
    from eventgold.eval.events.render import events_markdown

    return [events_markdown(sample.rows, total=sample.events), ""]


def _agreement_section(markdown: str | None) -> list[str]:
    """The caller's agreement text under one "## Agreement" heading (its own top heading,
    if any, is replaced so the card's outline stays flat)."""
    body = (markdown or "").strip()
    if body.startswith("## "):
        body = body.split("\n", 1)[1].strip() if "\n" in body else ""
    return [
        "## Agreement",
        "",
        body
        or "Not computed for this release (`eventgold agree --markdown FILE`, then `eventgold "
        "pull --agreement FILE`, adds it).",
    ]
