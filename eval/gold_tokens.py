"""Token offsets for IOB2 scoring, read from a gold folder's Parquet shards when they fit.

Token scores are computed on the gold dataset's IOB view (`eval.iob`). A gold folder already
holds that view: ``token_starts`` and ``token_ends`` in every row of ``data/*.parquet``. Reading
them back costs a few microseconds a document; tokenizing the text again costs ~0.07 ms for a
2 KB document (many at once: `span_arrays_many`), a third of ``eventgold eval``'s time.

A stored row stands in for tokenizing only if it has the gold document's id, its text, and the
same set of entity boundaries: the view was made by tokenizing that text and cutting at those
boundaries, so it is what tokenizing again gives (with the same spaCy; after an upgrade it is
still the view the dataset's users train on). Anything else is tokenized afresh, so a
documents file edited by hand, or shards read in another order, cost time, never correctness.

The gold folder writes each split's rows in the order of ``documents.jsonl`` (by id), so the
splits are read side by side as the gold documents stream by: a split's next row is looked at
only when a gold document has its id. Memory: one batch of rows per split.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from eventgold.documents import Document
from eventgold.eval.iob import span_edge_arrays, span_edge_arrays_many

BATCH_ROWS = 256  # rows read from a split at a time

# (id, text, entity boundaries, token starts, token ends) of one stored row
_Row = tuple[str, str, set[int], np.ndarray, np.ndarray]
_COLUMNS = ["id", "text", "entities", "token_starts", "token_ends"]


def int_array(arr: Any) -> np.ndarray:
    """An integer array without nulls as a numpy view of its data buffer: pyarrow's own
    conversions import pandas on first use (0.4 s, more than reading a small gold)."""
    if arr.null_count:
        raise ValueError(f"unexpected nulls in a gold integer column ({arr.type})")
    data = np.frombuffer(arr.buffers()[1], dtype=np.dtype(f"<i{arr.type.bit_width // 8}"))
    return data[arr.offset : arr.offset + len(arr)]


def int_list(arr: Any) -> list[int]:
    """`int_array` as a list."""
    return int_array(arr).tolist()


def token_edges_of(batch: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each row's token starts and ends in a batch of shard rows, as numpy views (scoring
    counts chunks with numpy)."""
    starts, ends = batch.column("token_starts"), batch.column("token_ends")
    s_at, s_values = int_list(starts.offsets), int_array(starts.values)
    e_at, e_values = int_list(ends.offsets), int_array(ends.values)
    for i in range(len(s_at) - 1):
        yield s_values[s_at[i] : s_at[i + 1]], e_values[e_at[i] : e_at[i + 1]]


