"""`eventgold events` and `eventgold events score` end to end (CliRunner, the shipped seed gold)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from eventgold.cli import app
from eventgold.schema import DEFAULT_SCHEMA
from tests.eval.events.helpers import seed_gold_file

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    """The shipped gold's five seed articles, which these figures were made on."""
    return seed_gold_file(tmp_path)


def test_events_writes_parquet_and_csv_with_traceable_cells(tmp_path: Path, gold: Path) -> None:
    out = tmp_path / "events"
    out.mkdir()
    (out / "notes.txt").write_text("mine")  # other files in the folder are left alone
    result = runner.invoke(app, ["events", "--gold", str(gold), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "20 event(s) from 5 document(s) of" in result.output
    assert "15 mention(s) of an event column joined no event" in result.output
    assert (out / "notes.txt").read_text() == "mine"
    table = pq.read_table(out / "events.parquet").to_pylist()
    assert len(table) == 20
    first = table[0]
    assert first["event_id"] == "000_825f39275db574bb/E1"
    assert first["killed_best"] == 35 and first["killed_text"] == "35 students"
    assert first["killed_spans"] == [{"id": "T6", "start": 765, "end": 776, "text": "35 students"}]
    text = json.loads((gold).read_text().splitlines()[0])["text"]
    for column in ("anchor", "attacker", "victims", "location", "condemned_by"):
        for span in first[f"{column}_spans"]:  # every cell leads back to its spans
            assert text[span["start"] : span["end"]] == span["text"]
            assert span["text"] in first[column]
    with (out / "events.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 20 and rows[0]["location"] == first["location"]
    assert json.loads(rows[0]["killed_spans"]) == first["killed_spans"]


def test_events_over_a_prediction_file(tmp_path: Path, gold: Path) -> None:
    lines = (gold).read_text().splitlines()
    preds = tmp_path / "p.jsonl"
    extra = json.dumps({"id": "not-in-gold", "entities": []})
    preds.write_text(lines[-1] + "\n" + extra + "\n")  # only 004: the others predict nothing
    args = ["events", "--gold", str(gold), "--predictions", str(preds), "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1 event(s) from 5 document(s) of" in result.output
    ids = [json.loads(line)["id"] for line in lines[:-1]]
    assert result.stderr == (
        f"4 gold document(s) had no prediction (no events): {', '.join(ids)}\n"
        "1 prediction(s) ignored: their documents are not in the gold (--strict refuses them)\n"
    )
    (row,) = pq.read_table(tmp_path / "events.parquet").to_pylist()
    assert row["event_id"] == "004_20b7060dfb18cd1a/E1" and row["killed_best"] == 21


def test_events_without_an_events_section_says_so(tmp_path: Path, gold: Path) -> None:
    data = yaml.safe_load(DEFAULT_SCHEMA.read_text())
    del data["events"]
    schema = tmp_path / "s.yaml"
    schema.write_text(yaml.safe_dump(data))
    args = ["events", "--gold", str(gold), "--out", str(tmp_path / "e"), "--schema", str(schema)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "declares no events: section" in result.output
    assert f"{schema}: events: no event rules are declared" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "e").exists()


def test_events_needs_gold_and_out(gold: Path) -> None:
    result = runner.invoke(app, ["events", "--gold", str(gold)])
    assert result.exit_code == 1 and "give --gold and --out" in result.output


def test_score_prints_figures_and_writes_json(tmp_path: Path, gold: Path) -> None:
    out = tmp_path / "s.json"
    args = ["events", "score", "--gold", str(gold), "--predictions", str(gold)]
    result = runner.invoke(app, [*args, "--json", str(out), "--bootstrap", "50"])
    assert result.exit_code == 0, result.output
    assert "events (killed within 10%)" in result.output
    assert "1.000 [1.000, 1.000]" in result.output
    data = json.loads(out.read_text())
    assert data["metrics_version"] == "eventgold-events/1"
    assert data["figures"]["slots"]["ALL"]["tp"] == 174
    assert data["bootstrap"]["resamples"] == 50 and data["killed_tolerance"] == 0.1


def test_score_bad_predictions_exit_1_with_located_problems(tmp_path: Path, gold: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "zzz", "entities": []}) + "\n")
    args = ["events", "score", "--gold", str(gold), "--predictions", str(bad), "--strict"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "document id 'zzz' is not in the gold (5 documents)" in result.output
    # Without --strict the prediction is ignored, and a file matching no gold is refused as eval refuses it.
    result = runner.invoke(app, args[:-1])
    assert result.exit_code == 1
    assert "has a prediction for none of the 5 gold document(s)" in result.output
    assert "Traceback" not in result.output
    # The event table of such a file is refused the same way, before anything is written.
    table = ["events", "--gold", str(gold), "--predictions", str(bad), "--out", str(tmp_path / "t")]
    result = runner.invoke(app, table)
    assert result.exit_code == 1 and "has a prediction for none of the 5" in result.output
    assert not (tmp_path / "t").exists()


def test_score_counts_what_it_ignores_and_misses(tmp_path: Path, gold: Path) -> None:
    lines = gold.read_text().splitlines()
    preds = tmp_path / "p.jsonl"
    preds.write_text("\n".join([*lines[1:], json.dumps({"id": "zzz", "entities": []})]) + "\n")
    out = tmp_path / "s.json"
    args = ["events", "score", "--gold", str(gold), "--predictions", str(preds)]
    result = runner.invoke(app, [*args, "--bootstrap", "0", "--json", str(out)])
    assert result.exit_code == 0, result.output
    first = json.loads(lines[0])["id"]
    assert f"1 gold document(s) had no prediction (scored as empty): {first}" in result.stderr
    assert "1 prediction(s) ignored: their documents are not in the gold" in result.stderr
    data = json.loads(out.read_text())
    assert data["missing"] == [first] and data["ignored_predictions"] == 1


def test_events_of_an_empty_gold_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = runner.invoke(app, ["events", "--gold", str(empty), "--out", str(tmp_path / "t")])
    assert result.exit_code == 1
    assert f"the gold {empty} holds no documents: there are no events to list" in result.stderr
    assert not (tmp_path / "t").exists()
