from __future__ import annotations

import textwrap

import pytest

from eventgold.documents import Document
from eventgold.eval.baselines.registry import (
    CallableExtractor,
    load_extractor,
    output_to_document,
    predict_documents,
)
from eventgold.eval.baselines.rules import RuleExtractor
from eventgold.eval.baselines.trained import TrainedModel, train
from eventgold.problems import ProblemsError

TEXT = "Gunmen killed 14 Taliban fighters in Herat. Gunmen fled."

MODULE = """
def extract(text):
    return {
        "entities": [
            {"start": 0, "end": 6, "label": "ATTACKER"},
            {"label": "VICTIM_GROUP", "text": "14 Taliban fighters"},
            {"id": "g2", "label": "ATTACKER", "text": "Gunmen"},
            {"id": "g3", "label": "LOCATION", "text": "herat"},
        ],
        "relations": [{"head": 0, "tail": 1, "label": "KILLED"},
                      {"head": "g2", "tail": "e1", "label": "KILLED"}],
    }

def bad_label(text):
    return {"entities": [{"label": "GROUP", "text": "Gunmen"}]}

def malformed(text):
    return {"entities": [{"label": "ATTACKER", "text": "nowhere"}, {"label": "ATTACKER"},
                         {"start": "0", "end": 6, "label": "ATTACKER"}],
            "relations": [{"head": 5, "tail": "zz", "label": "KILLED"},
                          {"head": 0, "tail": 2, "label": "KILLED"}]}

def weapon(text):
    return {"entities": [{"label": "WEAPON", "text": "rifle"}, {"label": "ATTACKER", "text": "Gunmen"}]}

not_callable = 3
"""


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    (tmp_path / "my_extractors.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "my_extractors"


def test_rules_by_name(schema):
    assert isinstance(load_extractor("rules", schema=schema), RuleExtractor)


def test_trained_model_by_folder(gold_documents, schema, tmp_path):
    path = train(gold_documents, schema, seed=0, out_dir=tmp_path / "m", epochs=1)
    assert isinstance(load_extractor(str(path), schema=schema), TrainedModel)


def test_folder_that_is_not_a_model_says_so(schema, tmp_path):
    with pytest.raises(ProblemsError, match="not a trained model folder"):
        load_extractor(str(tmp_path), schema=schema)


def test_callable_by_module_function_places_offsets_texts_and_endpoints(schema, user_module):
    extractor = load_extractor(f"{user_module}:extract", schema=schema)
    assert isinstance(extractor, CallableExtractor)
    doc = extractor.predict(Document(id="a", text=TEXT, title="T"))
    assert [(e.id, e.start, e.end, e.label) for e in doc.entities] == [
        ("e0", 0, 6, "ATTACKER"),
        ("e1", 14, 33, "VICTIM_GROUP"),
        ("g2", 44, 50, "ATTACKER"),  # the first "Gunmen" is entity 0's: the second one
        ("g3", 37, 42, "LOCATION"),  # ignoring case, as in prediction files
    ]
    assert [(r.head, r.tail, r.label) for r in doc.relations] == [
        ("e0", "e1", "KILLED"),
        ("g2", "e1", "KILLED"),
    ]
    assert doc.meta["model"] == {"name": "my_extractors:extract"} and doc.title == "T"


def test_callable_labels_are_checked_against_the_schema(schema, user_module):
    extractor = load_extractor(f"{user_module}:bad_label", schema=schema)
    [prediction] = predict_documents(extractor, [Document(id="a", text=TEXT)], schema=schema)
    assert [p.message for p in prediction.problems] == [
        "label 'GROUP' is not in schema 'conflict_events'; "
        "allowed: ACTOR, ATTACK, ATTACKER, LOCATION, VICTIM_GROUP"
    ]


def test_malformed_callable_answer_lists_every_problem(schema, user_module):
    extractor = load_extractor(f"{user_module}:malformed", schema=schema)
    with pytest.raises(ProblemsError) as info:
        extractor.predict(Document(id="a", text=TEXT))
    assert [str(p) for p in info.value.problems] == [
        "model 'my_extractors:malformed' / document 'a' / entity 0: "
        "text 'nowhere' not found in the document",
        "model 'my_extractors:malformed' / document 'a' / entity 1: "
        "needs 'start' and 'end' offsets, or a non-empty 'text'",
        "model 'my_extractors:malformed' / document 'a' / entity 2: "
        "'start' must be an int, got '0'",
        "model 'my_extractors:malformed' / document 'a' / relation 0: "
        "head 5 is neither an entity index (0 to 2) nor an entity id (none)",
        "model 'my_extractors:malformed' / document 'a' / relation 0: "
        "tail 'zz' is neither an entity index (0 to 2) nor an entity id (none)",
        # Indexes count the answer's entities, those with problems included.
        "model 'my_extractors:malformed' / document 'a' / relation 1: "
        "head is entity 0, which has a problem of its own (above)",
        "model 'my_extractors:malformed' / document 'a' / relation 1: "
        "tail is entity 2, which has a problem of its own (above)",
    ]


def test_answer_must_be_a_mapping():
    with pytest.raises(ProblemsError, match="must return a dict with 'entities', got list"):
        output_to_document(Document(id="a", text="x"), [], model="m:f")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module_xyz:f", "cannot import module 'no_such_module_xyz'"),
        ("my_extractors:missing", "module 'my_extractors' has no callable 'missing', got None"),
        ("my_extractors:not_callable", "has no callable 'not_callable', got 3"),
        (
            "nonsense",
            "unknown model; use a registered name (rules), a folder written by "
            "'eventgold train' (with meta.json), a gazetteer .yaml for the rules, or "
            "module:function",
        ),
    ],
)
def test_unusable_specs_are_explained(schema, user_module, spec, message):
    with pytest.raises(ProblemsError) as info:
        load_extractor(spec, schema=schema)
    assert message in info.value.problems[0].message


class EchoExtractor:
    """Returns what it is given: shows what `predict_documents` hands to a model."""

    name = "echo"

    def predict(self, doc: Document) -> Document:
        return doc


def test_predict_documents_hides_gold_annotations(schema, gold_documents):
    preds = list(predict_documents(EchoExtractor(), gold_documents, schema=schema))
    assert [p.document.id for p in preds] == ["d1", "d2", "d3"]
    assert all(p.document.entities == () and p.problems == () for p in preds)


def test_a_prediction_keeps_the_document_meta_but_not_the_annotation_meta(schema, user_module):
    extractor = load_extractor(f"{user_module}:extract", schema=schema)
    meta = {"annotator": "reviewer", "ground_truth": True, "sha256": "ab", "split": "test"}
    prediction = extractor.predict(Document(id="a", text=TEXT, meta=meta))
    assert prediction.meta == {
        "sha256": "ab",
        "split": "test",
        "model": {"name": "my_extractors:extract"},
    }


def test_a_malformed_answer_names_unknown_labels_in_the_same_round(schema, user_module):
    extractor = load_extractor(f"{user_module}:weapon", schema=schema)
    with pytest.raises(ProblemsError) as info:
        extractor.predict(Document(id="a", text=TEXT))
    where = "model 'my_extractors:weapon' / document 'a' / entity 0"
    assert [str(p) for p in info.value.problems] == [
        f"{where}: text 'rifle' not found in the document",
        f"{where}: label 'WEAPON' is not in schema 'conflict_events'; "
        "allowed: ACTOR, ATTACK, ATTACKER, LOCATION, VICTIM_GROUP",
    ]
