from __future__ import annotations

import json

from typer.testing import CliRunner

from eventgold.cli import app
from eventgold.cli import train as train_command
from eventgold.documents import (
    Document,
    Entity,
    Relation,
    load_documents,
    write_document_file,
)
from eventgold.eval.baselines import trained

runner = CliRunner()


def gold_doc(doc_id: str, text: str, spans: list[tuple[str, str]]) -> Document:
    ents = []
    for i, (label, sub) in enumerate(spans):
        start = text.index(sub)
        ents.append(Entity(f"e{i}", start, start + len(sub), label, sub))
    return Document(
        id=doc_id, text=text, entities=tuple(ents), relations=(Relation("e0", "e1", "KILLED"),)
    )


def gold_folder(tmp_path):
    folder = tmp_path / "gold"
    folder.mkdir(parents=True)
    docs = [
        gold_doc(
            "g1",
            "Gunmen killed 14 Taliban fighters in Herat.",
            [("ATTACKER", "Gunmen"), ("VICTIM_GROUP", "14 Taliban fighters")],
        ),
        gold_doc(
            "g2",
            "A bombing killed eight civilians in Kabul.",
            [("ATTACK", "bombing"), ("VICTIM_GROUP", "eight civilians")],
        ),
        gold_doc(
            "g3",
            "The blast killed 21 worshippers.",
            [("ATTACK", "blast"), ("VICTIM_GROUP", "21 worshippers")],
        ),
    ]
    for doc in docs:
        write_document_file(folder / f"{doc.id}.json", doc)
    return folder


