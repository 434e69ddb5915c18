"""THE `datasets.Features` of the gold set, derived from the schema, and rows to and from it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from eventgold.documents import Document, Relation, new_entity
from eventgold.schema import Schema
from eventgold.tokens import tokens_and_tags

if TYPE_CHECKING:  # `datasets` (with pandas) takes ~1.4 s to import: only what uses it pays
    import datasets


def features(schema: Schema) -> datasets.Features:
    """THE features of the gold set; every label set comes from `schema`, so edits follow."""
    import datasets

    string, int32 = datasets.Value("string"), datasets.Value("int32")
    return datasets.Features(
        {
            "id": string,
            "title": string,
            "text": string,
            "source": string,
            "meta": string,  # JSON object, keys sorted: free-form metadata has no fixed type
            "entities": datasets.List(
                {
                    "id": string,
                    "start": int32,
                    "end": int32,
                    "label": datasets.ClassLabel(names=list(schema.entity_labels)),
                    "text": string,
                }
            ),
            "relations": datasets.List(
                {
                    "head": string,
                    "tail": string,
                    "label": datasets.ClassLabel(names=list(schema.relation_labels)),
                }
            ),
            "tokens": datasets.List(string),
            "token_starts": datasets.List(int32),
            "token_ends": datasets.List(int32),
            "ner_tags": datasets.List(datasets.ClassLabel(names=list(schema.iob_labels))),
        }
    )


def canonical(doc: Document) -> Document:
    """`doc` with entities ordered by (start, end, label, id) and relations by (head, tail, label).

    Annotation order means nothing, and Label Studio returns it in any order; a fixed order
    makes the gold files diff cleanly and byte-identical across pulls.
    """
    return replace(
        doc,
        entities=tuple(sorted(doc.entities, key=lambda e: (e.start, e.end, e.label, e.id))),
        relations=tuple(sorted(doc.relations, key=lambda r: (r.head, r.tail, r.label))),
    )


def to_row(doc: Document, schema: Schema) -> dict[str, Any]:
    """One dataset row (labels as names) of `doc`; encode with `features(schema)`."""
    tt = tokens_and_tags(doc, schema)
    return {
        "id": doc.id,
        "title": doc.title,
        "text": doc.text,
        "source": doc.source,
        "meta": json.dumps(dict(doc.meta), ensure_ascii=False, sort_keys=True),
        "entities": [e.to_json() for e in doc.entities],
        "relations": [r.to_json() for r in doc.relations],
        "tokens": list(tt.tokens),
        "token_starts": list(tt.starts),
        "token_ends": list(tt.ends),
        "ner_tags": list(tt.tags),
    }


def from_row(row: Mapping[str, Any], feats: datasets.Features) -> Document:
    """The `Document` of a dataset row, whether labels are class ids or names."""
    ent_label = feats["entities"].feature["label"]
    rel_label = feats["relations"].feature["label"]

    def name(label: datasets.ClassLabel, value: int | str) -> str:
        return value if isinstance(value, str) else label.int2str(value)

    return Document(
        id=row["id"],
        text=row["text"],
        title=row["title"],
        source=row["source"],
        meta=json.loads(row["meta"]),
        entities=tuple(
            new_entity(e["id"], e["start"], e["end"], name(ent_label, e["label"]), e["text"])
            for e in row["entities"]
        ),
        relations=tuple(
            Relation(r["head"], r["tail"], name(rel_label, r["label"])) for r in row["relations"]
        ),
    )


class RowEncoder:
    """`Features.encode_example` for the gold features, an order of magnitude faster.

    Only the ClassLabel columns need work (names to ids); `datasets`' generic encoder walks
    every value of every nested list, which cost more than tokenising. Tested equal to it.
    """

    def __init__(self, feats: datasets.Features) -> None:
        self.entity = _label_ids(feats["entities"].feature["label"])
        self.relation = _label_ids(feats["relations"].feature["label"])
        self.tag = _label_ids(feats["ner_tags"].feature)

    def __call__(self, row: Mapping[str, Any]) -> dict[str, Any]:
        ent, rel, tag = self.entity, self.relation, self.tag
        return {
            **row,
            "entities": [{**e, "label": ent[e["label"]]} for e in row["entities"]],
            "relations": [{**r, "label": rel[r["label"]]} for r in row["relations"]],
            "ner_tags": [tag[t] for t in row["ner_tags"]],
        }


def _label_ids(label: datasets.ClassLabel) -> dict[str, int]:
    return {name: i for i, name in enumerate(label.names)}
