"""Export the gold documents to other tools' formats: JSONL records, spaCy DocBin, CoNLL.

Every format is a function ``(documents, out, schema) -> count`` in `EXPORTERS`; each streams the
documents and writes atomically. Tokens are those of `tokens` (split at entity
boundaries), so spans survive every format exactly.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from eventgold.atomic import atomic_dir, atomic_file, replaced_folder_problems
from eventgold.dataset.folder import read_gold
from eventgold.dataset.membership import new_splits, stored_splits
from eventgold.dataset.splits import SPLITS
from eventgold.documents import Document, write_documents
from eventgold.paths import require_distinct_paths
from eventgold.problems import Problem, ProblemsError, allowed
from eventgold.schema import Schema
from eventgold.tokens import TokenTags, tokens_and_tags
from eventgold.validate import validate_document

if TYPE_CHECKING:  # spaCy takes ~0.8 s to import: only exports to spaCy pay
    from spacy.language import Language
    from spacy.tokens import Doc

UNKNOWN_FORMAT = "unknown-format"
EXPORT_TARGET = "export-target"
NOTHING_TO_EXPORT = "nothing-to-export"
DOCSTART = "-DOCSTART-"
SPACY_SHARD_DOCS = 5_000  # documents per .spacy file when exporting to a folder


@functools.lru_cache(maxsize=1)
def _nlp() -> Language:
    # Rule-based sentence splitting only; no model download.
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def _unrepresentable(doc: Document, tt: TokenTags) -> None:
    # Gold is validated when written, so this only fires for hand-made input.
    if tt.problems:
        raise ProblemsError(list(tt.problems), summary=f"document '{doc.id}' cannot be exported")


def to_spacy_doc(doc: Document, schema: Schema) -> Doc:
    """A spaCy `Doc` whose text is exactly ``doc.text``, with ``doc.ents`` from the spans.

    Tokens are eventgold's (split at entity boundaries) plus the whitespace between them, so
    every entity is a whole-token span. ``user_data`` keeps id, title, source, meta (JSON) and
    the relations, whose head and tail are entity ids listed in ``user_data["entities"]``.
    """
    tt = tokens_and_tags(doc, schema)
    _unrepresentable(doc, tt)
    return _spacy_doc(doc, tt)


def _spacy_doc(doc: Document, tt: TokenTags) -> Doc:
    words: list[str] = []
    spaces: list[bool] = []
    text = doc.text
    if tt.starts and tt.starts[0] > 0:
        words.append(text[: tt.starts[0]])
        spaces.append(False)
    nexts = (*tt.starts[1:], len(text))
    for token, end, nxt in zip(tt.tokens, tt.ends, nexts, strict=True):
        gap = text[end:nxt]
        words.append(token)
        spaces.append(gap.startswith(" "))
        rest = gap[1:] if gap.startswith(" ") else gap
        if rest:  # other whitespace is a token of its own, as spaCy's tokenizer makes it
            words.append(rest)
            spaces.append(False)
    if not tt.tokens and text:
        words, spaces = [text], [False]
    from spacy.tokens import Doc

    sdoc = Doc(_nlp().vocab, words=words, spaces=spaces)
    sdoc.ents = [
        sdoc.char_span(e.start, e.end, label=e.label, alignment_mode="strict")
        for e in sorted(doc.entities, key=lambda e: e.start)
    ]
    sdoc.user_data.update(
        {
            "id": doc.id,
            "title": doc.title,
            "source": doc.source,
            "meta": json.dumps(dict(doc.meta), ensure_ascii=False, sort_keys=True),
            "entities": [e.to_json() for e in doc.entities],
            "relations": [r.to_json() for r in doc.relations],
        }
    )
    return _nlp().get_pipe("sentencizer")(sdoc)


def export_jsonl(documents: Iterable[Document], out: Path, schema: Schema) -> int:
    """The record format itself (one document a line)."""
    return write_documents(out, documents)


def export_spacy(documents: Iterable[Document], out: Path, schema: Schema) -> int:
    """A DocBin: one file if `out` ends in ``.spacy``, else a folder of shard files.

    A DocBin is built in memory before it is written, so a single file holds every document
    in memory (serialised); the folder form bounds that to `SPACY_SHARD_DOCS` documents and is
    read as one corpus by ``spacy train``.
    """
    from spacy.tokens import DocBin

    out = Path(out)
    if out.suffix == ".spacy":
        n = 0
        docbin = DocBin(store_user_data=True)
        for doc in documents:
            docbin.add(to_spacy_doc(doc, schema))
            n += 1
        with atomic_file(out, mode="wb", encoding=None) as fh:
            fh.write(docbin.to_bytes())
        return n
    if found := replaced_folder_problems(
        out,
        what="spaCy export folder",
        owned=lambda name: name.endswith(".spacy"),
        holds="*.spacy shards",
        code=EXPORT_TARGET,
    ):
        raise ProblemsError(found, summary=f"cannot export to {out}")
    n = 0
    with atomic_dir(out) as stage:
        docbin = DocBin(store_user_data=True)
        for doc in documents:
            docbin.add(to_spacy_doc(doc, schema))
            n += 1
            if n % SPACY_SHARD_DOCS == 0:
                (stage / f"{n // SPACY_SHARD_DOCS - 1:05d}.spacy").write_bytes(docbin.to_bytes())
                docbin = DocBin(store_user_data=True)
        if len(docbin) or n == 0:
            (stage / f"{n // SPACY_SHARD_DOCS:05d}.spacy").write_bytes(docbin.to_bytes())
    return n


def conll_lines(doc: Document, schema: Schema) -> Iterator[str]:
    """CoNLL lines of one document: ``-DOCSTART-<TAB>id``, then ``token<TAB>tag`` per token
    with a blank line after each sentence (rule-based sentencizer, or a paragraph break),
    never inside an entity."""
    tt = tokens_and_tags(doc, schema)
    _unrepresentable(doc, tt)
    yield f"{DOCSTART}\t{doc.id}"
    yield ""
    sent_starts = {
        next((t.idx for t in sent if not t.is_space), -1) for sent in _spacy_doc(doc, tt).sents
    }
    text = doc.text
    for i, (token, tag) in enumerate(zip(tt.tokens, tt.tags, strict=True)):
        if i and not tag.startswith("I-"):
            gap = text[tt.ends[i - 1] : tt.starts[i]]
            if tt.starts[i] in sent_starts or "\n" in gap:
                yield ""
        yield f"{token}\t{tag}"
    if tt.tokens:
        yield ""


def export_conll(documents: Iterable[Document], out: Path, schema: Schema) -> int:
    """Two-column CoNLL (token TAB IOB2 tag), UTF-8."""
    n = 0
    with atomic_file(Path(out)) as fh:
        for doc in documents:
            for line in conll_lines(doc, schema):
                fh.write(line + "\n")
            n += 1
    return n


@dataclass(frozen=True, slots=True)
class ConllDocument:
    id: str
    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    sentence_starts: tuple[int, ...]  # token index of each sentence's first token


def read_conll(path: Path) -> Iterator[ConllDocument]:
    """Stream documents back from a file written by `export_conll`."""

    def build(doc_id: str, rows: list[tuple[str, str]], starts: list[int]) -> ConllDocument:
        return ConllDocument(
            doc_id, tuple(t for t, _ in rows), tuple(g for _, g in rows), tuple(starts)
        )

    doc_id: str | None = None
    rows: list[tuple[str, str]] = []
    starts: list[int] = []
    new_sentence = True
    with Path(path).open(encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith(DOCSTART):
                if doc_id is not None:
                    yield build(doc_id, rows, starts)
                doc_id, rows, starts = line.partition("\t")[2], [], []
                new_sentence = True
            elif not line:
                new_sentence = True
            else:
                token, _, tag = line.partition("\t")
                if new_sentence:
                    starts.append(len(rows))
                    new_sentence = False
                rows.append((token, tag))
    if doc_id is not None:
        yield build(doc_id, rows, starts)


Exporter = Callable[[Iterable[Document], Path, Schema], int]
EXPORTERS: dict[str, Exporter] = {
    "jsonl": export_jsonl,
    "spacy": export_spacy,
    "conll": export_conll,
}


def export(documents: Iterable[Document], out: Path, *, fmt: str, schema: Schema) -> int:
    """Write `documents` to `out` in format `fmt`; return how many were written."""
    exporter = EXPORTERS.get(fmt)
    if exporter is None:
        raise ProblemsError(
            [
                Problem(
                    "--format",
                    f"unknown format {fmt!r}; allowed: {allowed(EXPORTERS)}",
                    UNKNOWN_FORMAT,
                )
            ],
            summary=f"cannot export to format {fmt!r}",
        )
    docs = iter(documents)
    first = next(docs, None)
    if first is None:  # an empty file would look like an export that worked
        raise ProblemsError(
            [Problem("documents", "none to export", NOTHING_TO_EXPORT)],
            summary=f"nothing to export to {out}: the gold holds no documents",
        )
    return exporter(_checked(itertools.chain([first], docs), schema), Path(out), schema)


def _checked(documents: Iterable[Document], schema: Schema) -> Iterator[Document]:
    """The documents, each checked as gold against `schema` first: every format gets the same
    check and message (a stale or hand-edited gold, or another schema). The first bad one
    stops the export; nothing is written, since every format writes atomically."""
    for doc in documents:
        if problems := validate_document(doc, schema):
            raise ProblemsError(
                problems,
                summary=f"document '{doc.id}' is not valid gold for schema {schema.name} "
                f"{schema.version}; nothing was exported",
            )
        yield doc


def require_export_apart(
    gold: Path, targets: Iterable[Path], *, fmt: str, schema: Schema | None = None
) -> None:
    """Refuse (`eventgold.paths`) export targets that are the gold or `schema`'s file, lie in
    the gold's folder or hold it (a spaCy folder is replaced whole)."""
    named = [("--out", Path(t)) for t in targets]
    folders = [n for n in named if fmt == "spacy" and n[1].suffix != ".spacy"]  # export_spacy
    files = [n for n in named if n not in folders]
    inputs = {"--gold": gold, "--schema": Path(schema.path) if schema and schema.path else None}
    require_distinct_paths(inputs, files, folders=folders)


