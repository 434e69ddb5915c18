from __future__ import annotations

import json

import pytest

from eventgold.documents import Document
from eventgold.eval.baselines.trained import (
    TrainedModel,
    cross_validate,
    cross_validate_steps,
    fit,
    fit_steps,
    folds,
    load_model,
    predict_relations,
    save_model,
    train,
)
from eventgold.problems import ProblemsError
from eventgold.progress import collect
from eventgold.validate import PREDICTION_RULES, validate_document

EPOCHS = 4  # enough to exercise the loop; quality is measured on real gold, not here


def test_train_saves_a_folder_that_loads_and_predicts_valid_documents(
    gold_documents, schema, tmp_path
):
    path = train(gold_documents, schema, seed=1, out_dir=tmp_path / "model", epochs=EPOCHS)
    assert {p.name for p in path.iterdir()} == {"ner", "relations.joblib", "meta.json"}
    meta = json.loads((path / "meta.json").read_text())
    assert meta["schema"] == {"name": "conflict_events", "version": "1.0.0"}
    assert meta["trained_on"] == ["d1", "d2", "d3"]
    assert meta["stats"]["gold_relations"] == 5
    model = load_model(path)
    new = Document(id="n", text="Gunmen killed 73 civilians in Kabul. UNAMA condemned the attack.")
    pred = model.predict(new)
    assert (pred.id, pred.text, pred.title) == (new.id, new.text, new.title)
    assert pred.meta["model"] == {
        "name": "trained",
        "path": str(path),
        "trained_on": ["d1", "d2", "d3"],
    }
    assert validate_document(pred, schema, rules=PREDICTION_RULES) == []


def test_fit_reports_progress_and_ends_with_the_model(gold_documents, schema):
    events, model = collect(fit_steps(gold_documents, schema, seed=0, epochs=EPOCHS))
    assert [(e.stage, e.done) for e in events] == [("entities", i) for i in range(1, 5)] + [
        ("relations", 5)
    ]
    assert all(e.total == 5 for e in events)
    assert isinstance(model, TrainedModel) and model.trained_on == ("d1", "d2", "d3")


def test_same_seed_same_predictions(gold_documents, schema):
    doc = gold_documents[0].without_annotations()
    a = fit(gold_documents, schema, seed=7, epochs=EPOCHS).predict(doc)
    b = fit(gold_documents, schema, seed=7, epochs=EPOCHS).predict(doc)
    assert (a.entities, a.relations) == (b.entities, b.relations)


def test_relation_classifier_recovers_training_relations_from_gold_entities(gold_documents, schema):
    model = fit(gold_documents, schema, seed=0, epochs=1)
    for doc in gold_documents:
        found = {
            (r.label, r.head, r.tail) for r in predict_relations(model, doc.text, doc.entities)
        }
        assert {(r.label, r.head, r.tail) for r in doc.relations} <= found


def test_cross_validation_never_scores_a_document_with_a_model_that_saw_it(gold_documents, schema):
    preds = cross_validate(gold_documents, schema, k=3, seed=0, epochs=EPOCHS)
    assert [p.id for p in preds] == ["d1", "d2", "d3"]
    for pred in preds:
        trained_on = pred.meta["model"]["trained_on"]
        assert pred.id not in trained_on and len(trained_on) == 2
        assert pred.meta["model"]["k"] == 3
        assert validate_document(pred, schema, rules=PREDICTION_RULES) == []
    events, preds = collect(cross_validate_steps(gold_documents, schema, k=2, seed=0, epochs=1))
    assert [(e.stage, e.done, e.total) for e in events] == [("fold", 1, 2), ("fold", 2, 2)]
    for pred in preds:
        assert pred.id not in pred.meta["model"]["trained_on"]
    assert sorted(p.id for p in preds) == ["d1", "d2", "d3"]


def test_cross_validation_hides_gold_from_the_model(gold_documents, schema, monkeypatch):
    # A prediction must come from the text alone, by a model that never saw the document.
    # Watched where it happens (what each model was fitted on, what it was asked to predict),
    # not through the meta the predictions report, so a model fitted on every document, or
    # given the gold annotations, fails here (issue 18, defect 9: the old check could not).
    from eventgold.eval.baselines import trained

    fitted: dict[int, set[str]] = {}  # id(model) -> the documents it was fitted on
    asked: list[tuple[set[str], Document]] = []
    real_fit, real_predict = trained.fit, trained.TrainedModel.predict

    def watched_fit(documents, schema, *, seed=0, epochs=1):
        model = real_fit(documents, schema, seed=seed, epochs=epochs)
        fitted[id(model)] = {d.id for d in documents}
        return model

    def watched_predict(self, doc):
        asked.append((fitted[id(self)], doc))
        return real_predict(self, doc)

    monkeypatch.setattr(trained, "fit", watched_fit)
    monkeypatch.setattr(trained.TrainedModel, "predict", watched_predict)
    preds = cross_validate(gold_documents, schema, k=3, seed=0, epochs=1)
    assert all(p.meta["model"]["name"] == "trained" for p in preds)
    assert sorted(doc.id for _, doc in asked) == sorted(d.id for d in gold_documents)
    for seen, doc in asked:
        assert doc.id not in seen, f"{doc.id} was predicted by a model fitted on it"
        assert (doc.entities, doc.relations) == ((), ()), f"{doc.id}: gold given to predict"


def test_folds_are_seeded_and_checked(gold_documents):
    ids = [[d.id for d in part] for part in folds(gold_documents, k=3, seed=0)]
    assert sorted(i for part in ids for i in part) == ["d1", "d2", "d3"]
    assert all(len(p) == 1 for p in ids)
    assert ids == [[d.id for d in part] for part in folds(gold_documents, k=3, seed=0)]
    with pytest.raises(ProblemsError) as info:
        folds(gold_documents, k=4, seed=0)
    assert info.value.problems[0].message == (
        "k must be between 2 and the number of documents (3), got 4"
    )


def test_training_refuses_labels_outside_the_schema(make_document, schema):
    doc = make_document("x", "ISKP struck.", [("GROUP", "ISKP")])
    with pytest.raises(ProblemsError) as info:
        fit([doc], schema, seed=0, epochs=1)
    assert info.value.problems[0].message == (
        "label 'GROUP' is not in schema 'conflict_events'; "
        "allowed: ACTOR, ATTACK, ATTACKER, LOCATION, VICTIM_GROUP"
    )


def test_load_model_refuses_a_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(ProblemsError, match="not a trained model folder"):
        load_model(tmp_path)


def test_a_folder_holding_other_files_is_refused_before_training(tmp_path, schema, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.setattr("eventgold.eval.baselines.trained.fit", pytest.fail)  # never reached
    with pytest.raises(ProblemsError, match=r"holds what a model folder does not \(notes.txt\)"):
        train([], schema, out_dir=tmp_path)
    with pytest.raises(ProblemsError, match="holds what a model folder does not"):
        save_model(object(), tmp_path)  # type: ignore[arg-type]
    assert (tmp_path / "notes.txt").read_text() == "mine"
