"""Text files to corpus documents.

A text file is UTF-8, its first non-blank line the title and the rest the body that annotators
see. A title line that is a breadcrumb trail (`title_from_line`) gives its last segment as the
title. The document id is the file stem, stable across runs. Line ends are normalised to ``\\n``
(so an offset means the same thing in the file, in Label Studio and in the dataset) and the body
is stripped of surrounding blank space; nothing else in the text is changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from eventgold.documents import Document, load_documents, write_documents
from eventgold.problems import Problem, ProblemsError

DEFAULT_CORPUS = Path("corpus") / "documents.jsonl"

EMPTY = "empty-file"
BINARY = "binary-file"
NOT_UTF8 = "not-utf8"
UNREADABLE = "unreadable"
CHANGED = "changed-text"
DUPLICATE_ID = "duplicate-id"
DUPLICATE_TEXT = "duplicate-text"
NO_FILES = "no-files"


# A breadcrumb trail, as scraped pages keep it above the headline: "Home", then segments
# separated by one of these, the last being the page's own name.
_BREADCRUMB = re.compile(r"^home\s*(?P<sep> / | > | › | » )", re.IGNORECASE)


def title_from_line(line: str) -> str:
    """The title a file's first line gives: the line itself, or, for a breadcrumb trail
    (``Home / Latest / Taliban say ...``: "Home" then segments separated by " / ", " > ",
    " › " or " » "), its last non-empty segment, the article's headline."""
    line = line.strip()
    found = _BREADCRUMB.match(line)
    if found is None:
        return line
    mark = re.escape(found.group("sep").strip())
    segments = [s.strip() for s in re.split(rf"\s+{mark}(?:\s+|$)", line)]
    named = [s for s in segments[1:] if s]
    return named[-1] if named else line


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _utf16(raw: bytes) -> str | None:
    """How `raw` looks like UTF-16 text, or None: a byte order mark, or (without one) NUL
    bytes in every other position, as ASCII-range text in UTF-16 has."""
    boms = {
        b"\xff\xfe": "little-endian, with a byte order mark",
        b"\xfe\xff": "big-endian, with a byte order mark",
    }
    for bom, what in boms.items():
        if raw.startswith(bom) and not raw.startswith(b"\xff\xfe\x00\x00"):  # not UTF-32
            return what
    if len(raw) < 2 or len(raw) % 2:
        return None
    even, odd = raw[0::2], raw[1::2]
    for zeros, other, what in ((odd, even, "little-endian"), (even, odd, "big-endian")):
        if zeros.count(0) >= 0.9 * len(zeros) and other.count(0) == 0:
            return what
    return None


def document_from_file(path: Path) -> tuple[Document | None, list[Problem]]:
    """Read one article file into a document, or report why it cannot be one."""
    path = Path(path)
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(where, f"cannot read: {exc.strerror}", UNREADABLE)]
    if (utf16 := _utf16(raw)) is not None:
        return None, [
            Problem(
                where,
                f"is UTF-16 ({utf16}); expected UTF-8: re-save the file as UTF-8",
                NOT_UTF8,
            )
        ]
    if b"\x00" in raw:
        return None, [
            Problem(where, "looks binary (contains NUL bytes); expected a UTF-8 text file", BINARY)
        ]
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [
            Problem(
                where,
                f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}; "
                "re-save the file as UTF-8",
                NOT_UTF8,
            )
        ]
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    stripped = content.strip()
    if not stripped:
        return None, [Problem(where, "is empty (no title and no text)", EMPTY)]
    title, _, body = stripped.partition("\n")
    body = body.strip()
    if not body:
        return None, [
            Problem(where, f"has a title line ({title.strip()!r:.60}) but no text", EMPTY)
        ]
    return (
        Document(
            id=path.stem,
            text=body,
            title=title_from_line(title),
            source=path.name,
            meta={"sha256": text_sha256(body)},
        ),
        [],
    )


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    # id -> (entities, relations) a replaced document held: made on its old text, not kept
    dropped: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    not_read: list[Path] = field(default_factory=list)  # in the folders given: not *.txt files
    total: int = 0


