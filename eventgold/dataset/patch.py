"""Patch a gold folder: the previous gold with some documents removed, added or replaced,
written without parsing or encoding the documents that did not change.

`iter_patch_gold` writes the same folder, byte for byte, as `writer.iter_write_gold` of the
whole new set of documents (tested on random deltas), in the same atomic swap:

- ``documents.jsonl``: the previous file's lines copied as bytes, the new documents' lines
  merged in by id (each line's id is read from its start: `dumps_document` writes ``id``
  first);
- Parquet shards and ``hf/`` Arrow files: per split, the previous rows (memory-mapped from
  ``hf/<split>/``) less the removed ones, with the new documents' encoded rows merged in by id,
  written in the batches the writer makes (`ShardWriter.table_jobs`), so the files are equal
  (Parquet and Arrow in two threads, while this one merges ``documents.jsonl``);
- the card and ``stats.json``: counts per split from the rows' columns (Arrow compute);
  licences from the rows' ``meta`` that name one; the events sample from the first documents
  in id order, and the event count as the previous ``stats.json``'s less the removed
  documents' plus the new ones'.

New documents are checked as the writer checks them. The whole gold is written by the writer
instead, with the reason (`PatchedGold.reason`), when a patch could differ from it or gains
little: the previous folder lacks a file (``stats.json``: written by an older eventgold), was
written with other features (labels), another schema (the hash in ``stats.json``), seed or
ratios (every previous row is checked to sit in the split its ``meta.split`` or hash names),
or its files disagree; a new document has a problem (the writer
reports it); the small-corpus rule could move a document (`fill_empty_splits`); or more than
half of the documents are new. The previous folder must come from this eventgold's writer: a
change to tokenisation between versions is not detected (re-pull with ``--full`` after an
upgrade).
"""

from __future__ import annotations

import bisect
import heapq
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from eventgold.atomic import atomic_dir
from eventgold.dataset.features import RowEncoder, canonical, features, to_row
from eventgold.dataset.folder import (
    DATA_DIR,
    DOCUMENTS_FILE,
    GOLD_MARKER,
    HF_ARROW,
    HF_DIR,
    REJECTS_FILE,
    STATS_FILE,
    require_gold_target,
)
from eventgold.dataset.splits import (
    DEFAULT_RATIOS,
    DEFAULT_SEED,
    FILL_MAX,
    SPLITS,
    SplitRatios,
    placed,
    split_by_hash,
    split_hash,
    split_problems,
)
from eventgold.dataset.stats import GoldStats, read_stats
from eventgold.dataset.summary import LIST_IDS_MAX, GoldSummary, SplitSummary
from eventgold.dataset.writer import (
    DEFAULT_SHARD_ROWS,
    ShardWriter,
    finish_folder,
    hf_metadata,
    hf_split_files,
    iter_write_gold,
    write_rejects,
)
from eventgold.documents import Document, dumps_document, parse_document, read_documents
from eventgold.progress import Progress, Steps
from eventgold.schema import Schema, schema_fingerprint
from eventgold.validate import validate_document

if TYPE_CHECKING:
    import datasets

    from eventgold.eval.events.rows import EventSample

_LINE_START = b'{"id":"'  # every line of dumps_document starts so (the id is its first key)
_WORTH = 0.5  # a patch is made while at most this share of the new gold's documents is new


@dataclass(frozen=True, slots=True)
class GoldDelta:
    """What changed since a gold folder was written: `removed` ids leave it; `documents` are
    added, each replacing the previous document with its id (ids not in it are ignored)."""

    documents: tuple[Document, ...] = ()
    removed: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class PatchedGold:
    summary: GoldSummary
    patched: bool  # False: written whole by the writer, for `reason`
    reason: str = ""


class _NotPatchable(Exception):
    """Why a patch could differ from the writer's output (or is not worth it)."""


