"""The gold and the predictions read in a second process while this one scores.

Reading and checking both files (decoding their JSON, checking the gold as gold and each
prediction against it: `eval.one_pass.OnePass`) is about half of `eventgold eval`'s work on one
core, and needs nothing from the scoring. A forked process does it, exactly as `OnePass` does
it here, and sends each document pair as what
scoring reads of it, a batch at a time: the gold document's id and text (a `Document` without
annotations, the "head"), and the gold's and the prediction's spans and resolved relations
(`eval.table.gold_parts`, `OnePass.pred_parts`). Plain tuples, which pickle writes and reads in
C. Once every pair is sent: what `OnePass` found (the predictions missing, the alignment
report) and the documents a model trained on (`eval.training_overlap`). Both files' sha256
are made by a thread of the scoring process (`ReadAhead.sha256`), which waits on the pipe
now and then: this one is the busier.
The pipe holds a few batches: memory does not grow with the files.

The gold's token offsets are found by the scoring process (`GoldTokens`): read from a gold
folder's shards they cost little. Tokenizing a documents file with spaCy costs about as much
as everything else this process does, so then the two processes share it (`tokenize`).

A gold folder that vouches for its shards (`eval.gold_shards`) is read from them, and the
work is shared another way: the second process reads only the gold's heads from them (to pair
and check the predictions) and sends the predictions' parts alone; the scoring process reads
the gold's parts and token offsets from the shards itself. Decoding the predictions' JSON is
then most of the second process's work, and the two take about as long.

The results are the same as reading in this process, which is what happens without ``fork``
(not on Windows) or with one CPU. A problem in either file (or predictions out of the gold's
order), or any failure of the second process, ends the pass with `NotOnePass`: the caller then
reads everything again here, the two-pass way, which lists every problem or raises the error
itself.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from eventgold.documents import Document, gold_documents_file
from eventgold.eval.align import AlignmentReport
from eventgold.eval.gold_shards import ShardGold, ShardRow
from eventgold.eval.gold_tokens import GoldTokens
from eventgold.eval.iob import span_edge_arrays_many
from eventgold.eval.matching import Span
from eventgold.eval.one_pass import NotOnePass, OnePass, count_lines
from eventgold.eval.record_parts import Parts
from eventgold.eval.training_overlap import TrainingOverlap
from eventgold.file_hash import sha256_file
from eventgold.schema import Schema

BATCH = 128  # document pairs a message

_Edges = tuple[np.ndarray, np.ndarray]  # token starts and ends
# [(id, text), gold parts, prediction parts, the token offsets when found there]: a list, as
# the offsets are filled in last, for a batch at once
_Pair = list[Any]
_PredictionOnly = tuple[str, Parts]  # the gold's id, the prediction's parts (gold from shards)
SHARE = 3  # with `tokenize`, the reading process tokenizes one gold document in SHARE
_DONE, _STOPPED, _FAILED = "done", "stopped", "failed"


@dataclass(frozen=True, slots=True)
class Ending:
    """What the reading found besides the pairs (see `ReadAhead`)."""

    missing: tuple[str, ...]  # gold ids with no prediction
    alignment: AlignmentReport | None
    seen_in_training: tuple[str, ...]  # gold ids the predicting model was trained on


def available() -> bool:
    """Whether a second process can read the files: ``fork`` exists, there are 2 CPUs, and
    this process may start one (a daemonic process, such as a `multiprocessing.Pool`'s
    worker, may not)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return (
        cpus > 1
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def _read(
    conn: Connection,
    gold: Path,
    predictions: Path,
    schema: Schema,
    tokenize: bool,
    shards: ShardGold | None,
) -> None:
    """The second process: every document pair, then how the reading ended."""
    gc.disable()  # it makes no cycles, and a collection would walk the whole inherited heap
    try:
        heads_only = shards is not None
        one_pass = OnePass(
            gold, predictions, schema, parts=True, shards=shards, heads_only=heads_only
        )
        overlap = TrainingOverlap(one_pass)
        batch: list[_Pair | _PredictionOnly] = []
        share: list[tuple[int, Document, list[Span]]] = []  # this process tokenizes these
        for i, (g, p) in enumerate(overlap):
            if heads_only:  # the other process reads the gold from the shards
                batch.append((g.id, one_pass.pred_parts(p)))
            else:
                parts = one_pass.gold_parts(g)
                if tokenize and i % SHARE == 0:
                    share.append((len(batch), g, parts[0]))
                batch.append([(g.id, g.text), parts, one_pass.pred_parts(p), None])
            if len(batch) == BATCH:
                _send(conn, batch, share)
                batch, share = [], []
        _send(conn, batch, share)
        ending = Ending(one_pass.missing, one_pass.alignment, tuple(overlap.seen))
        conn.send((_DONE, ending))
    except NotOnePass as exc:
        _last_word(conn, (_STOPPED, str(exc)))
    except BaseException as exc:  # anything: the caller reads the files again itself
        _last_word(conn, (_FAILED, f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _send(
    conn: Connection,
    batch: list[_Pair | _PredictionOnly],
    share: list[tuple[int, Document, list[Span]]],
) -> None:
    """Send a batch, the token offsets of its documents in `share` first found all at once."""
    if share:
        rows, golds, spans = zip(*share, strict=True)
        for row, edges in zip(rows, span_edge_arrays_many(golds, spans), strict=True):
            batch[row][3] = edges  # type: ignore[index]
    conn.send(batch)


def _last_word(conn: Connection, message: tuple[str, str]) -> None:
    """Tell the caller how the reading ended, unless it is gone (it stopped reading: the pipe
    is closed), which is no error of this process's."""
    with contextlib.suppress(OSError):
        conn.send(message)


PIPE_BYTES = 1 << 20  # a few batches: Linux's largest pipe buffer for any user (its default)


def _widen(conn: Connection) -> None:
    """Let the pipe hold a few batches, not 64 KB (Linux's default, a fraction of one): each
    process then works on while the other is busy with a batch, instead of the two taking
    turns. Elsewhere, or if refused, the pipe stays as it is, which is only slower."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux; a lower limit
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _shard_count(shards: ShardGold) -> int:
    try:
        return shards.count()
    except ValueError as exc:
        raise NotOnePass(f"reading the gold's shards: {exc}") from exc


class ReadAhead:
    """The (gold, prediction) pairs of `OnePass` over `gold` (a gold folder or documents
    file) and the file `predictions`, read by a second process. Iterate once: each pair is
    the gold document's head (a `Document` with only its id and text) twice, as gold and as
    prediction; what scoring reads of their annotations comes from `parts` and `pred_parts`
    (for `evaluate`'s scoring), each once per document. `ending` once the iteration is over.
    `close` ends the second process if the iteration did not (a ``with`` block calls it).

    With `tokenize`, for a gold without stored token offsets (a documents file), the second
    process also tokenizes one gold document in `SHARE` (`iob.span_edge_arrays`), which
    `edges` gives; this process tokenizes the others (`SharedTokens`).

    With `shards` (those of the gold folder `gold`, which vouches for them:
    `eval.gold_shards`), the gold is read from them: by the second process as heads only, to
    pair and check the predictions, and by this one whole, its parts and (with `tokens`) its
    token offsets, which `edges` gives (`StoredTokens`). The second process then sends the
    predictions' parts alone. The two halves of the reading are about even so.
    """

    def __init__(
        self,
        gold: Path,
        predictions: Path,
        schema: Schema,
        *,
        tokenize: bool = False,
        shards: ShardGold | None = None,
        tokens: bool = True,
    ) -> None:
        file = gold_documents_file(gold)
        self._shards = shards
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe(duplex=False)
        _widen(child)
        self._process = ctx.Process(
            target=_read,
            args=(child, gold, predictions, schema, tokenize, shards),
            daemon=True,
        )
        self._process.start()
        child.close()  # the child's end: the pipe reports its end once the child closes it
        # hashlib and file reads let go of the GIL: the hashing runs beside the scoring.
        self._hashing = ThreadPoolExecutor(1, thread_name_prefix="eventgold-sha256")
        hashed = (file, predictions) if shards is None else (predictions,)  # see `sha256`
        self._sha256 = [self._hashing.submit(sha256_file, f) for f in hashed]
        self._rows: Iterator[ShardRow] | None = None
        try:
            if shards is None:  # for progress: a document a line (while it reads)
                self.total = count_lines(file)
            else:
                self.total = _shard_count(shards)
                self._rows = shards.rows(annotations=True, tokens=tokens)
        except BaseException:
            self.close()
            raise
        # Of the documents given and not asked for yet (the caller may hold a few).
        self._parts: dict[str, Parts] = {}
        self._pred_parts: dict[str, Parts] = {}
        self._edges: dict[str, _Edges] = {}
        self._ending: Ending | None = None

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[tuple[Document, Document]]:
        while True:
            try:
                message = self._conn.recv()
            except EOFError:
                raise NotOnePass("the process reading the files ended early") from None
            if isinstance(message, tuple):
                kind, detail = message
                if kind != _DONE:
                    raise NotOnePass(f"reading the files: {detail}")
                if self._rows is not None and self._next_row() is not None:
                    raise NotOnePass("the gold's shards hold more documents than were paired")
                self._ending = detail
                return
            if self._rows is not None:
                yield from self._shard_pairs(message)
                continue
            for (doc_id, text), parts, pred_parts, edges in message:
                self._parts[doc_id] = parts
                self._pred_parts[doc_id] = pred_parts
                if edges is not None:
                    self._edges[doc_id] = edges
                head = Document(id=doc_id, text=text)
                yield head, head

    def _shard_pairs(self, message: list[_PredictionOnly]) -> Iterator[tuple[Document, Document]]:
        """The pairs of a batch of predictions' parts, the gold's read here from its shards."""
        for doc_id, pred_parts in message:
            row = self._next_row()
            if row is None or row[0] != doc_id:
                raise NotOnePass(f"the gold's shards and its reading disagree at '{doc_id}'")
            _, head, parts, edges = row
            self._parts[doc_id] = parts  # type: ignore[assignment]
            self._pred_parts[doc_id] = pred_parts
            if edges is not None:
                self._edges[doc_id] = edges
            yield head, head

    def _next_row(self) -> ShardRow | None:
        try:
            return next(self._rows, None)  # type: ignore[arg-type]
        except ValueError as exc:
            raise NotOnePass(f"reading the gold's shards: {exc}") from exc

    def parts(self, gold: Document) -> Parts:
        """`eval.table.gold_parts` of the gold document whose head `gold` is."""
        return self._parts.pop(gold.id)

    def pred_parts(self, pred: Document) -> Parts:
        """`OnePass.pred_parts` of the prediction whose head `pred` is."""
        return self._pred_parts.pop(pred.id)

    def edges(self, gold: Document) -> _Edges | None:
        """The token offsets of the gold document whose head `gold` is, if found there."""
        return self._edges.pop(gold.id, None)

    def sha256(self) -> tuple[str, str]:
        """The sha256 of the gold and of the prediction file (waits for them). A gold folder
        whose shards were read was hashed to trust them (`eval.gold_shards`)."""
        found = [future.result() for future in self._sha256]
        if self._shards is not None:
            return self._shards.sha256, found[0]
        gold, predictions = found
        return gold, predictions

    @property
    def ending(self) -> Ending:
        if self._ending is None:
            raise RuntimeError("the files have not been read to their end")
        return self._ending

    def close(self) -> None:
        # Before any other fork: a thread running at a fork can leave its locks held there.
        self._hashing.shutdown(wait=True, cancel_futures=True)
        if self._rows is not None:
            self._rows.close()  # type: ignore[attr-defined]  # a generator: its shard's file
        self._conn.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


class StoredTokens:
    """The token offsets of each gold document as read from the shards with its parts
    (`ReadAhead.edges`, with `shards`), counted as stored (`sources`)."""

    def __init__(self, ahead: ReadAhead) -> None:
        self._ahead = ahead
        self._stored = 0

    def span_arrays(self, gold: Document, spans: list[Span]) -> _Edges:
        edges = self._ahead.edges(gold)
        if edges is None:
            raise RuntimeError(f"no token offsets were read for '{gold.id}'")
        self._stored += 1
        return edges

    def span_arrays_many(self, golds: list[Document], spans: list[list[Span]]) -> list[_Edges]:
        return list(map(self.span_arrays, golds, spans))

    def sources(self) -> dict[str, Any]:
        return {"stored": self._stored, "tokenized": 0, "unreadable": []}


class SharedTokens:
    """`GoldTokens.span_arrays` of each gold document, or the offsets the reading process
    found for it (`ReadAhead.edges`), counted among the tokenized ones (`sources`)."""

    def __init__(self, ahead: ReadAhead, views: GoldTokens) -> None:
        self._ahead = ahead
        self._views = views

    def span_arrays(self, gold: Document, spans: list[Span]) -> _Edges:
        edges = self._ahead.edges(gold)
        if edges is None:
            return self._views.span_arrays(gold, spans)
        self._views.tokenized += 1
        return edges

    def span_arrays_many(self, golds: list[Document], spans: list[list[Span]]) -> list[_Edges]:
        """`span_arrays` of each gold document; those left to this process, all at once."""
        given = [self._ahead.edges(g) for g in golds]
        left = [i for i, edges in enumerate(given) if edges is None]
        self._views.tokenized += len(given) - len(left)
        made = self._views.span_arrays_many([golds[i] for i in left], [spans[i] for i in left])
        for i, edges in zip(left, made, strict=True):
            given[i] = edges
        return given  # type: ignore[return-value]

    def sources(self) -> dict[str, Any]:
        return self._views.sources()
