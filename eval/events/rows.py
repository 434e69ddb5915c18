"""The event table: one row per event, every cell traceable to its spans, written as Parquet
and CSV.

Text cells list each column's distinct mention texts in text order, joined by "; ". Beside
each of them a ``*_spans`` cell lists every mention that fills it as ``{"id", "start", "end",
"text"}`` (a list of structs in Parquet, JSON in CSV), so each value leads back to its span;
``killed_spans`` lists the victim groups the figures were read from.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import heapq
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventgold.atomic import atomic_file
from eventgold.documents import Document, Entity
from eventgold.eval.events.assembly import Assembly, Event, assemble
from eventgold.eval.events.scoring import require_events
from eventgold.paths import require_distinct_paths
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema

PARQUET_FILE = "events.parquet"
CSV_FILE = "events.csv"
SEP = "; "
TEXT_COLUMNS = ("anchor", "attacker", "victims", "location", "condemned_by")
# Columns in file order.
COLUMNS = (
    "event_id",
    "doc_id",
    "event",
    "source",
    "sentence",
    *TEXT_COLUMNS,
    "killed_low",
    "killed_best",
    "killed_high",
    "killed_text",
    *(f"{c}_spans" for c in TEXT_COLUMNS),
    "killed_spans",
)
BATCH_ROWS = 5000


def _span(e: Entity) -> dict[str, Any]:
    return {"id": e.id, "start": e.start, "end": e.end, "text": e.text}


def _texts(mentions: Sequence[Entity]) -> str:
    return SEP.join(dict.fromkeys(m.text for m in mentions))


@dataclass(frozen=True, slots=True)
class EventRow:
    """One row of the event table (`COLUMNS`), made from an `Event`."""

    event: Event

    def to_record(self) -> dict[str, Any]:
        e = self.event
        cols = {
            "anchor": e.anchors,
            "attacker": e.attacker,
            "victims": e.victims,
            "location": e.location,
            "condemned_by": e.condemned_by,
        }
        killed = e.killed
        by_id = {m.id: m for m in e.victims}
        killed_mentions = [by_id[i] for i, _ in killed.mentions] if killed else []
        return {
            "event_id": e.event_id,
            "doc_id": e.doc_id,
            "event": e.number,
            "source": e.source,
            "sentence": e.sentence,
            **{c: _texts(v) for c, v in cols.items()},
            "killed_low": killed.low if killed else None,
            "killed_best": killed.best if killed else None,
            "killed_high": killed.high if killed else None,
            "killed_text": SEP.join(k.text for _, k in killed.mentions) if killed else "",
            **{f"{c}_spans": [_span(m) for m in v] for c, v in cols.items()},
            "killed_spans": [_span(m) for m in killed_mentions],
        }


def event_table(documents: Iterable[Document], schema: Schema) -> Iterator[Assembly]:
    """Each document's `Assembly` (its events and the mentions that joined none), in order;
    raises `ProblemsError` if the schema declares no ``events:`` section."""
    require_events(schema)
    assert schema.events is not None
    for doc in documents:
        yield assemble(doc, schema.events)


@dataclass(frozen=True, slots=True)
class EventsWritten:
    """What `write_event_table` wrote."""

    documents: int
    events: int
    unplaced: int  # role mentions that joined no event
    files: tuple[Path, ...]
    missing: tuple[str, ...] = ()  # gold documents with no prediction (no events)
    ignored: int = 0  # predictions of documents the gold does not hold


def _arrow_schema() -> Any:
    import pyarrow as pa

    span = pa.list_(
        pa.struct(
            [("id", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("text", pa.string())]
        )
    )
    types = {"event": pa.int64(), "killed_low": pa.int64(), "killed_best": pa.int64()}
    types["killed_high"] = pa.int64()
    return pa.schema(
        [(c, span if c.endswith("_spans") else types.get(c, pa.string())) for c in COLUMNS]
    )


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def write_event_table(assemblies: Iterable[Assembly], out_dir: Path) -> EventsWritten:
    """Write ``events.parquet`` and ``events.csv`` into `out_dir` (made if missing), each
    file replaced atomically; other files in the folder are left alone."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    arrow_schema = _arrow_schema()
    n_docs = n_events = n_unplaced = 0
    with (
        atomic_file(out_dir / PARQUET_FILE, mode="wb") as pq_fh,
        atomic_file(out_dir / CSV_FILE) as csv_fh,
    ):
        writer = pq.ParquetWriter(pq_fh, arrow_schema)
        table_csv = csv.writer(csv_fh, lineterminator="\n")
        table_csv.writerow(COLUMNS)
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            writer.write_table(pa.Table.from_pylist(batch, schema=arrow_schema))
            batch.clear()

        for assembly in assemblies:
            n_docs += 1
            n_unplaced += len(assembly.unplaced)
            for event in assembly.events:
                record = EventRow(event).to_record()
                table_csv.writerow([_csv_cell(record[c]) for c in COLUMNS])
                batch.append(record)
                n_events += 1
                if len(batch) >= BATCH_ROWS:
                    flush()
        if batch or not n_events:
            flush()  # an empty table still gets its columns
        writer.close()
    return EventsWritten(n_docs, n_events, n_unplaced, (out_dir / PARQUET_FILE, out_dir / CSV_FILE))


