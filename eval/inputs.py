"""Loading the gold and a prediction file for scoring, with located problems.

Scoring a file that does not fit the gold would produce numbers that mean nothing, so every
problem is collected first (unknown document ids, texts that differ from the gold, offsets
outside the text, labels missing from the schema, duplicate ids, relations to missing
entities) and the whole list is raised at once. Documents the predictions leave out are
scored as empty predictions and listed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventgold.annotate.documents import Document, load_documents, parse_document
from eventgold.annotate.problems import Problem, ProblemsError, join
from eventgold.annotate.schema import Schema
from eventgold.annotate.validate import GOLD_RULES, PREDICTION_RULES, validate_document
from eventgold.eval.align import AlignmentReport, align_record, needs_alignment

GOLD_DOCUMENTS = "documents.jsonl"  # inside a gold folder (see annotate.dataset)

UNKNOWN_DOCUMENT = "unknown-document"
DUPLICATE_DOCUMENT = "duplicate-document"
TEXT_MISMATCH = "text-mismatch"
NOT_JSON = "not-json"
NOT_A_DOCUMENT = "not-a-document"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gold_file(path: Path) -> Path:
    """The documents file of a gold folder, or `path` itself if it is a file."""
    path = Path(path)
    return path / GOLD_DOCUMENTS if path.is_dir() else path


def load_gold(path: Path, schema: Schema) -> list[Document]:
    """Gold documents from a gold folder or a documents JSONL file, checked as gold."""
    file = gold_file(path)
    if not file.exists():
        raise FileNotFoundError(2, "no such gold file", str(file))
    docs, problems = load_documents(file)
    for doc in docs:
        problems += validate_document(
            doc, schema, rules=GOLD_RULES, where=f"{file.name} / document '{doc.id}'"
        )
    if problems:
        raise ProblemsError(problems, summary=f"gold {file} has {len(problems)} problem(s)")
    return docs


@dataclass(frozen=True, slots=True)
class Predictions:
    """Predicted documents by gold id, plus what was missing and how offsets were found."""

    documents: dict[str, Document]
    missing: tuple[str, ...]  # gold ids with no prediction: scored as empty
    alignment: AlignmentReport | None  # None when every entity came with offsets

    def for_gold(self, gold: Document) -> Document:
        return self.documents.get(gold.id) or gold.without_annotations()


def _jsonl_objects(path: Path) -> Iterator[tuple[str, Any, list[Problem]]]:
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            where = f"{path.name} line {lineno}"
            if not raw.strip():
                continue
            try:
                yield where, json.loads(raw.decode("utf-8")), []
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                yield where, None, [Problem(where, f"not valid JSON: {exc}", NOT_JSON)]


def _json_objects(path: Path) -> Iterator[tuple[str, Any, list[Problem]]]:
    """A JSON list of documents, or a mapping of document id to a document or entity list."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        yield path.name, None, [Problem(path.name, f"not valid JSON: {exc}", NOT_JSON)]
        return
    if isinstance(data, list):
        for i, obj in enumerate(data):
            yield f"{path.name} item {i}", obj, []
        return
    if not isinstance(data, dict):
        problem = Problem(
            path.name,
            f"must be a list of documents or a mapping of id to document, "
            f"got {type(data).__name__}",
            NOT_A_DOCUMENT,
        )
        yield path.name, None, [problem]
        return
    for doc_id, value in data.items():
        obj = {"entities": value} if isinstance(value, list) else value
        if isinstance(obj, dict):
            obj = {"id": doc_id, **obj}
        yield f"{path.name} '{doc_id}'", obj, []


# Raw readers by file suffix; anything else is read as JSONL, the record format.
_READERS: dict[str, Callable[[Path], Iterator[tuple[str, Any, list[Problem]]]]] = {
    ".json": _json_objects,
    ".jsonl": _jsonl_objects,
}


def _first_difference(a: str, b: str) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def check_predictions(
    path: Path, gold: list[Document], schema: Schema
) -> tuple[Predictions, list[Problem]]:
    """Read a prediction file against the gold: the predictions and every problem found.

    Records may omit ``text`` (the gold text is used); entities without offsets are aligned
    to the gold text (`eval.align`).
    """
    path = Path(path)
    gold_by_id = {d.id: d for d in gold}
    reader = _READERS.get(path.suffix.lower(), _jsonl_objects)
    docs: dict[str, Document] = {}
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    report: AlignmentReport | None = None
    for where, obj, found in reader(path):
        problems += found
        if obj is None:
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            problems.append(
                Problem(
                    where, "a prediction must be a JSON object with a string 'id'", NOT_A_DOCUMENT
                )
            )
            continue
        doc_id = obj["id"]
        dwhere = join(where, f"document '{doc_id}'")
        target = gold_by_id.get(doc_id)
        if target is None:
            problems.append(
                Problem(
                    dwhere,
                    f"document id '{doc_id}' is not in the gold ({len(gold)} documents)",
                    UNKNOWN_DOCUMENT,
                )
            )
            continue
        if doc_id in seen:
            problems.append(
                Problem(
                    dwhere,
                    f"duplicate document id (first seen at {seen[doc_id]})",
                    DUPLICATE_DOCUMENT,
                )
            )
            continue
        seen[doc_id] = where
        text = obj.get("text")
        if isinstance(text, str) and text and text != target.text:
            at = _first_difference(text, target.text)
            problems.append(
                Problem(
                    dwhere,
                    f"text differs from the gold text at character {at} "
                    f"(gold {target.text[at : at + 20]!r}, got {text[at : at + 20]!r})",
                    TEXT_MISMATCH,
                )
            )
            continue
        obj = {**obj, "text": target.text}
        if needs_alignment(obj):
            obj, aligned = align_record(obj, doc_id=doc_id, text=target.text)
            report = aligned if report is None else report + aligned
        doc, found = parse_document(obj, where=where)
        problems += found
        if doc is None:
            continue
        problems += validate_document(doc, schema, rules=PREDICTION_RULES, where=dwhere)
        docs[doc_id] = doc
    missing = tuple(d.id for d in gold if d.id not in docs and d.id not in seen)
    return Predictions(documents=docs, missing=missing, alignment=report), problems


def load_predictions(path: Path, gold: list[Document], schema: Schema) -> Predictions:
    """`check_predictions`, raising `ProblemsError` with every problem if there is any."""
    if not Path(path).exists():
        raise FileNotFoundError(2, "no such prediction file", str(path))
    predictions, problems = check_predictions(path, gold, schema)
    if problems:
        raise ProblemsError(problems, summary=f"predictions {path} have {len(problems)} problem(s)")
    return predictions
