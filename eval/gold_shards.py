"""The gold read from a gold folder's Parquet shards, when the folder vouches for them.

Decoding a gold ``documents.jsonl`` and checking each record as gold is about half of what
`eventgold eval` reads; the predictions are the other half. A gold folder holds the same
documents as columns in ``data/*.parquet``, written with the file from the same checked
documents (`dataset.writer`), each split in the file's order (by id). Read from there, they
need no JSON decoder and no check.

The shards stand in for the file only when the folder vouches for both: its ``stats.json``
holds the sha256 of ``documents.jsonl`` and of every shard as written, and the hash of the
schema they were checked under (`dataset.stats`). A file edited since (by hand, say), a shard
added, removed or changed, another schema, or a folder an older eventgold wrote without the
digests: `trusted_shards` gives None and the file is read and checked the JSON way. Hashing
costs about 1 ms a MB, a tenth of decoding.
"""

from __future__ import annotations

import heapq
import itertools
import json
import sys
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from eventgold.dataset.folder import DOCUMENTS_FILE, STATS_FILE, parquet_files
from eventgold.dataset.stats import data_digests, data_files, read_stats
from eventgold.documents import Document
from eventgold.eval.gold_tokens import int_list, token_edges_of
from eventgold.eval.record_parts import Parts
from eventgold.eval.relations import Resolved
from eventgold.schema import Schema, schema_fingerprint

BATCH_ROWS = 256  # rows read from a shard at a time
_HEAD = ("id", "title", "text", "source", "meta")
# The entities' fields but their texts (a nested field is read on its own), and the relations.
_ANNOTATIONS = [f"entities.list.element.{name}" for name in ("id", "start", "end", "label")]
_ANNOTATIONS.append("relations")
_TOKENS = ["token_starts", "token_ends"]


def trusted_shards(folder: Path, schema: Schema) -> ShardGold | None:
    """The shards of gold folder `folder` if its ``stats.json`` vouches for them and for its
    ``documents.jsonl`` as they are now, under `schema` (see the module docstring); else
    None."""
    folder = Path(folder)
    try:
        stats = read_stats(folder / STATS_FILE)
    except (OSError, ValueError):
        return None
    if stats.schema != schema_fingerprint(schema) or set(stats.sha256) != set(data_files(folder)):
        return None
    try:
        if data_digests(folder) != dict(stats.sha256):
            return None
    except OSError:
        return None
    return ShardGold(folder, schema, stats.sha256[DOCUMENTS_FILE])


# A document's id, head (a `Document` without annotations), parts (`table.gold_parts` of the
# document) and token starts and ends (its IOB view's); parts and tokens None when not read.
ShardRow = tuple[str, Document, Parts | None, tuple[np.ndarray, np.ndarray] | None]


