"""The backend against a real Label Studio 1.23.2, which calls it on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from eventgold.annotate.backend.app import Backend
from eventgold.annotate.backend.build import FitTrainer, build_backend
from eventgold.annotate.backend.connect import connect_backend
from eventgold.annotate.backend.learning import LearningConfig
from eventgold.annotate.backend.models import ModelHolder, ModelSet, load_models
from eventgold.annotate.backend.ordering import UNCERTAINTY_SAMPLING, order
from eventgold.annotate.backend.serving import running
from eventgold.annotate.labelstudio.connection import Session, connect
from eventgold.annotate.labelstudio.convert import to_results
from eventgold.annotate.labelstudio.project import require_project
from eventgold.annotate.labelstudio.server import RunningServer, free_port
from eventgold.annotate.push import push
from eventgold.documents import Document
from eventgold.eval.baselines.trained import TrainedModel
from eventgold.problems import ProblemsError
from eventgold.progress import drain
from eventgold.schema import Schema

from ...conftest import TEST_CREDS

pytestmark = pytest.mark.labelstudio

_titles = itertools.count()


@pytest.fixture(scope="module")
def ml_session(ml_server: RunningServer) -> Iterator[Session]:
    with connect(url=ml_server.url, api_key=TEST_CREDS.token) as session:
        yield session


@pytest.fixture
def project(ml_session: Session, gold: list[Document], schema: Schema) -> str:
    """A project with the five shipped articles, without annotations."""
    title = f"backend-{next(_titles)}"
    docs = [d.without_annotations() for d in gold]
    drain(push(ml_session, project_title=title, documents=docs, schema=schema))
    return title


def serve(backend: Backend) -> AbstractContextManager[str]:
    return running(backend, port=free_port())


def predictions(session: Session, project_id: int) -> dict[int, list]:
    tasks = session.client.tasks.list(project=project_id, fields="all")
    return {t.id: list(t.predictions or []) for t in tasks}


def retrieve(session: Session, project_id: int, ids: list[int]) -> None:
    """The Data Manager's "Retrieve Predictions" on these tasks."""
    session.client.actions.create(
        id="retrieve_tasks_predictions",
        project=project_id,
        selected_items={"all": False, "included": ids},
    )


def test_connect_and_retrieve_predictions(
    ml_session: Session, project: str, schema: Schema
) -> None:
    backend = Backend(holder=ModelHolder(load_models("rules", schema=schema)), schema=schema)
    with serve(backend) as url:
        report = connect_backend(ml_session, project_title=project, url=url)
        # Label Studio called /health and /setup, and added the learning webhook.
        assert backend.counts.as_dict()["setup"] >= 1
        assert report.created and report.model_version == "rules-1" and report.webhook
        pid = report.project_id
        settings = ml_session.client.projects.get(pid)
        assert settings.show_collab_predictions and settings.model_version == "eventgold"
        # Connecting again updates the one connection.
        again = connect_backend(ml_session, project_title=project, url=url, interactive=True)
        assert not again.created and again.backend_id == report.backend_id
        assert len(ml_session.client.ml.list(project=pid)) == 1

        ids = list(predictions(ml_session, pid))
        retrieve(ml_session, pid, ids)
        found = predictions(ml_session, pid)
    assert all(len(p) == 1 for p in found.values())
    first = [p for preds in found.values() for p in preds]
    assert {p.model_version for p in first} == {"rules-1"} and {p.score for p in first} == {1.0}
    spans = [r for p in first for r in p.result if r["type"] == "labels"]
    assert len(spans) > 100
    assert {(r["from_name"], r["to_name"]) for r in spans} == {("label", "text")}
    assert any(r["type"] == "relation" for p in first for r in p.result)


def test_interactive_predict_through_the_sdk(
    ml_session: Session, project: str, schema: Schema, gold: list[Document]
) -> None:
    backend = Backend(holder=ModelHolder(load_models("rules", schema=schema)), schema=schema)
    with serve(backend) as url:
        report = connect_backend(ml_session, project_title=project, url=url, interactive=True)
        task = next(
            t
            for t in ml_session.client.tasks.list(project=report.project_id, fields="all")
            if t.data["doc_id"] == gold[0].id
        )
        text = task.data["text"]
        at = text.index("Kabul")
        context = {
            "result": [
                {
                    "id": "k1",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": at, "end": at + 5, "text": "Kabul", "labels": ["LOCATION"]},
                }
            ]
        }
        answer = ml_session.client.ml.with_raw_response.predict_interactive(
            report.backend_id, task=task.id, context=context
        )
    data = answer._response.json()["data"]  # the SDK returns nothing: read the raw response
    assert data["model_version"] == "rules-1"
    starts = [r["value"]["start"] for r in data["result"]]
    assert starts and all(s > at and text[s : s + 5] == "Kabul" for s in starts)
    assert backend.counts.as_dict()["interactive"] == 1


