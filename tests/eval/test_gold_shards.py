"""The gold read from a gold folder's shards: the same heads and parts as its documents.jsonl,
and only when the folder vouches for both."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from eventgold.dataset.folder import STATS_FILE
from eventgold.dataset.writer import write_gold
from eventgold.documents import read_documents, write_documents
from eventgold.eval import evaluate as evaluate_module
from eventgold.eval import read_ahead
from eventgold.eval.evaluate import evaluate
from eventgold.eval.gold_shards import trusted_shards
from eventgold.eval.one_pass import NotOnePass, OnePass, checked_gold_heads, shard_gold_heads
from eventgold.schema import Schema, load_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = load_schema()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped gold written again, three rows a shard: several shards in each split."""
    out = tmp_path_factory.mktemp("shards") / "gold"
    write_gold(read_documents(ROOT / "gold" / "documents.jsonl"), out, schema=SCHEMA, shard_rows=3)
    return out


@pytest.fixture
def copy(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / "gold"))


def test_the_shards_give_the_heads_and_parts_that_the_file_gives(folder: Path) -> None:
    assert len(list((folder / "data").glob("train-*.parquet"))) > 1
    from_file: dict = {}
    want = list(checked_gold_heads(folder / "documents.jsonl", SCHEMA, from_file))
    shards = trusted_shards(folder, SCHEMA)
    assert shards is not None
    from_shards: dict = {}
    assert list(shards.heads(from_shards)) == want
    assert from_shards == from_file
    assert any(relations for _, relations in from_shards.values())
    assert any(head.meta for head in want)


def _edit_a_document(folder: Path) -> None:
    lines = (folder / "documents.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[0])
    record["entities"], record["relations"] = record["entities"][1:], []
    lines[0] = json.dumps(record, ensure_ascii=False) + "\n"
    (folder / "documents.jsonl").write_text("".join(lines), encoding="utf-8")


def _drop_a_shard(folder: Path) -> None:
    sorted((folder / "data").glob("train-*.parquet"))[-1].unlink()


def _add_a_shard(folder: Path) -> None:
    shard = sorted((folder / "data").glob("test-*.parquet"))[0]
    shutil.copyfile(shard, shard.with_name("test-99999-of-99999.parquet"))


def _change_a_shard(folder: Path) -> None:
    shard = sorted((folder / "data").glob("train-*.parquet"))[0]
    shutil.copyfile(sorted((folder / "data").glob("train-*.parquet"))[1], shard)


def _forget_the_digests(folder: Path) -> None:
    stats = json.loads((folder / STATS_FILE).read_text(encoding="utf-8"))
    del stats["sha256"]  # as an older eventgold wrote it
    (folder / STATS_FILE).write_text(json.dumps(stats), encoding="utf-8")


def _damage_the_stats(folder: Path) -> None:
    (folder / STATS_FILE).write_text("{", encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        _edit_a_document,
        _drop_a_shard,
        _add_a_shard,
        _change_a_shard,
        _forget_the_digests,
        _damage_the_stats,
    ],
)
def test_a_folder_that_does_not_vouch_for_its_shards_is_read_from_its_file(
    copy: Path, change
) -> None:
    assert trusted_shards(copy, SCHEMA) is not None
    change(copy)
    assert trusted_shards(copy, SCHEMA) is None


def test_shards_written_under_another_schema_are_not_trusted(folder: Path) -> None:
    other: Schema = replace(SCHEMA, version=SCHEMA.version + "-edited")
    assert trusted_shards(folder, other) is None


def test_eval_scores_a_hand_edited_file_not_the_stale_shards(copy: Path, tmp_path: Path) -> None:
    predictions = copy / "documents.jsonl"
    pred = tmp_path / "pred.jsonl"
    shutil.copyfile(predictions, pred)  # a perfect model, before the edit
    _edit_a_document(copy)
    edited = tmp_path / "edited.jsonl"
    shutil.copyfile(copy / "documents.jsonl", edited)
    got = evaluate(copy, pred, SCHEMA, bootstrap=0).figures()
    assert got == evaluate(edited, pred, SCHEMA, bootstrap=0).figures()
    assert got["entities"]["strict"]["overall"]["precision"] < 1.0


def _no_second_pass(*_: object) -> None:
    raise AssertionError("the one pass failed: the files were read again")


def test_eval_on_a_vouched_folder_reads_its_shards_and_scores_as_the_file(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pred = tmp_path / "pred.jsonl"
    docs = list(read_documents(folder / "documents.jsonl"))
    # A model that misses each document's first entity and relations.
    write_documents(pred, [d.with_annotations(entities=d.entities[1:], relations=()) for d in docs])
    b = evaluate(folder / "documents.jsonl", pred, SCHEMA, bootstrap=20).to_json()
    with monkeypatch.context() as patched:  # the one pass, from the shards, or the test fails
        patched.setattr(evaluate_module, "index_gold", _no_second_pass)
        a = evaluate(folder, pred, SCHEMA, bootstrap=20).to_json()
        patched.setattr(read_ahead, "available", lambda: False)  # and in this process
        assert evaluate(folder, pred, SCHEMA, bootstrap=20).to_json() == a
    for key in ("figures", "confusion", "error_counts", "errors", "per_document", "inputs"):
        assert a[key] == b[key]
    assert (
        a["inputs"]["gold"]["sha256"]
        == json.loads((folder / STATS_FILE).read_text())["sha256"]["documents.jsonl"]
    )


def test_a_shard_that_cannot_be_read_ends_the_one_pass(copy: Path) -> None:
    shards = trusted_shards(copy, SCHEMA)
    assert shards is not None
    damaged = sorted((copy / "data").glob("train-*.parquet"))[0]
    damaged.write_bytes(b"not parquet")
    with pytest.raises(NotOnePass, match=f"reading the gold's shards: {re.escape(str(damaged))}: "):
        list(shard_gold_heads(shards, {}))
    assert trusted_shards(copy, SCHEMA) is None  # and a fresh look does not trust it


def test_heads_only_reads_no_parts_and_needs_shards(folder: Path, tmp_path: Path) -> None:
    pred = tmp_path / "pred.jsonl"
    pred.write_text("", encoding="utf-8")
    shards = trusted_shards(folder, SCHEMA)
    one_pass = OnePass(folder, pred, SCHEMA, parts=True, shards=shards, heads_only=True)
    heads = [g for g, _ in one_pass]
    assert heads == list(checked_gold_heads(folder / "documents.jsonl", SCHEMA, {}))
    with pytest.raises(RuntimeError, match="keeps the gold's parts, without heads_only"):
        one_pass.gold_parts(heads[0])
    with pytest.raises(ValueError, match="heads_only reads the gold's heads from its shards"):
        OnePass(folder, pred, SCHEMA, parts=True, heads_only=True)
