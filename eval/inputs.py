"""Loading the gold and a prediction file for scoring, with located problems.

Scoring a file that does not fit the gold would produce numbers that mean nothing, so every
problem is collected first (unknown document ids, texts that differ from the gold, offsets
outside the text, labels missing from the schema, duplicate ids, relations to missing
entities) and the whole list is raised at once. Documents the predictions leave out are
scored as empty predictions and listed. Predictions of documents the gold does not hold (a
model run over the whole corpus, scored on the part that is annotated) are ignored and
counted, or refused with `strict`.

Files are read one document at a time, so that scoring 100,000 documents does not hold
100,000 documents. Predictions in the gold's order (the usual case) are checked and scored in
one pass over both files (`eval.one_pass`, with the checks defined here). Otherwise, or at the
first problem, both files are checked whole, keeping only where each document's line is
(`GoldFile`, `PredictionFile`), and read again by line while scoring.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventgold.documents import (
    Document,
    document_from_line,
    existing_gold_documents,
    iter_jsonl_lines,
    iter_unique_documents,
    json_error,
    parse_document,
)
from eventgold.eval.align import AlignmentReport, align_record, needs_alignment
from eventgold.eval.record_parts import Parts, RecordRules, record_parts
from eventgold.eval.table import gold_parts
from eventgold.problems import DUPLICATE_DOCUMENT, TEXT_MISMATCH, Problem, ProblemsError, join
from eventgold.schema import Schema
from eventgold.validate import GOLD_RULES, PREDICTION_RULES, validate_document

UNKNOWN_DOCUMENT = "unknown-document"
NOT_JSON = "not-json"
NOT_A_DOCUMENT = "not-a-document"


Line = tuple[int, int]  # (byte offset, length) of a JSONL line


def _read_line(fh: Any, line: Line) -> bytes:
    fh.seek(line[0])
    return fh.read(line[1])


class GoldFile:
    """A checked gold documents file, read back one document at a time, in file order.

    Holds each document's id and where its line is, not the documents.
    """

    def __init__(self, path: Path, lines: dict[str, Line]) -> None:
        self.path = path
        self._lines = lines  # id -> line, in file order
        self._last: Document | None = None  # the document read last (`get` after `iter`)

    def __len__(self) -> int:
        return len(self._lines)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._lines

    @property
    def ids(self) -> Iterable[str]:
        return self._lines.keys()

    def _read(self, fh: Any, doc_id: str) -> Document:
        where = f"{self.path.name} / document '{doc_id}'"
        doc, problems = document_from_line(_read_line(fh, self._lines[doc_id]), where=where)
        if doc is None or doc.id != doc_id:
            raise ProblemsError(problems, summary=f"gold {self.path} changed while it was read")
        self._last = doc
        return doc

    def __iter__(self) -> Iterator[Document]:
        with self.path.open("rb") as fh:
            for doc_id in self._lines:
                yield self._read(fh, doc_id)

    def get(self, doc_id: str) -> Document:
        """The gold document `doc_id` (which must be in the file)."""
        if self._last is not None and self._last.id == doc_id:
            return self._last
        with self.path.open("rb") as fh:
            return self._read(fh, doc_id)


def existing_gold(path: Path) -> Path:
    """The documents file of a gold folder or documents JSONL, which must exist."""
    return existing_gold_documents(path)


def gold_lines(file: Path, schema: Schema) -> Iterator[tuple[Line, Document | None, list[Problem]]]:
    """Each line of a gold documents JSONL checked as gold: where it is, its document (None
    for a bad line) and its problems."""
    for where, offset, length, doc, problems in iter_unique_documents(file):
        if doc is not None:
            problems = gold_problems(where, doc, schema)
        yield (offset, length), doc, problems


def gold_problems(where: str, doc: Document, schema: Schema) -> list[Problem]:
    """The problems of a parsed gold document found at `where` (its file and line), checked as
    gold."""
    return validate_document(doc, schema, rules=GOLD_RULES, where=f"{where} / document '{doc.id}'")


def index_gold(path: Path, schema: Schema) -> GoldFile:
    """Check every gold document of a gold folder or documents JSONL, keeping where each is;
    raise `ProblemsError` with every problem found."""
    file = existing_gold(path)
    lines: dict[str, Line] = {}
    problems: list[Problem] = []
    for line, doc, found in gold_lines(file, schema):
        problems += found
        if doc is not None:
            lines[doc.id] = line
    if problems:
        raise ProblemsError(problems, summary=f"gold {file} has {len(problems)} problem(s)")
    return GoldFile(file, lines)


def load_gold(path: Path, schema: Schema) -> list[Document]:
    """Gold documents from a gold folder or a documents JSONL file, checked as gold."""
    return list(index_gold(path, schema))


Reader = Callable[[Path], Iterator[tuple[str, Any, list[Problem], Line | None]]]


def decode_json(raw: bytes, *, where: str) -> tuple[Any, list[Problem]]:
    """JSON bytes (a JSONL line, or a whole file) decoded, or None and why not (a UTF-8 byte
    order mark is allowed)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [
            Problem(where, f"not valid UTF-8 ({exc.reason} at byte {exc.start})", NOT_JSON)
        ]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        return None, [Problem(where, f"not valid JSON ({json_error(exc)})", NOT_JSON)]