def iter_patch_gold(
    previous: Path,
    delta: GoldDelta,
    out_dir: Path,
    *,
    schema: Schema,
    rejects: Iterable[Mapping[str, Any]] = (),
    provenance: Mapping[str, Any] | None = None,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    agreement_markdown: str | None = None,
    ratios: SplitRatios = DEFAULT_RATIOS,
    seed: str = DEFAULT_SEED,
    sidecars: Mapping[str, Path] | None = None,
) -> Steps[PatchedGold]:
    """Write to `out_dir` (it may be `previous`) the gold of `previous`'s documents changed by
    `delta`: by patching (see the module docstring), else by `iter_write_gold`. Same arguments,
    errors and progress stages as `iter_write_gold`; `rejects` are written as given."""
    previous, out_dir = Path(previous), Path(out_dir)
    rejects = list(rejects)
    try:
        summary = yield from _patch(
            previous,
            delta,
            out_dir,
            schema=schema,
            rejects=rejects,
            provenance=provenance,
            shard_rows=shard_rows,
            agreement_markdown=agreement_markdown,
            ratios=ratios,
            seed=seed,
            sidecars=sidecars,
        )
        return PatchedGold(summary, True)
    except _NotPatchable as exc:
        reason = str(exc)
    summary = yield from iter_write_gold(
        merged_documents(previous, delta),
        out_dir,
        schema=schema,
        rejects=rejects,
        provenance=provenance,
        shard_rows=shard_rows,
        agreement_markdown=agreement_markdown,
        ratios=ratios,
        seed=seed,
        sidecars=sidecars,
    )
    return PatchedGold(summary, False, reason)


def merged_documents(previous: Path, delta: GoldDelta) -> Iterator[Document]:
    """The documents of `previous` changed by `delta`, in id order (parsed: for the writer)."""
    drop = delta.removed | {d.id for d in delta.documents}
    path = Path(previous) / DOCUMENTS_FILE
    old = (d for d in read_documents(path) if d.id not in drop) if path.is_file() else iter(())
    new = sorted(delta.documents, key=lambda d: d.id)
    yield from heapq.merge(old, new, key=lambda d: d.id)


@dataclass(frozen=True, slots=True)
class _New:
    """A new document, as the writer makes it: canonical, its JSONL line, encoded row, split."""

    doc: Document
    line: bytes
    row: dict[str, Any]
    split: int


