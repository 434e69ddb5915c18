"""Score a prediction file against the gold: every figure, its interval, and the errors.

`iter_evaluate` yields `Progress` while it works and returns the `EvalResult` (the protocol of
`eventgold.progress`); `evaluate` is the same without the progress. Everything a reader needs
to trust a number travels with it in `EvalResult.to_json`: the metric-definitions version, the
schema, the sha256 of each input file, the bootstrap settings, and the per-document counts (so
that `compare` can run a paired test from two saved results).

What is refused (an empty gold, predictions matching none of it) is `eval.refusals`; with
``splits``, only the gold documents of those splits are scored (`dataset.membership`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
from collections import Counter
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eventgold.atomic import atomic_file
from eventgold.dataset.membership import gold_splits, select_splits
from eventgold.documents import Document, gold_documents_file
from eventgold.eval import read_ahead
from eventgold.eval.align import AlignmentReport
from eventgold.eval.bootstrap import Bootstrap, intervals
from eventgold.eval.columns import CHUNK_DOCUMENTS, ColumnScorer
from eventgold.eval.gold_shards import ShardGold, trusted_shards
from eventgold.eval.gold_tokens import GoldTokens
from eventgold.eval.inputs import (
    GoldFile,
    Predictions,
    gold_ids,
    index_gold,
    load_gold,
    load_predictions,
)
from eventgold.eval.iob_counts import ChunkCounts
from eventgold.eval.matching import Span, SpanMatch, match_spans, overlaps
from eventgold.eval.one_pass import NotOnePass, OnePass
from eventgold.eval.read_ahead import ReadAhead, SharedTokens, StoredTokens
from eventgold.eval.refusals import refuse_unscorable
from eventgold.eval.span_columns import ColumnsBuilder
from eventgold.eval.table import (
    COUNT_NAMES,
    FAMILY_KIND,
    MACRO,
    OVERALL,
    CountTable,
    GoldParts,
    GroupKey,
    f1_metrics,
    f1_values,
    gold_parts,
    parts,
    paused_gc,
    reported,
    scores,
)
from eventgold.eval.training_overlap import TrainingOverlap
from eventgold.file_hash import sha256_file
from eventgold.progress import Progress, Steps, drain
from eventgold.schema import Schema

# Bump when any definition changes (matching rules, averaging, interval method).
METRICS_VERSION = "eventgold-metrics/2"  # /2: 0/0 in a resample is undefined, not 0
NONE = "(none)"  # the confusion-matrix row/column for "no overlapping span"
MAX_ERRORS = 5000  # error cases kept in a result; the counts by kind are always complete
PROGRESS_EVERY = 500
TOKENS_AT_ONCE = 128  # gold documents whose token offsets are found together

MISSED = "missed"
SPURIOUS = "spurious"
WRONG_LABEL = "wrong label"
WRONG_BOUNDARY = "wrong boundary"
WRONG_BOTH = "wrong label and boundary"
ERROR_KINDS = (MISSED, SPURIOUS, WRONG_LABEL, WRONG_BOUNDARY, WRONG_BOTH)


@dataclass(frozen=True, slots=True)
class ErrorCase:
    """One error under the strict rule, with the sentence it occurs in."""

    doc_id: str
    kind: str
    gold: Span | None
    pred: Span | None
    context: str
    context_start: int  # offset of `context` in the document text

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "kind": self.kind,
            "gold": list(self.gold) if self.gold else None,
            "pred": list(self.pred) if self.pred else None,
            "context": self.context,
            "context_start": self.context_start,
        }


_STOPS = ".!?"
# A sentence starts after a line break, or after a space or tab that follows . ! ?
_STARTS_AFTER = ("\n", *(stop + space for stop in _STOPS for space in " \t"))


def sentence_bounds(text: str, start: int, end: int, *, reach: int = 300) -> tuple[int, int]:
    """The sentence around ``[start, end)``: from after the previous '. ', '! ', '? ' or line
    break to the next one, at most `reach` characters either side.

    A sentence ends at a line break (excluded), or at . ! ? before whitespace or the text's
    end. Searched with `str.rfind`/`str.find` rather than regular expressions: a regex tries
    every one of the up to 600 positions (30 us a case, 5,000 cases a report), a find skips
    to the next candidate in C.
    """
    lo = max(0, start - reach)
    # Each marker must end in [lo, start]: its last character is the one the sentence follows.
    a = lo
    for m in _STARTS_AFTER:
        j = text.rfind(m, max(0, lo - len(m) + 1), start)
        if j >= 0:
            a = max(a, j + len(m))
    hi = min(len(text), end + reach)
    b = text.find("\n", end, hi)
    bound = hi if b < 0 else b  # the earliest end found so far (a line break: excluded)
    for stop in _STOPS:
        i = text.find(stop, end, bound)
        while i >= 0:
            if i + 1 == len(text) or text[i + 1].isspace():
                bound, b = i, i + 1
                break
            i = text.find(stop, i + 1, bound)
    return a, hi if b < 0 else b


def _case(doc: Document, kind: str, gold: Span | None, pred: Span | None) -> ErrorCase:
    spans = [s for s in (gold, pred) if s]
    a, b = sentence_bounds(doc.text, min(s[1] for s in spans), max(s[2] for s in spans))
    return ErrorCase(doc.id, kind, gold, pred, doc.text[a:b], a)


ErrorKey = tuple[str, Span | None, Span | None]  # (kind, gold span, predicted span)


def _order(e: ErrorKey) -> tuple:
    """Text order: where the error starts (its earlier span's start), then the rest of it, so
    that ties (nested spans) come out the same in every run, whatever the set order."""
    kind, g, p = e
    return (g[1] if p is None else p[1] if g is None else min(g[1], p[1]), kind, g or (), p or ())


def error_keys(m: SpanMatch) -> list[ErrorKey]:
    """The strict rule's errors of one document paired as `m`, in text order, without their
    sentences: missed, spurious, and each incorrect pair by what differs."""
    paired_gold = set(m.same) | {g for g, _ in m.closest}
    paired_pred = set(m.same) | {p for _, p in m.closest}
    keys: list[ErrorKey] = [(_wrong(g, p), g, p) for g, p in m.closest]
    keys += [(MISSED, g, None) for g in m.gold - paired_gold]
    keys += [(SPURIOUS, None, p) for p in m.pred - paired_pred]
    keys.sort(key=_order)
    return keys


def _wrong(g: Span, p: Span) -> str:
    """What differs in an incorrect pair."""
    if g[1] == p[1] and g[2] == p[2]:
        return WRONG_LABEL
    return WRONG_BOUNDARY if g[0] == p[0] else WRONG_BOTH


def error_counts_of(m: SpanMatch) -> Counter[str]:
    """How many of `error_keys(m)` are of each kind, without listing or ordering them: the
    definition `eval.columns` counts for many documents at once (tests check both agree)."""
    paired = len(m.same) + len(m.closest)  # the pairing is one to one
    counts = Counter(map(_wrong, *zip(*m.closest, strict=True))) if m.closest else Counter()
    counts[MISSED] += len(m.gold) - paired
    counts[SPURIOUS] += len(m.pred) - paired
    return counts


def confusion_cells(m: SpanMatch) -> list[tuple[str, str]]:
    """(gold label, predicted label) of every overlapping pair of spans, identical ones
    included; NONE for a span overlapping nothing on the other side: the definition
    `eval.columns` counts for many documents at once (tests check both agree)."""
    pairs = overlaps(m.gold, m.pred)
    hit_gold = {g for g, _ in pairs}
    hit_pred = {p for _, p in pairs}
    cells = [(g[0], p[0]) for g, p in pairs]
    cells += [(g[0], NONE) for g in m.gold - hit_gold]
    cells += [(NONE, p[0]) for p in m.pred - hit_pred]
    return cells


@dataclass(frozen=True)
class EvalResult:
    schema_name: str
    schema_version: str
    inputs: dict[str, dict[str, str | None]]
    bootstrap: Bootstrap
    table: CountTable
    intervals: dict[GroupKey, tuple[float, float] | None]
    missing: tuple[str, ...] = ()
    alignment: AlignmentReport | None = None
    confusion: dict[tuple[str, str], int] = field(default_factory=dict)
    errors: tuple[ErrorCase, ...] = ()
    error_counts: dict[str, int] = field(default_factory=dict)
    tokens: bool = True
    # Documents whose token offsets came from the gold folder's IOB view ("stored") or from
    # tokenizing the text ("tokenized"), and the gold shards that could not be read
    # ("unreadable"); None when tokens were not scored.
    token_sources: dict[str, Any] | None = None
    ignored: int = 0  # predictions of documents not scored (not in the gold, or its splits)
    splits: tuple[str, ...] = ()  # the gold splits scored; () for the whole gold
    # Scored documents that the model which predicted them was trained on.
    seen_in_training: tuple[str, ...] = ()

    def figure(self, family: str, rule: str, scope: str) -> dict[str, Any]:
        """Counts, precision, recall, F1 and interval of one group (F1 only for MACRO)."""
        ci = self.intervals.get((family, rule, scope))
        ci_json = list(ci) if ci is not None else None
        if scope == MACRO:
            f1 = self._observed[family, rule, MACRO]
            return {"f1": f1, "ci": ci_json}
        kind = FAMILY_KIND[family]
        j = self.table.offsets[family, rule, scope]
        sums = self._column_sums[j : j + len(COUNT_NAMES[kind])]
        p, r, f = scores(kind, sums)
        _, actual, possible = parts(kind, sums)
        out: dict[str, Any] = dict(zip(COUNT_NAMES[kind], map(int, sums), strict=True))
        out.update(possible=int(possible), actual=int(actual))
        out.update(precision=float(p), recall=float(r), f1=float(f), ci=ci_json)
        return out

    # Summed once: every figure is read off the column sums (the table has a row a document).
    @functools.cached_property
    def _column_sums(self) -> np.ndarray:
        return self.table.counts.sum(axis=0)

    @functools.cached_property
    def _observed(self) -> dict[GroupKey, float]:
        return _observed(self.table, self._column_sums)

    def figures(self) -> dict[str, dict[str, dict[str, Any]]]:
        """``{family: {rule: {"overall", "macro", "labels": {label: figure}}}}``."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for family, rule, scope in self.table.groups:
            block = out.setdefault(family, {}).setdefault(
                rule,
                {
                    "overall": None,
                    "macro": self.figure(family, rule, MACRO),
                    "labels": {},
                },
            )
            fig = self.figure(family, rule, scope)
            if scope == OVERALL:
                block["overall"] = fig
            else:
                block["labels"][scope] = fig
        return out

    def to_json(self) -> dict[str, Any]:
        return {**self.summary_json(), "per_document": self.table.to_json()}

    def write_json(self, path: Path) -> None:
        """Write `to_json` to `path` atomically, as ``json.dumps`` writes it plus a line break,
        streaming the per-document counts (see `CountTable.write_json`)."""
        summary = json.dumps(self.summary_json(), ensure_ascii=False)
        with atomic_file(path) as fh:
            fh.write(summary[:-1])  # all but the closing brace
            fh.write(', "per_document": ')
            self.table.write_json(fh)
            fh.write("}\n")

    def summary_json(self) -> dict[str, Any]:
        """`to_json` without the per-document counts (a row a document)."""
        return {
            "metrics_version": METRICS_VERSION,
            "schema": {"name": self.schema_name, "version": self.schema_version},
            "inputs": self.inputs,
            "bootstrap": self.bootstrap.to_json(),
            "documents": {
                "gold": len(self.table.doc_ids),
                "missing_predictions": list(self.missing),
                "ignored_predictions": self.ignored,
                "splits": list(self.splits) or None,
                "seen_in_training": list(self.seen_in_training),
                "token_offsets": self.token_sources,
            },
            "alignment": self.alignment.to_json() if self.alignment else None,
            "figures": self.figures(),
            "confusion": [
                {"gold": g, "pred": p, "count": n} for (g, p), n in sorted(self.confusion.items())
            ],
            "error_counts": self.error_counts,
            "errors": [e.to_json() for e in self.errors],
        }


def _observed(table: CountTable, sums: np.ndarray) -> dict[GroupKey, float]:
    """Every F1 of `table` from its column sums `sums`."""
    values = reported(f1_values(table, sums.astype(np.float64)))
    return dict(zip(f1_metrics(table), map(float, values), strict=True))


def _input(path: Path | None, hashes: dict[Path, str]) -> dict[str, str | None]:
    """A file's path and sha256 (from `hashes` when the reading process made it)."""
    if path is None:
        return {"path": None, "sha256": None}
    return {"path": str(path), "sha256": hashes.get(path) or sha256_file(path)}


def _predictions(
    predictions: Path | Predictions | Sequence[Document],
    gold: GoldFile | list[Document],
    schema: Schema,
    *,
    strict: bool,
    outside: frozenset[str],
) -> Predictions:
    if isinstance(predictions, str | Path):
        return load_predictions(Path(predictions), gold, schema, strict=strict, outside=outside)
    if isinstance(predictions, Predictions):
        return predictions
    # Documents handed over in code are trusted as they are; files are checked.
    wanted = set(gold_ids(gold))
    docs = {d.id: d for d in predictions if d.id in wanted}
    missing = tuple(i for i in gold_ids(gold) if i not in docs)
    ignored = sum(d.id not in wanted for d in predictions)
    return Predictions(documents=docs, missing=missing, alignment=None, ignored=ignored)


@dataclass
class _Scores:
    """What scoring the document pairs collects, before the bootstrap."""

    table: CountTable
    confusion: Counter[tuple[str, str]]
    errors: list[ErrorCase]
    error_counts: Counter[str]


def _score(
    pairs: Iterable[tuple[Document, Document]],
    total: int,
    *,
    tokens: GoldTokens | SharedTokens | StoredTokens | None,
    parts: GoldParts | None = None,
    pred_parts: GoldParts | None = None,
) -> Generator[Progress, None, _Scores]:
    """Score (gold, prediction) pairs, yielding `Progress`; returns the `_Scores`. Token
    scores are made, on the offsets `tokens` gives, unless it is None; the gold's spans and
    relations come from `parts` if given, the predictions' from `pred_parts`
    (`table.gold_parts` of each document otherwise).

    Pairs are laid out in columns and scored `CHUNK_DOCUMENTS` documents at a time
    (`eval.columns`); only the error cases listed are found a document at a time, until the
    list is full.
    """
    gold_parts_of = parts or gold_parts
    pred_parts_of = pred_parts or gold_parts
    scorer = ColumnScorer()
    chunks = ChunkCounts() if tokens is not None else None
    run: list[str] = []  # ids of the documents laid out in the columns, not scored yet
    gold_columns, pred_columns = ColumnsBuilder(), ColumnsBuilder()
    token_starts: list[np.ndarray] = []  # the run's gold token offsets, with `tokens`
    token_ends: list[np.ndarray] = []
    # Gold documents and spans whose token offsets are found together, `TOKENS_AT_ONCE` at a
    # time: a few at once save numpy's fixed costs, and a small group keeps the work even
    # (with a second process reading, a run's worth at once would keep it waiting).
    waiting: tuple[list[Document], list[list[Span]]] = ([], [])

    def find_tokens() -> None:
        if tokens is not None and waiting[0]:
            for starts, ends in tokens.span_arrays_many(*waiting):
                token_starts.append(starts)
                token_ends.append(ends)
            waiting[0].clear()
            waiting[1].clear()

    def score_run() -> None:
        gold_run, pred_run = gold_columns.columns(), pred_columns.columns()
        scorer.add(run, gold_run, pred_run)
        if chunks is not None:
            find_tokens()
            chunks.add_columns(token_starts, token_ends, gold_run, pred_run)

    errors: list[ErrorCase] = []
    pairs = iter(pairs)
    for start in range(0, total, PROGRESS_EVERY):
        with paused_gc():  # per batch: never across a yield
            for g, p in itertools.islice(pairs, PROGRESS_EVERY):
                run.append(g.id)
                gold_spans, gold_relations = gold_parts_of(g)
                pred_spans, pred_relations = pred_parts_of(p)
                gold_columns.add(gold_spans, gold_relations)
                pred_columns.add(pred_spans, pred_relations)
                if tokens is not None:
                    waiting[0].append(g)
                    waiting[1].append(gold_spans)
                    if len(waiting[0]) == TOKENS_AT_ONCE:
                        find_tokens()
                if len(errors) < MAX_ERRORS:
                    keys = error_keys(match_spans(gold_spans, pred_spans))
                    # Only the kept cases get their sentence (a scan of the text each).
                    errors += [_case(g, *key) for key in keys[: MAX_ERRORS - len(errors)]]
                if len(run) == CHUNK_DOCUMENTS:
                    score_run()
                    run, gold_columns, pred_columns = [], ColumnsBuilder(), ColumnsBuilder()
                    token_starts, token_ends = [], []
        if start + PROGRESS_EVERY < total:
            yield Progress("scoring", start + PROGRESS_EVERY, total)
    # Read on to the end: a one-pass reader raises its problems there.
    if next(pairs, None) is not None:
        raise AssertionError("more document pairs than gold documents")
    if run:
        score_run()
    yield Progress("scoring", total, total)
    found = scorer.scores(chunks.matrices() if chunks is not None else None)
    confusion = Counter({(g or NONE, p or NONE): k for (g, p), k in found.confusion.items()})
    error_counts = Counter(dict(zip(ERROR_KINDS, found.errors, strict=True)))
    return _Scores(found.table, confusion, errors, error_counts)


def _ahead_tokens(
    ahead: ReadAhead, gold: Path | Sequence[Document], shards: ShardGold | None
) -> StoredTokens | SharedTokens:
    """Where the gold's token offsets come from when `ahead` reads: its shards' rows, or
    a gold folder's stored view checked against each document, or tokenizing."""
    return StoredTokens(ahead) if shards is not None else SharedTokens(ahead, GoldTokens(gold))


def iter_evaluate(
    gold: Path | Sequence[Document],
    predictions: Path | Predictions | Sequence[Document],
    schema: Schema,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    tokens: bool = True,
    strict: bool = False,
    splits: Sequence[str] = (),
) -> Steps[EvalResult]:
    """Score, yielding progress ("scoring", "bootstrap"); returns the `EvalResult`.

    Only the gold documents in `splits` are scored when it is not empty. Predictions of
    documents not scored are ignored and counted (`EvalResult.ignored`), or with `strict`,
    those of documents not in the gold are refused. Raises `ProblemsError` for what
    `eval.refusals` refuses.
    """
    gold_path = gold_documents_file(gold) if isinstance(gold, str | Path) else None
    pred_path = Path(predictions) if isinstance(predictions, str | Path) else None
    gold_name = str(gold) if gold_path is not None else "(documents)"
    splits = tuple(splits)
    outside: frozenset[str] = frozenset()  # gold documents of the splits not scored
    if splits:  # the documents of those splits, held: a split is a part of the gold
        folder = Path(gold) if gold_path is not None else None  # holds shards, if a folder
        everything = load_gold(gold, schema) if gold_path is not None else list(gold)
        assignment = gold_splits(folder, everything)
        gold = select_splits(everything, splits, assignment, gold=gold_name)
        outside = frozenset(assignment) - {d.id for d in gold}
        del everything
    scores: _Scores | None = None
    ignored = 0
    seen: tuple[str, ...] = ()  # scored documents the predicting model was trained on
    hashes: dict[Path, str] = {}  # sha256 of input files, made while they were read
    views: GoldTokens | SharedTokens | StoredTokens | None = None
    if pred_path is not None and not splits:
        # Predictions in the gold's order (the usual case) are checked and scored in one
        # pass over both files, read by a second process when there is a second CPU;
        # anything else starts again the two-pass way.
        # A gold folder that vouches for its shards is read from them (`eval.gold_shards`).
        is_folder = gold_path is not None and Path(gold).is_dir()  # type: ignore[arg-type]
        shards = trusted_shards(Path(gold), schema) if is_folder else None  # type: ignore[arg-type]
        with contextlib.suppress(NotOnePass), contextlib.ExitStack() as stack:
            if (
                gold_path is not None
                and gold_path.is_file()
                and pred_path.is_file()
                and read_ahead.available()
            ):
                # Without stored token offsets (no gold folder), both processes tokenize.
                tokenize = tokens and not is_folder
                ahead = stack.enter_context(
                    ReadAhead(
                        Path(gold),
                        pred_path,
                        schema,
                        tokenize=tokenize,
                        shards=shards,
                        tokens=tokens,
                    )
                )
                views = _ahead_tokens(ahead, gold, shards) if tokens else None
                scores = yield from _score(
                    ahead, ahead.total, tokens=views, parts=ahead.parts, pred_parts=ahead.pred_parts
                )
                end = ahead.ending
                missing, alignment, seen = end.missing, end.alignment, end.seen_in_training
                hashes = dict(zip((gold_path, pred_path), ahead.sha256(), strict=True))
            else:  # here; a missing file raises its error from `OnePass`
                one_pass = OnePass(gold, pred_path, schema, parts=True, shards=shards)
                overlap = TrainingOverlap(one_pass)
                views = GoldTokens(gold) if tokens else None
                scores = yield from _score(
                    overlap,
                    one_pass.total,
                    tokens=views,
                    parts=one_pass.gold_parts,
                    pred_parts=one_pass.pred_parts,
                )
                missing, alignment = one_pass.missing, one_pass.alignment
                seen = tuple(overlap.seen)
                if shards is not None:  # hashed to trust the shards: not again for the result
                    hashes = {gold_path: shards.sha256}  # type: ignore[dict-item]
    if scores is None:
        # Files are checked whole (every problem listed), then read again a document at a
        # time while scoring (see `eval.inputs`).
        gold_docs = index_gold(gold, schema) if isinstance(gold, str | Path) else list(gold)
        preds = _predictions(predictions, gold_docs, schema, strict=strict, outside=outside)
        overlap = TrainingOverlap((g, preds.for_gold(g)) for g in gold_docs)
        views = GoldTokens(gold) if tokens else None
        scores = yield from _score(overlap, len(gold_docs), tokens=views)
        missing, alignment, ignored = preds.missing, preds.alignment, preds.ignored
        seen = tuple(overlap.seen)
    refuse_unscorable(
        gold=gold_name,
        predictions=str(pred_path) if pred_path is not None else "the predictions",
        documents=len(scores.table.doc_ids),
        missing=len(missing),
        splits=splits,
    )
    settings = Bootstrap(resamples=bootstrap, seed=seed)
    cis = intervals(scores.table, settings)
    yield Progress("bootstrap", bootstrap, bootstrap)
    return EvalResult(
        schema_name=schema.name,
        schema_version=schema.version,
        inputs={"gold": _input(gold_path, hashes), "predictions": _input(pred_path, hashes)},
        bootstrap=settings,
        table=scores.table,
        intervals=cis,
        missing=missing,
        alignment=alignment,
        confusion=dict(scores.confusion),
        errors=tuple(scores.errors),
        error_counts=dict(scores.error_counts),
        tokens=tokens,
        token_sources=views.sources() if views is not None else None,
        ignored=ignored,
        splits=splits,
        seen_in_training=seen,
    )


def evaluate(
    gold: Path | Sequence[Document],
    predictions: Path | Predictions | Sequence[Document],
    schema: Schema,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    tokens: bool = True,
    strict: bool = False,
    splits: Sequence[str] = (),
) -> EvalResult:
    """Score `predictions` against `gold` (a gold folder, a documents JSONL, or documents);
    see `iter_evaluate`."""
    return drain(
        iter_evaluate(
            gold,
            predictions,
            schema,
            bootstrap=bootstrap,
            seed=seed,
            tokens=tokens,
            strict=strict,
            splits=splits,
        )
    )
