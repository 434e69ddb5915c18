"""A damaged Parquet shard in a gold folder: located problems, never a pyarrow traceback.

Choosing documents by split (export conll|spacy, eval --split, train --split) needs every
shard, so it is refused; plain eval reads shards only for token offsets, and warns."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.cli import app

ROOT = Path(__file__).resolve().parents[2]
SHARD = "data/test-00000-of-00001.parquet"
runner = CliRunner()


def _truncate(path: Path) -> str:
    with path.open("r+b") as fh:
        fh.truncate(500)
    return (
        "Parquet magic bytes not found in footer. Either the file is corrupted or this is "
        "not a parquet file."
    )


def _empty(path: Path) -> str:
    path.write_bytes(b"")
    return "Parquet file size is 0 bytes"


@pytest.fixture(params=[_truncate, _empty], ids=["truncated", "emptied"])
def damaged(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    """A copy of the shipped gold with its test shard damaged, and pyarrow's reason."""
    gold = tmp_path / "G"
    shutil.copytree(ROOT / "gold", gold)
    damage: Callable[[Path], str] = request.param
    return gold, damage(gold / SHARD)


def _refusal(gold: Path, reason: str) -> str:
    return (
        f"{gold / SHARD}: the shard of split 'test' cannot be read ({reason}); it records which "
        "documents are in that split: restore it, or pull the gold again"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["export", "--format", "conll", "--out", "{out}/x.conll"],
        ["export", "--format", "spacy", "--out", "{out}/x.spacy"],
        ["eval", "--predictions", "{gold}/documents.jsonl", "--split", "test"],
        ["train", "--split", "test", "--out", "{out}/m"],
    ],
    ids=["export-conll", "export-spacy", "eval-split", "train-split"],
)
def test_choosing_by_split_refuses_a_damaged_shard_naming_it(
    damaged: tuple[Path, str], tmp_path: Path, command: list[str]
) -> None:
    gold, reason = damaged
    out = tmp_path / "out"
    out.mkdir()
    args = [a.format(gold=gold, out=out) for a in command]
    result = runner.invoke(app, [args[0], "--gold", str(gold), *args[1:]])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    text = " ".join(result.output.split())
    assert (
        f"the gold {gold} has 1 unreadable Parquet shard(s); without them no document can be "
        "placed in its split" in text
    )
    assert _refusal(gold, reason) in text
    assert list(out.iterdir()) == []  # nothing written


def test_plain_eval_warns_naming_the_shard_and_scores(damaged: tuple[Path, str]) -> None:
    gold, reason = damaged
    args = ["eval", "--gold", str(gold), "--predictions", str(gold / "documents.jsonl")]
    result = runner.invoke(app, [*args, "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (
        "warning: gold shards not read, their documents tokenized again: split 'test': "
        f"{gold / SHARD}: {reason}" in text
    )
