"""The gold read in a second process while this one reads the predictions and scores.

Reading a gold file (decoding its JSON, building the records, checking them as gold) and
finding its token offsets (the gold folder's shards, or spaCy for a documents file) is about
half of `eventgold eval`'s work on one core, and needs nothing from the predictions. A forked
process does it, exactly as `eval.inputs` and `eval.gold_tokens` do it here, and sends each
document as what scoring reads of it, a batch at a time: its id, text and other fields (a
`Document` without annotations, the "head"), its spans and resolved relations
(`eval.table.gold_parts`) and its token offsets. Plain tuples, which pickle writes and reads in
C: rebuilding the documents' entities here would cost half of what parsing them does. The
pipe holds a few batches: memory does not grow with the gold.

The results are the same as reading in this process, which is what happens without ``fork``
(not on Windows) or with one CPU. A problem in the gold, or any failure of the second process,
ends the pass with `NotOnePass`: the caller then reads everything again here, the two-pass
way, which lists every problem or raises the error itself.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from eventgold.documents import Document
from eventgold.eval.gold_tokens import GoldTokens
from eventgold.eval.inputs import NotOnePass, checked_gold
from eventgold.eval.matching import Span
from eventgold.eval.relations import Resolved
from eventgold.eval.table import gold_parts
from eventgold.schema import Schema

BATCH = 128  # documents a message

# A document's head as plain values: (id, text, title, source, meta).
_Head = tuple[str, str, str, str, Any]
_Parts = tuple[list[Span], set[Resolved]]
_Edges = tuple[np.ndarray, np.ndarray] | None
_DONE, _STOPPED, _FAILED = "done", "stopped", "failed"


def available() -> bool:
    """Whether a second process can read the gold: ``fork`` exists, there are 2 CPUs, and
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


def _read(conn: Connection, file: Path, gold: Path, schema: Schema, tokens: bool) -> None:
    """The second process: every gold document with its token offsets, then how it ended."""
    gc.disable()  # it makes no cycles, and a collection would walk the whole inherited heap
    try:
        views = GoldTokens(gold) if tokens else None
        batch: list[tuple[_Head, _Parts, _Edges]] = []
        for doc in checked_gold(file, schema):
            head = (doc.id, doc.text, doc.title, doc.source, doc.meta)
            edges = views.arrays(doc) if views is not None else None
            batch.append((head, gold_parts(doc), edges))
            if len(batch) == BATCH:
                conn.send(batch)
                batch = []
        conn.send(batch)
        conn.send((_DONE, views.sources() if views is not None else None))
    except NotOnePass as exc:
        _last_word(conn, (_STOPPED, str(exc)))
    except BaseException as exc:  # anything: the caller reads the gold again itself
        _last_word(conn, (_FAILED, f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _last_word(conn: Connection, message: tuple[str, str]) -> None:
    """Tell the caller how the reading ended, unless it is gone (it stopped reading: the pipe
    is closed), which is no error of this process's."""
    with contextlib.suppress(OSError):
        conn.send(message)


class GoldAhead:
    """The checked gold documents of `file` in file order (as `eval.inputs.checked_gold`
    gives them), read by a second process. Iterate once: it gives each document's head, a
    `Document` WITHOUT its annotations (entities and relations), for the id and text; what
    scoring reads of the annotations comes from `parts` (for `TableBuilder`), and the token
    offsets (from `gold`, as `GoldTokens` gives them, when `tokens`) from `arrays`, each once
    per document. `sources` is `GoldTokens.sources` once the iteration is over. `close` ends
    the second process if the iteration did not (a ``with`` block calls it).
    """

    def __init__(self, file: Path, gold: Path, schema: Schema, *, tokens: bool) -> None:
        self.tokens = tokens
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe(duplex=False)
        self._process = ctx.Process(
            target=_read, args=(child, file, gold, schema, tokens), daemon=True
        )
        self._process.start()
        child.close()  # the child's end: the pipe reports its end once the child closes it
        # Of the documents given and not asked for yet (the caller may hold a few, as
        # predictions skip documents): parts and token offsets.
        self._parts: dict[str, _Parts] = {}
        self._edges: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._sources: dict[str, Any] | None = None

    def __enter__(self) -> GoldAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Document]:
        while True:
            try:
                message = self._conn.recv()
            except EOFError:
                raise NotOnePass("the process reading the gold ended early") from None
            if isinstance(message, tuple):
                kind, detail = message
                if kind != _DONE:
                    raise NotOnePass(f"reading the gold: {detail}")
                self._sources = detail
                return
            for (doc_id, text, title, source, meta), parts, edges in message:
                self._parts[doc_id] = parts
                if edges is not None:
                    self._edges[doc_id] = edges
                yield Document(id=doc_id, text=text, title=title, source=source, meta=meta)

    def parts(self, gold: Document) -> _Parts:
        """`eval.table.gold_parts` of the document whose head `gold` is."""
        return self._parts.pop(gold.id)

    def arrays(self, gold: Document) -> tuple[np.ndarray, np.ndarray]:
        """The token starts and ends of the document whose head `gold` is."""
        return self._edges.pop(gold.id)

    def sources(self) -> dict[str, Any]:
        """Where the token offsets came from (`GoldTokens.sources`)."""
        if self._sources is None:
            raise RuntimeError("the gold has not been read to its end")
        return self._sources

    def close(self) -> None:
        self._conn.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