def _patch(
    previous: Path,
    delta: GoldDelta,
    out_dir: Path,
    *,
    schema: Schema,
    rejects: list[Mapping[str, Any]],
    provenance: Mapping[str, Any] | None,
    shard_rows: int,
    agreement_markdown: str | None,
    ratios: SplitRatios,
    seed: str,
    sidecars: Mapping[str, Path] | None,
) -> Steps[GoldSummary]:
    from eventgold.eval.events.rows import EventSample

    require_gold_target(out_dir)
    if shard_rows < 1 or ratios.problems():
        raise _NotPatchable("bad shard_rows or split ratios (the writer says which)")
    feats = features(schema)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventgold-hf")
    hf_files = pool.submit(hf_split_files, feats)
    pool.shutdown(wait=False)
    old_tables, stats = _previous_files(previous, feats, schema)
    old_events = stats.events or 0  # None: the schema declares no events (then unused)

    # The new documents, checked as the writer checks them; any problem: the writer reports.
    new_docs = sorted(delta.documents, key=lambda d: d.id)
    ids = [d.id for d in new_docs]
    if len(set(ids)) < len(ids):
        raise _NotPatchable("a document id is given twice (the writer reports it)")
    if any(validate_document(d, schema) + split_problems(d) for d in new_docs):
        raise _NotPatchable("a new document has problems (the writer reports them)")
    drop = delta.removed | set(ids)

    # Every previous row must sit where the writer would put it now (seed, ratios, no
    # document moved by the small-corpus rule); count what stays.
    counts = Counter[int]()
    hashed = 0
    old_ids: dict[int, list[str]] = {}
    for split, table in old_tables.items():
        old_ids[split] = table.column("id").to_pylist()
        pinned = _pinned_splits(table)
        for i, doc_id in enumerate(old_ids[split]):
            where = pinned.get(i)
            if where is None:
                if split_by_hash(split_hash(doc_id, seed=seed), ratios) != split:
                    raise _NotPatchable(
                        f"document '{doc_id}' is in {SPLITS[split]}, not where its hash with "
                        "this seed and these ratios puts it (another seed or ratios, or moved "
                        "by the small-corpus rule)"
                    )
                if doc_id not in drop:
                    hashed += 1
            elif where != SPLITS[split]:
                raise _NotPatchable(f"document '{doc_id}' is not in its meta.split {where!r}")
            if doc_id not in drop:
                counts[split] += 1
    total_old = sum(t.num_rows for t in old_tables.values())
    if len(new_docs) > _WORTH * (sum(counts.values()) + len(new_docs)):
        raise _NotPatchable(
            f"{len(new_docs)} of the documents are new or changed: most of the gold is new"
        )

    encode = RowEncoder(feats)
    new: list[_New] = []
    for doc in new_docs:
        doc = canonical(doc)
        line = (dumps_document(doc) + "\n").encode("utf-8")
        split, u = placed(doc, ratios=ratios, seed=seed)
        hashed += u is not None
        new.append(_New(doc, line, encode(to_row(doc, schema)), split))
        counts[split] += 1
    shares = (ratios.train, ratios.validation, ratios.test)
    if hashed < FILL_MAX and not all(counts[k] for k, share in enumerate(shares) if share):
        raise _NotPatchable(
            "a split would be empty in a small gold: the small-corpus rule may move documents"
        )
    tables = {
        split: _merged_table(
            old_tables.get(split),
            old_ids.get(split, []),
            drop,
            [n for n in new if n.split == split],
            feats,
        )
        for split in range(len(SPLITS))
    }
    total = sum(t.num_rows for t in tables.values())

    with atomic_dir(out_dir) as stage:
        stage.chmod(0o755)  # as the writer: the gold is for everyone to read
        yield Progress("write", 0, total)
        expected = list(heapq.merge(*old_ids.values()))
        if len(expected) != total_old:
            raise _NotPatchable("the previous hf/ splits hold a document id twice")
        (stage / DATA_DIR).mkdir()
        writers: dict[int, ShardWriter] = {}
        jobs: list[Callable[[], None]] = []
        for split, table in tables.items():
            if table.num_rows:
                name = SPLITS[split]
                writers[split] = ShardWriter(
                    stage / DATA_DIR, stage / HF_DIR / name / HF_ARROW, name, shard_rows, feats
                )
                jobs += writers[split].table_jobs(table)
        # The rows are written in two threads (pyarrow releases the GIL) while this one
        # merges documents.jsonl.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="eventgold-rows") as pool:
            running = [pool.submit(job) for job in jobs]
            events = EventSample(schema) if schema.events is not None else None
            removed_events = _merge_lines(
                previous / DOCUMENTS_FILE,
                stage / DOCUMENTS_FILE,
                expected,
                drop,
                new,
                events,
                schema,
            )
            n_rejects = write_rejects(stage / REJECTS_FILE, rejects)
            for job in running:
                job.result()  # raises a thread's error, if any
        yield Progress("write", total, total)
        for writer in writers.values():
            writer.close()
        yield Progress("hf", 0, 1)
        hf_metadata(stage / HF_DIR, [SPLITS[i] for i in sorted(writers)], hf_files.result())
        yield Progress("hf", 1, 1)
        summary = GoldSummary(
            path=out_dir,
            splits=tuple(
                _split_summary(name, tables[i], writers.get(i), encode, schema)
                for i, name in enumerate(SPLITS)
            ),
            rejects=n_rejects,
            ratios=ratios,
            seed=seed,
            shard_rows=shard_rows,
            sources=_sources(tables.values()),
        )
        if events is not None:
            # The sample holds the first rows by id; the count is the whole gold's.
            added = sum(_event_count(n.doc, schema) for n in new)
            events.events = old_events - removed_events + added
        finish_folder(
            stage,
            summary,
            schema=schema,
            provenance=provenance,
            agreement_markdown=agreement_markdown,
            events=events,
            sidecars=sidecars,
        )
        del tables, old_tables  # the memory maps of the previous folder, before the swap
    return summary


