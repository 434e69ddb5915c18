"""The gold dataset: one `datasets.Features` from the schema, splits, and the gold/ folder.

Layout written by `write_gold` (atomically: built in a staging folder and swapped in)::

    gold/
      README.md                          dataset card (annotate.card)
      documents.jsonl                    the gold in the record format, sorted by id
      rejects.jsonl                      rejected annotations with located reasons
      data/<split>-00000-of-0000N.parquet  Parquet shards per split, `shard_rows` rows each
      hf/                                a `DatasetDict.save_to_disk` folder (`load_from_disk`)

Streaming: as documents arrive, each is validated, tokenised and encoded. Documents that arrive
in id order (a pull of a pushed corpus does) are written out at once: JSONL, Parquet and the
Arrow file per split, written in place in ``hf/`` (no second copy). Otherwise each one's JSONL
line and dataset row are spooled to a file in the staging folder, with only an index ``(id,
byte offset, lengths, split)`` in memory (about 300 bytes a document, ~30 MB for 100k
documents), and a second pass writes them sorted by id (Python string order). Rows go out in
batches of 256. Output is deterministic: the same documents in any order give byte-identical
documents.jsonl, card and Parquet shards. Entities and relations are put in a
canonical order (`canonical`). Splits: see `split_of` and
`fill_empty_splits`; a split left empty is not written (Parquet cannot hold an empty split that
`load_dataset` reads back) and the card says so.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import marshal
import math
import shutil
import tempfile
from collections import Counter
from collections.abc import Generator, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from eventgold.annotate.atomic import atomic_dir, replaced_folder_problems
from eventgold.annotate.documents import (
    GOLD_DOCUMENTS,
    Document,
    Relation,
    dumps_document,
    gold_documents_file,
    new_entity,
    parse_document,
    read_documents,
)
from eventgold.annotate.problems import Problem, ProblemsError, allowed
from eventgold.annotate.schema import Schema
from eventgold.annotate.steps import drain
from eventgold.annotate.tokens import tokens_and_tags
from eventgold.annotate.validate import validate_document

if TYPE_CHECKING:  # `datasets` (with pandas) takes ~1.4 s to import: only what uses it pays
    import datasets

SPLITS: tuple[str, ...] = ("train", "validation", "test")
DEFAULT_SEED = "eventgold"
DEFAULT_SHARD_ROWS = 5_000
LIST_IDS_MAX = 20  # splits this small have their document ids listed in the card

DOCUMENTS_FILE = GOLD_DOCUMENTS
REJECTS_FILE = "rejects.jsonl"
CARD_FILE = "README.md"
DATA_DIR = "data"
HF_DIR = "hf"
HF_ARROW = "data-00000-of-00001.arrow"  # the one data file per split, as save_to_disk names it
ANNOTATIONS_FILE = "annotations.jsonl"  # pull: doc id -> the Label Studio task and annotation
PULL_FILE = "pull.json"  # pull: where and when the gold was pulled
# Everything a gold folder may hold: writing one replaces the folder whole, so a folder with
# anything else in it is refused rather than wiped.
GOLD_ENTRIES = frozenset(
    {DOCUMENTS_FILE, REJECTS_FILE, CARD_FILE, DATA_DIR, HF_DIR, ANNOTATIONS_FILE, PULL_FILE}
)
GOLD_TARGET = "gold-target"

BAD_SPLIT = "bad-split"
DUPLICATE_DOCUMENT = "duplicate-document-id"

_BATCH_ROWS = 256  # rows per Parquet row group: bounds memory while writing
# Empty splits are filled only in corpora smaller than this (see fill_empty_splits); larger
# corpora keep pure hash assignment and need no hash list in memory.
_FILL_MAX = 1_000


def features(schema: Schema) -> datasets.Features:
    """THE features of the gold set; every label set comes from `schema`, so edits follow."""
    import datasets

    string, int32 = datasets.Value("string"), datasets.Value("int32")
    return datasets.Features(
        {
            "id": string,
            "title": string,
            "text": string,
            "source": string,
            "meta": string,  # JSON object, keys sorted: free-form metadata has no fixed type
            "entities": datasets.List(
                {
                    "id": string,
                    "start": int32,
                    "end": int32,
                    "label": datasets.ClassLabel(names=list(schema.entity_labels)),
                    "text": string,
                }
            ),
            "relations": datasets.List(
                {
                    "head": string,
                    "tail": string,
                    "label": datasets.ClassLabel(names=list(schema.relation_labels)),
                }
            ),
            "tokens": datasets.List(string),
            "token_starts": datasets.List(int32),
            "token_ends": datasets.List(int32),
            "ner_tags": datasets.List(datasets.ClassLabel(names=list(schema.iob_labels))),
        }
    )


# --- splits ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SplitRatios:
    """Shares of train/validation/test; any non-negative numbers, normalised by their sum."""

    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1

    def problems(self) -> list[Problem]:
        values = {"train": self.train, "validation": self.validation, "test": self.test}
        found = [
            Problem("split ratios", f"{name} must be a number >= 0, got {value!r}", BAD_SPLIT)
            for name, value in values.items()
            if not isinstance(value, int | float) or value < 0 or math.isnan(value)
        ]
        if not found and sum(values.values()) <= 0:
            found.append(Problem("split ratios", "at least one ratio must be > 0", BAD_SPLIT))
        return found

    def cumulative(self) -> tuple[float, float]:
        total = self.train + self.validation + self.test
        return self.train / total, (self.train + self.validation) / total


def split_hash(doc_id: str, *, seed: str = DEFAULT_SEED) -> float:
    """A number in [0, 1) from seed and id alone: where the id falls among the ratios."""
    digest = hashlib.sha256(f"{seed}\x00{doc_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _split_by_hash(u: float, ratios: SplitRatios) -> int:
    train, validation = ratios.cumulative()
    return 0 if u < train else 1 if u < validation else 2


def split_of(
    doc: Document, *, ratios: SplitRatios = SplitRatios(), seed: str = DEFAULT_SEED
) -> str:
    """The split of `doc`: ``meta["split"]`` if set, else from a hash of seed and id.

    The hash depends on nothing but the id, so adding documents never moves existing ones
    (except the small-corpus rule of `fill_empty_splits`).
    """
    explicit = doc.meta.get("split")
    if explicit is not None:
        return str(explicit)
    return SPLITS[_split_by_hash(split_hash(doc.id, seed=seed), ratios)]


def fill_empty_splits(
    hashed: list[tuple[str, float, int]], counts: Counter, ratios: SplitRatios
) -> dict[str, int]:
    """Moves ``{id: split index}`` so no split with a ratio > 0 is empty in a tiny corpus.

    `hashed` holds ``(id, hash, split index)`` of the documents placed by hash (not by
    ``meta.split``); `counts` the documents per split index, updated in place. A user with five
    documents expects a train, a validation and a test split, not five training documents: if
    hashing leaves a split empty, the hash-placed document nearest to that split's hash range
    moves there, taken from a split that keeps at least one document. Once every split has a
    document by hash nothing moves, so assignment is stable for any corpus of real size.
    """
    train, validation = ratios.cumulative()
    ranges = {0: (0.0, train), 1: (train, validation), 2: (validation, 1.0)}
    shares = (ratios.train, ratios.validation, ratios.test)
    moved: dict[str, int] = {}
    for k in (2, 1, 0):  # test first, so the highest hashes go to test, then validation
        if counts[k] or not shares[k]:
            continue
        lo, hi = ranges[k]
        candidates = [
            (max(lo - u, u - hi, 0.0), doc_id, split)
            for doc_id, u, split in hashed
            if doc_id not in moved and counts[split] > 1
        ]
        if not candidates:
            continue
        _, doc_id, split = min(candidates)
        moved[doc_id] = k
        counts[split] -= 1
        counts[k] += 1
    return moved


def _split_problems(doc: Document) -> list[Problem]:
    explicit = doc.meta.get("split")
    if explicit is None or explicit in SPLITS:
        return []
    return [
        Problem(
            f"document '{doc.id}' / meta.split",
            f"unknown split {explicit!r}; allowed: {allowed(SPLITS)}",
            BAD_SPLIT,
        )
    ]


# --- rows ----------------------------------------------------------------------------------------


def canonical(doc: Document) -> Document:
    """`doc` with entities ordered by (start, end, label, id) and relations by (head, tail, label).

    Annotation order means nothing, and Label Studio returns it in any order; a fixed order
    makes the gold files diff cleanly and byte-identical across pulls.
    """
    return replace(
        doc,
        entities=tuple(sorted(doc.entities, key=lambda e: (e.start, e.end, e.label, e.id))),
        relations=tuple(sorted(doc.relations, key=lambda r: (r.head, r.tail, r.label))),
    )


def to_row(doc: Document, schema: Schema) -> dict[str, Any]:
    """One dataset row (labels as names) of `doc`; encode with `features(schema)`."""
    tt = tokens_and_tags(doc, schema)
    return {
        "id": doc.id,
        "title": doc.title,
        "text": doc.text,
        "source": doc.source,
        "meta": json.dumps(dict(doc.meta), ensure_ascii=False, sort_keys=True),
        "entities": [e.to_json() for e in doc.entities],
        "relations": [r.to_json() for r in doc.relations],
        "tokens": list(tt.tokens),
        "token_starts": list(tt.starts),
        "token_ends": list(tt.ends),
        "ner_tags": list(tt.tags),
    }


def from_row(row: Mapping[str, Any], feats: datasets.Features) -> Document:
    """The `Document` of a dataset row, whether labels are class ids or names."""
    ent_label = feats["entities"].feature["label"]
    rel_label = feats["relations"].feature["label"]

    def name(label: datasets.ClassLabel, value: int | str) -> str:
        return value if isinstance(value, str) else label.int2str(value)

    return Document(
        id=row["id"],
        text=row["text"],
        title=row["title"],
        source=row["source"],
        meta=json.loads(row["meta"]),
        entities=tuple(
            new_entity(e["id"], e["start"], e["end"], name(ent_label, e["label"]), e["text"])
            for e in row["entities"]
        ),
        relations=tuple(
            Relation(r["head"], r["tail"], name(rel_label, r["label"])) for r in row["relations"]
        ),
    )


# --- writing -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SplitSummary:
    name: str
    documents: int
    tokens: int
    entities: Mapping[str, int]  # every schema label, zero included
    relations: Mapping[str, int]
    shards: tuple[str, ...]  # paths relative to the gold folder
    ids: tuple[str, ...] = ()  # only when documents <= LIST_IDS_MAX


@dataclass(frozen=True, slots=True)
class GoldSummary:
    path: Path
    splits: tuple[SplitSummary, ...]  # all of SPLITS, empty ones included
    rejects: int
    ratios: SplitRatios
    seed: str
    shard_rows: int
    moved: tuple[str, ...] = ()  # ids placed by the small-corpus rule (fill_empty_splits)

    @property
    def documents(self) -> int:
        return sum(s.documents for s in self.splits)

    def split(self, name: str) -> SplitSummary:
        return next(s for s in self.splits if s.name == name)


@dataclass(frozen=True, slots=True)
class Progress:
    """A step of `iter_write_gold`; `total` is None while documents are still being read."""

    stage: str  # "read", "write", "hf"
    done: int
    total: int | None


@dataclass(slots=True)
class _SplitStats:
    # Mutable accumulator, private to one write; frozen into a SplitSummary at the end.
    documents: int = 0
    tokens: int = 0
    entities: Counter = field(default_factory=Counter)
    relations: Counter = field(default_factory=Counter)
    ids: list[str] = field(default_factory=list)


class RowEncoder:
    """`Features.encode_example` for the gold features, an order of magnitude faster.

    Only the ClassLabel columns need work (names to ids); `datasets`' generic encoder walks
    every value of every nested list, which cost more than tokenising. Tested equal to it.
    """

    def __init__(self, feats: datasets.Features) -> None:
        self.entity = _label_ids(feats["entities"].feature["label"])
        self.relation = _label_ids(feats["relations"].feature["label"])
        self.tag = _label_ids(feats["ner_tags"].feature)

    def __call__(self, row: Mapping[str, Any]) -> dict[str, Any]:
        ent, rel, tag = self.entity, self.relation, self.tag
        return {
            **row,
            "entities": [{**e, "label": ent[e["label"]]} for e in row["entities"]],
            "relations": [{**r, "label": rel[r["label"]]} for r in row["relations"]],
            "ner_tags": [tag[t] for t in row["ner_tags"]],
        }


def _label_ids(label: datasets.ClassLabel) -> dict[str, int]:
    return {name: i for i, name in enumerate(label.names)}


class _ShardWriter:
    """Rows of one split into ``<split>-0000i-of-0000N.parquet`` files of `shard_rows` rows,
    and the same batches into the split's Arrow stream file in ``gold/hf`` (`_hf_metadata`).

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
        self.writers: dict[int, _ShardWriter] = {}
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

    def _open(self, split: int) -> _ShardWriter:
        name = SPLITS[split]
        self.writers[split] = _ShardWriter(
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


def _hf_split_files(feats: datasets.Features) -> dict[str, str]:
    """The JSON files `datasets` keeps beside one split's Arrow data (``state.json``,
    ``dataset_info.json``), by name; they are the same for every split.

    They come from `save_to_disk` of an empty dataset with the same features, so they are what
    the installed `datasets` writes and reads; only the data file list names ours. Copying the
    rows through `save_to_disk` instead cost a second write of every byte and, through the
    memory map, resident memory as large as the data.
    """
    import datasets

    empty = pa.Table.from_batches([], schema=feats.arrow_schema)
    with tempfile.TemporaryDirectory(prefix="eventgold-hf-") as tmp, _quiet_datasets():
        datasets.Dataset(empty, info=datasets.DatasetInfo(features=feats)).save_to_disk(tmp)
        state = json.loads(Path(tmp, "state.json").read_text(encoding="utf-8"))
        state["_data_files"] = [{"filename": HF_ARROW}]  # an empty dataset lists none
        return {
            "state.json": json.dumps(state, indent=2, sort_keys=True),
            "dataset_info.json": Path(tmp, "dataset_info.json").read_text(encoding="utf-8"),
        }


def _hf_metadata(hf_dir: Path, splits: list[str], files: Mapping[str, str]) -> None:
    """Complete ``hf/`` around the Arrow files already in ``hf/<split>/``: its JSON files
    (`files`, from `_hf_split_files`), and the split list as `DatasetDict.save_to_disk` writes it.
    """
    for name in splits:
        for file, text in files.items():
            (hf_dir / name / file).write_text(text, encoding="utf-8")
    (hf_dir / "dataset_dict.json").write_text(json.dumps({"splits": splits}), encoding="utf-8")


def _splits_settled(seen: Mapping[int, int], shares: tuple[float, ...], hashed: int) -> bool:
    """Whether `fill_empty_splits` can no longer move a document: every split with a share
    has one, or too many documents were placed by hash for it to run."""
    return hashed >= _FILL_MAX or all(seen.get(k) for k, share in enumerate(shares) if share)


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


def require_gold_target(out_dir: Path) -> None:
    """Raise `ProblemsError` with `gold_target_problems`, if there are any."""
    if found := gold_target_problems(out_dir):
        raise ProblemsError(found, summary=f"cannot write the gold to {out_dir}")


def gold_target_problems(out_dir: Path) -> list[Problem]:
    """Why `out_dir` cannot be (re)written as a gold folder: empty if it is new, empty, or a
    gold folder. Anything else would be lost, since the folder is replaced whole."""
    return replaced_folder_problems(
        Path(out_dir),
        what="gold folder",
        owned=GOLD_ENTRIES.__contains__,
        holds=allowed(GOLD_ENTRIES),
        code=GOLD_TARGET,
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
    ratios: SplitRatios = SplitRatios(),
    seed: str = DEFAULT_SEED,
    sidecars: Mapping[str, Path] | None = None,
) -> Generator[Progress, None, GoldSummary]:
    """`write_gold`, yielding `Progress` events; the summary is the generator's return value.

    Raises `ProblemsError` (leaving any old gold folder untouched) if a document is invalid
    gold, has an unknown ``meta.split``, or repeats an id.
    """
    # Imported here: card imports this module for GoldSummary.
    from eventgold.annotate.card import render_card
    from eventgold.eval.events.rows import EventSample

    require_gold_target(Path(out_dir))
    if shard_rows < 1:
        raise ProblemsError([Problem("shard_rows", f"must be >= 1, got {shard_rows}")])
    if ratios.problems():
        raise ProblemsError(ratios.problems(), summary="bad split ratios")
    feats = features(schema)
    shares = (ratios.train, ratios.validation, ratios.test)
    # Made alongside the first documents (for pull: while the server builds the first chunk),
    # not after the last, where it cost ~35 ms of a small pull's tail.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventgold-hf")
    hf_files = pool.submit(_hf_split_files, feats)
    pool.shutdown(wait=False)
    with atomic_dir(Path(out_dir)) as stage:
        stage.chmod(0o755)  # mkdtemp makes it private; the gold is for everyone to read
        spool_path = stage / ".spool"
        # Each document is validated, tokenised and encoded as it arrives (for pull: while
        # Label Studio builds the next export chunk). Documents that arrive in id order (the
        # usual case: push sends a corpus in id order, the export returns it in task order) are
        # written out at once, once no split can still change (`_splits_settled`); until then,
        # and for good if one arrives out of order, each one's JSONL line and encoded row
        # (marshal: fast, rows are plain str/int/list/dict) are spooled, and a second pass
        # writes them in id order. A streamed document spools its line only: if order breaks
        # later, its row is made again from the line.
        index: list[tuple[str, int, int, int, int]] = []  # id, offset, line, row, split
        hashed: list[tuple[str, float, int]] = []  # id, hash, split: only while tiny
        problems: list[Problem] = []
        encode = RowEncoder(feats)
        events = EventSample(schema) if schema.events is not None else None  # for the card
        seen: Counter[int] = Counter()  # documents per split index so far
        out: _Outputs | None = None  # set while documents are written as they come
        in_order = True
        try:
            with spool_path.open("wb") as spool:
                for doc in documents:
                    found = validate_document(doc, schema) + _split_problems(doc)
                    problems += found
                    if found:
                        continue
                    if problems:  # nothing will be written: only ids, for the duplicate check
                        index.append((doc.id, 0, 0, 0, 0))
                        continue
                    if in_order and index and doc.id <= index[-1][0]:
                        in_order = False
                        if out is not None:
                            out.discard()
                            out = None
                    doc = canonical(doc)
                    if events is not None:
                        events.add(doc)
                    line = (dumps_document(doc) + "\n").encode("utf-8")
                    row = encode(to_row(doc, schema))
                    if doc.meta.get("split") is None:
                        u = split_hash(doc.id, seed=seed)
                        split = _split_by_hash(u, ratios)
                        if len(hashed) < _FILL_MAX:
                            hashed.append((doc.id, u, split))
                    else:
                        split = SPLITS.index(doc.meta["split"])
                    seen[split] += 1
                    offset = spool.tell()
                    spool.write(line)
                    packed = b"" if out is not None else marshal.dumps(row)
                    spool.write(packed)
                    index.append((doc.id, offset, len(line), len(packed), split))
                    if out is not None:
                        out.add(split, line, row)
                    elif in_order and _splits_settled(seen, shares, len(hashed)):
                        out = _Outputs(stage, shard_rows=shard_rows, feats=feats)
                        spool.flush()
                        with spool_path.open("rb") as back:
                            for _, o, n_line, n_row, sp in index:
                                out.add(sp, *_spooled(back, o, n_line, n_row, schema, encode))
                    if len(index) % 100 == 0:
                        yield Progress("read", len(index), None)
            index.sort()
            for (a, *_), (b, *_) in itertools.pairwise(index):
                if a == b:
                    problems.append(
                        Problem(f"document '{b}'", "duplicate document id", DUPLICATE_DOCUMENT)
                    )
            if problems:
                raise ProblemsError(
                    problems, summary=f"{len(problems)} problem(s) in the gold documents"
                )
        except BaseException:
            if out is not None:
                out.discard()
            raise
        counts = Counter(split for *_, split in index)
        if out is None and len(hashed) < _FILL_MAX:
            moved = fill_empty_splits(hashed, counts, ratios)
            index = [(i, o, n, r, moved.get(i, s)) for i, o, n, r, s in index]
        else:  # streamed: `_splits_settled` said no split can change
            moved = {}
        del hashed

        n_rejects = 0
        with (stage / REJECTS_FILE).open("w", encoding="utf-8", newline="\n") as fh:
            for reject in rejects:
                fh.write(json.dumps(reject, ensure_ascii=False, default=_json_default) + "\n")
                n_rejects += 1

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
        writers, stats = out.writers, out.stats

        yield Progress("hf", 0, 1)
        _hf_metadata(stage / HF_DIR, [SPLITS[i] for i in sorted(writers)], hf_files.result())
        yield Progress("hf", 1, 1)

        summary = GoldSummary(
            path=Path(out_dir),
            splits=tuple(
                SplitSummary(
                    name=name,
                    documents=stats[i].documents,
                    tokens=stats[i].tokens,
                    entities={
                        label: stats[i].entities[encode.entity[label]]
                        for label in schema.entity_labels
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
        card = render_card(
            summary,
            schema=schema,
            provenance=provenance or {},
            agreement_markdown=agreement_markdown,
            events=events,
        )
        (stage / CARD_FILE).write_text(card, encoding="utf-8", newline="\n")
        # Run-specific files (e.g. Label Studio ids, pull time) ride along in the same swap.
        for name, source in sorted((sidecars or {}).items()):
            shutil.copyfile(source, stage / name)
    return summary


def write_gold(
    documents: Iterable[Document],
    out_dir: Path,
    *,
    schema: Schema,
    rejects: Iterable[Mapping[str, Any]] = (),
    provenance: Mapping[str, Any] | None = None,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    agreement_markdown: str | None = None,
    ratios: SplitRatios = SplitRatios(),
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


def read_gold(gold_dir: Path) -> Iterator[Document]:
    """Stream the gold documents (sorted by id) from ``gold/documents.jsonl`` (or from
    `gold_dir` itself when it is a documents file)."""
    return read_documents(gold_documents_file(gold_dir))


def count_gold(gold_dir: Path) -> int:
    """How many documents the gold holds (counts lines; reads no JSON)."""
    with gold_documents_file(gold_dir).open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def parquet_files(gold_dir: Path) -> dict[str, list[str]]:
    """Parquet shards per non-empty split, for ``load_dataset("parquet", data_files=...)``."""
    data = Path(gold_dir) / DATA_DIR
    found = {s: sorted(str(p) for p in data.glob(f"{s}-*.parquet")) for s in SPLITS}
    return {s: files for s, files in found.items() if files}


def load_gold_dataset(gold_dir: Path) -> datasets.DatasetDict:
    """The gold as a `DatasetDict` (memory-mapped from ``gold/hf``)."""
    import datasets

    return datasets.load_from_disk(str(Path(gold_dir) / HF_DIR))
