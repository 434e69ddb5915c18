"""Checking and pairing the gold and the predictions in one pass over both files.

A model run over the gold writes its predictions in the gold's order, so the usual case needs
no index: both files are read side by side, each document parsed and checked once, and pairs
come out in gold order (`OnePass`). The first thing only the two-pass way of `eval.inputs`
handles (a problem in either file, or a prediction out of the gold's order) raises
`NotOnePass`, and the caller starts again that way, which lists every problem.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator, Sequence
from pathlib import Path

from eventgold.documents import Document, document_from_line, iter_jsonl_lines
from eventgold.eval.align import AlignmentReport
from eventgold.eval.gold_shards import ShardGold
from eventgold.eval.inputs import (
    PredictionCheck,
    decode_json,
    existing_gold,
    gold_lines,
    gold_problems,
    record_head,
    require_predictions,
)
from eventgold.eval.record_parts import Parts, RecordRules, record_parts
from eventgold.eval.table import gold_parts
from eventgold.schema import Schema


class NotOnePass(Exception):
    """`OnePass` met what only the two-pass way handles: a problem in either file, or a
    prediction for a gold document already passed (out of order) or for none."""


MAX_PASSED = 1000  # gold documents held while looking ahead for a prediction's


def count_lines(path: Path) -> int:
    """Lines of a text file (a last line without a line break counts)."""
    n, last = 0, b"\n"
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")


def checked_gold(file: Path, schema: Schema) -> Iterator[Document]:
    """A gold documents JSONL in file order, checked as `index_gold` checks it; the first
    problem raises `NotOnePass` (`index_gold` then lists them all)."""
    for _, doc, problems in gold_lines(file, schema):
        if doc is None or problems:
            raise NotOnePass(str(problems[0]))
        yield doc


def checked_gold_heads(file: Path, schema: Schema, parts: dict[str, Parts]) -> Iterator[Document]:
    """`checked_gold` as heads: each document without its annotations, what scoring reads of
    them put in `parts` by id. A clean line is read with `record_parts` (no entity built);
    any other is read the full way, whose first problem raises `NotOnePass`."""
    rules = RecordRules(schema)
    seen: set[str] = set()
    for where, _, raw in iter_jsonl_lines(file):
        obj, _ = decode_json(raw, where=where)
        if (
            type(obj) is dict
            and type(doc_id := obj.get("id")) is str
            and doc_id.strip()
            and type(text := obj.get("text")) is str
            and doc_id not in seen
            and (clean := record_parts(obj, text, rules, gold=True)) is not None
        ):
            seen.add(doc_id)
            parts[doc_id] = clean
            yield record_head(obj, text)
            continue
        doc, problems = document_from_line(raw, where=where)
        if doc is not None and doc.id in seen:
            raise NotOnePass(f"{where}: duplicate document id '{doc.id}'")
        if doc is not None:
            problems = gold_problems(where, doc, schema)
        if doc is None or problems:
            raise NotOnePass(str(problems[0]))
        seen.add(doc.id)
        parts[doc.id] = gold_parts(doc)
        yield doc.without_annotations()


def shard_gold_heads(shards: ShardGold, parts: dict[str, Parts] | None) -> Iterator[Document]:
    """`ShardGold.heads`; a shard that cannot be read raises `NotOnePass` (the two-pass way
    then reads ``documents.jsonl``)."""
    try:
        yield from shards.heads(parts)
    except ValueError as exc:
        raise NotOnePass(f"reading the gold's shards: {exc}") from exc


def _any_id(_: str) -> bool:
    return True  # a prediction's id is looked for in the gold as the pass goes


class OnePass:
    """(gold, prediction) pairs in gold order from one pass over the gold and the
    predictions together, for predictions in the gold's order (as a model run over the gold
    writes them), checked as `index_gold` and `check_predictions` check them.

    The two-pass way (check both files, then read them again to score) parses every gold
    document three times and every prediction twice; this parses each once. Gold documents
    the predictions skip come as empty predictions, as `Predictions.for_gold` gives them.
    Anything else raises `NotOnePass`, and the caller starts again the two-pass way, which
    also lists every problem: a problem in either file, a prediction for a gold document
    already passed or for none, or more than `MAX_PASSED` gold documents in a row without a
    prediction (they are held until the prediction that follows them is found).
    After a full iteration, `missing` and `alignment` are those of `Predictions`.

    With `parts`, documents come as their heads (`Document`s without annotations: a clean
    record is never built into entities, see `eval.record_parts`), and what scoring reads of
    each pair yielded is `gold_parts` of its gold and `pred_parts` of its prediction, each
    taken once.

    With `shards` (those of the gold folder `gold`, which vouches for them:
    `eval.gold_shards.trusted_shards`), the gold comes from them instead of its JSON, already
    checked; with `heads_only` too, as heads only, whose parts the caller reads itself
    (`eval.read_ahead`).
    """

    def __init__(
        self,
        gold: Path | Sequence[Document],
        predictions: Path,
        schema: Schema,
        *,
        parts: bool = False,
        shards: ShardGold | None = None,
        heads_only: bool = False,
    ):
        if heads_only and shards is None:
            raise ValueError("heads_only reads the gold's heads from its shards: give shards")
        self.gold_path = existing_gold(gold) if isinstance(gold, str | Path) else None
        require_predictions(predictions)
        self.gold = gold
        self.predictions = Path(predictions)
        self.schema = schema
        self.missing: tuple[str, ...] = ()
        self.alignment: AlignmentReport | None = None
        self._check = PredictionCheck(self.predictions, schema, _any_id, 0, parts=parts)
        self._gold_parts: dict[str, Parts] | None = {} if parts and not heads_only else None
        self._shards = shards

    @functools.cached_property
    def total(self) -> int:
        """Gold documents, for progress only: every document is a line (blank lines make it
        an overcount). Counted when asked: it reads the whole gold file once more."""
        return count_lines(self.gold_path) if self.gold_path else len(self.gold)  # type: ignore[arg-type]

    def gold_parts(self, gold: Document) -> Parts:
        """`eval.table.gold_parts` of the gold document whose head `gold` is."""
        if self._gold_parts is None:
            raise RuntimeError("OnePass(parts=True) keeps the gold's parts, without heads_only")
        return self._gold_parts.pop(gold.id)

    def pred_parts(self, pred: Document) -> Parts:
        """`eval.table.gold_parts` of the prediction whose head (or document) `pred` is."""
        if self._check.parts is None:
            raise RuntimeError("OnePass(parts=True) keeps the parts")
        return self._check.parts.pop(pred.id)

    def _gold_documents(self) -> Iterator[Document]:
        """The gold documents, checked; with `parts`, their heads, their parts kept."""
        parts = self._gold_parts
        if self._shards is not None and self._check.parts is not None:
            yield from shard_gold_heads(self._shards, parts)  # None: heads only
            return
        if self.gold_path is not None:
            if parts is None:
                yield from checked_gold(self.gold_path, self.schema)
            else:
                yield from checked_gold_heads(self.gold_path, self.schema, parts)
            return
        for doc in self.gold:  # type: ignore[union-attr]
            if parts is not None:
                parts[doc.id] = gold_parts(doc)
            yield doc

    def _empty(self, gold: Document) -> Document:
        """The empty prediction of a gold document the predictions leave out."""
        if self._check.parts is not None:
            self._check.parts[gold.id] = ([], set())
        return gold.without_annotations()

    def __iter__(self) -> Iterator[tuple[Document, Document]]:
        docs = self._gold_documents()
        passed: list[Document] = []  # gold documents moved over: no prediction
        missing: list[str] = []

        def get_gold(doc_id: str) -> Document:
            for g in docs:
                if g.id == doc_id:
                    return g
                if len(passed) == MAX_PASSED:
                    raise NotOnePass(f"{MAX_PASSED} gold documents without a prediction")
                passed.append(g)
            raise NotOnePass(f"prediction '{doc_id}' is out of the gold's order or not in it")

        check = self._check
        for gold, doc, _ in check.documents(get_gold):
            if check.problems:
                raise NotOnePass(str(check.problems[0]))
            for g in passed:
                missing.append(g.id)
                yield g, self._empty(g)
            passed.clear()
            yield gold, doc
        if check.problems:
            raise NotOnePass(str(check.problems[0]))
        for g in itertools.chain(passed, docs):
            missing.append(g.id)
            yield g, self._empty(g)
        self.missing = tuple(missing)
        self.alignment = check.report