def wait_until(check: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def learning_backend(
    session: Session, project: str, schema: Schema, trainer: Callable | None = None
) -> Backend:
    config = LearningConfig(
        connect=lambda: connect(url=session.url, api_key=TEST_CREDS.token),
        project_title=project,
        every=1,
    )
    return build_backend(
        "rules", schema=schema, learning=config, trainer=trainer or FitTrainer(epochs=1)
    )


def annotate(session: Session, project_id: int, doc: Document) -> int:
    task = next(
        t for t in session.client.tasks.list(project=project_id) if t.data["doc_id"] == doc.id
    )
    session.client.annotations.create(id=task.id, result=to_results(doc))
    return task.id


def test_a_submission_retrains_and_the_next_prediction_has_the_new_version(
    ml_session: Session, project: str, schema: Schema, gold: list[Document]
) -> None:
    backend = learning_backend(ml_session, project, schema)
    assert backend.learner is not None
    with serve(backend) as url:
        pid = connect_backend(ml_session, project_title=project, url=url).project_id
        # A submission that pull would reject is reported and not trained on: a span whose
        # text is not the document's there (a bad relation alone would be dropped, not fatal).
        wrong = dataclasses.replace(gold[4].entities[0], text=gold[4].entities[0].text + "!")
        bad = gold[4].with_annotations(entities=[wrong], relations=[])
        annotate(ml_session, pid, bad)
        status = backend.learner.status()
        assert status["counts"]["rejected"] == 1 and status["counts"].get("valid", 0) == 0
        assert backend.holder.current.model_version == "rules-1"
        # A valid one starts a training (every=1) in the background.
        annotated = annotate(ml_session, pid, gold[3])
        wait_until(lambda: backend.learner.status()["counts"].get("trainings") == 1)
        assert backend.holder.current.model_version == "rules-2"
        assert isinstance(backend.holder.current.second, TrainedModel)
        assert backend.holder.current.second.trained_on == (gold[3].id,)
        assert backend.learner.status()["last_training"]["documents"] == 1
        # Label Studio asks for the new version: predictions now carry it, and scores.
        others = [t for t in predictions(ml_session, pid) if t != annotated]
        retrieve(ml_session, pid, others)
        found = predictions(ml_session, pid)
    assert {p.model_version for t in others for p in found[t]} == {"rules-2"}
    assert all(0.0 <= p.score <= 1.0 for t in others for p in found[t])


def test_a_crashed_training_keeps_the_model(
    ml_session: Session, project: str, schema: Schema, gold: list[Document]
) -> None:
    def crash(docs, schema):
        raise MemoryError("out of memory while training")

    backend = learning_backend(ml_session, project, schema, trainer=crash)
    assert backend.learner is not None
    with serve(backend) as url:
        pid = connect_backend(ml_session, project_title=project, url=url).project_id
        annotate(ml_session, pid, gold[3])
        wait_until(lambda: backend.learner.status()["counts"].get("trainings_failed") == 1)
        assert backend.learner.wait(30)
        status = backend.learner.status()
        assert status["last_error"] == "MemoryError: out of memory while training"
        assert backend.holder.current.model_version == "rules-1"
        ids = list(predictions(ml_session, pid))
        retrieve(ml_session, pid, ids)
        assert {p.model_version for ps in predictions(ml_session, pid).values() for p in ps} == {
            "rules-1"
        }


def test_order_puts_the_most_uncertain_task_first(
    ml_session: Session, project: str, schema: Schema, small_model: TrainedModel
) -> None:
    rules = load_models("rules", schema=schema).served
    holder = ModelHolder(ModelSet(served=small_model, second=rules, trained_slot="served"))
    with serve(Backend(holder=holder, schema=schema)) as url:
        connect_backend(ml_session, project_title=project, url=url)
        report = drain(order(ml_session, project_title=project, chunk=2))
        pid = report.project_id
        again = drain(order(ml_session, project_title=project))
        # The labeling stream ("Label All Tasks") gives the lowest score first.
        resp = ml_session.http.get(
            f"{ml_session.url}/api/projects/{pid}/next", headers=ml_session.headers()
        )
    assert report.tasks == report.scored == 5 and report.model_version == "trained-1"
    assert report.view_created and not again.view_created and again.view_id == report.view_id
    scores = {t: p[0].score for t, p in predictions(ml_session, pid).items()}
    assert len(set(scores.values())) > 1  # the two models disagree more on some articles
    listed = [scores[t] for t in report.first_task_ids]
    assert sorted(report.first_task_ids) == sorted(scores) and listed == sorted(listed)
    settings = ml_session.client.projects.get(pid)
    assert settings.sampling == UNCERTAINTY_SAMPLING and settings.model_version == "trained-1"
    assert resp.status_code == 200 and scores[resp.json()["id"]] == min(scores.values())


def test_order_needs_a_connected_backend(ml_session: Session, project: str) -> None:
    with pytest.raises(ProblemsError) as caught:
        drain(order(ml_session, project_title=project))
    assert str(caught.value.problems[0]) == (
        f"project {project!r}: has no ML backend; connect one first with "
        "`eventgold backend connect`"
    )


def test_a_default_label_studio_refuses_a_local_backend(
    ls_session: Session, project_title: str, schema: Schema
) -> None:
    drain(push(ls_session, project_title=project_title, documents=[], schema=schema))
    backend = Backend(holder=ModelHolder(load_models("rules", schema=schema)), schema=schema)
    with serve(backend) as url, pytest.raises(ProblemsError) as caught:
        connect_backend(ls_session, project_title=project_title, url=url)
    message = str(caught.value.problems[0])
    assert message.startswith(f"project {project_title!r}: Label Studio refused the backend {url}")
    assert "ML_BLOCK_LOCAL_IP=false" in message
    assert require_project(ls_session, project_title).id > 0


def test_a_backend_that_does_not_answer_is_named_without_label_studios_error_body(
    ml_session: Session, project: str
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(ProblemsError) as caught:
        connect_backend(ml_session, project_title=project, url=url)
    assert caught.value.summary == f"cannot connect {url}"
    assert str(caught.value.problems[0]) == (
        f"project {project!r}: Label Studio cannot reach the backend at {url} (connection "
        "refused on /health); start it with `eventgold backend serve`, and give --url as the "
        "Label Studio server reaches it"
    )
    pid = require_project(ml_session, project).id
    assert list(ml_session.client.ml.list(project=pid)) == []


@pytest.mark.parametrize(
    ("url", "why"),
    [
        (
            "notaurl",
            "give the backend's address as the Label Studio server reaches it, such as "
            "http://127.0.0.1:9090",
        ),
        (
            "127.0.0.1:9090",
            "give the backend's address as the Label Studio server reaches it, "
            "such as http://127.0.0.1:9090",
        ),
        (
            "http://user:PASSW0RD@127.0.0.1:9090",
            "holds a user name or password; give it without them",
        ),
    ],
)
def test_a_backend_url_that_is_not_one_is_refused_before_label_studio_sees_it(
    ml_session: Session, project: str, url: str, why: str
) -> None:
    """Label Studio answered these with its whole error body (request id, version, ...) and a
    hint about local addresses that did not apply."""
    with pytest.raises(ProblemsError) as caught:
        connect_backend(ml_session, project_title=project, url=url)
    problem = caught.value.problems[0]
    assert problem.where == "--url"
    assert problem.message.endswith(why) and "PASSW0RD" not in problem.message
    assert caught.value.summary == f"cannot connect a backend to project {project!r}"


def test_order_with_a_connected_backend_that_stopped_says_to_start_it(
    ml_session: Session, project: str, schema: Schema
) -> None:
    """Label Studio's state code (`state DI`) and "no model version" were all it said."""
    backend = Backend(holder=ModelHolder(load_models("rules", schema=schema)), schema=schema)
    with serve(backend) as url:
        connect_backend(ml_session, project_title=project, url=url)
    with pytest.raises(ProblemsError) as caught:
        drain(order(ml_session, project_title=project))
    assert str(caught.value.problems[0]) == (
        f"project {project!r}: its ML backend {url} is not usable (Label Studio says: "
        "disconnected): it does not answer; start it (`eventgold backend serve`) at that "
        "address, then run order again"
    )