def _rows(files: list[str], batch_rows: int) -> Iterator[_Row]:
    """One split's rows, shard after shard, in file order; a shard that cannot be read
    raises ValueError naming it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for file in files:
        try:
            with pq.ParquetFile(file) as shard:
                for batch in shard.iter_batches(batch_size=batch_rows, columns=_COLUMNS):
                    ids = batch.column("id").to_pylist()
                    texts = batch.column("text").to_pylist()
                    # A list column's offsets index its values, whatever the batch's own offset.
                    ents = batch.column("entities")
                    e_at, e_start = int_list(ents.offsets), int_list(ents.values.field("start"))
                    e_end = int_list(ents.values.field("end"))
                    for i, tokens in enumerate(token_edges_of(batch)):
                        a, b = e_at[i], e_at[i + 1]
                        bounds = set(e_start[a:b])
                        bounds.update(e_end[a:b])
                        yield ids[i], texts[i], bounds, *tokens
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            raise ValueError(f"{file}: {exc}") from exc


class GoldTokens:
    """`token_edges` for the gold documents in order, from a gold folder's stored IOB view
    where it fits (see the module docstring); any other gold (a documents file, documents in
    memory, a folder without shards) is tokenized. One per pass over the gold.

    `stored` and `tokenized` count the documents served each way. A split whose shards
    cannot be read (damaged, or without the token columns) is read no further, and why is
    kept in `unreadable`: its documents are tokenized, so it costs time, not correctness.
    """

    def __init__(self, gold: Path | Sequence[Document], *, batch_rows: int = BATCH_ROWS) -> None:
        shards = _shards(Path(gold)) if isinstance(gold, str | Path) else {}
        self._names = list(shards)
        self._splits = [_rows(files, batch_rows) for files in shards.values()]
        self.unreadable: list[str] = []
        self._heads: list[_Row | None] = [self._next(k) for k in range(len(self._splits))]
        self.stored = 0
        self.tokenized = 0

    def _next(self, k: int) -> _Row | None:
        import pyarrow as pa

        try:
            return next(self._splits[k], None)
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            self.unreadable.append(f"split '{self._names[k]}': {exc}")
            return None

    def edges(self, gold: Document) -> tuple[list[int], list[int]]:
        """Starts and ends of the tokens of the gold document's IOB view."""
        starts, ends = self.arrays(gold)
        return starts.tolist(), ends.tolist()

    def arrays(self, gold: Document) -> tuple[np.ndarray, np.ndarray]:
        """`edges` as integer arrays."""
        return self.span_arrays(gold, list(map(_SPAN, gold.entities)))

    def span_arrays(
        self, gold: Document, spans: Sequence[tuple[str, int, int]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """`arrays` of the gold document with the id and text of `gold` and the entity spans
        `spans` (``(label, start, end)``; the entities of `gold` are not read)."""
        found = self._stored(gold, spans)
        if found is not None:
            return found
        self.tokenized += 1
        return span_edge_arrays(gold, spans)

    def span_arrays_many(
        self, golds: Sequence[Document], spans: Sequence[Sequence[tuple[str, int, int]]]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """`span_arrays` of each document in turn (with its spans); the ones tokenized are
        tokenized all at once (`iob.span_edge_arrays_many`)."""
        found = [self._stored(g, s) for g, s in zip(golds, spans, strict=True)]
        self.tokenized += found.count(None)
        return tokenize_missing(found, golds, spans)

    def _stored(
        self, gold: Document, spans: Sequence[tuple[str, int, int]]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The stored view of the gold document, if it fits (see the module docstring)."""
        for k, head in enumerate(self._heads):
            if head is None or head[0] != gold.id:
                continue
            self._heads[k] = self._next(k)
            _, text, bounds, starts, ends = head
            if text == gold.text and bounds == _boundaries(spans):
                self.stored += 1
                return starts, ends
            break  # the row is stale: tokenize
        return None

    def sources(self) -> dict[str, Any]:
        """Where the offsets came from (see `EvalResult.token_sources`)."""
        unreadable = list(self.unreadable)
        return {"stored": self.stored, "tokenized": self.tokenized, "unreadable": unreadable}


_Edges = tuple[np.ndarray, np.ndarray]


def tokenize_missing(
    found: list[_Edges | None],
    golds: Sequence[Document],
    spans: Sequence[Sequence[tuple[str, int, int]]],
) -> list[_Edges]:
    """`found`, each None replaced by the token offsets of that gold document with its
    spans, tokenized all at once."""
    todo = [i for i, edges in enumerate(found) if edges is None]
    if not todo:
        return found  # type: ignore[return-value]
    made = span_edge_arrays_many([golds[i] for i in todo], [spans[i] for i in todo])
    for i, edges in zip(todo, made, strict=True):
        found[i] = edges
    return found  # type: ignore[return-value]


_SPAN = attrgetter("label", "start", "end")
_START, _END = itemgetter(1), itemgetter(2)


def _boundaries(spans: Sequence[tuple[str, int, int]]) -> set[int]:
    out = set(map(_START, spans))
    out.update(map(_END, spans))
    return out


def _shards(gold: Path) -> dict[str, list[str]]:
    """A gold folder's Parquet shards by split; none for anything else."""
    if not gold.is_dir():
        return {}
    from eventgold.dataset.folder import parquet_files  # imports pyarrow: only when used

    return parquet_files(gold)
