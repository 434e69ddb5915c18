"""The gold dataset: one `datasets.Features` from the schema, splits, and the gold/ folder.

Layout written by `write_gold` (atomically: built in a staging folder and swapped in)::

    gold/
      .eventgold-gold                    the marker: only a folder holding it is replaced
      README.md                          dataset card (dataset.card)
      stats.json                         event count, schema hash, files' sha256 (dataset.stats)
      documents.jsonl                    the gold in the record format, sorted by id
      rejects.jsonl                      rejected annotations with located reasons
      data/<split>-00000-of-0000N.parquet  Parquet shards per split, `shard_rows` rows each
      hf/                                a `DatasetDict.save_to_disk` folder (`load_from_disk`)

Streaming: as documents arrive, each is validated, tokenised and encoded. Documents that arrive
in id order (a pull of a pushed corpus does) are written out at once: JSONL, Parquet and the
Arrow file per split, written in place in ``hf/`` (no second copy). Otherwise each one's JSONL
line and dataset row are spooled to a file in the staging folder, with only an index
(`Spooled`: id, byte offset, lengths, split) in memory (about 300 bytes a document, ~30 MB for
100k documents), and a second pass writes them sorted by id (Python string order). Rows go out in
batches of 256. Output is deterministic: the same documents in any order give byte-identical
documents.jsonl, card and Parquet shards. Entities and relations are put in a
canonical order (`canonical`). Splits: see `split_of` and
`fill_empty_splits`; a split left empty is not written (Parquet cannot hold an empty split that
`load_dataset` reads back) and the card says so.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import marshal
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq

from eventgold.atomic import atomic_dir, scratch_dir
from eventgold.dataset.card import render_card
from eventgold.dataset.features import RowEncoder, canonical, features, to_row
from eventgold.dataset.folder import (
    CARD_FILE,
    DATA_DIR,
    DOCUMENTS_FILE,
    GOLD_MARKER,
    GOLD_MARKER_TEXT,
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
    fill_empty_splits,
    placed,
    split_problems,
    splits_settled,
)
from eventgold.dataset.stats import GoldStats, data_digests, write_stats
from eventgold.dataset.summary import LIST_IDS_MAX, GoldSummary, SplitSummary
from eventgold.documents import (
    Document,
    dumps_document,
    parse_document,
)
from eventgold.problems import DUPLICATE_DOCUMENT, Problem, ProblemsError
from eventgold.progress import Progress, Steps, drain
from eventgold.schema import Schema, schema_fingerprint
from eventgold.validate import validate_document

if TYPE_CHECKING:  # `datasets` (with pandas) takes ~1.4 s to import: only what uses it pays
    import datasets

    from eventgold.eval.events.rows import EventSample

DEFAULT_SHARD_ROWS = 5_000


_BATCH_ROWS = 256  # rows per Parquet row group: bounds memory while writing
HF_SCRATCH = "eventgold-hf-"  # `hf_split_files`' folder in the system's temporary folder


# --- splits ------------------------------------------------------------------------------------


# --- rows ----------------------------------------------------------------------------------------


# --- writing -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _SplitStats:
    # Mutable accumulator, private to one write; frozen into a SplitSummary at the end.
    documents: int = 0
    tokens: int = 0
    entities: Counter = field(default_factory=Counter)
    relations: Counter = field(default_factory=Counter)
    ids: list[str] = field(default_factory=list)


class ShardWriter:
    """Rows of one split into ``<split>-0000i-of-0000N.parquet`` files of `shard_rows` rows,
    and the same batches into the split's Arrow stream file in ``gold/hf`` (`hf_metadata`).

    N is known only at `close` (rows may stream in before the split's size is known): shards
    are written under a partial name and renamed then.
    """

    def __init__(
        self,
        data_dir: Path,
        arrow_path: Path,
        split: str,
        shard_rows: int,
        feats: datasets.Features,
    ) -> None:
        self.data_dir = data_dir
        self.split = split
        self.partial: list[Path] = []
        self.paths: list[Path] = []  # final names, set by close
        self.shard_rows = shard_rows
        self.schema = feats.arrow_schema
        self.rows: list[dict[str, Any]] = []
        self.written = 0  # rows in finished batches
        self.writer: pq.ParquetWriter | None = None
        self.shard = -1
        arrow_path.parent.mkdir(parents=True, exist_ok=True)
        self.arrow = pa.ipc.new_stream(str(arrow_path), self.schema)

    def add(self, row: dict[str, Any]) -> None:
        """Add one row, already encoded (`RowEncoder`)."""
        self.rows.append(row)
        if len(self.rows) >= _BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        while self.rows:
            shard = self.written // self.shard_rows
            if shard != self.shard:
                self._close_shard()
                self.shard = shard
                self.partial.append(self.data_dir / f".{self.split}-{shard:05d}.partial")
                self.writer = pq.ParquetWriter(self.partial[-1], self.schema)
            room = (shard + 1) * self.shard_rows - self.written
            batch, self.rows = self.rows[:room], self.rows[room:]
            table = pa.Table.from_pylist(batch, schema=self.schema)
            assert self.writer is not None
            self.writer.write_table(table)
            self.arrow.write_table(table)
            self.written += len(batch)

    def table_jobs(self, table: pa.Table) -> list[Callable[[], None]]:
        """Jobs that write rows already in a table (with this split's schema), in the batches
        that `add` would have made of them one by one (a cut every `_BATCH_ROWS` rows from the
        split's start and at each shard's end), so the files are byte-identical: one job per
        Parquet shard and one for the Arrow file. They may run at once, in threads (pyarrow
        releases the GIL), in any order; then `close`."""
        assert not self.rows and not self.written and not self.partial, "rows come one way"
        cuts = sorted(
            {*range(0, table.num_rows, _BATCH_ROWS), *range(0, table.num_rows, self.shard_rows)}
        )
        batches = list(itertools.pairwise([*cuts, table.num_rows]))
        shards: dict[int, list[tuple[int, int]]] = {}
        for start, end in batches:
            shards.setdefault(start // self.shard_rows, []).append((start, end))
        self.partial = [self.data_dir / f".{self.split}-{i:05d}.partial" for i in sorted(shards)]
        self.shard = len(self.partial) - 1
        self.written = table.num_rows

        def parquet(path: Path, parts: list[tuple[int, int]]) -> None:
            with pq.ParquetWriter(path, self.schema) as writer:
                for start, end in parts:
                    writer.write_table(table.slice(start, end - start).combine_chunks())

        def arrow() -> None:
            for start, end in batches:
                self.arrow.write_table(table.slice(start, end - start).combine_chunks())

        jobs = [arrow]
        jobs += [functools.partial(parquet, path, shards[i]) for i, path in enumerate(self.partial)]
        return jobs

    def _close_shard(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def close(self) -> None:
        self.flush()
        self._close_shard()
        self.arrow.close()
        n = len(self.partial)
        for i, partial in enumerate(self.partial):
            self.paths.append(
                partial.rename(self.data_dir / f"{self.split}-{i:05d}-of-{n:05d}.parquet")
            )

    def abort(self) -> None:
        """Close the files without finishing them (the caller deletes them)."""
        self._close_shard()
        self.arrow.close()


class _Outputs:
    """The gold files that take documents in id order: documents.jsonl, Parquet, hf Arrow."""

    def __init__(self, stage: Path, *, shard_rows: int, feats: datasets.Features) -> None:
        self.stage = stage
        self.shard_rows = shard_rows
        self.feats = feats
        (stage / DATA_DIR).mkdir()
        self.docs = (stage / DOCUMENTS_FILE).open("wb")
        self.writers: dict[int, ShardWriter] = {}
        self.stats = {i: _SplitStats() for i in range(len(SPLITS))}

    def add(self, split: int, line: bytes, row: dict[str, Any]) -> None:
        """One document: its JSONL line and its encoded row (`RowEncoder`)."""
        self.docs.write(line)
        writer = self.writers.get(split) or self._open(split)
        writer.add(row)
        st = self.stats[split]
        st.documents += 1
        st.tokens += len(row["tokens"])
        st.entities.update(e["label"] for e in row["entities"])
        st.relations.update(r["label"] for r in row["relations"])
        if len(st.ids) <= LIST_IDS_MAX:
            st.ids.append(row["id"])

    def _open(self, split: int) -> ShardWriter:
        name = SPLITS[split]
        self.writers[split] = ShardWriter(
            self.stage / DATA_DIR,
            self.stage / HF_DIR / name / HF_ARROW,
            name,
            self.shard_rows,
            self.feats,
        )
        return self.writers[split]

    def open_every_split(self) -> None:
        """A writer for each split still without one: an empty gold is then still a loadable
        `DatasetDict` with every split and the schema's features (no rows, no Parquet shard)."""
        for split in range(len(SPLITS)):
            if split not in self.writers:
                self._open(split)

    def close(self) -> None:
        self.docs.close()
        for w in self.writers.values():
            w.close()

    def discard(self) -> None:
        """Close and delete everything written, for a fresh start."""
        self.docs.close()
        for w in self.writers.values():
            w.abort()
        (self.stage / DOCUMENTS_FILE).unlink()
        shutil.rmtree(self.stage / DATA_DIR)
        shutil.rmtree(self.stage / HF_DIR, ignore_errors=True)


@contextlib.contextmanager
def _quiet_datasets() -> Iterator[None]:
    """Silence `datasets` progress bars: library code never prints (the CLI shows progress)."""
    import datasets

    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_enabled:
            datasets.enable_progress_bars()


def _json_default(value: Any) -> Any:
    if hasattr(value, "to_json"):
        return value.to_json()
    raise TypeError(f"cannot write {type(value).__name__} to rejects.jsonl")


def write_rejects(path: Path, rejects: Iterable[Mapping[str, Any]]) -> int:
    """Write ``rejects.jsonl``; return how many rows are rejections."""
    n_rejects = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for reject in rejects:
            fh.write(json.dumps(reject, ensure_ascii=False, default=_json_default) + "\n")
            # Rows of relations left out of kept annotations (pull) are not rejections.
            n_rejects += reject.get("kind") != "relation"
    return n_rejects


def hf_split_files(feats: datasets.Features) -> dict[str, str]:
    """The JSON files `datasets` keeps beside one split's Arrow data (``state.json``,
    ``dataset_info.json``), by name; they are the same for every split.

    They come from `save_to_disk` of an empty dataset with the same features, so they are what
    the installed `datasets` writes and reads; only the data file list names ours. Copying the
    rows through `save_to_disk` instead cost a second write of every byte and, through the
    memory map, resident memory as large as the data.
    """
    import datasets

    empty = pa.Table.from_batches([], schema=feats.arrow_schema)
    # Named for this process: a run killed meanwhile leaves it, and the next one removes it.
    with scratch_dir(Path(tempfile.gettempdir()), HF_SCRATCH) as tmp, _quiet_datasets():
        datasets.Dataset(empty, info=datasets.DatasetInfo(features=feats)).save_to_disk(tmp)
        state = json.loads(Path(tmp, "state.json").read_text(encoding="utf-8"))
        state["_data_files"] = [{"filename": HF_ARROW}]  # an empty dataset lists none
        return {
            "state.json": json.dumps(state, indent=2, sort_keys=True),
            "dataset_info.json": Path(tmp, "dataset_info.json").read_text(encoding="utf-8"),
        }


def hf_metadata(hf_dir: Path, splits: list[str], files: Mapping[str, str]) -> None:
    """Complete ``hf/`` around the Arrow files already in ``hf/<split>/``: its JSON files
    (`files`, from `hf_split_files`), and the split list as `DatasetDict.save_to_disk` writes it.
    """
    for name in splits:
        for file, text in files.items():
            (hf_dir / name / file).write_text(text, encoding="utf-8")
    (hf_dir / "dataset_dict.json").write_text(json.dumps({"splits": splits}), encoding="utf-8")


def _spooled(
    spool: BinaryIO, offset: int, n_line: int, n_row: int, schema: Schema, encode: RowEncoder
) -> tuple[bytes, dict[str, Any]]:
    """A spooled document's JSONL line and encoded row (made again from the line if the row
    was not spooled)."""
    spool.seek(offset)
    line = spool.read(n_line)
    if n_row:
        return line, marshal.loads(spool.read(n_row))
    doc, found = parse_document(json.loads(line))
    assert doc is not None and not found, found  # it was written from a valid document
    return line, encode(to_row(doc, schema))


class Spooled(NamedTuple):
    """Where one document's JSONL line and encoded row sit in the writer's spool: what the
    writer keeps in memory per document (the row length is 0 once it was written out)."""

    id: str
    offset: int
    line: int
    row: int
    split: int  # index into SPLITS


def _summary(
    path: Path,
    out: _Outputs,
    encode: RowEncoder,
    schema: Schema,
    n_rejects: int,
    ratios: SplitRatios,
    seed: str,
    shard_rows: int,
    moved: Mapping[str, int],
) -> GoldSummary:
    writers, stats = out.writers, out.stats
    return GoldSummary(
        path=path,
        splits=tuple(
            SplitSummary(
                name=name,
                documents=stats[i].documents,
                tokens=stats[i].tokens,
                entities={
                    label: stats[i].entities[encode.entity[label]] for label in schema.entity_labels
                },
                relations={
                    label: stats[i].relations[encode.relation[label]]
                    for label in schema.relation_labels
                },
                shards=tuple(
                    f"{DATA_DIR}/{p.name}" for p in (writers[i].paths if i in writers else [])
                ),
                ids=tuple(stats[i].ids) if stats[i].documents <= LIST_IDS_MAX else (),
            )
            for i, name in enumerate(SPLITS)
        ),
        rejects=n_rejects,
        ratios=ratios,
        seed=seed,
        shard_rows=shard_rows,
        moved=tuple(sorted(moved)),
    )


def iter_write_gold(
    documents: Iterable[Document],
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
) -> Steps[GoldSummary]:
    """`write_gold`, yielding progress (stages "read", "write", "hf"); returns the summary.

    Raises `ProblemsError` (leaving any old gold folder untouched) if a document is invalid
    gold, has an unknown ``meta.split``, or repeats an id.
    """
    # Imported here: the event layer is scoring code, loaded only when a gold is written.
    from eventgold.eval.events.rows import EventSample

    require_gold_target(Path(out_dir))
    if shard_rows < 1:
        raise ProblemsError([Problem("shard_rows", f"must be >= 1, got {shard_rows}")])
    if ratios.problems():
        raise ProblemsError(ratios.problems(), summary="bad split ratios")
    feats = features(schema)
    shares = (ratios.train, ratios.validation, ratios.test)
    # Made alongside the first documents (for pull: while the server builds the first chunk),
    # not after the last, where it would add to the work left once the server is done.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventgold-hf")
    hf_files = pool.submit(hf_split_files, feats)
    pool.shutdown(wait=False)
    with atomic_dir(Path(out_dir)) as stage:
        stage.chmod(0o755)  # mkdtemp makes it private; the gold is for everyone to read
        spool_path = stage / ".spool"
        # Each document is validated, tokenised and encoded as it arrives (for pull: while
        # Label Studio builds the next export chunk). Documents that arrive in id order (the
        # usual case: push sends a corpus in id order, the export returns it in task order) are
        # written out at once, once no split can still change (`splits_settled`); until then,
        # and for good if one arrives out of order, each one's JSONL line and encoded row
        # (marshal: fast, rows are plain str/int/list/dict) are spooled, and a second pass
        # writes them in id order. A streamed document spools its line only: if order breaks
        # later, its row is made again from the line.
        index: list[Spooled] = []
        hashed: list[tuple[str, float, int]] = []  # id, hash, split: only while tiny
        problems: list[Problem] = []
        encode = RowEncoder(feats)
        events = EventSample(schema) if schema.events is not None else None  # for the card
        seen: Counter[int] = Counter()  # documents per split index so far
        sources: Counter[tuple[str, str]] = Counter()  # (licence, attribution) -> documents
        out: _Outputs | None = None  # set while documents are written as they come
        in_order = True
        try:
            with spool_path.open("wb") as spool:
                for doc in documents:
                    found = validate_document(doc, schema) + split_problems(doc)
                    problems += found
                    if found:
                        continue
                    if problems:  # nothing will be written: only ids, for the duplicate check
                        index.append(Spooled(doc.id, 0, 0, 0, 0))
                        continue
                    if in_order and index and doc.id <= index[-1].id:
                        in_order = False
                        if out is not None:
                            out.discard()
                            out = None
                    doc = canonical(doc)
                    if doc.meta.get("licence"):
                        attribution = str(doc.meta.get("attribution") or "")
                        sources[(str(doc.meta["licence"]), attribution)] += 1
                    if events is not None:
                        events.add(doc)
                    line = (dumps_document(doc) + "\n").encode("utf-8")
                    row = encode(to_row(doc, schema))
                    split, u = placed(doc, ratios=ratios, seed=seed)
                    if u is not None and len(hashed) < FILL_MAX:
                        hashed.append((doc.id, u, split))
                    seen[split] += 1
                    offset = spool.tell()
                    spool.write(line)
                    packed = b"" if out is not None else marshal.dumps(row)
                    spool.write(packed)
                    index.append(Spooled(doc.id, offset, len(line), len(packed), split))
                    if out is not None:
                        out.add(split, line, row)
                    elif in_order and splits_settled(seen, shares, len(hashed)):
                        out = _Outputs(stage, shard_rows=shard_rows, feats=feats)
                        spool.flush()
                        with spool_path.open("rb") as back:
                            for _, o, n_line, n_row, sp in index:
                                out.add(sp, *_spooled(back, o, n_line, n_row, schema, encode))
                    if len(index) % 100 == 0:
                        yield Progress("read", len(index), None)
            index.sort()
            for a, b in itertools.pairwise(index):
                if a.id == b.id:
                    problems.append(
                        Problem(f"document '{b.id}'", "duplicate document id", DUPLICATE_DOCUMENT)
                    )
            if problems:
                raise ProblemsError(
                    problems, summary=f"{len(problems)} problem(s) in the gold documents"
                )
        except BaseException:
            if out is not None:
                out.discard()
            raise
        counts = Counter(entry.split for entry in index)
        if out is None and len(hashed) < FILL_MAX:
            moved = fill_empty_splits(hashed, counts, ratios)
            index = [e._replace(split=moved.get(e.id, e.split)) for e in index]
        else:  # streamed: `splits_settled` said no split can change
            moved = {}
        del hashed

        n_rejects = write_rejects(stage / REJECTS_FILE, rejects)

        total = len(index)
        if out is None:
            out = _Outputs(stage, shard_rows=shard_rows, feats=feats)
            yield Progress("write", 0, total)
            with spool_path.open("rb") as spool:
                for done, (_, offset, n_line, n_row, split) in enumerate(index, start=1):
                    out.add(split, *_spooled(spool, offset, n_line, n_row, schema, encode))
                    if done % 100 == 0 or done == total:
                        yield Progress("write", done, total)
        else:
            yield Progress("write", total, total)
        if not total:
            out.open_every_split()
        out.close()
        spool_path.unlink()
        writers = out.writers

        yield Progress("hf", 0, 1)
        hf_metadata(stage / HF_DIR, [SPLITS[i] for i in sorted(writers)], hf_files.result())
        yield Progress("hf", 1, 1)

        summary = _summary(
            Path(out_dir), out, encode, schema, n_rejects, ratios, seed, shard_rows, moved
        )
        summary = replace(
            summary, sources=tuple((lic, who, n) for (lic, who), n in sorted(sources.items()))
        )
        finish_folder(
            stage,
            summary,
            schema=schema,
            provenance=provenance,
            agreement_markdown=agreement_markdown,
            events=events,
            sidecars=sidecars,
        )
    return summary


def finish_folder(
    stage: Path,
    summary: GoldSummary,
    *,
    schema: Schema,
    provenance: Mapping[str, Any] | None,
    agreement_markdown: str | None,
    events: EventSample | None,
    sidecars: Mapping[str, Path] | None,
) -> None:
    """The last files of a gold folder being staged: the card, the stats, the marker and
    `sidecars`."""
    card = render_card(
        summary,
        schema=schema,
        provenance=provenance or {},
        agreement_markdown=agreement_markdown,
        events=events,
    )
    (stage / CARD_FILE).write_text(card, encoding="utf-8", newline="\n")
    events_count = events.events if events is not None else None
    stats = GoldStats(events_count, schema_fingerprint(schema), data_digests(stage))
    write_stats(stage / STATS_FILE, stats)
    (stage / GOLD_MARKER).write_text(GOLD_MARKER_TEXT, encoding="utf-8", newline="\n")
    # Run-specific files (e.g. Label Studio ids, pull time) ride along in the same swap.
    for name, source in sorted((sidecars or {}).items()):
        shutil.copyfile(source, stage / name)


def write_gold(
    documents: Iterable[Document],
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
) -> GoldSummary:
    """Write the gold folder (see the module docstring) and return what it holds.

    `sidecars` maps file names to files copied into the folder as they are (not part of the
    dataset, e.g. the run-specific facts of a pull).
    """
    steps = iter_write_gold(
        documents,
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
    return drain(steps)


# --- reading -------------------------------------------------------------------------------------
