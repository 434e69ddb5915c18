"""Both files read by a second process (`eval.read_ahead`): what it gives equals reading here."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from eventgold.dataset.writer import write_gold
from eventgold.documents import Document, read_documents
from eventgold.eval import read_ahead
from eventgold.eval.evaluate import evaluate
from eventgold.eval.gold_shards import trusted_shards
from eventgold.eval.gold_tokens import GoldTokens
from eventgold.eval.iob import span_edge_arrays
from eventgold.eval.one_pass import NotOnePass, OnePass, checked_gold
from eventgold.eval.read_ahead import ReadAhead, SharedTokens, StoredTokens
from eventgold.eval.table import gold_parts
from eventgold.eval.training_overlap import TrainingOverlap
from eventgold.schema import Schema

SHIPPED = Path(__file__).resolve().parents[2] / "gold"
GOLD = SHIPPED / "documents.jsonl"
pytestmark = pytest.mark.skipif(not read_ahead.available(), reason="needs fork and 2 CPUs")


def _predictions(path: Path) -> Path:
    """Predictions of the shipped gold: one document left out, one without offsets (aligned),
    one by a model trained on it, the rest as the gold has them."""
    records = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]
    del records[3]
    for entity in records[4]["entities"]:
        del entity["start"], entity["end"]
    records[5]["meta"] = {"model": {"trained_on": [records[5]["id"]]}}
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_pairs_parts_and_ending_equal_reading_here(tmp_path: Path, schema: Schema) -> None:
    predictions = _predictions(tmp_path / "pred.jsonl")
    one_pass = OnePass(GOLD, predictions, schema, parts=True)
    overlap = TrainingOverlap(one_pass)
    here = [(g, one_pass.gold_parts(g), one_pass.pred_parts(p)) for g, p in overlap]
    full = {d.id: gold_parts(d) for d in checked_gold(GOLD, schema)}
    assert [gp for g, gp, _ in here] == [full[g.id] for g, _, _ in here]
    with ReadAhead(GOLD, predictions, schema) as ahead:
        pairs = list(ahead)
        assert [g for g, _ in pairs] == [Document(id=g.id, text=g.text) for g, _, _ in here]
        assert all(g is p for g, p in pairs)  # the prediction comes as its gold's head
        got = [(ahead.parts(g), ahead.pred_parts(p)) for g, p in pairs]
        assert got == [(gp, pp) for _, gp, pp in here]
        ending = ahead.ending
        assert ending.missing == one_pass.missing != ()
        assert ending.alignment == one_pass.alignment is not None
        assert ending.seen_in_training == tuple(overlap.seen) != ()
        with pytest.raises(KeyError):
            ahead.parts(pairs[0][0])  # each document's parts are given once
        assert ahead.sha256() == tuple(
            hashlib.sha256(f.read_bytes()).hexdigest() for f in (GOLD, predictions)
        )


def test_with_tokenize_every_third_gold_document_comes_tokenized(
    tmp_path: Path, schema: Schema
) -> None:
    predictions = _predictions(tmp_path / "pred.jsonl")
    with ReadAhead(GOLD, predictions, schema, tokenize=True) as ahead:
        given = [ahead.edges(g) is not None for g, _ in ahead]
    assert given == [i % read_ahead.SHARE == 0 for i in range(len(given))]
    with ReadAhead(GOLD, predictions, schema, tokenize=True) as ahead:
        shared = SharedTokens(ahead, GoldTokens(GOLD))
        for g, _ in ahead:
            spans = ahead.parts(g)[0]
            got, want = shared.span_arrays(g, spans), span_edge_arrays(g, spans)
            assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
        assert shared.sources() == {"stored": 0, "tokenized": len(given), "unreadable": []}


def test_with_shards_the_gold_is_read_here_and_the_pairs_are_those_of_the_file(
    tmp_path: Path, schema: Schema
) -> None:
    predictions = _predictions(tmp_path / "pred.jsonl")
    shards = trusted_shards(SHIPPED, schema)
    assert shards is not None  # the shipped folder vouches for its shards
    with ReadAhead(GOLD, predictions, schema) as ahead:
        want = [(g.id, g.text, ahead.parts(g), ahead.pred_parts(p)) for g, p in ahead]
        want_ending = ahead.ending
    with ReadAhead(SHIPPED, predictions, schema, shards=shards) as ahead:
        assert ahead.total == len(want)
        views = StoredTokens(ahead)
        stored = GoldTokens(SHIPPED)
        got = []
        for g, p in ahead:
            got.append((g.id, g.text, ahead.parts(g), ahead.pred_parts(p)))
            edges = views.span_arrays(g, got[-1][2][0])
            assert all(map(np.array_equal, edges, stored.span_arrays(g, got[-1][2][0])))
        assert got == want
        assert ahead.ending == want_ending
        assert views.sources() == {"stored": len(want), "tokenized": 0, "unreadable": []}
        assert ahead.sha256() == tuple(
            hashlib.sha256(f.read_bytes()).hexdigest() for f in (GOLD, predictions)
        )


def test_a_shard_unreadable_after_it_was_trusted_ends_the_pass(
    tmp_path: Path, schema: Schema
) -> None:
    folder = Path(shutil.copytree(SHIPPED, tmp_path / "gold"))
    predictions = _predictions(tmp_path / "pred.jsonl")
    shards = trusted_shards(folder, schema)
    assert shards is not None
    (folder / "data" / "train-00000-of-00001.parquet").write_bytes(b"not parquet")
    with pytest.raises(NotOnePass, match=r"train-00000-of-00001\.parquet: "):  # noqa: SIM117
        with ReadAhead(folder, predictions, schema, shards=shards) as ahead:
            list(ahead)
    # eval reads the file instead, and scores what it holds
    assert (
        evaluate(folder, predictions, schema, bootstrap=0).figures()
        == evaluate(GOLD, predictions, schema, bootstrap=0).figures()
    )


def test_a_problem_in_the_gold_ends_the_pass(tmp_path: Path, schema: Schema) -> None:
    file = tmp_path / "gold.jsonl"
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[1])
    bad["entities"][0]["label"] = "NOT_A_LABEL"
    file.write_text("\n".join([lines[0], json.dumps(bad), *lines[2:]]) + "\n", encoding="utf-8")
    with (
        ReadAhead(file, GOLD, schema) as ahead,
        pytest.raises(NotOnePass, match="label 'NOT_A_LABEL' is not in schema"),
    ):
        list(ahead)


def test_a_problem_in_the_predictions_ends_the_pass(tmp_path: Path, schema: Schema) -> None:
    file = tmp_path / "pred.jsonl"
    lines = GOLD.read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[2])
    bad["entities"][0]["end"] = bad["entities"][0]["start"]
    file.write_text("\n".join([*lines[:2], json.dumps(bad)]) + "\n", encoding="utf-8")
    with (
        ReadAhead(GOLD, file, schema) as ahead,
        pytest.raises(NotOnePass, match=r"reading the files: .* not a non-empty range"),
    ):
        list(ahead)


def test_the_pipe_holds_a_few_batches(schema: Schema) -> None:
    fcntl = pytest.importorskip("fcntl")  # Linux only: elsewhere the pipe stays as it is
    with ReadAhead(GOLD, GOLD, schema) as ahead:
        size = fcntl.fcntl(ahead._conn.fileno(), fcntl.F_GETPIPE_SZ)
        list(ahead)
    assert size == read_ahead.PIPE_BYTES


def test_close_ends_the_process_before_the_files_are_read(schema: Schema) -> None:
    ahead = ReadAhead(GOLD, GOLD, schema)
    next(iter(ahead))
    ahead.close()
    assert not ahead._process.is_alive()
    with pytest.raises(RuntimeError, match="not been read to their end"):
        _ = ahead.ending


def test_eval_scores_the_same_with_and_without_a_second_process(
    tmp_path: Path, schema: Schema, gold_docs: list[Document], pred_file: Path, monkeypatch
) -> None:
    folder = tmp_path / "gold"
    write_gold(gold_docs, folder, schema=schema)
    for gold in (folder, folder / "documents.jsonl"):
        ahead = evaluate(gold, pred_file, schema, bootstrap=50).to_json()
        with monkeypatch.context() as patched:
            patched.setattr(read_ahead, "available", lambda: False)
            here = evaluate(gold, pred_file, schema, bootstrap=50).to_json()
        assert ahead == here
    assert list(read_documents(folder / "documents.jsonl"))  # the folder was read, not emptied


def _available_in_a_pool_worker() -> bool:
    return read_ahead.available()


def test_not_available_in_a_daemonic_process() -> None:
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_available_in_a_pool_worker) is False
    assert read_ahead.available() is True
