"""Every command that reads and writes files refuses an output that is an input, lies in an
input folder, holds one, or is another output of the run: exit 1, the located message, and
every input byte for byte as it was (eventgold/paths.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.cli import app
from eventgold.documents import write_document_file, write_documents
from eventgold.paths import SUMMARY
from eventgold.schema import DEFAULT_SCHEMA
from tests.eval.conftest import gold_documents, prediction_documents

runner = CliRunner()


@pytest.fixture(autouse=True)
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """In a scratch folder: g.jsonl (gold), p.jsonl and p1.jsonl (predictions), gold/ (a gold
    folder) and ann/a, ann/b (folders of one annotation each)."""
    monkeypatch.chdir(tmp_path)
    write_documents(Path("g.jsonl"), gold_documents())
    write_documents(Path("p.jsonl"), prediction_documents())
    write_documents(Path("p1.jsonl"), gold_documents())
    write_documents(Path("gold/documents.jsonl"), gold_documents())
    for annotator, docs in (("a", gold_documents()), ("b", prediction_documents())):
        doc = replace(docs[1], meta={"annotator": annotator})
        write_document_file(Path(f"ann/{annotator}/{doc.id}.json"), doc)
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _refused(args: list[str], problems: list[str]) -> None:
    """The command exits 1 with the summary and exactly these problems, and writes nothing."""
    root = Path.cwd()
    before = _snapshot(root)
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.splitlines()
    assert lines[0] == f"error: {SUMMARY}"
    assert lines[1:] == [f"  - {p}" for p in problems]
    assert _snapshot(root) == before


def _is_also(out: str, path: str, inp: str, kind: str = "file") -> str:
    return f"{out} {path}: is also {inp}, an input it would overwrite; name another {kind}"


def _inside(out: str, path: str, folder: str) -> str:
    return (
        f"{out} {path}: is inside {folder}, an input folder, and nothing is written into an "
        "input folder; name a path outside it"
    )


EVAL = ["eval", "--gold", "g.jsonl", "--predictions", "p.jsonl", "--bootstrap", "0"]


def test_eval_json_over_the_predictions() -> None:
    _refused([*EVAL, "--json", "p.jsonl"], [_is_also("--json", "p.jsonl", "--predictions")])


def test_eval_html_over_the_gold() -> None:
    _refused([*EVAL, "--html", "./g.jsonl"], [_is_also("--html", "g.jsonl", "--gold")])


def test_eval_json_inside_the_gold_folder() -> None:
    args = ["eval", "--gold", "gold", "--predictions", "p.jsonl", "--json", "gold/eval.json"]
    _refused(args, [_inside("--json", "gold/eval.json", "--gold gold")])


def test_eval_json_and_html_the_same_file() -> None:
    _refused(
        [*EVAL, "--json", "same.out", "--html", "same.out"],
        ["--html same.out: is also --json, another output of this run; name another file"],
    )


@pytest.mark.parametrize(
    "args",
    [
        [*EVAL, "--json"],
        ["events", "score", "--gold", "g.jsonl", "--predictions", "p.jsonl", "--json"],
        ["predict", "--model", "rules", "--corpus", "g.jsonl", "--out"],
        ["compare", "p.jsonl", "p1.jsonl", "--gold", "g.jsonl", "--json"],
        ["agree", "ann/a", "ann/b", "--json"],
        ["adjudicate", "ann/a", "ann/b", "--strategy", "majority", "--out"],
        ["train", "--gold", "g.jsonl", "--cv", "2", "--predictions-out"],
        ["export", "--gold", "g.jsonl", "--format", "conll", "--out"],
    ],
)
def test_no_output_overwrites_the_schema(args: list[str]) -> None:
    Path("s.yaml").write_bytes(DEFAULT_SCHEMA.read_bytes())
    output = args[-1]
    _refused([*args, "s.yaml", "--schema", "s.yaml"], [_is_also(output, "s.yaml", "--schema")])


def test_compare_json_over_a_prediction_file() -> None:
    args = ["compare", "p.jsonl", "p1.jsonl", "--gold", "g.jsonl", "--json", "p.jsonl"]
    _refused(args, [_is_also("--json", "p.jsonl", "p.jsonl")])


def test_export_over_the_gold_file() -> None:
    args = ["export", "--gold", "g.jsonl", "--format", "conll", "--out", "g.jsonl"]
    _refused(args, [_is_also("--out", "g.jsonl", "--gold")])


def test_export_into_the_gold_folder() -> None:
    args = ["export", "--gold", "gold", "--format", "jsonl", "--out", "gold/x.jsonl"]
    _refused(args, [_inside("--out", "gold/x.jsonl", "--gold gold")])


def test_export_spacy_folder_that_holds_the_gold() -> None:
    args = ["export", "--gold", "gold/documents.jsonl", "--format", "spacy", "--out", "gold"]
    _refused(
        args,
        [
            "--out gold: holds --gold gold/documents.jsonl, an input, and is replaced whole; "
            "name a folder that holds no input"
        ],
    )


def test_predict_over_its_corpus() -> None:
    args = ["predict", "--model", "rules", "--corpus", "g.jsonl", "--out", "g.jsonl"]
    _refused(args, [_is_also("--out", "g.jsonl", "--corpus")])


def test_train_predictions_over_the_gold() -> None:
    args = ["train", "--gold", "g.jsonl", "--cv", "2", "--predictions-out", "g.jsonl"]
    _refused(args, [_is_also("--predictions-out", "g.jsonl", "--gold")])


def test_train_model_folder_that_is_the_gold_folder() -> None:
    _refused(
        ["train", "--gold", "gold", "--out", "gold"],
        [_is_also("--out", "gold", "--gold", "folder")],
    )


def test_agree_markdown_over_an_annotation() -> None:
    args = ["agree", "ann/a", "ann/b", "--markdown", "ann/a/d2.json"]
    _refused(args, [_inside("--markdown", "ann/a/d2.json", "ann/a")])


def test_adjudicate_out_over_an_input() -> None:
    args = ["adjudicate", "p.jsonl", "p1.jsonl", "--strategy", "majority", "--out", "p1.jsonl"]
    _refused(args, [_is_also("--out", "p1.jsonl", "p1.jsonl")])


def test_adjudicate_review_over_the_merged_gold() -> None:
    args = ["adjudicate", "ann/a", "ann/b", "--strategy", "majority", "--out", "adj/m3.jsonl"]
    _refused(
        [*args, "--review", "adj/m3.jsonl"],
        ["--review adj/m3.jsonl: is also --out, another output of this run; name another file"],
    )


def test_events_into_the_gold_folder() -> None:
    _refused(
        ["events", "--gold", "gold", "--out", "gold"],
        [
            _inside("--out", "gold/events.parquet", "--gold gold"),
            _inside("--out", "gold/events.csv", "--gold gold"),
        ],
    )


def test_events_over_the_predictions() -> None:
    write_documents(Path("ev/events.csv"), prediction_documents())
    args = ["events", "--gold", "g.jsonl", "--predictions", "ev/events.csv", "--out", "ev"]
    _refused(args, [_is_also("--out", "ev/events.csv", "--predictions")])


def test_events_score_json_over_the_predictions() -> None:
    args = ["events", "score", "--gold", "g.jsonl", "--predictions", "p.jsonl"]
    _refused([*args, "--json", "p.jsonl"], [_is_also("--json", "p.jsonl", "--predictions")])


def test_pull_agreement_inside_the_gold_folder_it_replaces() -> None:
    Path("gold/agreement.md").write_text("# Agreement\n")
    _refused(
        ["pull", "--project", "P", "--out", "gold", "--agreement", "gold/agreement.md"],
        [
            "--out gold: holds --agreement gold/agreement.md, an input, and is replaced whole; "
            "name a folder that holds no input"
        ],
    )


def test_demo_workdir_whose_gold_is_the_shipped_gold() -> None:
    # Refused before Label Studio starts: pulling into ./gold would replace the gold it checks.
    for folder in ("annotations/gold", "annotations/first_pass", "annotations/second_pass"):
        Path(folder).mkdir(parents=True)
    write_documents(Path("corpus/documents.jsonl"), gold_documents())
    _refused(
        ["demo", "--workdir", "."],
        [
            "--workdir (its gold/) gold: is also --gold, an input it would overwrite; name "
            "another folder"
        ],
    )
