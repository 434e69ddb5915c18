"""Defect 1 of issue 19: after the two-step push, the labeling stream shows the predictions."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from eventgold.annotate.push import push
from eventgold.cli import app
from eventgold.documents import Document, Entity, write_documents
from eventgold.progress import drain
from eventgold.schema import load_schema

from ..conftest import TEST_CREDS

pytestmark = pytest.mark.labelstudio
SCHEMA = load_schema()
DOC = Document("mv-1", "Gunmen killed five villagers.", title="t")
PRED = DOC.with_annotations(entities=(Entity("p1", 0, 6, "ATTACKER", "Gunmen"),), relations=())


def next_task(session, project_id: int) -> dict:
    """What "Label All Tasks" opens: the project's next task, with its predictions."""
    resp = session.http.get(
        f"{session.url}/api/projects/{project_id}/next", headers=session.headers()
    )
    resp.raise_for_status()
    return resp.json()


def test_predictions_pushed_after_the_documents_reach_the_labeling_stream(
    ls_session, project_title
):
    first = drain(push(ls_session, project_title=project_title, documents=[DOC], schema=SCHEMA))
    assert (first.model_version, first.model_version_set) == ("", False)
    assert ls_session.client.projects.get(id=first.project_id).model_version in ("", None)
    second = drain(push(ls_session, project_title=project_title, documents=[], schema=SCHEMA,
                        predictions=[PRED], model_version="rules-1"))  # fmt: skip
    assert (second.predictions_added, second.model_version_set) == (1, True)
    assert ls_session.client.projects.get(id=first.project_id).model_version == "rules-1"
    task = next_task(ls_session, first.project_id)
    assert [p["model_version"] for p in task["predictions"]] == ["rules-1"]
    # Again: nothing to set. Another model: it becomes the one the stream shows.
    again = drain(push(ls_session, project_title=project_title, documents=[], schema=SCHEMA,
                       predictions=[PRED], model_version="rules-1"))  # fmt: skip
    assert (again.predictions_skipped, again.model_version_set) == (1, False)
    other = drain(push(ls_session, project_title=project_title, documents=[], schema=SCHEMA,
                       predictions=[PRED], model_version="rules-2"))  # fmt: skip
    assert other.model_version_set
    assert [p["model_version"] for p in next_task(ls_session, first.project_id)["predictions"]] == [
        "rules-2"
    ]


def test_push_cli_says_it_set_the_model_version(ls_server, project_title, tmp_path):
    docs, preds = tmp_path / "docs.jsonl", tmp_path / "preds.jsonl"
    write_documents(docs, [DOC])
    write_documents(preds, [PRED])
    base = [
        "push",
        "--project",
        project_title,
        "--url",
        ls_server.url,
        "--api-key",
        TEST_CREDS.token,
    ]
    assert CliRunner().invoke(app, [*base, "--corpus", str(docs)]).exit_code == 0
    result = CliRunner().invoke(
        app, [*base, "--predictions", str(preds), "--model-version", "rules-1"]
    )
    assert result.exit_code == 0, result.output
    assert (
        "  set the project's model version to 'rules-1': the labeling stream (Label All Tasks) "
        "shows its predictions"
    ) in result.output