def _jsonl_objects(path: Path) -> Iterator[tuple[str, Any, list[Problem], Line | None]]:
    for where, offset, raw in iter_jsonl_lines(path):
        obj, problems = decode_json(raw, where=where)
        yield where, obj, problems, (offset, len(raw))


def _json_objects(path: Path) -> Iterator[tuple[str, Any, list[Problem], Line | None]]:
    """A JSON list of documents, or a mapping of document id to a document or entity list.

    Read whole (a JSON document has no lines to find again): prefer JSONL for large sets."""
    data, problems = decode_json(path.read_bytes(), where=path.name)
    if problems:
        yield path.name, None, problems, None
        return
    if isinstance(data, list):
        for i, obj in enumerate(data):
            yield f"{path.name} item {i}", obj, [], None
        return
    if not isinstance(data, dict):
        problem = Problem(
            path.name,
            f"must be a list of documents or a mapping of id to document, "
            f"got {type(data).__name__}",
            NOT_A_DOCUMENT,
        )
        yield path.name, None, [problem], None
        return
    for doc_id, value in data.items():
        obj = {"entities": value} if isinstance(value, list) else value
        if isinstance(obj, dict):
            obj = {"id": doc_id, **obj}
        yield f"{path.name} '{doc_id}'", obj, [], None


# Raw readers by file suffix; anything else is read as JSONL, the record format.
_READERS: dict[str, Reader] = {".json": _json_objects, ".jsonl": _jsonl_objects}


def _prediction(
    obj: dict[str, Any], target: Document, *, where: str
) -> tuple[Document | None, list[Problem], AlignmentReport | None]:
    """A prediction record on its gold document's text: entities without offsets are aligned
    to it (`eval.align`), then the record is parsed."""
    obj = {**obj, "text": target.text}
    aligned = None
    if needs_alignment(obj):
        obj, aligned = align_record(obj, doc_id=target.id, text=target.text)
    doc, problems = parse_document(obj, where=where)
    return doc, problems, aligned


class PredictionFile(Mapping[str, Document]):
    """Checked predicted documents by gold id. Those from a JSONL file are read again when
    asked for (only where their lines are is kept); the others are held."""

    def __init__(
        self,
        path: Path,
        lines: dict[str, Line],
        held: dict[str, Document],
        gold: Callable[[str], Document],
    ) -> None:
        self.path = path
        self._lines = lines
        self._held = held
        self._gold = gold

    def __len__(self) -> int:
        return len(self._lines) + len(self._held)

    def __iter__(self) -> Iterator[str]:
        yield from self._held
        yield from self._lines

    def __getitem__(self, doc_id: str) -> Document:
        if doc_id in self._held:
            return self._held[doc_id]
        line = self._lines.get(doc_id)
        if line is None:
            raise KeyError(doc_id)
        where = f"{self.path.name} / document '{doc_id}'"
        with self.path.open("rb") as fh:
            obj, problems = decode_json(_read_line(fh, line), where=where)
        doc = None
        if isinstance(obj, dict):
            doc, problems, _ = _prediction(obj, self._gold(doc_id), where=where)
        if doc is None or doc.id != doc_id:
            summary = f"predictions {self.path} changed while they were read"
            raise ProblemsError(problems, summary=summary)
        return doc


