from __future__ import annotations

import json
import sys

import yaml
from typer.testing import CliRunner

from eventgold.cli import app
from eventgold.documents import Document, load_documents, write_documents
from eventgold.schema import DEFAULT_SCHEMA, load_schema
from eventgold.validate import PREDICTION_RULES, validate_document

runner = CliRunner()

TEXTS = {
    "a": "An IS-Khorasan suicide bomber killed around 200 people near the Kabul airport.",
    "b": "Mr. Hekmatyar condemned the attack in a video message.",
}


def corpus_file(tmp_path):
    path = tmp_path / "corpus.jsonl"
    write_documents(path, [Document(id=k, text=v, title=k) for k, v in TEXTS.items()])
    return path


def test_predict_with_rules_writes_valid_predictions(tmp_path):
    out = tmp_path / "pred.jsonl"
    result = runner.invoke(
        app,
        ["predict", "--model", "rules", "--corpus", str(corpus_file(tmp_path)), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert f"{out}: 2 documents, 5 entities, 2 relations (rules)" in result.stdout
    docs, problems = load_documents(out)
    assert problems == [] and [d.id for d in docs] == ["a", "b"]
    schema = load_schema()
    assert all(validate_document(d, schema, rules=PREDICTION_RULES) == [] for d in docs)
    assert json.loads(out.read_text().splitlines()[1])["meta"]["model"]["name"] == "rules"


def test_predict_with_a_callable_breaking_the_schema_writes_nothing(tmp_path, monkeypatch):
    (tmp_path / "cli_user_model.py").write_text(
        "def f(text):\n    return {'entities': [{'label': 'GROUP', 'start': 0, 'end': 2}]}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "pred.jsonl"
    args = ["--corpus", str(corpus_file(tmp_path)), "--out", str(out)]
    result = runner.invoke(app, ["predict", "--model", "cli_user_model:f", *args])
    assert result.exit_code == 1
    assert (
        "produced 2 problem(s) against schema 'conflict_events'; nothing written" in result.stderr
    )
    assert "label 'GROUP' is not in schema 'conflict_events'; allowed: ACTOR" in result.stderr
    assert not out.exists()


def test_predict_rules_refused_by_a_schema_without_their_labels(tmp_path):
    data = yaml.safe_load(DEFAULT_SCHEMA.read_text())
    data["entities"] = [e for e in data["entities"] if e["label"] != "LOCATION"]
    del data["events"]  # it names LOCATION too: a schema without the label drops it as well
    schema = tmp_path / "s.yaml"
    schema.write_text(yaml.safe_dump(data))
    out = tmp_path / "pred.jsonl"
    result = runner.invoke(
        app,
        [
            *("predict", "-m", "rules", "--corpus", str(corpus_file(tmp_path))),
            *("--out", str(out), "--schema", str(schema)),
        ],
    )
    assert result.exit_code == 1
    assert "the rule extractor does not fit schema 'conflict_events'" in result.stderr
    assert (
        "emits entity label 'LOCATION', which is not in schema 'conflict_events'; "
        "allowed: ACTOR, ATTACK, ATTACKER, VICTIM_GROUP" in result.stderr
    )
    assert not out.exists()


def test_predict_unknown_model_and_missing_corpus(tmp_path):
    result = runner.invoke(
        app, ["predict", "-m", "nope", "--corpus", str(tmp_path / "c.jsonl"), "--out", "x"]
    )
    assert result.exit_code == 1 and "nope: unknown model" in result.stderr
    result = runner.invoke(
        app, ["predict", "-m", "rules", "--corpus", str(tmp_path / "c.jsonl"), "--out", "x"]
    )
    assert result.exit_code == 1 and "file not found:" in result.stderr


def test_a_model_in_the_current_folder_is_found_and_its_errors_are_one_line(tmp_path, monkeypatch):
    (tmp_path / "cwd_model.py").write_text(
        "def ok(text):\n    return {'entities': []}\n\n"
        "def boom(text):\n    raise ValueError('boom')\n"
    )
    monkeypatch.chdir(tmp_path)  # not on sys.path otherwise: found as python -m finds it
    monkeypatch.setattr(sys, "path", list(sys.path))  # the CLI's addition is undone after
    args = ["--corpus", str(corpus_file(tmp_path)), "--out", str(tmp_path / "p.jsonl")]
    assert runner.invoke(app, ["predict", "-m", "cwd_model:ok", *args]).exit_code == 0
    result = runner.invoke(app, ["predict", "-m", "cwd_model:boom", *args])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "model 'cwd_model:boom' / document 'a': raised ValueError: boom" in result.stderr


def test_rules_follow_a_schema_without_a_label_through_a_gazetteer_copy(tmp_path):
    from eventgold.eval.baselines.rules import DEFAULT_GAZETTEER

    data = yaml.safe_load(DEFAULT_SCHEMA.read_text())
    data["entities"] = [e for e in data["entities"] if e["label"] != "LOCATION"]
    del data["events"]  # it names LOCATION too: a schema without the label drops it as well
    schema = tmp_path / "s.yaml"
    schema.write_text(yaml.safe_dump(data))
    gazetteer = yaml.safe_load(DEFAULT_GAZETTEER.read_text())
    gazetteer["labels"]["location"] = None  # switched off
    copy = tmp_path / "my-gazetteer.yaml"
    copy.write_text(yaml.safe_dump(gazetteer))
    out = tmp_path / "pred.jsonl"
    corpus = corpus_file(tmp_path)
    args = ["predict", "--corpus", str(corpus), "--out", str(out), "--schema", str(schema)]
    refused = runner.invoke(app, [*args, "-m", "rules"])
    assert refused.exit_code == 1
    assert "pass the copy as --model COPY.yaml" in refused.stderr
    result = runner.invoke(app, [*args, "-m", str(copy)])
    assert result.exit_code == 0, result.output
    docs, problems = load_documents(out)
    labels = {e.label for d in docs for e in d.entities}
    assert problems == [] and "LOCATION" not in labels and "ATTACK" in labels
    with_all = tmp_path / "all.jsonl"
    runner.invoke(app, ["predict", "-m", "rules", "--corpus", str(corpus), "-o", str(with_all)])
    everything, _ = load_documents(with_all)
    # The other roles are found as with every role on: only LOCATION spans are gone.
    assert [
        [(e.start, e.end, e.label) for e in d.entities if e.label != "LOCATION"] for d in everything
    ] == [[(e.start, e.end, e.label) for e in d.entities] for d in docs]


def test_predict_refuses_a_corpus_with_no_documents(tmp_path):
    empty_file, empty_folder = tmp_path / "empty.jsonl", tmp_path / "folder"
    empty_file.write_text("")
    empty_folder.mkdir()
    for corpus in (empty_file, empty_folder):
        out = tmp_path / "p.jsonl"
        args = ["predict", "-m", "rules", "--corpus", str(corpus), "--out", str(out)]
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert result.stderr == (
            f"error: {corpus}: nothing to predict\n"
            f"  - {corpus}: no documents (expected a JSONL file, documents.jsonl, or *.json)\n"
        )
        assert not out.exists()


def test_a_gazetteer_that_is_not_utf8_is_reported_without_a_traceback(tmp_path):
    """Audit defect 4: `predict --model some.yaml` with byte 0x80 ended in a traceback."""
    model = tmp_path / "some.yaml"
    model.write_bytes(b"labels:\n  attacker: \x80\n")
    args = ["--corpus", str(corpus_file(tmp_path)), "--out", str(tmp_path / "x.jsonl")]
    result = runner.invoke(app, ["predict", "--model", str(model), *args])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    text = " ".join(result.stderr.split())
    assert f"gazetteer {model} is not UTF-8 text" in text
    assert (
        f"{model} line 2 column 13: not valid UTF-8: byte(s) 0x80; save the file as UTF-8" in text
    )
    assert not (tmp_path / "x.jsonl").exists()
