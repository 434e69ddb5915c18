from datetime import datetime, timedelta, timezone

from eventgold.documents import Document
from eventgold.timestamps import OLDEST, parse_time, updated_at


def test_z_suffix_offsets_and_naive_times_all_compare() -> None:
    z = parse_time("2026-01-02T03:04:05.123456Z")
    assert z == datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
    plus_one = parse_time("2026-01-02T04:04:05+01:00")
    naive = parse_time("2026-01-02T03:04:06")
    assert plus_one.utcoffset() == timedelta(hours=1)
    assert naive.tzinfo is timezone.utc
    # Aware and naive times in one list sort without a TypeError (pull's choice once raised).
    assert sorted([naive, z, plus_one]) == [plus_one, z, naive]


def test_missing_or_unreadable_times_are_the_oldest() -> None:
    assert parse_time(None) == OLDEST
    assert parse_time("yesterday") == OLDEST
    assert parse_time("") == OLDEST
    doc = Document("d", "t", meta={"updated_at": "2020-05-01T00:00:00Z"})
    assert updated_at(doc) > updated_at(Document("e", "t")) == OLDEST