class ShardGold:
    """The documents of a gold folder whose shards `trusted_shards` vouched for. `sha256` is
    that of its ``documents.jsonl``."""

    def __init__(self, folder: Path, schema: Schema, sha256: str) -> None:
        self.folder = Path(folder)
        self.sha256 = sha256
        # The shards' labels are class ids in schema order (`dataset.features`); the names are
        # interned, as a record's are, since scoring keeps millions of them.
        self._labels = tuple(map(sys.intern, schema.entity_labels))
        self._relation_labels = tuple(map(sys.intern, schema.relation_labels))

    def count(self) -> int:
        """The documents, from the shards' footers; ValueError names a shard that cannot be
        read."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        total = 0
        for file in (f for split in parquet_files(self.folder).values() for f in split):
            try:
                total += pq.read_metadata(file).num_rows
            except (OSError, pa.ArrowException) as exc:
                raise ValueError(f"{file}: {exc}") from exc
        return total

    def rows(self, *, annotations: bool, tokens: bool) -> Iterator[ShardRow]:
        """Each document in the order of ``documents.jsonl`` (by id), its parts read with
        `annotations` and its token offsets with `tokens`. A shard that cannot be read, or
        rows out of order, raise ValueError naming the shard."""
        columns = list(_HEAD)
        columns += _ANNOTATIONS if annotations else []
        columns += _TOKENS if tokens else []
        files = parquet_files(self.folder).values()
        splits = [self._split(names, columns, annotations, tokens) for names in files]
        last = None
        for row in heapq.merge(*splits, key=itemgetter(0)):
            if last is not None and row[0] <= last:
                raise ValueError(f"the shards' documents are out of order at '{row[0]}'")
            last = row[0]
            yield row

    def heads(self, parts: dict[str, Parts] | None) -> Iterator[Document]:
        """`rows` as heads, each document's parts put in `parts` by id (not read without
        `parts`)."""
        for doc_id, head, doc_parts, _ in self.rows(annotations=parts is not None, tokens=False):
            if parts is not None:
                parts[doc_id] = doc_parts  # type: ignore[assignment]
            yield head

    def _split(
        self, files: list[str], columns: list[str], annotations: bool, tokens: bool
    ) -> Iterator[ShardRow]:
        """One split's documents, shard after shard."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        for file in files:
            try:
                with pq.ParquetFile(file) as shard:
                    for batch in shard.iter_batches(batch_size=BATCH_ROWS, columns=columns):
                        yield from self._batch(batch, annotations, tokens)
            except (OSError, ValueError, KeyError, IndexError, pa.ArrowException) as exc:
                raise ValueError(f"{file}: {exc}") from exc

    def _batch(self, batch: Any, annotations: bool, tokens: bool) -> Iterator[ShardRow]:
        ids, titles, texts, sources, metas = (batch.column(c).to_pylist() for c in _HEAD)
        parts = self._parts(batch) if annotations else itertools.repeat(None)
        edges = token_edges_of(batch) if tokens else itertools.repeat(None)
        # As long as the batch: `repeat` is endless.
        for i, doc_parts, doc_edges in zip(range(len(ids)), parts, edges, strict=False):
            meta = {} if metas[i] == "{}" else json.loads(metas[i])
            head = Document(ids[i], texts[i], titles[i], sources[i], meta)
            yield ids[i], head, doc_parts, doc_edges

    def _parts(self, batch: Any) -> Iterator[Parts]:
        """Each row's spans and resolved relations (`table.gold_parts`)."""
        # A list column's offsets index its values, whatever the batch's own offset.
        ents = batch.column("entities")
        e_at, values = int_list(ents.offsets), ents.values
        labels = list(map(self._labels.__getitem__, int_list(values.field("label"))))
        starts, ends = int_list(values.field("start")), int_list(values.field("end"))
        spans = list(zip(labels, starts, ends, strict=True))
        rels = batch.column("relations")
        r_at, r_values = int_list(rels.offsets), rels.values
        if len(r_values):
            # Ids are compared, never shown: as bytes, cut from one buffer, only for the
            # documents with relations (a string object each would cost more than the rest).
            e_ids = _Strings(values.field("id"))
            codes = int_list(r_values.field("label"))
            r_labels = list(map(self._relation_labels.__getitem__, codes))
            r_heads, r_tails = _Strings(r_values.field("head")), _Strings(r_values.field("tail"))
        for i in range(len(e_at) - 1):
            a, b, c, d = e_at[i], e_at[i + 1], r_at[i], r_at[i + 1]
            doc_spans = spans[a:b]
            resolved: set[Resolved] = set()
            if c < d:
                span_of = dict(zip(e_ids.cut(a, b), doc_spans, strict=True))
                resolved = {
                    (label, *span_of[h], *span_of[t])
                    for label, h, t in zip(
                        r_labels[c:d], r_heads.cut(c, d), r_tails.cut(c, d), strict=True
                    )
                }
            yield doc_spans, resolved


class _Strings:
    """A string column's values as bytes, cut on demand."""

    def __init__(self, arr: Any) -> None:
        import pyarrow as pa

        if arr.null_count or not (
            pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
        ):
            raise ValueError(f"a gold id column is {arr.type} with {arr.null_count} null(s)")
        width = 8 if pa.types.is_large_string(arr.type) else 4
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.dtype(f"<i{width}"))
        self._at = offsets[arr.offset : arr.offset + len(arr) + 1].tolist()
        self._data = arr.buffers()[2].to_pybytes() if len(arr) else b""

    def cut(self, a: int, b: int) -> list[bytes]:
        """Values ``a .. b - 1``."""
        at, data = self._at, self._data
        return [data[at[k] : at[k + 1]] for k in range(a, b)]
