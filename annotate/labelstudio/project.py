"""Finding, creating and checking the Label Studio project that a schema describes.

A project is named by its exact title. Its labeling config must offer the schema's labels and
relations, or pushed annotations would be refused and pulled ones mislabelled; a mismatch is an
error naming what differs, unless the caller asks to update the config. Differences that leave
the labels as they are (colours, hotkeys, hints, order, instructions, schema version) are
returned to be told (`setting_differences`), and applied only on request as well.
"""

from __future__ import annotations

import difflib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from label_studio_sdk.core.api_error import ApiError

from eventgold.annotate.labelstudio.config import LS_LABELS_NAME, to_label_config
from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.labelstudio.guidelines import guidelines_html
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema

NOT_FOUND = "project-not-found"
AMBIGUOUS = "project-ambiguous"
CONFIG_MISMATCH = "config-mismatch"

# Label Studio's own limits (settings PROJECT_TITLE_MIN_LEN / _MAX_LEN); checked before asking.
TITLE_MIN, TITLE_MAX = 3, 50
BAD_TITLE = "bad-title"


@dataclass(frozen=True, slots=True)
class ProjectRef:
    id: int
    title: str
    created: bool = False
    config_updated: bool = False  # the config, instructions and description set from the schema
    differences: tuple[str, ...] = ()  # how it differed from the schema (applied if updated)
    # As listed (`find_projects`); not part of the project's identity.
    label_config: str = field(default="", compare=False, repr=False)
    # When the server created it (ISO 8601): tells a project re-created under the same id apart.
    created_at: str = field(default="", compare=False, repr=False)


def find_projects(session: Session, title: str, *, page_size: int = 100) -> list[ProjectRef]:
    """Every project whose title is exactly `title` (the API's title filter is a substring one)."""

    def titled() -> list[Any]:
        # Only ids, titles and configs: by default each project comes with a dozen counts
        # too, which the server computes for every project listed. Pages are
        # followed while the server names a next one; the SDK's pager would always ask for one
        # more, empty page.
        page = session.client.projects.list(
            title=title, include="id,title,label_config,created_at", page_size=page_size
        )
        found = list(page.items or ())
        while getattr(page.response, "next", None):
            page = page.next_page()
            if page is None or not page.items:
                break
            found += page.items
        return found

    listed = session.call(f"listing projects titled {title!r}", titled)
    return [
        ProjectRef(
            id=p.id,
            title=p.title,
            label_config=p.label_config or "",
            created_at=_iso(p.created_at),
        )
        for p in listed
        if p.title == title
    ]


def _iso(when: datetime | None) -> str:
    return when.isoformat() if when is not None else ""


def find_project(session: Session, title: str) -> ProjectRef | None:
    """The one project titled `title`, None if there is none; several is an error naming ids."""
    found = find_projects(session, title)
    if len(found) > 1:
        ids = ", ".join(str(p.id) for p in sorted(found, key=lambda p: p.id))
        raise ProblemsError(
            [
                Problem(
                    f"project {title!r}",
                    f"{len(found)} projects share this title (ids {ids}); rename all but one",
                    AMBIGUOUS,
                )
            ],
            summary=f"project title {title!r} is ambiguous",
        )
    return found[0] if found else None


def require_project(session: Session, title: str) -> ProjectRef:
    """The one project titled `title`; none is an error naming the titles there that are close
    (case, spaces, a typo) or, on a server with few projects, every title."""
    project = find_project(session, title)
    if project is None:
        raise ProblemsError(
            [
                Problem(
                    f"project {title!r}",
                    f"no project with this title on {session.url}{_other_titles(session, title)}",
                    NOT_FOUND,
                )
            ],
            summary=f"project {title!r} not found",
        )
    return project


SHOWN_TITLES = 10  # a server with at most this many projects has them all named


