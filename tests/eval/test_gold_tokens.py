"""Token offsets from a gold folder's stored IOB view (`eval.gold_tokens`)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from eventgold.dataset.writer import write_gold
from eventgold.documents import Document, read_documents, write_documents
from eventgold.eval import gold_tokens
from eventgold.eval.evaluate import evaluate
from eventgold.eval.gold_tokens import GoldTokens, int_list
from eventgold.eval.iob import token_edges
from eventgold.schema import Schema

SHIPPED = Path(__file__).resolve().parents[2] / "gold"


def _shipped() -> list[Document]:
    return list(read_documents(SHIPPED / "documents.jsonl"))


@pytest.mark.parametrize("batch_rows", [1, 2, 256])
def test_stored_edges_equal_tokenizing(batch_rows: int) -> None:
    views = GoldTokens(SHIPPED, batch_rows=batch_rows)
    docs = _shipped()
    assert [views.edges(d) for d in docs] == [token_edges(d) for d in docs]
    assert (views.stored, views.tokenized) == (len(docs), 0)


def test_a_stale_or_unknown_document_is_tokenized_and_the_rest_still_stored() -> None:
    docs = _shipped()
    views = GoldTokens(SHIPPED)
    stranger = replace(docs[0], id="not-in-the-shards")
    assert views.edges(stranger) == token_edges(stranger)  # no row consumed
    edited_text = replace(docs[0], text=docs[0].text + " More.")
    assert views.edges(edited_text) == token_edges(edited_text)
    one_less = replace(docs[1], entities=docs[1].entities[1:])
    assert views.edges(one_less) == token_edges(one_less)
    assert [views.edges(d) for d in docs[2:]] == [token_edges(d) for d in docs[2:]]
    assert (views.stored, views.tokenized) == (len(docs) - 2, 3)


def test_out_of_order_documents_are_tokenized_not_mismatched() -> None:
    docs = _shipped()[::-1]
    views = GoldTokens(SHIPPED)
    assert [views.edges(d) for d in docs] == [token_edges(d) for d in docs]
    assert views.stored + views.tokenized == len(docs) and views.tokenized > 0


def test_ints_reads_sliced_arrays_and_refuses_nulls() -> None:
    assert int_list(pa.array(range(10), pa.int32()).slice(3, 4)) == [3, 4, 5, 6]
    assert int_list(pa.array([7, 8], pa.int64())) == [7, 8]
    with pytest.raises(ValueError, match="unexpected nulls"):
        int_list(pa.array([1, None], pa.int32()))


def test_damaged_or_foreign_shards_are_tokenized_and_named(
    tmp_path: Path, schema: Schema, pred_file: Path
) -> None:
    import pyarrow.parquet as pq

    folder = tmp_path / "gold"
    shutil.copytree(SHIPPED, folder)
    train, test = (next((folder / "data").glob(f"{s}-*.parquet")) for s in ("train", "test"))
    train.write_bytes(train.read_bytes()[:100])  # truncated
    pq.write_table(pq.read_table(test).drop_columns(["token_starts"]), test)  # no tokens
    docs = _shipped()
    views = GoldTokens(folder)
    assert [views.edges(d) for d in docs] == [token_edges(d) for d in docs]
    assert views.tokenized == 15 and views.stored == 2  # the two validation documents
    assert len(views.unreadable) == 2
    assert views.unreadable[0].startswith("split 'train': ")
    assert (
        views.unreadable[1].startswith("split 'test': ") and "token_starts" in views.unreadable[1]
    )
    preds = tmp_path / "pred.jsonl"
    write_documents(preds, docs)
    from typer.testing import CliRunner

    from eventgold.cli import app

    args = ["eval", "--gold", str(folder), "--predictions", str(preds), "--bootstrap", "0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "warning: gold shards not read, their documents tokenized again: split 'train'" in (
        result.output
    )


def test_only_a_folder_with_shards_gives_stored_offsets(tmp_path: Path) -> None:
    docs = _shipped()
    bare = tmp_path / "bare"
    write_documents(bare / "documents.jsonl", docs)
    for gold in (SHIPPED / "documents.jsonl", docs, bare):
        views = GoldTokens(gold)
        assert [views.edges(d) for d in docs] == [token_edges(d) for d in docs]
        assert views.sources() == {"stored": 0, "tokenized": len(docs), "unreadable": []}
    views = GoldTokens(SHIPPED)
    assert [views.edges(d) for d in docs] == [token_edges(d) for d in docs]
    assert views.sources() == {"stored": len(docs), "tokenized": 0, "unreadable": []}


def test_folder_eval_reads_no_text_twice_and_equals_file_eval(
    tmp_path: Path, schema: Schema, gold_docs: list[Document], pred_file: Path, monkeypatch
) -> None:
    folder = tmp_path / "gold"
    write_gold(gold_docs, folder, schema=schema)
    from_file = evaluate(folder / "documents.jsonl", pred_file, schema, bootstrap=0)

    def no_tokenizing(doc: Document, spans: object) -> None:
        raise AssertionError(f"tokenized {doc.id}")

    monkeypatch.setattr(gold_tokens, "span_edge_arrays", no_tokenizing)
    monkeypatch.setattr(gold_tokens, "span_edge_arrays_many", no_tokenizing)
    from_folder = evaluate(folder, pred_file, schema, bootstrap=0)
    assert from_folder.table.groups == from_file.table.groups
    assert np.array_equal(from_folder.table.counts, from_file.table.counts)
    stored = {"stored": 3, "tokenized": 0, "unreadable": []}
    assert from_folder.token_sources == stored
    assert from_file.token_sources == {"stored": 0, "tokenized": 3, "unreadable": []}
    assert from_folder.to_json()["documents"]["token_offsets"] == stored
    assert evaluate(folder, pred_file, schema, bootstrap=0, tokens=False).token_sources is None


def test_a_hand_edited_gold_folder_scores_as_its_documents_say(
    tmp_path: Path, schema: Schema, pred_file: Path
) -> None:
    folder = tmp_path / "gold"
    shutil.copytree(SHIPPED, folder)
    docs = _shipped()
    linked = {i for r in docs[2].relations for i in (r.head, r.tail)}
    loose = next(e for e in docs[2].entities if e.id not in linked)
    # An entity removed after the shards were written: its boundaries no longer fit them.
    docs[2] = replace(docs[2], entities=tuple(e for e in docs[2].entities if e != loose))
    write_documents(folder / "documents.jsonl", docs)
    preds = tmp_path / "pred.jsonl"
    write_documents(preds, _shipped())
    edited = evaluate(folder, preds, schema, bootstrap=0)
    as_file = evaluate(folder / "documents.jsonl", preds, schema, bootstrap=0)
    assert np.array_equal(edited.table.counts, as_file.table.counts)
    assert edited.token_sources == {"stored": len(docs) - 1, "tokenized": 1, "unreadable": []}


def test_cli_says_when_some_documents_were_tokenized_again(tmp_path: Path, schema: Schema) -> None:
    from typer.testing import CliRunner

    from eventgold.cli import app

    folder = tmp_path / "gold"
    shutil.copytree(SHIPPED, folder)
    docs = _shipped()
    docs[0] = replace(docs[0], title="edited")  # a field the view does not depend on
    docs[1] = replace(docs[1], text=docs[1].text + "\n")
    write_documents(folder / "documents.jsonl", docs)
    args = ["eval", "--gold", str(folder), "--predictions", str(folder / "documents.jsonl")]
    result = CliRunner().invoke(app, [*args, "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    assert (
        "tokens: 16 document(s) from the gold folder's IOB view, 1 tokenized again (they differ "
        "from the folder's shards)" in result.output
    )
    # A split whose shards cannot be read: its documents are tokenized, and the reason says so.
    [test_shard] = (folder / "data").glob("test-*.parquet")
    test_shard.write_bytes(test_shard.read_bytes()[:100])
    result = CliRunner().invoke(app, [*args, "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    assert "warning: gold shards not read" in result.output
    assert "tokenized again (their shards could not be read, or they differ" in result.output
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "--gold",
            str(SHIPPED),
            "--predictions",
            str(SHIPPED / "documents.jsonl"),
            "--bootstrap",
            "0",
        ],
    )
    assert result.exit_code == 0 and "tokenized again" not in result.output


def test_folder_eval_with_tokens_loads_no_heavy_library(heavy_modules_after) -> None:
    code = (
        "from typer.testing import CliRunner\n"
        "from eventgold.cli import app\n"
        f"r = CliRunner().invoke(app, ['eval', '--gold', {str(SHIPPED)!r}, '--predictions', "
        f"{str(SHIPPED / 'documents.jsonl')!r}, '--bootstrap', '0'])\n"
        "assert r.exit_code == 0, r.output"
    )
    assert heavy_modules_after(code) == []


def test_many_documents_at_once_give_what_each_gives_and_count_the_same(tmp_path: Path) -> None:
    docs = _shipped()
    spans = [[(e.label, e.start, e.end) for e in d.entities] for d in docs]
    stale = [*docs[:2], replace(docs[2], text=docs[2].text.replace(" ", "  ", 1)), *docs[3:]]
    for gold in (SHIPPED / "documents.jsonl", SHIPPED):
        one, many = GoldTokens(gold), GoldTokens(gold)
        want = [one.span_arrays(d, s) for d, s in zip(stale, spans, strict=True)]
        got = many.span_arrays_many(stale, spans)
        assert [(a.tolist(), b.tolist()) for a, b in got] == [
            (a.tolist(), b.tolist()) for a, b in want
        ]
        assert many.sources() == one.sources()
    assert many.sources()["tokenized"] == 1  # the stale row, in the folder