def add_files(
    paths: Iterable[Path], *, corpus: Path = DEFAULT_CORPUS, replace_changed: bool = False
) -> AddReport:
    """Add article files to the corpus JSONL, idempotently.

    Re-adding an identical file changes nothing; a changed text under an existing id is refused
    unless `replace_changed` (annotations made on the old text are not kept: `dropped`). Bad
    files are reported and skipped; the good ones are still added.
    The corpus file is rewritten atomically, in id order, only when something changed.
    """
    corpus = Path(corpus)
    report = AddReport()
    existing: dict[str, Document] = {}
    if corpus.exists():
        docs, problems = load_documents(corpus)
        if problems:
            raise ProblemsError(problems, summary=f"corpus {corpus} is damaged; fix it first")
        existing = {d.id: d for d in docs}
    # One id per text: the same article under two ids could land in two splits.
    by_text = {_sha(d): d.id for d in existing.values()}
    this_run: dict[str, str] = {}
    files, report.problems, report.not_read = _expand(paths)
    for path in files:
        doc, problems = document_from_file(path)
        if doc is None:
            report.problems += problems
            continue
        if doc.id in this_run:
            report.problems.append(
                Problem(
                    str(path),
                    f"document id '{doc.id}' also comes from {this_run[doc.id]}",
                    DUPLICATE_ID,
                )
            )
            continue
        this_run[doc.id] = str(path)
        old = existing.get(doc.id)
        twin = by_text.get(_sha(doc))
        if twin is not None and twin != doc.id:
            report.problems.append(
                Problem(
                    str(path),
                    f"has the same text as document '{twin}'; skipped (one article under two "
                    "ids could be in two splits)",
                    DUPLICATE_TEXT,
                )
            )
            continue
        if old is None:
            existing[doc.id] = doc
            by_text[_sha(doc)] = doc.id
            report.added.append(doc.id)
        elif old.text == doc.text and old.title == doc.title:
            report.unchanged.append(doc.id)
        elif replace_changed:
            existing[doc.id] = replace(doc, meta={**old.meta, **doc.meta})
            by_text[_sha(doc)] = doc.id
            report.replaced.append(doc.id)
            if old.entities or old.relations:
                report.dropped[doc.id] = (len(old.entities), len(old.relations))
        else:
            report.problems.append(
                Problem(
                    str(path),
                    f"document '{doc.id}' is already in {corpus} with a different text "
                    f"(sha256 {old.meta.get('sha256', text_sha256(old.text))[:12]}…, "
                    f"new {doc.meta['sha256'][:12]}…); pass --replace to replace it",
                    CHANGED,
                )
            )
    if report.added or report.replaced:
        write_documents(corpus, (existing[k] for k in sorted(existing)))
    report.total = len(existing)
    return report


def _sha(doc: Document) -> str:
    return str(doc.meta.get("sha256") or text_sha256(doc.text))


def _expand(paths: Iterable[Path]) -> tuple[list[Path], list[Problem], list[Path]]:
    """Files as given; folders expand to their *.txt files in name order (a folder without
    any is a problem: its articles may sit in subfolders, which are not searched). Last, what
    the folders hold besides: other files and subfolders, not read."""
    out: list[Path] = []
    problems: list[Problem] = []
    other: list[Path] = []
    for p in map(Path, paths):
        found = sorted(p.glob("*.txt")) if p.is_dir() else [p]
        if not found:
            problems.append(
                Problem(str(p), "folder has no *.txt files (subfolders are not searched)", NO_FILES)
            )
        if p.is_dir():
            other += sorted(q for q in p.iterdir() if q not in found and not q.name.startswith("."))
        out += found
    return out, problems, other