def _other_titles(session: Session, title: str) -> str:
    """What to add to "no project with this title": the close titles, or every title."""

    def listed() -> list[tuple[int, str]]:
        page = session.client.projects.list(include="id,title", page_size=100)
        return [(p.id, p.title or "") for p in page.items or ()]

    projects = session.call("listing projects", listed)
    if not projects:
        return " (it has no project yet; `eventgold push --project TITLE` creates one)"
    ids = {t: i for i, t in sorted(projects, reverse=True)}  # the lowest id of a title
    folded = title.casefold().strip()
    close = [t for t in ids if t.casefold().strip() == folded] or difflib.get_close_matches(
        title, list(ids), n=3, cutoff=0.75
    )
    if close:
        return "; did you mean " + " or ".join(f"{t!r} (id {ids[t]})" for t in close) + "?"
    if len(projects) <= SHOWN_TITLES:
        return "; its projects: " + ", ".join(repr(t) for _, t in sorted(projects))
    return ""


def config_labels(label_config: str) -> tuple[set[str], set[str]]:
    """Entity labels (of the schema's Labels control) and relation labels of a labeling config."""
    root = ET.fromstring(label_config)
    labels = {
        str(label.get("value"))
        for control in root.iter("Labels")
        if control.get("name") == LS_LABELS_NAME
        for label in control.iter("Label")
    }
    relations = {str(r.get("value")) for r in root.iter("Relation")}
    return labels, relations


def config_differences(label_config: str, schema: Schema) -> list[str]:
    """What the project's config lacks or adds compared with `schema`; empty if they agree."""
    try:
        labels, relations = config_labels(label_config)
    except ET.ParseError as exc:
        return [f"the labeling config is not valid XML ({exc})"]
    want_labels, want_relations = set(schema.entity_labels), set(schema.relation_labels)
    diffs = []
    for kind, have, want in (
        ("entity labels", labels, want_labels),
        ("relation labels", relations, want_relations),
    ):
        if want - have:
            diffs.append(f"{kind} missing from the project: {', '.join(sorted(want - have))}")
        if have - want:
            diffs.append(
                f"{kind} in the project but not in the schema: {', '.join(sorted(have - want))}"
            )
    return diffs


def _label_attributes(root: ET.Element) -> dict[str, dict[str, str]]:
    """Entity label -> its other attributes (colour, hotkey, hint), in config order."""
    return {
        str(label.get("value")): {k: v for k, v in label.attrib.items() if k != "value"}
        for control in root.iter("Labels")
        if control.get("name") == LS_LABELS_NAME
        for label in control.iter("Label")
    }


def project_description(schema: Schema) -> str:
    """The description a project made from `schema` carries: which schema, which version."""
    return f"{schema.name} {schema.version}"


def setting_differences(
    *, label_config: str, instructions: str, description: str, schema: Schema
) -> list[str]:
    """What differs between a project and `schema` without changing what annotations mean
    (label colours, hotkeys and hints, label order, the instructions, the schema version);
    run after `config_differences` found the same labels on both sides."""
    want_config = to_label_config(schema)
    try:
        have_root = ET.fromstring(label_config)
    except ET.ParseError:
        return []  # `config_differences` reports it
    have, want = _label_attributes(have_root), _label_attributes(ET.fromstring(want_config))
    diffs = []
    for label, attrs in want.items():
        for name in sorted(set(attrs) | set(have.get(label, {}))):
            theirs, ours = have.get(label, {}).get(name), attrs.get(name)
            if theirs != ours:
                diffs.append(
                    f"entity label {label}: {name} {_shown(theirs)} in the project, "
                    f"{_shown(ours)} in the schema"
                )
    if list(have) != list(want):
        diffs.append(
            f"entity labels in another order: the project {', '.join(have)}; "
            f"the schema {', '.join(want)}"
        )
    if not diffs and ET.canonicalize(label_config, strip_text=True) != ET.canonicalize(
        want_config, strip_text=True
    ):
        diffs.append("the labeling config differs from `eventgold schema xml` in its layout")
    if instructions != guidelines_html(schema):
        diffs.append("the instructions differ from the schema's guidelines file")
    if description != project_description(schema):
        diffs.append(
            f"the description is {description!r}, the schema {project_description(schema)!r}"
        )
    return diffs