def test_train_writes_a_model_that_predict_uses(tmp_path):
    model = tmp_path / "model"
    result = runner.invoke(
        app, ["train", "--gold", str(gold_folder(tmp_path)), "--out", str(model), "--epochs", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "model trained on 3 documents (6 entities, 3 relations)" in result.stdout
    assert json.loads((model / "meta.json").read_text())["trained_on"] == ["g1", "g2", "g3"]
    pred = tmp_path / "p.jsonl"
    corpus = gold_folder(tmp_path / "c")
    result = runner.invoke(
        app, ["predict", "-m", str(model), "--corpus", str(corpus), "--out", str(pred)]
    )
    assert result.exit_code == 0, result.output
    docs, problems = load_documents(pred)
    assert problems == [] and docs[0].meta["model"]["path"] == str(model)


def test_train_cross_validation_writes_out_of_fold_predictions(tmp_path):
    pred = tmp_path / "cv.jsonl"
    result = runner.invoke(
        app,
        [
            *("train", "--gold", str(gold_folder(tmp_path)), "--cv", "3"),
            *("--predictions-out", str(pred), "--epochs", "1"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "out-of-fold predictions for 3 documents (3 folds)" in result.stdout
    docs, _ = load_documents(pred)
    assert [d.id for d in docs] == ["g1", "g2", "g3"]
    assert all(d.id not in d.meta["model"]["trained_on"] for d in docs)
    assert not (tmp_path / "model").exists()


def test_train_usage_errors(tmp_path):
    gold = str(gold_folder(tmp_path))
    result = runner.invoke(app, ["train", "--gold", gold])
    assert result.exit_code == 1 and "nothing to do: give --out DIR" in result.stderr
    result = runner.invoke(app, ["train", "--gold", gold, "--cv", "3"])
    assert result.exit_code == 1 and "--cv needs --predictions-out FILE" in result.stderr
    result = runner.invoke(
        app, ["train", "--gold", gold, "--out", "m", "--predictions-out", str(tmp_path / "p")]
    )
    assert result.exit_code == 1 and "--predictions-out needs --cv K" in result.stderr
    result = runner.invoke(
        app, ["train", "--gold", gold, "--cv", "5", "--predictions-out", str(tmp_path / "p")]
    )
    assert result.exit_code == 1
    assert "k must be between 2 and the number of documents (3), got 5" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["train", "--gold", str(empty), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1 and "no gold documents" in result.stderr


def test_train_never_replaces_a_folder_or_file_it_did_not_write(tmp_path, monkeypatch):
    gold = gold_folder(tmp_path)
    other = tmp_path / "other"
    (other / "sub").mkdir(parents=True)
    (other / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["train", "--gold", str(gold), "--out", str(other)])
    assert result.exit_code == 1
    assert (
        f"model folder {other}: holds what a model folder does not (keep.txt, sub), and a "
        "model folder is replaced whole; name a new folder, or move those out (a model folder "
        "holds: meta.json, ner, relations.joblib)"
    ) in result.stderr
    assert "training" not in result.output  # refused before any training
    assert (other / "keep.txt").read_text() == "mine" and (other / "sub").is_dir()
    a_file = tmp_path / "notes.json"  # not an input: that refusal is eventgold.paths'
    a_file.write_text("{}")
    before = a_file.read_bytes()
    result = runner.invoke(app, ["train", "--gold", str(gold), "--out", str(a_file)])
    assert result.exit_code == 1 and "is a file, not a folder" in result.stderr
    assert a_file.read_bytes() == before
    monkeypatch.chdir(other)
    result = runner.invoke(app, ["train", "--gold", str(gold), "--out", "."])
    assert result.exit_code == 1 and "is the current folder or holds it" in result.stderr
    assert sorted(p.name for p in other.iterdir()) == ["keep.txt", "sub"]  # no staging left


def test_train_replaces_an_earlier_model(tmp_path):
    gold, model = str(gold_folder(tmp_path)), tmp_path / "model"
    for _ in range(2):
        result = runner.invoke(app, ["train", "--gold", gold, "--out", str(model), "--epochs", "1"])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in model.iterdir()) == ["meta.json", "ner", "relations.joblib"]


def test_cli_default_epochs_match_the_library():
    assert train_command.DEFAULT_EPOCHS == trained.DEFAULT_EPOCHS


def test_ml_walk_through_on_a_partly_annotated_corpus(tmp_path):
    """Issue 18, defect 11: predict over the whole corpus, eval on the gold part; train and
    eval on splits; a warning when the scored documents trained the model."""
    from eventgold.dataset.membership import gold_splits
    from eventgold.documents import write_documents

    gold = tmp_path / "gold-set"
    write_documents(gold / "documents.jsonl", load_documents_of(gold_folder(tmp_path)))
    gold_docs = [d.without_annotations() for d in load_documents_of(gold)]
    corpus = tmp_path / "corpus.jsonl"
    unannotated = [Document(id=f"c{i}", text=f"Nothing annotated here {i}.") for i in (1, 2)]
    write_documents(corpus, [*gold_docs, *unannotated])
    splits = gold_splits(gold, load_documents_of(gold))
    train_doc = next(i for i, s in splits.items() if s == "train")

    def train_and_predict(name, *split):
        model, preds = tmp_path / name, tmp_path / f"{name}.jsonl"
        args = ["train", "--gold", str(gold), "--out", str(model), "--epochs", "1", *split]
        assert (result := runner.invoke(app, args)).exit_code == 0, result.output
        args = ["predict", "-m", str(model), "--corpus", str(corpus), "--out", str(preds)]
        assert (result := runner.invoke(app, args)).exit_code == 0, result.output
        return model, preds

    model, preds = train_and_predict("all")
    scoring = ["eval", "--gold", str(gold), "--predictions", str(preds), "--bootstrap", "0"]
    result = runner.invoke(app, [*scoring, "--no-tokens"])
    assert result.exit_code == 0, result.output
    assert (
        "2 prediction(s) ignored: their documents are not in the gold (--strict refuses "
        "predictions of documents not in the gold)" in result.stdout
    )
    assert (
        "warning: 3 of the 3 scored document(s) were training documents of the model that "
        "predicted them, so these figures overstate it: score documents it was not trained on "
        "(e.g. train --split train, then eval --split test)" in result.stderr
    )
    result = runner.invoke(app, [*scoring, "--no-tokens", "--strict"])
    assert result.exit_code == 1
    assert "document id 'c1' is not in the gold (3 documents)" in result.output

    model, preds = train_and_predict("train-split", "--split", "train")
    assert json.loads((model / "meta.json").read_text())["trained_on"] == [train_doc]
    scoring[4] = str(preds)
    result = runner.invoke(app, [*scoring, "--no-tokens", "--split", "test"])
    assert result.exit_code == 0, result.output
    assert "scored split(s): test" in result.stdout
    assert "4 prediction(s) ignored: their documents are not in the gold split(s) scored" in (
        result.stdout
    )
    assert "training documents" not in result.output
    result = runner.invoke(app, [*scoring, "--no-tokens", "--split", "train,validation"])
    assert result.exit_code == 0, result.output
    assert "warning: 1 of the 2 scored document(s) were training documents" in result.stderr
    result = runner.invoke(app, [*scoring, "--split", "dev"])
    assert result.exit_code == 1
    assert "--split: unknown split 'dev'; allowed: test, train, validation" in result.output


def load_documents_of(folder):
    from eventgold.eval.baselines.gold import read_document_set

    docs, problems = read_document_set(folder)
    assert problems == []
    return docs
