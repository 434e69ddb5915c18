from __future__ import annotations

import pytest
from typer.testing import CliRunner

from eventgold.annotate.check import REJECTED, RELATION_DROPPED, check_project
from eventgold.cli import app
from eventgold.progress import drain
from eventgold.schema import load_schema

from ..conftest import TEST_CREDS
from .test_pull import pulled_project  # noqa: F401 - the project of every pull case

pytestmark = pytest.mark.labelstudio
SCHEMA = load_schema()


def test_check_lists_what_pull_would_not_take_with_links(ls_session, pulled_project):  # noqa: F811
    report = drain(check_project(ls_session, project_title=pulled_project["title"], schema=SCHEMA))
    assert (report.tasks, report.rejected, report.relations_dropped) == (14, 4, 4)
    by_doc = {(f.doc_id, f.kind): f for f in report.findings}
    two = by_doc["d-twolabels", RELATION_DROPPED]
    assert two.what == "KILLED+CONDEMNS 'Rebels' -> 'five villagers'"
    assert (
        two.link
        == f"{ls_session.url}/projects/{pulled_project['project_id']}/data?task={two.task_id}"
    )
    assert by_doc["d-nolabel", RELATION_DROPPED].what == "(no label) 'Rebels' -> 'five villagers'"
    assert [p.code for p in by_doc["d-offset", REJECTED].problems] == ["offset-mismatch"]
    # The duplicate document is a property of the whole pull, not of one task: not listed.
    assert ("d-good", REJECTED) not in by_doc


def test_check_cli_prints_each_finding_with_its_link_and_exits_1(ls_server, pulled_project):  # noqa: F811
    result = CliRunner().invoke(
        app,
        ["check", "--project", pulled_project["title"], "--url", ls_server.url,
         "--api-key", TEST_CREDS.token],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert f"(id {pulled_project['project_id']}): 14 task(s)," in result.output
    assert "pull would reject 4 annotation(s) and leave 4 relation(s) out" in result.output
    assert "relation left out: KILLED+CONDEMNS 'Rebels' -> 'five villagers':" in result.output
    assert "needs exactly 1 label, got 2: ['KILLED', 'CONDEMNS'] [label-count]" in result.output
    assert (
        f"fix it: {ls_server.url}/projects/{pulled_project['project_id']}/data?task="
        in result.output
    )
    assert TEST_CREDS.token not in result.output


def test_check_says_when_the_projects_labels_differ_from_the_schema(ls_server, pulled_project):  # noqa: F811
    """Every annotation with the label the schema lacks is a finding: pull said why, check
    listed them without it."""
    import dataclasses

    from eventgold.annotate.labelstudio.connection import connect

    narrower = dataclasses.replace(
        SCHEMA, entities=tuple(e for e in SCHEMA.entities if e.label != "LOCATION")
    )
    with connect(url=ls_server.url, api_key=TEST_CREDS.token) as session:
        title = pulled_project["title"]
        report = drain(check_project(session, project_title=title, schema=narrower))
        same = drain(check_project(session, project_title=title, schema=SCHEMA))
    assert report.config_differences == (
        "entity labels in the project but not in the schema: LOCATION",
    )
    assert same.config_differences == ()


def test_check_cli_warns_that_the_projects_labels_differ(ls_server, pulled_project, tmp_path):  # noqa: F811
    from eventgold.schema import default_schema_path

    renamed = tmp_path / "renamed.yaml"
    text = default_schema_path().read_text(encoding="utf-8")
    renamed.write_text(text.replace("VICTIM_GROUP", "VICTIMS"), encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["check", "--project", pulled_project["title"], "--url", ls_server.url,
         "--api-key", TEST_CREDS.token, "--schema", str(renamed)],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert (
        "warning: the project's labels differ from the schema's, so annotations with a label the "
        "schema lacks are rejected\n"
        "  - entity labels missing from the project: VICTIMS\n"
        "  - entity labels in the project but not in the schema: VICTIM_GROUP\n"
    ) in result.output