@dataclass(frozen=True, slots=True)
class Predictions:
    """Predicted documents by gold id, plus what was missing and how offsets were found."""

    documents: Mapping[str, Document]
    missing: tuple[str, ...]  # gold ids with no prediction: scored as empty
    alignment: AlignmentReport | None  # None when every entity came with offsets
    ignored: int = 0  # predictions of documents the gold does not hold (not `strict`)

    def for_gold(self, gold: Document) -> Document:
        return self.documents.get(gold.id) or gold.without_annotations()


def gold_ids(gold: GoldFile | Sequence[Document]) -> Iterable[str]:
    """The gold document ids in order, without reading a `GoldFile`'s documents."""
    return gold.ids if isinstance(gold, GoldFile) else [d.id for d in gold]


def _first_difference(a: str, b: str) -> int:
    return next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )


def text_difference(gold: str, text: str) -> str:
    """Where a prediction's text first differs from the gold's, and a hint when the two differ
    only in how Unicode spells the same characters (composed or not), which looks the same
    in the excerpts and moves every offset after it."""
    at = _first_difference(text, gold)
    message = (
        f"text differs from the gold text at character {at} "
        f"(gold {gold[at : at + 20]!r}, got {text[at : at + 20]!r})"
    )
    if unicodedata.normalize("NFC", text) == unicodedata.normalize("NFC", gold):
        return (
            f"{message}: the two are equal once Unicode-normalised (NFC); give the gold text as "
            "it is, or leave 'text' out, with offsets into the gold text"
        )
    return message


