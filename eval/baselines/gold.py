"""Reading gold documents for training: a JSONL file, a gold folder, or per-document files.

Gold may be the pulled ``gold/documents.jsonl``, a folder holding that file, or a folder of
hand-made ``<doc_id>.json`` files (one pretty record-format document each, as written by
`write_document_file`). Every document must pass the strict gold rules of the schema.
"""

from __future__ import annotations

from pathlib import Path

from eventgold.documents import Document, load_documents, read_document_file
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema
from eventgold.validate import GOLD_RULES, validate_document

GOLD_JSONL = "documents.jsonl"


def read_document_set(path: Path) -> tuple[list[Document], list[Problem]]:
    """Documents of a JSONL file, of a folder's documents.jsonl, or of a folder's *.json files."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "no such file or folder", str(path))
    if path.is_file():
        return load_documents(path)
    if (path / GOLD_JSONL).is_file():
        return load_documents(path / GOLD_JSONL)
    docs: list[Document] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for file in sorted(path.glob("*.json")):
        try:
            doc = read_document_file(file)
        except ProblemsError as exc:
            problems += exc.problems
            continue
        if doc.id in seen:
            problems.append(Problem(file.name, f"duplicate document id '{doc.id}'"))
            continue
        seen.add(doc.id)
        docs.append(doc)
    return docs, problems


def no_documents(path: Path, what: str) -> Problem:
    """The problem of a document set that holds none (an empty file or a folder without any)."""
    return Problem(str(path), f"no {what} (expected a JSONL file, {GOLD_JSONL}, or *.json)")


def load_gold(path: Path, *, schema: Schema) -> list[Document]:
    """Every gold document under `path`; raise `ProblemsError` listing all problems if any."""
    docs, problems = read_document_set(path)
    for doc in docs:
        problems += validate_document(doc, schema, rules=GOLD_RULES)
    if not docs and not problems:
        problems.append(no_documents(path, "gold documents"))
    if problems:
        raise ProblemsError(problems, summary=f"cannot use gold {path}: {len(problems)} problem(s)")
    return docs