def _shown(value: str | None) -> str:
    return "(none)" if value is None else repr(value)


def project_config_differences(session: Session, project: ProjectRef, schema: Schema) -> list[str]:
    """`config_differences` of the project's labeling config: as listed, with no request, or
    read if the listing did not carry it."""
    config = project.label_config or _read_project(session, project).label_config or ""
    return config_differences(config, schema)


def _read_project(session: Session, project: ProjectRef) -> Any:
    """The project's details (config, instructions, description) as the SDK gives them."""
    return session.call(
        f"reading project {project.title!r}", lambda: session.client.projects.get(id=project.id)
    )


def ensure_project(
    session: Session,
    *,
    title: str,
    schema: Schema,
    update_config: bool = False,
    create: bool = True,
) -> ProjectRef:
    """The project titled `title`, created from `schema` if missing and `create`.

    An existing project's config must match the schema: otherwise raise `ProblemsError` saying
    what differs, or, with `update_config`, replace the config. Label Studio 1.23 accepts a
    config that drops labels still used by annotations; pull then rejects those annotations
    (unknown label), with reasons, rather than losing them silently.
    """
    project = find_project(session, title)
    config = to_label_config(schema)
    if project is None:
        if not create:
            return require_project(session, title)
        if not TITLE_MIN <= len(title) <= TITLE_MAX:
            raise ProblemsError(
                [
                    Problem(
                        "--project",
                        f"a Label Studio project title has {TITLE_MIN} to {TITLE_MAX} "
                        f"characters, got {len(title)}: {title!r}",
                        BAD_TITLE,
                    )
                ]
            )

        attempts = 0

        def create() -> tuple[int, str]:
            # A retry first looks again: the server may have saved the project and then
            # failed to answer (seen: HTTP 500 "database is locked" under load).
            nonlocal attempts
            attempts += 1
            again = find_project(session, title) if attempts > 1 else None
            if again is not None:
                return again.id, again.created_at
            made = session.client.projects.create(
                title=title,
                label_config=config,
                expert_instruction=guidelines_html(schema),
                show_instruction=True,
                description=project_description(schema),
            )
            return made.id, _iso(made.created_at)

        project_id, created_at = session.call(f"creating project {title!r}", create)
        return ProjectRef(id=project_id, title=title, created=True, created_at=created_at)
    current = _read_project(session, project)
    diffs = config_differences(current.label_config or "", schema)
    # Same labels: the rest (colours, hotkeys, instructions, ...) is told, and applied only
    # when asked; other labels would break annotations, so they stop the push.
    settings = (
        []
        if diffs
        else setting_differences(
            label_config=current.label_config or "",
            instructions=current.expert_instruction or "",
            description=current.description or "",
            schema=schema,
        )
    )
    if not diffs and (not settings or not update_config):
        return ProjectRef(
            id=project.id,
            title=title,
            differences=tuple(settings),
            created_at=project.created_at,
        )
    if diffs and not update_config:
        raise ProblemsError(
            [Problem(f"project {title!r} (id {project.id})", d, CONFIG_MISMATCH) for d in diffs],
            summary=f"project {title!r} does not match schema {schema.name!r} {schema.version}; "
            "pass --update-config to replace its labeling config",
        )
    try:
        session.call(
            f"updating the config of project {title!r}",
            lambda: session.client.projects.update(
                id=project.id,
                label_config=config,
                expert_instruction=guidelines_html(schema),
                description=project_description(schema),
            ),
        )
    except ApiError as exc:
        # E.g. an invalid config: pass Label Studio's reason on.
        raise ProblemsError(
            [
                Problem(
                    f"project {title!r} (id {project.id})",
                    f"Label Studio refused the new config (HTTP {exc.status_code}): {exc.body}",
                    CONFIG_MISMATCH,
                )
            ],
            summary=f"cannot update the config of project {title!r}",
        ) from None
    return ProjectRef(
        id=project.id,
        title=title,
        config_updated=True,
        differences=tuple(diffs + settings),
        created_at=project.created_at,
    )