class PredictionCheck:
    """One pass over a prediction file against the gold (see `check_predictions`): yields
    each good prediction with where its line is, and keeps the problems, the ids seen and
    the alignment report of the records read so far."""

    def __init__(
        self,
        path: Path,
        schema: Schema,
        known: Callable[[str], bool],
        total: int,
        *,
        strict: bool = False,
        outside: Container[str] = frozenset(),
        parts: bool = False,
    ):
        self.path = path
        self.strict = strict  # a prediction of a document not in the gold is a problem
        self.outside = outside  # gold ids not scored (other splits): ignored, even if strict
        self.ignored = 0  # such predictions, when not strict
        self.schema = schema
        self.known = known
        self.total = total  # gold documents, for messages
        self.problems: list[Problem] = []
        self.seen: dict[str, str] = {}
        self.report: AlignmentReport | None = None
        # With `parts`: what scoring reads of each good prediction (`eval.table.gold_parts`
        # of it), by id, until taken; a clean record yields only its head (`record_parts`).
        self.parts: dict[str, Parts] | None = {} if parts else None
        self._rules = RecordRules(schema) if parts else None

    def documents(
        self, get_gold: Callable[[str], Document]
    ) -> Iterator[tuple[Document, Document, Line | None]]:
        """``(gold document, prediction, where its line is)`` for each good prediction: with
        `parts`, a clean record's prediction is its head, a `Document` without annotations."""
        problems, seen = self.problems, self.seen
        parts, rules = self.parts, self._rules
        reader = _READERS.get(self.path.suffix.lower(), _jsonl_objects)
        for where, obj, found, line in reader(self.path):
            problems += found
            if found:  # not decoded; a `null` line decodes, and is refused below
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
                problems.append(
                    Problem(
                        where,
                        "a prediction must be a JSON object with a string 'id'",
                        NOT_A_DOCUMENT,
                    )
                )
                continue
            doc_id = obj["id"]
            dwhere = join(where, f"document '{doc_id}'")
            if not self.known(doc_id):
                if not self.strict or doc_id in self.outside:
                    self.ignored += 1
                    continue
                problems.append(
                    Problem(
                        dwhere,
                        f"document id '{doc_id}' is not in the gold ({self.total} documents)",
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
            target = get_gold(doc_id)
            text = obj.get("text")  # may be left out (or null): the gold text is used
            if text is not None and not isinstance(text, str):
                problems.append(
                    Problem(
                        dwhere,
                        f"field 'text' must be str (or left out), got {type(text).__name__} "
                        f"{text!r:.60}",
                        TEXT_MISMATCH,
                    )
                )
                continue
            if text is not None and text != target.text:
                problems.append(Problem(dwhere, text_difference(target.text, text), TEXT_MISMATCH))
                continue
            if rules is not None and parts is not None:
                clean = record_parts(obj, target.text, rules)
                if clean is not None:
                    parts[doc_id] = clean
                    yield target, record_head(obj, target.text), line
                    continue
            doc, found, aligned = _prediction(obj, target, where=where)
            if aligned is not None:
                self.report = aligned if self.report is None else self.report + aligned
            problems += found
            if doc is None:
                continue
            problems += validate_document(doc, self.schema, rules=PREDICTION_RULES, where=dwhere)
            if parts is not None:
                parts[doc_id] = gold_parts(doc)
            yield target, doc, line


def record_head(obj: dict[str, Any], text: str) -> Document:
    """The `Document` a clean prediction record makes, without its annotations."""
    return Document(
        id=obj["id"],
        text=text,
        title=obj.get("title", ""),
        source=obj.get("source", ""),
        meta=obj.get("meta") or {},
    )


def check_predictions(
    path: Path,
    gold: GoldFile | Sequence[Document],
    schema: Schema,
    *,
    strict: bool = False,
    outside: Container[str] = frozenset(),
) -> tuple[Predictions, list[Problem]]:
    """Read a prediction file against the gold: the predictions and every problem found.

    Records may omit ``text`` (the gold text is used); entities without offsets are aligned
    to the gold text (`eval.align`). A prediction of a document the gold does not hold is
    ignored and counted (`Predictions.ignored`), or with `strict` a problem unless its id is
    in `outside` (gold documents not scored, such as those of other splits).
    """
    path = Path(path)
    if isinstance(gold, GoldFile):
        known: Callable[[str], bool] = gold.__contains__
        get_gold: Callable[[str], Document] = gold.get
    else:
        by_id = {d.id: d for d in gold}
        known, get_gold = by_id.__contains__, by_id.__getitem__
    check = PredictionCheck(path, schema, known, len(gold), strict=strict, outside=outside)
    lines: dict[str, Line] = {}
    held: dict[str, Document] = {}
    for _, doc, line in check.documents(get_gold):
        if line is None:
            held[doc.id] = doc
        else:
            lines[doc.id] = line
    missing = tuple(i for i in gold_ids(gold) if i not in check.seen)
    documents = PredictionFile(path, lines, held, get_gold)
    predictions = Predictions(
        documents=documents, missing=missing, alignment=check.report, ignored=check.ignored
    )
    return predictions, check.problems


def require_predictions(path: Path) -> None:
    """Refuse a prediction file that does not exist, before any reading."""
    if not Path(path).exists():
        raise FileNotFoundError(2, "no such prediction file", str(path))


def load_predictions(
    path: Path,
    gold: GoldFile | Sequence[Document],
    schema: Schema,
    *,
    strict: bool = False,
    outside: Container[str] = frozenset(),
) -> Predictions:
    """`check_predictions`, raising `ProblemsError` with every problem if there is any."""
    require_predictions(path)
    predictions, problems = check_predictions(path, gold, schema, strict=strict, outside=outside)
    if problems:
        raise ProblemsError(problems, summary=f"predictions {path} have {len(problems)} problem(s)")
    return predictions