def export_gold(gold_dir: Path, out: Path, *, fmt: str, schema: Schema) -> int:
    """`export` the documents of a gold folder (or documents JSONL) to `out`, which must not
    be the gold, nor lie in its folder."""
    require_export_apart(gold_dir, [out], fmt=fmt, schema=schema)
    return export(read_gold(gold_dir), out, fmt=fmt, schema=schema)


# Formats written one file per split (a training tool reads train and dev apart); jsonl is the
# record format itself, one file like the gold's documents.jsonl.
SPLIT_FORMATS = frozenset({"conll", "spacy"})


def split_path(out: Path, split: str) -> Path:
    """Where split `split` of an export to `out` goes: ``gold.conll`` -> ``gold.train.conll``,
    a folder ``spacy/`` -> ``spacy.train/``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.{split}{out.suffix}")


def export_gold_splits(gold_dir: Path, out: Path, *, fmt: str, schema: Schema) -> dict[Path, int]:
    """`export` a gold folder one file per split (`split_path`); return the count per file.

    Every document is checked first, so a bad one leaves no split written. A document of
    the folder's documents file that no shard holds (added after the pull, or every document
    of a folder without shards) goes to the split `eval --split` gives it
    (`membership.gold_splits`: ``meta.split``, else the hash)."""
    if fmt not in SPLIT_FORMATS:
        raise ProblemsError(
            [
                Problem(
                    "--format",
                    f"one file per split needs a format of {allowed(SPLIT_FORMATS)}, got {fmt!r}",
                    UNKNOWN_FORMAT,
                )
            ]
        )
    stored = stored_splits(gold_dir)
    unplaced = [doc for doc in _checked(read_gold(gold_dir), schema) if doc.id not in stored]
    by_split = {**stored, **new_splits(unplaced, gold=str(gold_dir))}
    if not by_split:
        raise ProblemsError(
            [Problem(str(gold_dir), "holds no documents", NOTHING_TO_EXPORT)],
            summary=f"nothing to export to {out}: the gold holds no documents",
        )
    targets = {s: split_path(out, s) for s in sorted(set(by_split.values()), key=SPLITS.index)}
    require_export_apart(gold_dir, targets.values(), fmt=fmt, schema=schema)
    written: dict[Path, int] = {}
    for split, target in targets.items():
        docs = (d for d in read_gold(gold_dir) if by_split.get(d.id) == split)
        written[target] = EXPORTERS[fmt](docs, target, schema)
    return written
