"""The one record type: a document with its entity spans and relations.

Offset convention, stated once for all of eventgold: ``start`` and ``end`` are indices into
``Document.text`` counted in Python characters (Unicode code points, not bytes and not UTF-16
units), and ``end`` is exclusive, so ``text[start:end] == entity.text``. Label Studio's own
offsets are converted at its border (`annotate.labelstudio.convert`).

A corpus file, a pulled gold file and a model's prediction file are all JSONL of this record:

    {"id": str, "text": str, "title": str, "source": str, "meta": {...},
     "entities": [{"id": str, "start": int, "end": int, "label": str, "text": str}],
     "relations": [{"head": entity id, "tail": entity id, "label": str}]}
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eventgold.atomic import atomic_file
from eventgold.problems import Problem, ProblemsError, join


@dataclass(frozen=True, slots=True)
class Entity:
    """A labelled span of `Document.text`: code-point offsets, end exclusive."""

    id: str
    start: int
    end: int
    label: str
    text: str

    @property
    def key(self) -> tuple[str, int, int]:
        """The hashable identity used by scoring: ``(label, start, end)``."""
        return (self.label, self.start, self.end)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.text,
        }


_NEW = object.__new__
_SET_ID, _SET_START, _SET_END, _SET_LABEL, _SET_TEXT = (
    Entity.__dict__[name].__set__  # the slots' member descriptors
    for name in ("id", "start", "end", "label", "text")
)


def new_entity(eid: str, start: int, end: int, label: str, text: str) -> Entity:
    """``Entity(eid, start, end, label, text)``, for the readers that make millions.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; setting
    the slots directly makes the same (frozen, equal) object without that detour, which is a
    large share of reading a record with many entities.
    """
    e = _NEW(Entity)
    _SET_ID(e, eid)
    _SET_START(e, start)
    _SET_END(e, end)
    _SET_LABEL(e, label)
    _SET_TEXT(e, text)
    return e


@dataclass(frozen=True, slots=True)
class Relation:
    """A directed, labelled link from the entity `head` to the entity `tail` (entity ids)."""

    head: str
    tail: str
    label: str

    def to_json(self) -> dict[str, Any]:
        return {"head": self.head, "tail": self.tail, "label": self.label}


# Meta keys that describe one annotation (who made it, whether it is ground truth, when), not
# the document: a model's prediction or a merged annotation must not carry them over.
ANNOTATION_META = frozenset({"annotator", "ground_truth", "updated_at", "annotation_id"})


def prediction_meta(doc: Document, model: Mapping[str, Any]) -> dict[str, Any]:
    """`doc`'s meta for a prediction of it by `model`: the annotation's own keys dropped."""
    return {**without_annotation_meta(doc.meta), "model": dict(model)}


def without_annotation_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k not in ANNOTATION_META}


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    text: str
    title: str = ""
    source: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()

    def entity_by_id(self) -> dict[str, Entity]:
        return {e.id: e for e in self.entities}

    def with_annotations(
        self, *, entities: Iterable[Entity], relations: Iterable[Relation]
    ) -> Document:
        return replace(self, entities=tuple(entities), relations=tuple(relations))

    def without_annotations(self) -> Document:
        return replace(self, entities=(), relations=())

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "title": self.title,
            "source": self.source,
            "meta": dict(self.meta),
            "entities": [e.to_json() for e in self.entities],
            "relations": [r.to_json() for r in self.relations],
        }


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "text": (str,),
    "title": (str,),
    "source": (str,),
    "meta": (dict,),
    "entities": (list,),
    "relations": (list,),
}
_ENTITY_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "start": (int,),
    "end": (int,),
    "label": (str,),
    "text": (str,),
}
_RELATION_TYPES: dict[str, tuple[type, ...]] = {"head": (str,), "tail": (str,), "label": (str,)}
_REQUIRED = ("id", "text")
# Stand-ins for an absent entity id and text: both are optional, and str-typed, so that the
# fast path of `parse_document` checks them with the others.
_NO_ID = "\x00no id"
_NO_TEXT = "\x00no text"


AnnotationContent = tuple[frozenset[tuple[str, int, int]], frozenset[tuple[str, tuple, tuple]]]


def annotation_content(doc: Document) -> AnnotationContent:
    """What a document's annotation says, its ids aside: the entity keys, and each relation
    as ``(label, head key, tail key)`` (a relation with a missing endpoint keeps ``None``).
    Two annotations that differ only in entity ids or list order have equal contents."""
    spans = {e.id: e.key for e in doc.entities}
    return (
        frozenset(spans.values()),
        frozenset((r.label, spans.get(r.head), spans.get(r.tail)) for r in doc.relations),
    )


def _type_problems(
    obj: Mapping[str, Any],
    types: Mapping[str, tuple[type, ...]],
    required: Iterable[str],
    where: str,
) -> list[Problem]:
    problems = [
        Problem(where, f"field '{name}' is missing") for name in required if name not in obj
    ]
    for name, allowed_types in types.items():
        if name not in obj:
            continue
        value = obj[name]
        # bool is an int subclass; an offset of `true` is a bug, not a 1.
        if isinstance(value, bool) or not isinstance(value, allowed_types):
            expected = "/".join(t.__name__ for t in allowed_types)
            problems.append(
                Problem(
                    where,
                    f"field '{name}' must be {expected}, got {type(value).__name__} {value!r:.60}",
                )
            )
    return problems


def parse_document(obj: Any, *, where: str = "") -> tuple[Document | None, list[Problem]]:
    """Build a `Document` from a decoded JSON object, collecting every structural problem.

    Only shapes and types are checked here; offsets, labels and relation endpoints are checked
    against a schema by `validate`.
    """
    if not isinstance(obj, dict):
        return None, [Problem(where, f"a document must be a JSON object, got {type(obj).__name__}")]
    doc_where = join(where, f"document '{obj['id']}'") if isinstance(obj.get("id"), str) else where
    problems = _type_problems(obj, _FIELD_TYPES, _REQUIRED, doc_where)
    if isinstance(obj.get("id"), str) and not obj["id"].strip():
        # An empty or blank id names no document: it could not be found again, nor told apart.
        problems.append(Problem(doc_where, f"field 'id' must not be empty, got {obj['id']!r}"))
    text = obj.get("text", "")
    entities: list[Entity] = []
    for i, raw in enumerate(
        obj.get("entities") or [] if isinstance(obj.get("entities"), list) else []
    ):
        # Well-formed entities (nearly all) skip the field-by-field check and its location.
        if (
            type(raw) is dict
            and type(start := raw.get("start")) is int
            and type(end := raw.get("end")) is int
            and type(label := raw.get("label")) is str
            and type(eid := raw.get("id", _NO_ID)) is str
            and type(span_text := raw.get("text", _NO_TEXT)) is str
        ):
            if span_text is _NO_TEXT:  # a text that is not a str is reported above
                span_text = text[start:end] if isinstance(text, str) else ""
            eid = f"e{i}" if eid is _NO_ID else eid
            # Labels are interned: one string per label, not one per entity, in memory.
            entities.append(new_entity(eid, start, end, sys.intern(label), span_text))
            continue
        ewhere = join(doc_where, f"entity {i}")
        if not isinstance(raw, dict):
            problems.append(Problem(ewhere, f"must be a JSON object, got {type(raw).__name__}"))
            continue
        found = _type_problems(raw, _ENTITY_TYPES, ("start", "end", "label"), ewhere)
        problems += found
        if not found:  # int or str subclasses: well-typed after all
            span_text = raw.get("text")
            if span_text is None and isinstance(text, str):
                span_text = text[raw["start"] : raw["end"]]
            entities.append(
                Entity(
                    id=raw.get("id", f"e{i}"),
                    start=raw["start"],
                    end=raw["end"],
                    label=raw["label"],
                    text=span_text,
                )
            )
    relations: list[Relation] = []
    for i, raw in enumerate(
        obj.get("relations") or [] if isinstance(obj.get("relations"), list) else []
    ):
        if (
            type(raw) is dict
            and type(head := raw.get("head")) is str
            and type(tail := raw.get("tail")) is str
            and type(label := raw.get("label")) is str
        ):
            relations.append(Relation(head, tail, sys.intern(label)))
            continue
        rwhere = join(doc_where, f"relation {i}")
        if not isinstance(raw, dict):
            problems.append(Problem(rwhere, f"must be a JSON object, got {type(raw).__name__}"))
            continue
        found = _type_problems(raw, _RELATION_TYPES, ("head", "tail", "label"), rwhere)
        problems += found
        if not found:
            relations.append(Relation(head=raw["head"], tail=raw["tail"], label=raw["label"]))
    if problems:
        return None, problems
    return (
        Document(
            id=obj["id"],
            text=obj["text"],
            title=obj.get("title", ""),
            source=obj.get("source", ""),
            meta=obj.get("meta") or {},
            entities=tuple(entities),
            relations=tuple(relations),
        ),
        [],
    )


GOLD_DOCUMENTS = "documents.jsonl"  # a gold folder's records (see `dataset.writer`)


def gold_documents_file(path: Path) -> Path:
    """The records file of a gold folder, or `path` itself if it is a file (or, missing, is
    named like one: then the error names what was looked for)."""
    path = Path(path)
    if path.is_dir() or (not path.exists() and path.suffix not in (".jsonl", ".json")):
        return path / GOLD_DOCUMENTS
    return path


def existing_gold_documents(path: Path) -> Path:
    """`gold_documents_file`, which must exist: a folder without one is said to be no gold
    folder (raises `ProblemsError`), a missing file is `FileNotFoundError`."""
    file = gold_documents_file(path)
    if file.exists():
        return file
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(2, "no such gold file", str(file))
    names = sorted(p.name for p in path.iterdir())
    more = f", … ({len(names)} entries)" if len(names) > 3 else ""
    held = f"it holds {', '.join(names[:3])}{more}" if names else "it is empty"
    problem = Problem(
        str(path),
        f"has no {GOLD_DOCUMENTS}, so it is not a gold folder ({held}); "
        "give a gold folder written by `eventgold pull`, or a documents JSONL file",
    )
    raise ProblemsError([problem], summary=f"cannot read the gold {path}")


def iter_jsonl_lines(path: Path) -> Iterator[tuple[str, int, bytes]]:
    """``(where, byte offset, line)`` of each non-blank line of a JSONL file."""
    path = Path(path)
    offset = 0
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if raw.strip():
                yield f"{path.name} line {lineno}", offset, raw
            offset += len(raw)


def document_from_line(raw: bytes, *, where: str) -> tuple[Document | None, list[Problem]]:
    """Decode and parse one JSONL line: the document, or None and why not."""
    try:
        line = raw.decode("utf-8-sig")  # a byte order mark (some editors write one) is not data
    except UnicodeDecodeError as exc:
        return None, [Problem(where, f"not valid UTF-8 ({exc.reason} at byte {exc.start})")]
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, [Problem(where, f"not valid JSON ({json_error(exc)})")]
    return parse_document(obj, where=where)


def json_error(exc: json.JSONDecodeError) -> str:
    """``<reason> at column N`` (``at line L column N`` in text of several lines): some of
    json's reasons end in "at" already ("Unterminated string starting at"), which is not said
    twice."""
    at = "" if exc.msg.endswith(" at") else " at"
    line = f" line {exc.lineno}" if exc.lineno > 1 else ""
    return f"{exc.msg}{at}{line} column {exc.colno}"


def iter_jsonl_documents(path: Path) -> Iterator[tuple[str, Document | None, list[Problem]]]:
    """Stream a JSONL file: yield ``(where, document or None, problems)`` per non-blank line.

    A bad line (truncated, not JSON, wrong shape) yields its problems and reading goes on, so
    the caller decides whether to stop or keep the rest.
    """
    for where, _, raw in iter_jsonl_lines(path):
        doc, problems = document_from_line(raw, where=where)
        yield where, doc, problems


def read_documents(path: Path) -> Iterator[Document]:
    """Stream documents from a JSONL file; at the first bad line, read on to the end (keeping
    nothing but problems) and raise `ProblemsError` with every bad line's problems, so that
    one run lists all there is to fix."""
    lines = iter_jsonl_documents(path)
    for where, doc, problems in lines:
        if problems or doc is None:
            bad = [where]
            for later, _, found in lines:
                if found:
                    bad.append(later)
                    problems += found
            more = f" (and {len(bad) - 1} more bad lines)" if len(bad) > 1 else ""
            summary = f"cannot read {path}: {where} is not a document{more}"
            raise ProblemsError(problems, summary=summary)
        yield doc


def iter_unique_documents(
    path: Path,
) -> Iterator[tuple[str, int, int, Document | None, list[Problem]]]:
    """Each non-blank line of a JSONL file: ``(where, byte offset, length, document,
    problems)``; the document is None for a bad line or a repeated id (one problem)."""
    seen: dict[str, str] = {}
    for where, offset, raw in iter_jsonl_lines(path):
        doc, problems = document_from_line(raw, where=where)
        if doc is not None and doc.id in seen:
            message = f"duplicate document id '{doc.id}' (first seen at {seen[doc.id]})"
            doc, problems = None, [Problem(where, message)]
        elif doc is not None:
            seen[doc.id] = where
        yield where, offset, len(raw), doc, problems


def load_documents(path: Path) -> tuple[list[Document], list[Problem]]:
    """Read a whole JSONL file, keeping the good documents and every problem of the bad lines."""
    docs: list[Document] = []
    problems: list[Problem] = []
    for _, _, _, doc, found in iter_unique_documents(path):
        problems += found
        if doc is not None:
            docs.append(doc)
    return docs, problems


def dumps_document(doc: Document) -> str:
    return json.dumps(doc.to_json(), ensure_ascii=False, separators=(",", ":"))


def write_documents(path: Path, docs: Iterable[Document]) -> int:
    """Write documents as JSONL atomically (UTF-8, one record a line); return the count."""
    n = 0
    with atomic_file(Path(path)) as fh:
        for doc in docs:
            fh.write(dumps_document(doc))
            fh.write("\n")
            n += 1
    return n


def write_document_file(path: Path, doc: Document) -> None:
    """Write one document as pretty JSON (one entity or relation a line), for review in git."""
    data = doc.to_json()
    ents = ",\n".join("    " + json.dumps(e, ensure_ascii=False) for e in data["entities"])
    rels = ",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in data["relations"])
    head = {k: v for k, v in data.items() if k not in ("entities", "relations")}
    body = json.dumps(head, ensure_ascii=False, indent=2)[:-2]
    text = (
        f'{body},\n  "entities": [\n{ents}\n  ],\n  "relations": [\n{rels}\n  ]\n}}\n'
        if ents or rels
        else json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    )
    with atomic_file(Path(path)) as fh:
        fh.write(text)


def read_document_file(path: Path) -> Document:
    """Read one pretty JSON document file (see `write_document_file`)."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProblemsError([Problem(str(path), f"not a JSON document: {exc}")]) from exc
    doc, problems = parse_document(obj, where=path.name)
    if doc is None:
        raise ProblemsError(problems, summary=f"cannot read {path}")
    return doc
