"""The gold read by a second process (`eval.gold_ahead`): what it gives equals reading here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eventgold.dataset.writer import write_gold
from eventgold.documents import Document, read_documents
from eventgold.eval import gold_ahead
from eventgold.eval.evaluate import evaluate
from eventgold.eval.gold_ahead import GoldAhead
from eventgold.eval.gold_tokens import GoldTokens
from eventgold.eval.inputs import NotOnePass, checked_gold
from eventgold.eval.table import gold_parts
from eventgold.schema import Schema

SHIPPED = Path(__file__).resolve().parents[2] / "gold"
pytestmark = pytest.mark.skipif(not gold_ahead.available(), reason="needs fork and 2 CPUs")


@pytest.mark.parametrize("tokens", [True, False])
def test_heads_parts_and_token_offsets_equal_reading_here(schema: Schema, tokens: bool) -> None:
    file = SHIPPED / "documents.jsonl"
    here = list(checked_gold(file, schema))
    views = GoldTokens(SHIPPED)
    with GoldAhead(file, SHIPPED, schema, tokens=tokens) as ahead:
        heads = list(ahead)
        assert heads == [d.without_annotations() for d in here]
        assert [ahead.parts(h) for h in heads] == [gold_parts(d) for d in here]
        if tokens:
            for head, doc in zip(heads, here, strict=True):
                got, want = ahead.arrays(head), views.arrays(doc)
                assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True))
            assert (
                ahead.sources()
                == views.sources()
                == {
                    "stored": len(here),
                    "tokenized": 0,
                    "unreadable": [],
                }
            )
        with pytest.raises(KeyError):
            ahead.parts(heads[0])  # each document's parts are given once


def test_a_problem_in_the_gold_ends_the_pass(tmp_path: Path, schema: Schema) -> None:
    file = tmp_path / "gold.jsonl"
    lines = (SHIPPED / "documents.jsonl").read_text(encoding="utf-8").splitlines()
    bad = json.loads(lines[1])
    bad["entities"][0]["label"] = "NOT_A_LABEL"
    file.write_text("\n".join([lines[0], json.dumps(bad), *lines[2:]]) + "\n", encoding="utf-8")
    with (
        GoldAhead(file, file, schema, tokens=True) as ahead,
        pytest.raises(NotOnePass, match="label 'NOT_A_LABEL' is not in schema"),
    ):
        list(ahead)


def test_close_ends_the_process_before_the_gold_is_read(schema: Schema) -> None:
    ahead = GoldAhead(SHIPPED / "documents.jsonl", SHIPPED, schema, tokens=True)
    next(iter(ahead))
    ahead.close()
    assert not ahead._process.is_alive()
    with pytest.raises(RuntimeError, match="not been read to its end"):
        ahead.sources()


def test_eval_scores_the_same_with_and_without_a_second_process(
    tmp_path: Path, schema: Schema, gold_docs: list[Document], pred_file: Path, monkeypatch
) -> None:
    folder = tmp_path / "gold"
    write_gold(gold_docs, folder, schema=schema)
    for gold in (folder, folder / "documents.jsonl"):
        ahead = evaluate(gold, pred_file, schema, bootstrap=50).to_json()
        with monkeypatch.context() as patched:
            patched.setattr(gold_ahead, "available", lambda: False)
            here = evaluate(gold, pred_file, schema, bootstrap=50).to_json()
        assert ahead == here
    assert list(read_documents(folder / "documents.jsonl"))  # the folder was read, not emptied


def _available_in_a_pool_worker() -> bool:
    return gold_ahead.available()


def test_not_available_in_a_daemonic_process() -> None:
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_available_in_a_pool_worker) is False
    assert gold_ahead.available() is True
