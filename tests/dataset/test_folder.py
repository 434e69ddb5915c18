from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eventgold.dataset.folder import GOLD_MARKER, GOLD_TARGET, gold_target_problems, read_gold
from eventgold.dataset.writer import write_gold
from eventgold.documents import Document
from eventgold.problems import ProblemsError
from eventgold.schema import load_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = load_schema()


def docs() -> list[Document]:
    return [Document(id="a", text="Gunmen struck Kabul."), Document(id="b", text="Calm.")]


def test_a_corpus_folder_is_never_a_gold_target(tmp_path: Path) -> None:
    # The data loss of issue 18: `pull --out corpus/` replaced a corpus holding only
    # documents.jsonl, because that is also a gold file's name.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copyfile(ROOT / "corpus" / "documents.jsonl", corpus / "documents.jsonl")
    before = (corpus / "documents.jsonl").read_bytes()
    with pytest.raises(ProblemsError) as caught:
        write_gold(docs(), corpus, schema=SCHEMA)
    [problem] = caught.value.problems
    assert problem.code == GOLD_TARGET
    assert str(problem) == (
        f"gold folder {corpus}: holds documents.jsonl but no .eventgold-gold marker, so it is "
        "not a gold folder that eventgold wrote (a corpus?), and a gold folder is replaced "
        "whole; name a new or empty folder"
    )
    assert (corpus / "documents.jsonl").read_bytes() == before
    assert not list(tmp_path.glob(".corpus.*"))  # no staging folder left behind
    (corpus / "documents.jsonl").unlink()
    (corpus / "README.md").write_text("# notes")
    assert [p.message for p in gold_target_problems(corpus)] == [
        "holds README.md but no .eventgold-gold marker, so it is not a gold folder that "
        "eventgold wrote, and a gold folder is replaced whole; name a new or empty folder"
    ]


def test_every_gold_folder_carries_the_marker_and_is_a_target_again(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert gold_target_problems(empty) == [] and gold_target_problems(tmp_path / "new") == []
    write_gold(docs(), empty, schema=SCHEMA)
    assert (
        (empty / GOLD_MARKER)
        .read_text(encoding="utf-8")
        .startswith("A gold folder written by eventgold")
    )
    assert gold_target_problems(empty) == []
    write_gold(docs()[:1], empty, schema=SCHEMA)
    assert [d.id for d in read_gold(empty)] == ["a"]


def test_the_shipped_gold_is_a_gold_target() -> None:
    assert (ROOT / "gold" / GOLD_MARKER).is_file()
    assert gold_target_problems(ROOT / "gold") == []
    assert gold_target_problems(ROOT / "corpus") != []
