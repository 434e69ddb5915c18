"""The app's routes in-process (FastAPI's TestClient); Label Studio itself in test_labelstudio."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from eventgold.annotate.backend.app import Backend, create_app
from eventgold.annotate.backend.build import build_backend
from eventgold.annotate.backend.learning import LearningConfig
from eventgold.annotate.backend.models import ModelHolder, ModelSet, load_models
from eventgold.annotate.labelstudio.config import to_label_config
from eventgold.annotate.labelstudio.convert import task_data, to_results
from eventgold.documents import Document, Entity
from eventgold.eval.baselines.trained import TrainedModel
from eventgold.problems import ProblemsError
from eventgold.schema import Schema


def no_session() -> None:
    raise AssertionError("this test never trains")


@pytest.fixture
def client(schema: Schema) -> TestClient:
    return TestClient(
        create_app(Backend(holder=ModelHolder(load_models("rules", schema=schema)), schema=schema))
    )


def test_health_and_setup(client: TestClient, schema: Schema) -> None:
    assert client.get("/health").json() == {
        "status": "UP",
        "model_class": "eventgold rules",
        "model_version": "rules-1",
    }
    assert client.get("/").json()["status"] == "UP"
    ok = client.post("/setup", json={"project": "1.2", "schema": to_label_config(schema)})
    assert ok.status_code == 200 and ok.json() == {"model_version": "rules-1"}
    # A project whose labels are not the schema's is refused, saying which.
    other = to_label_config(schema).replace('value="ACTOR"', 'value="PERSON"')
    refused = client.post("/setup", json={"project": "1.2", "schema": other})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith(
        "project 1.2: its labeling config does not match schema 'conflict_events'"
    )
    assert "ACTOR" in refused.json()["error"]


def test_predict_gives_one_result_per_task(
    client: TestClient, gold: list[Document], schema: Schema
) -> None:
    tasks = [{"id": 1, "data": task_data(gold[0].without_annotations())}, {"id": 2, "data": {}}]
    body = client.post(
        "/predict", json={"tasks": tasks, "label_config": to_label_config(schema), "params": {}}
    ).json()
    first, second = body["results"]
    assert first["model_version"] == "rules-1" and first["score"] == 1.0  # no second model
    spans = [r for r in first["result"] if r["type"] == "labels"]
    relations = [r for r in first["result"] if r["type"] == "relation"]
    assert len(spans) > 5 and len(relations) > 1
    ids = {s["id"] for s in spans}
    assert all(r["from_id"] in ids and r["to_id"] in ids for r in relations)
    text = tasks[0]["data"]["text"]
    assert all(text[s["value"]["start"] : s["value"]["end"]] == s["value"]["text"] for s in spans)
    # A task without text still gets its (empty) entry, so the list stays in task order.
    assert second == {"result": [], "score": 0.0, "model_version": "rules-1"}
    assert client.get("/status").json()["counts"] == {"predict_problems": 1, "predicted_tasks": 2}


def test_a_trained_model_is_scored_against_the_rules(
    tiny_model: TrainedModel, gold: list[Document], schema: Schema
) -> None:
    rules = load_models("rules", schema=schema).served
    holder = ModelHolder(ModelSet(served=tiny_model, second=rules, trained_slot="served"))
    client = TestClient(create_app(Backend(holder=holder, schema=schema)))
    tasks = [{"id": i, "data": task_data(d.without_annotations())} for i, d in enumerate(gold)]
    results = client.post("/predict", json={"tasks": tasks}).json()["results"]
    scores = [r["score"] for r in results]
    assert len(scores) == 5 and all(0.0 <= s < 1.0 for s in scores)
    assert client.get("/status").json()["score"] == "agreement with rules"


def annotation_event(task_id: int, doc: Document, **annotation: object) -> dict:
    """An ANNOTATION_CREATED event with the fields Label Studio 1.23.2 sends."""
    return {
        "action": "ANNOTATION_CREATED",
        "annotation": {
            "id": 31,
            "task": task_id,
            "project": 1,
            "result": to_results(doc),
            "was_cancelled": False,
            "ground_truth": False,
            "completed_by": 1,
            "created_at": "2026-12-01T10:00:00Z",
            "updated_at": "2026-12-01T10:00:00Z",
            **annotation,
        },
        "task": {"id": task_id, "project": 1, "data": task_data(doc.without_annotations())},
        "project": {"id": 1, "title": "events"},
    }


def test_webhook_validates_as_pull_does_and_counts(gold: list[Document], schema: Schema) -> None:
    config = LearningConfig(connect=no_session, project_title="events", every=100)
    backend = build_backend("rules", schema=schema, learning=config)
    client = TestClient(create_app(backend))
    good = client.post("/webhook", json=annotation_event(12, gold[4])).json()
    assert good["valid"] == 1 and good["rejected"] == [] and not good["training_started"]
    bad_doc = gold[4].with_annotations(
        entities=[Entity("T1", 0, 4, "WEAPON", gold[4].text[0:4])],
        relations=[],
    )
    bad = client.post("/webhook", json=annotation_event(13, bad_doc)).json()
    assert bad["valid"] == 0
    assert bad["rejected"] == [
        "task 13 / annotation 31 / entity 0 (T1): label 'WEAPON' is not in schema "
        "'conflict_events'; allowed: ACTOR, ATTACK, ATTACKER, LOCATION, VICTIM_GROUP"
    ]
    client.post("/webhook", json=annotation_event(14, gold[3], was_cancelled=True))
    other = client.post(
        "/webhook", json={**annotation_event(15, gold[3]), "project": {"title": "x"}}
    )
    assert other.json()["ignored"] == "project 'x' is not the one served"
    learning = client.get("/status").json()["learning"]
    assert learning["counts"] == {
        "cancelled": 1,
        "events_other_project": 1,
        "rejected": 1,
        "valid": 1,
    }
    assert learning["valid_since_training"] == 1 and learning["training"] is False


def test_learning_needs_a_model_it_can_retrain(schema: Schema) -> None:
    config = LearningConfig(connect=no_session, project_title="events")
    with pytest.raises(ProblemsError) as caught:
        build_backend("rules", schema=schema, compare="rules", learning=config)
    assert caught.value.problems[0].message.startswith(
        "learning retrains a trained model, but neither --model 'rules' nor --compare 'rules' is one"
    )
    # Without --compare the first training adds the trained model as the second opinion.
    assert (
        build_backend("rules", schema=schema, learning=config).holder.current.trained_slot
        == "second"
    )


def test_learner_is_absent_without_a_project(client: TestClient) -> None:
    assert client.post("/webhook", json={"action": "START_TRAINING"}).json() == {
        "status": "ok",
        "learning": False,
    }


def test_the_learning_config_never_shows_the_key() -> None:
    import functools

    from eventgold.annotate.labelstudio.connection import connect

    config = LearningConfig(
        connect=functools.partial(connect, url="http://x", api_key="s3cret-token"),
        project_title="events",
    )
    assert "s3cret" not in repr(config) and "project_title='events'" in repr(config)
