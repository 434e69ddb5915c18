from __future__ import annotations

import dataclasses

import pytest

from eventgold.annotate.labelstudio.config import to_label_config
from eventgold.annotate.labelstudio.guidelines import guidelines_html
from eventgold.annotate.labelstudio.project import (
    AMBIGUOUS,
    CONFIG_MISMATCH,
    config_differences,
    ensure_project,
    find_project,
    find_projects,
    project_description,
    setting_differences,
)
from eventgold.problems import ProblemsError
from eventgold.schema import RelationType, load_schema

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


def restyled_schema():
    """The shipped schema with another hotkey and colour for VICTIM_GROUP, and version 1.1.0."""
    entities = tuple(
        dataclasses.replace(e, hotkey="9", color="#000000") if e.label == "VICTIM_GROUP" else e
        for e in SCHEMA.entities
    )
    return dataclasses.replace(SCHEMA, entities=entities, version="1.1.0")


def test_setting_differences_name_each_attribute_and_the_version():
    project = {
        "label_config": to_label_config(SCHEMA),
        "instructions": guidelines_html(SCHEMA),
        "description": project_description(SCHEMA),
    }
    assert setting_differences(**project, schema=SCHEMA) == []
    assert setting_differences(**project, schema=restyled_schema()) == [
        "entity label VICTIM_GROUP: background '#1f77b4' in the project, '#000000' in the schema",
        "entity label VICTIM_GROUP: hotkey '2' in the project, '9' in the schema",
        "the description is 'conflict_events 1.0.0', the schema 'conflict_events 1.1.0'",
    ]
    reordered = dataclasses.replace(SCHEMA, entities=(*SCHEMA.entities[1:], SCHEMA.entities[0]))
    assert setting_differences(**project, schema=reordered) == [
        "entity labels in another order: the project ATTACKER, VICTIM_GROUP, LOCATION, ACTOR, "
        "ATTACK; the schema VICTIM_GROUP, LOCATION, ACTOR, ATTACK, ATTACKER"
    ]
    attacker = SCHEMA.entities[0]
    no_hint = dataclasses.replace(
        SCHEMA, entities=(dataclasses.replace(attacker, description=""), *SCHEMA.entities[1:])
    )
    assert setting_differences(**project, schema=no_hint) == [
        f"entity label ATTACKER: hint {attacker.description!r} in the project, (none) in the schema"
    ]
    layout = {
        **project,
        "label_config": project["label_config"].replace('granularity="symbol"', ""),
    }
    assert setting_differences(**layout, schema=SCHEMA) == [
        "the labeling config differs from `eventgold schema xml` in its layout"
    ]
    assert setting_differences(**{**project, "instructions": "<p>old</p>"}, schema=SCHEMA) == [
        "the instructions differ from the schema's guidelines file"
    ]


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
    again = ensure_project(ls_session, title=project_title, schema=SCHEMA)
    # Label Studio keeps the config, instructions and description as sent: nothing differs.
    assert (again.config_updated, again.differences) == (False, ())


@pytest.mark.labelstudio
def test_colour_hotkey_and_version_changes_are_told_then_applied_on_request(
    ls_session, project_title
):
    created = ensure_project(ls_session, title=project_title, schema=SCHEMA)
    told = ensure_project(ls_session, title=project_title, schema=restyled_schema())
    assert not told.config_updated and told.id == created.id
    assert told.differences == (
        "entity label VICTIM_GROUP: background '#1f77b4' in the project, '#000000' in the schema",
        "entity label VICTIM_GROUP: hotkey '2' in the project, '9' in the schema",
        "the description is 'conflict_events 1.0.0', the schema 'conflict_events 1.1.0'",
    )
    applied = ensure_project(
        ls_session, title=project_title, schema=restyled_schema(), update_config=True
    )
    assert applied.config_updated and applied.differences == told.differences
    project = ls_session.client.projects.get(id=created.id)
    assert 'hotkey="9"' in project.label_config and project.description.endswith("1.1.0")
    assert (
        ensure_project(ls_session, title=project_title, schema=restyled_schema()).differences == ()
    )


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
    from eventgold.problems import ProblemsError

    with pytest.raises(ProblemsError) as info:
        ensure_project(ls_session, title="ab", schema=load_schema())
    assert [str(p) for p in info.value.problems] == [
        "--project: a Label Studio project title has 3 to 50 characters, got 2: 'ab'"
    ]


@pytest.mark.labelstudio
def test_create_whose_answer_is_lost_is_found_not_created_twice(
    ls_session, project_title, monkeypatch
):
    """The server saves the project, then the answer is lost: the retry finds it by title
    (seen: HTTP 500 "database is locked" under load); a first attempt looks up nothing."""
    import httpx

    from eventgold.annotate.labelstudio import project as project_mod
    from eventgold.annotate.labelstudio.connection import Retry

    lookups: list[str] = []
    real_find = project_mod.find_project

    def counting_find(session, title):
        lookups.append(title)
        return real_find(session, title)

    projects = ls_session.client.projects
    real_create = projects.create
    lost: list[int] = []

    def create_then_lose_answer(**fields):
        made = real_create(**fields)
        if not lost:
            lost.append(made.id)
            raise httpx.ReadTimeout("answer lost after the save")
        return made

    monkeypatch.setattr(project_mod, "find_project", counting_find)
    monkeypatch.setattr(projects, "create", create_then_lose_answer)
    session = dataclasses.replace(ls_session, retry=Retry(attempts=3, base_delay=0.01))
    ref = ensure_project(session, title=project_title, schema=SCHEMA)
    assert (ref.id, ref.created) == (lost[0], True)
    # One lookup before creating, none inside the first attempt, one inside the retry.
    assert lookups == [project_title, project_title]
    assert [p.id for p in find_projects(ls_session, project_title)] == [ref.id]


def test_a_title_that_matches_none_names_the_close_titles(ls_session, project_title):
    """A title off by case, a space or a letter was only "not found": the user had to open
    Label Studio to see what it was called."""
    from eventgold.annotate.labelstudio.project import NOT_FOUND, require_project

    made = ls_session.client.projects.create(title=project_title)
    for given in (project_title.upper(), f"{project_title} ", project_title[:-1] + "#"):
        with pytest.raises(ProblemsError) as info:
            require_project(ls_session, given)
        [problem] = info.value.problems
        assert problem.code == NOT_FOUND and info.value.summary == f"project {given!r} not found"
        # The closest first (a typo may find other tests' titles too on the shared server).
        assert str(problem).startswith(
            f"project {given!r}: no project with this title on {ls_session.url}; did you mean "
            f"{project_title!r} (id {made.id})"
        )