def _previous_files(
    previous: Path, feats: datasets.Features, schema: Schema
) -> tuple[dict[int, pa.Table], GoldStats]:
    """The previous rows per split index (memory-mapped) and stats, checked to be what this
    writer would have made with these features and schema."""
    names = (GOLD_MARKER, DOCUMENTS_FILE, f"{HF_DIR}/dataset_dict.json")
    if missing := [n for n in names if not (previous / n).is_file()]:
        raise _NotPatchable(f"{previous} holds no gold to patch (no {', '.join(missing)})")
    path = previous / STATS_FILE
    if not path.is_file():
        raise _NotPatchable(f"{previous} has no {STATS_FILE}: an older eventgold wrote it")
    try:
        stats = read_stats(path)
    except (OSError, ValueError) as exc:
        raise _NotPatchable(f"{path} cannot be read: {exc}") from exc
    if stats.schema != schema_fingerprint(schema):
        raise _NotPatchable("the previous gold was written under another schema")
    if stats.events is None and schema.events is not None:
        raise _NotPatchable(f"{path} has no event count")
    try:
        listed = json.loads((previous / HF_DIR / "dataset_dict.json").read_text("utf-8"))
        splits = [SPLITS.index(name) for name in listed["splits"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise _NotPatchable(f"{previous / HF_DIR} lists no splits this eventgold writes") from exc
    tables: dict[int, pa.Table] = {}
    for split in splits:
        path = previous / HF_DIR / SPLITS[split] / HF_ARROW
        try:
            table = pa.ipc.open_stream(pa.memory_map(str(path))).read_all()
        except (OSError, pa.ArrowInvalid) as exc:
            raise _NotPatchable(f"{path} cannot be read as an Arrow stream") from exc
        if not table.schema.equals(feats.arrow_schema, check_metadata=True):
            raise _NotPatchable(
                "the previous gold's rows have other features (labels, or another eventgold)"
            )
        tables[split] = table
    return tables, stats


def _pinned_splits(table: pa.Table) -> dict[int, Any]:
    """Row index -> ``meta.split`` of the rows that set one. Only metas that hold the text
    ``"split":`` are parsed (a top-level key "split" is written so, `to_row`)."""
    meta = table.column("meta")
    hits = pc.match_substring(meta, '"split":').to_numpy(zero_copy_only=False).nonzero()[0]
    found: dict[int, Any] = {}
    for i in hits.tolist():
        value = json.loads(meta[i].as_py()).get("split")
        if value is not None:
            found[i] = value
    return found


def _merged_table(
    old: pa.Table | None,
    old_ids: list[str],
    drop: set[str],
    new: list[_New],
    feats: datasets.Features,
) -> pa.Table:
    """One split's rows in id order: the previous ones not in `drop` (zero-copy slices) with
    the new ones (`new`, in id order) between them."""
    schema = feats.arrow_schema
    added = pa.Table.from_pylist([n.row for n in new], schema=schema)
    if old is None:
        return added
    # (position in old, 0 insert / 1 drop, index into new): inserts before a drop at a position.
    cuts = [(bisect.bisect_left(old_ids, n.doc.id), 0, j) for j, n in enumerate(new)]
    cuts += [(i, 1, 0) for i, doc_id in enumerate(old_ids) if doc_id in drop]
    pieces: list[pa.Table] = []
    at = 0
    for pos, kind, j in sorted(cuts):
        if pos > at:
            pieces.append(old.slice(at, pos - at))
            at = pos
        if kind == 0:
            pieces.append(added.slice(j, 1))
        else:
            at = pos + 1
    if at < old.num_rows:
        pieces.append(old.slice(at))
    return pa.concat_tables(pieces) if pieces else added


def _line_id(line: bytes) -> str:
    if not line.startswith(_LINE_START) or not line.endswith(b"\n"):
        raise _NotPatchable(f"{DOCUMENTS_FILE} has a line not written by this eventgold")
    end = line.find(b'"', len(_LINE_START))
    raw = line[len(_LINE_START) : end]
    if b"\\" not in raw:
        return raw.decode("utf-8")
    return json.decoder.scanstring(line.decode("utf-8"), len(_LINE_START))[0]


def _merge_lines(
    source: Path,
    target: Path,
    expected: list[str],
    drop: set[str],
    new: list[_New],
    events: EventSample | None,
    schema: Schema,
) -> int:
    """Write `target`: `source`'s lines (whose ids must be `expected`) less `drop`, with the
    new lines merged in by id. Feed `events` the documents until it holds its first rows;
    return the event count of the dropped previous documents."""
    removed = 0

    def sample(doc: Document) -> None:
        if events is not None and events.events < events.limit:
            events.add(doc)

    def parsed(line: bytes) -> Document:
        doc, found = parse_document(json.loads(line))
        if doc is None:
            raise _NotPatchable(f"{DOCUMENTS_FILE} has a line that is not a document: {found}")
        return doc

    j = 0
    k = 0
    with source.open("rb") as src, target.open("wb") as out:
        for line in src:
            doc_id = _line_id(line)
            if k >= len(expected) or doc_id != expected[k]:
                raise _NotPatchable(f"{DOCUMENTS_FILE} and {HF_DIR}/ hold other documents")
            k += 1
            while j < len(new) and new[j].doc.id < doc_id:
                out.write(new[j].line)
                sample(new[j].doc)
                j += 1
            if doc_id in drop:
                if events is not None:
                    removed += _event_count(parsed(line), schema)
                continue
            out.write(line)
            if events is not None and events.events < events.limit:
                events.add(parsed(line))
        if k != len(expected):
            raise _NotPatchable(f"{DOCUMENTS_FILE} and {HF_DIR}/ hold other documents")
        for n in new[j:]:
            out.write(n.line)
            sample(n.doc)
    return removed


def _event_count(doc: Document, schema: Schema) -> int:
    from eventgold.eval.events.rows import event_table

    return len(next(event_table([doc], schema)).events)


def _label_counts(column: pa.ChunkedArray) -> Counter[int]:
    """Label id -> count over a list-of-struct column's ``label`` fields."""
    flat = pc.list_flatten(column)
    if not len(flat):
        return Counter()
    labels = pc.struct_field(flat, "label")
    counts = pc.value_counts(labels).to_pylist()
    return Counter({c["values"]: c["counts"] for c in counts})


def _split_summary(
    name: str, table: pa.Table, writer: ShardWriter | None, encode: RowEncoder, schema: Schema
) -> SplitSummary:
    entities = _label_counts(table.column("entities"))
    relations = _label_counts(table.column("relations"))
    n = table.num_rows
    return SplitSummary(
        name=name,
        documents=n,
        tokens=int(pc.sum(pc.list_value_length(table.column("tokens"))).as_py() or 0),
        entities={label: entities[encode.entity[label]] for label in schema.entity_labels},
        relations={label: relations[encode.relation[label]] for label in schema.relation_labels},
        shards=tuple(f"{DATA_DIR}/{p.name}" for p in (writer.paths if writer else [])),
        ids=tuple(table.column("id").to_pylist()) if n <= LIST_IDS_MAX else (),
    )


def _sources(tables: Iterable[pa.Table]) -> tuple[tuple[str, str, int], ...]:
    """(licence, attribution, documents) as the writer counts them, from the metas that hold
    the text ``"licence"`` (only those are parsed)."""
    found: Counter[tuple[str, str]] = Counter()
    for table in tables:
        meta = table.column("meta")
        if not len(meta):
            continue
        hits = pc.match_substring(meta, '"licence"').to_numpy(zero_copy_only=False)
        for i in hits.nonzero()[0].tolist():
            values = json.loads(meta[i].as_py())
            if values.get("licence"):
                who = str(values.get("attribution") or "")
                found[(str(values["licence"]), who)] += 1
    return tuple((lic, who, n) for (lic, who), n in sorted(found.items()))
