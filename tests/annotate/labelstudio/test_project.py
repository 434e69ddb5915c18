from __future__ import annotations

import dataclasses

import pytest

from eventgold.annotate.labelstudio.project import (
    AMBIGUOUS,
    CONFIG_MISMATCH,
    config_differences,
    ensure_project,
    find_project,
    find_projects,
    guidelines_html,
    markdown_to_html,
)
from eventgold.annotate.problems import ProblemsError
from eventgold.annotate.schema import RelationType, load_schema, to_label_config

SCHEMA = load_schema()


def narrower_schema():
    """The shipped schema without LOCATION and CONDEMNS, plus a made-up relation."""
    return dataclasses.replace(
        SCHEMA,
        entities=tuple(e for e in SCHEMA.entities if e.label != "LOCATION"),
        relations=(
            SCHEMA.relations[0],
            RelationType("LOCATED_IN", "", ("ATTACK",), ("ATTACKER",)),
        ),
    )


def test_config_differences_say_what_is_missing_and_extra():
    config = to_label_config(narrower_schema())
    assert config_differences(config, SCHEMA) == [
        "entity labels missing from the project: LOCATION",
        "relation labels missing from the project: CONDEMNS",
        "relation labels in the project but not in the schema: LOCATED_IN",
    ]
    assert config_differences(to_label_config(SCHEMA), SCHEMA) == []
    assert config_differences("<View", SCHEMA)[0].startswith("the labeling config is not valid XML")


def test_markdown_is_escaped_simple_html():
    html = markdown_to_html("# Title <x>\n\nSome **bold** and `code`.\n\n- one\n- two & *three*\n")
    assert html == (
        "<h1>Title &lt;x&gt;</h1>\n<p>Some <b>bold</b> and <code>code</code>.</p>\n"
        "<ul><li>one</li><li>two &amp; <i>three</i></li></ul>"
    )


def test_guidelines_are_rendered_only_when_the_file_exists(tmp_path):
    (tmp_path / "G.md").write_text("## Spans\nTrim them.\n", encoding="utf-8")
    schema = dataclasses.replace(SCHEMA, guidelines="G.md", path=str(tmp_path / "s.yaml"))
    assert guidelines_html(schema) == "<h2>Spans</h2>\n<p>Trim them.</p>"
    assert guidelines_html(dataclasses.replace(schema, guidelines="missing.md")) == ""


@pytest.mark.labelstudio
def test_create_then_find_then_mismatch_then_update(ls_session, project_title):
    created = ensure_project(ls_session, title=project_title, schema=narrower_schema())
    assert created.created and find_project(ls_session, project_title) == dataclasses.replace(
        created, created=False
    )
    with pytest.raises(ProblemsError) as info:
        ensure_project(ls_session, title=project_title, schema=SCHEMA)
    err = info.value
    assert err.summary == (
        f"project {project_title!r} does not match schema 'conflict_events' 1.0.0; "
        "pass --update-config to replace its labeling config"
    )
    assert [p.code for p in err.problems] == [CONFIG_MISMATCH] * 3
    assert str(err.problems[0]) == (
        f"project {project_title!r} (id {created.id}): "
        "entity labels missing from the project: LOCATION"
    )
    updated = ensure_project(ls_session, title=project_title, schema=SCHEMA, update_config=True)
    assert updated.config_updated and updated.id == created.id
    assert not ensure_project(ls_session, title=project_title, schema=SCHEMA).config_updated


@pytest.mark.labelstudio
def test_two_projects_with_one_title_are_named_by_id(ls_session, project_title):
    a = ls_session.client.projects.create(title=project_title)
    b = ls_session.client.projects.create(title=project_title)
    ls_session.client.projects.create(title=project_title + "-longer")  # substring: not a match
    with pytest.raises(ProblemsError) as info:
        find_project(ls_session, project_title)
    [problem] = info.value.problems
    assert problem.code == AMBIGUOUS
    assert problem.message == (
        f"2 projects share this title (ids {a.id}, {b.id}); rename all but one"
    )
    # One project per page: every page is followed, and only exact titles are kept.
    assert sorted(p.id for p in find_projects(ls_session, project_title, page_size=1)) == [
        a.id,
        b.id,
    ]


@pytest.mark.labelstudio
def test_title_outside_label_studio_limits_is_a_clear_problem(ls_session):
    from eventgold.annotate.labelstudio.project import ensure_project
    from eventgold.annotate.problems import ProblemsError

    with pytest.raises(ProblemsError) as info:
        ensure_project(ls_session, title="ab", schema=load_schema())
    assert [str(p) for p in info.value.problems] == [
        "--project: a Label Studio project title has 3 to 50 characters, got 2: 'ab'"
    ]
