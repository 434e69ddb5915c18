"""Which split each gold document is in, and choosing splits (issue 18, defect 11)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from eventgold.dataset.membership import (
    assign_splits,
    gold_splits,
    parse_splits,
    select_splits,
    stored_splits,
)
from eventgold.dataset.splits import split_of
from eventgold.dataset.writer import write_gold
from eventgold.documents import Document
from eventgold.problems import ProblemsError
from eventgold.schema import load_schema


def docs(n: int) -> list[Document]:
    return [Document(id=f"doc-{i:03d}", text=f"Text {i}.") for i in range(n)]


def test_parse_splits_takes_repeats_and_comma_lists_in_split_order() -> None:
    assert parse_splits(["test", "train,validation", "test"]) == ("train", "validation", "test")
    assert parse_splits([]) == ()
    with pytest.raises(ProblemsError) as caught:
        parse_splits(["train,dev"])
    assert [str(p) for p in caught.value.problems] == [
        "--split: unknown split 'dev'; allowed: test, train, validation"
    ]
    assert caught.value.summary == "unknown split(s): 'dev'"


def test_assignment_is_the_writers_in_a_tiny_corpus_and_the_hash_in_a_large_one(
    tmp_path: Path,
) -> None:
    tiny = docs(3)
    assigned = assign_splits(tiny)
    assert sorted(assigned.values()) == ["test", "train", "validation"]  # filled, as written
    write_gold(tiny, tmp_path / "gold", schema=load_schema())
    assert gold_splits(tmp_path / "gold", tiny) == assigned
    many = docs(200)
    assert assign_splits(many) == {d.id: split_of(d) for d in many}
    pinned = replace(many[0], meta={"split": "test"})
    assert assign_splits([pinned])[pinned.id] == "test"


def test_a_gold_folders_shards_win_over_the_rule(tmp_path: Path) -> None:
    gold = [replace(d, meta={"split": "validation"}) for d in docs(4)]
    write_gold(gold, tmp_path / "gold", schema=load_schema())
    bare = [replace(d, meta={}) for d in gold]  # e.g. meta edited after the pull
    assert set(gold_splits(tmp_path / "gold", bare).values()) == {"validation"}
    assert set(gold_splits(None, bare).values()) != {"validation"}


def test_select_splits_refuses_an_empty_choice_with_the_sizes() -> None:
    tiny = docs(3)
    assignment = {"doc-000": "train", "doc-001": "train", "doc-002": "validation"}
    assert [d.id for d in select_splits(tiny, ["validation"], assignment, gold="g")] == ["doc-002"]
    assert select_splits(tiny, [], assignment, gold="g") == tiny
    with pytest.raises(ProblemsError) as caught:
        select_splits(tiny, ["test"], assignment, gold="g")
    assert caught.value.summary == "the gold g holds no documents in split(s) test"
    assert [str(p) for p in caught.value.problems] == [
        "g: no document in split(s) test (documents per split: train 2, validation 1, test 0)"
    ]


def test_a_document_naming_an_unknown_split_is_refused_not_placed_by_hash() -> None:
    named = [*docs(2), Document(id="odd", text="Odd.", meta={"split": "dev"})]
    with pytest.raises(ProblemsError) as caught:
        gold_splits(None, named)
    assert [str(p) for p in caught.value.problems] == [
        "document 'odd' / meta.split: unknown split 'dev'; allowed: test, train, validation"
    ]


def test_unreadable_shards_are_refused_each_named_with_its_reason(tmp_path: Path) -> None:
    """Audit defect 3: a damaged shard ended in pyarrow's ArrowInvalid traceback."""
    write_gold(docs(3), tmp_path / "gold", schema=load_schema())
    data = tmp_path / "gold" / "data"
    (data / "test-00000-of-00001.parquet").write_bytes(b"")
    (data / "train-00000-of-00001.parquet").write_bytes(b"not parquet")
    with pytest.raises(ProblemsError) as caught:
        gold_splits(tmp_path / "gold", docs(3))
    assert caught.value.summary == (
        f"the gold {tmp_path / 'gold'} has 2 unreadable Parquet shard(s); without them no "
        "document can be placed in its split"
    )
    tail = "; it records which documents are in that split: restore it, or pull the gold again"
    assert [str(p) for p in caught.value.problems] == [
        f"{data / 'train-00000-of-00001.parquet'}: the shard of split 'train' cannot be read "
        f"(Parquet magic bytes not found in footer. Either the file is corrupted or this is "
        f"not a parquet file.){tail}",
        f"{data / 'test-00000-of-00001.parquet'}: the shard of split 'test' cannot be read "
        f"(Parquet file size is 0 bytes){tail}",
    ]
    assert {p.code for p in caught.value.problems} == {"unreadable-shard"}
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": [1]}), data / "test-00000-of-00001.parquet")
    (data / "train-00000-of-00001.parquet").unlink()
    with pytest.raises(ProblemsError) as caught:
        stored_splits(tmp_path / "gold")
    assert [str(p) for p in caught.value.problems] == [
        f"{data / 'test-00000-of-00001.parquet'}: the shard of split 'test' cannot be read "
        f"(no 'id' column){tail}"
    ]
