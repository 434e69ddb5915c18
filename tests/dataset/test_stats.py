from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest

from eventgold.dataset.folder import STATS_FILE
from eventgold.dataset.stats import GoldStats, read_stats, write_stats
from eventgold.dataset.writer import write_gold
from eventgold.documents import load_documents
from eventgold.eval.events.rows import EventSample
from eventgold.schema import load_schema, schema_fingerprint

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = load_schema()


def test_the_writer_records_the_event_count_and_the_schema_hash(tmp_path: Path) -> None:
    docs, problems = load_documents(ROOT / "gold" / "documents.jsonl")
    assert not problems
    sample = EventSample(SCHEMA)
    for doc in docs:
        sample.add(doc)
    write_gold(docs, tmp_path / "gold", schema=SCHEMA)
    text = (tmp_path / "gold" / STATS_FILE).read_text(encoding="utf-8")
    digests = {
        str(path.relative_to(tmp_path / "gold")): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in [tmp_path / "gold" / "documents.jsonl", *(tmp_path / "gold").glob("data/*")]
    }
    assert len(digests) == 4  # the file and a shard a split
    assert json.loads(text) == {
        "events": sample.events,
        "schema": schema_fingerprint(SCHEMA),
        "sha256": digests,
    }
    assert sample.events > len(docs)  # the shipped gold: several events in some articles
    assert f"{sample.events} event(s) assembled" in (tmp_path / "gold" / "README.md").read_text()
    assert read_stats(tmp_path / "gold" / STATS_FILE) == GoldStats(
        sample.events, schema_fingerprint(SCHEMA), digests
    )


def test_a_schema_without_events_records_none(tmp_path: Path) -> None:
    schema = replace(SCHEMA, events=None)
    write_gold([], tmp_path / "gold", schema=schema)
    stats = read_stats(tmp_path / "gold" / STATS_FILE)
    assert (stats.events, stats.schema) == (None, schema_fingerprint(schema))


def test_stats_round_trip(tmp_path: Path) -> None:
    path = tmp_path / STATS_FILE
    write_stats(path, GoldStats(3, "abc"))  # as an older eventgold wrote them: no digests
    assert path.read_text(encoding="utf-8") == '{\n  "events": 3,\n  "schema": "abc"\n}\n'
    assert read_stats(path) == GoldStats(3, "abc")
    digests = {"documents.jsonl": "0" * 64, "data/a.parquet": "f" * 64}
    write_stats(path, GoldStats(3, "abc", digests))
    assert read_stats(path) == GoldStats(3, "abc", digests)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "not a JSON object"),
        ('{"events": -1, "schema": "a"}', "events is -1, not a count or null"),
        ('{"events": true, "schema": "a"}', "events is True, not a count or null"),
        ('{"events": 2}', "schema is None, not a schema hash"),
        ("{", "Expecting property name enclosed in double quotes"),
        ('{"schema": "a", "sha256": []}', "sha256 is [], not an object of files' digests"),
        (
            '{"schema": "a", "sha256": {"documents.jsonl": "AB"}}',
            "sha256 of 'documents.jsonl' is 'AB', not a sha256 hex digest",
        ),
    ],
)
def test_stats_that_do_not_hold_the_figures_are_refused(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / STATS_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        read_stats(path)
    assert message in str(caught.value)