def events(
    gold: Path, out_dir: Path, schema: Schema, *, predictions: Path | None = None
) -> EventsWritten:
    """The event table of a gold folder (or documents JSONL), or of a prediction file checked
    against that gold (a gold document without a prediction has no events), written to
    `out_dir`. Raises `ProblemsError` for a schema with no ``events:`` section, for every
    problem of the inputs, located, as `eval` does for a prediction file that matches no gold
    document (`eval.refusals`), and for a table file that is an input or lies in an input
    folder (`eventgold.paths`)."""
    from eventgold.eval.inputs import index_gold, load_predictions
    from eventgold.eval.refusals import EMPTY_GOLD, refuse_unscorable

    out_dir = Path(out_dir)
    require_distinct_paths(
        {
            "--gold": gold,
            "--predictions": predictions,
            "--schema": Path(schema.path) if schema.path else None,
        },
        [("--out", out_dir / PARQUET_FILE), ("--out", out_dir / CSV_FILE)],
    )
    require_events(schema)
    gold_file = index_gold(gold, schema)
    if not len(gold_file):
        raise ProblemsError(
            [Problem(str(gold), "holds no documents", EMPTY_GOLD)],
            summary=f"the gold {gold} holds no documents: there are no events to list",
        )
    if predictions is None:
        return write_event_table(event_table(gold_file, schema), out_dir)
    preds = load_predictions(predictions, gold_file, schema)
    refuse_unscorable(
        gold=str(gold),
        predictions=str(predictions),
        documents=len(gold_file),
        missing=len(preds.missing),
    )
    docs = (preds.for_gold(g) for g in gold_file)
    written = write_event_table(event_table(docs, schema), out_dir)
    return dataclasses.replace(written, missing=preds.missing, ignored=preds.ignored)


class EventSample:
    """The event count of a stream of documents and its first `limit` rows in document-id
    order, whatever order the documents come in (for the dataset card: bounded memory, and
    the same card for the same documents)."""

    def __init__(self, schema: Schema, *, limit: int = 20) -> None:
        require_events(schema)
        self._schema = schema
        self.limit = limit
        self.events = 0
        self.documents = 0
        self._heap: list[tuple[tuple[str, int], int, EventRow]] = []  # max-heap by key
        self._seq = 0

    def add(self, doc: Document) -> None:
        self.documents += 1
        for event in next(event_table([doc], self._schema)).events:
            self.events += 1
            key = (doc.id, event.number)
            self._seq += 1
            item = (_Desc(key), self._seq, EventRow(event))
            if len(self._heap) < self.limit:
                heapq.heappush(self._heap, item)  # type: ignore[misc]
            elif key < self._heap[0][0].key:  # type: ignore[attr-defined]
                heapq.heapreplace(self._heap, item)  # type: ignore[misc]

    @property
    def rows(self) -> list[EventRow]:
        items = sorted(self._heap, key=lambda i: i[0].key)  # type: ignore[attr-defined]
        return [row for _, _, row in items]


@dataclass(frozen=True, slots=True)
class _Desc:
    """Reverses the order of a key, so that heapq's min-heap keeps the largest on top."""

    key: tuple[str, int]

    def __lt__(self, other: _Desc) -> bool:
        return self.key > other.key


def predicted_event_rows(
    gold: Path, predictions: Path, schema: Schema, *, limit: int | None = None
) -> tuple[list[EventRow], bool]:
    """The event rows of a prediction file checked against the gold (for the HTML report),
    and whether they are all of them: with `limit`, at most that many, those of the first
    documents in the gold's order, which are read no further (a report of 100,000 documents
    would otherwise read them all again, and show a table no one can read).

    Predictions in the gold's order are read in one pass with the gold (`OnePass`, which
    parses each document once); anything else the two-pass way, which also lists problems.
    """
    from eventgold.eval.inputs import index_gold, load_predictions
    from eventgold.eval.one_pass import NotOnePass, OnePass

    with contextlib.suppress(NotOnePass):
        docs: Iterable[Document] = (p for _, p in OnePass(gold, predictions, schema))
        return _first_rows(docs, schema, limit)
    gold_file = index_gold(gold, schema)
    preds = load_predictions(predictions, gold_file, schema)
    return _first_rows((preds.for_gold(g) for g in gold_file), schema, limit)


def _first_rows(
    docs: Iterable[Document], schema: Schema, limit: int | None
) -> tuple[list[EventRow], bool]:
    rows: list[EventRow] = []
    for assembly in event_table(docs, schema):
        rows += map(EventRow, assembly.events)
        if limit is not None and len(rows) > limit:
            return rows[:limit], False
    return rows, True
