"""The schema's optional ``events:`` section: how event rows are assembled from spans.

An event is anchored on mentions of one entity label (``anchor``), or, where none is in
reach, on a mention of the attacker label that heads the ``killed`` relation. The other
columns come from the labels named under ``roles``, joined to the event through relations
(``killed``, ``condemns``) or, for mentions with no relation, by the assembly rules ``group``
and ``attach`` (see docs/events.md). This module only declares and checks the section;
`eventgold.eval.events` assembles and scores the events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eventgold.problems import Problem, allowed

ROLES = ("attacker", "victims", "location", "condemned_by")  # the label-valued columns
# How anchor mentions are grouped into events, and where a mention without a relation goes:
# the names eventgold.eval.events implements (a test keeps the two lists equal).
GROUP_RULES = ("mention", "sentence", "paragraph", "reference")
ATTACH_RULES = ("sentence", "paragraph", "nearest")
_KEYS = {"description", "anchor", "roles", "killed", "condemns", "group", "attach"}


@dataclass(frozen=True, slots=True)
class EventSpec:
    """The checked ``events:`` section: labels per column, relations, assembly rules."""

    anchor: str
    attacker: str
    victims: str
    location: str
    condemned_by: str
    killed: str  # relation anchor|attacker -> victims: the killed victim groups
    condemns: str  # relation condemned_by -> anchor|attacker
    group: str = "reference"
    attach: str = "nearest"
    description: str = ""

    def role_labels(self) -> dict[str, str]:
        """Column name -> entity label, for the label-valued columns."""
        return {role: getattr(self, role) for role in ROLES}


def _where(path: str, key: str) -> str:
    return f"{path}: events.{key}" if key else f"{path}: events"


def _label_problem(
    path: str, key: str, value: Any, known: Sequence[str], kind: str
) -> Problem | None:
    if isinstance(value, str) and value in known:
        return None
    return Problem(_where(path, key), f"unknown {kind} {value!r}; allowed: {allowed(known)}")


def _ends(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list) else ()


def relation_ends(relations: Sequence[Any]) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Relation label -> (head labels, tail labels), from the decoded ``relations:`` list
    (entries too broken to read are left out: their own problems are reported)."""
    return {
        r["label"]: (_ends(r.get("head")), _ends(r.get("tail")))
        for r in relations
        if isinstance(r, dict) and isinstance(r.get("label"), str)
    }


def check_events_data(
    data: Any, *, labels: Sequence[str], relations: Sequence[Any], path: str
) -> list[Problem]:
    """Every problem of an ``events:`` mapping, located; `relations` is the decoded
    ``relations:`` list of the same schema."""
    ends = relation_ends(relations)
    if not isinstance(data, dict):
        return [Problem(_where(path, ""), f"must be a mapping, got {data!r:.60}")]
    p = [
        Problem(_where(path, key), f"unknown key; allowed: {allowed(_KEYS)}")
        for key in sorted(set(data) - _KEYS, key=str)
    ]
    found = _label_problem(path, "anchor", data.get("anchor"), labels, "entity label")
    p += [found] if found else []
    roles = data.get("roles")
    if not isinstance(roles, dict):
        p.append(
            Problem(
                _where(path, "roles"),
                f"must map each of {allowed(ROLES)} to an entity label, got {roles!r:.60}",
            )
        )
        roles = {}
    for key in sorted(set(roles) - set(ROLES), key=str):
        p.append(Problem(_where(path, f"roles.{key}"), f"unknown role; allowed: {allowed(ROLES)}"))
    for role in ROLES:
        if role not in roles:
            p.append(Problem(_where(path, f"roles.{role}"), "required, got nothing"))
            continue
        found = _label_problem(path, f"roles.{role}", roles[role], labels, "entity label")
        p += [found] if found else []
    for key in ("killed", "condemns"):
        found = _label_problem(path, key, data.get(key), list(ends), "relation label")
        p += [found] if found else []
    for key, names in (("group", GROUP_RULES), ("attach", ATTACH_RULES)):
        if key in data and data[key] not in names:
            p.append(
                Problem(_where(path, key), f"unknown rule {data[key]!r}; allowed: {allowed(names)}")
            )
    if p:  # the endpoint checks below need known labels
        return p
    heads = (data["anchor"], roles["attacker"])
    checks = (
        ("killed", heads, "head", 0),
        ("killed", (roles["victims"],), "tail", 1),
        ("condemns", (roles["condemned_by"],), "head", 0),
        ("condemns", heads, "tail", 1),
    )
    for key, needed, end, side in checks:
        allowed_ends = ends[data[key]][side]
        missing = [label for label in needed if label not in allowed_ends]
        if missing:
            p.append(
                Problem(
                    _where(path, key),
                    f"relation {data[key]!r} must allow {', '.join(missing)} as its {end}; "
                    f"its {end}: {allowed(allowed_ends)}",
                )
            )
    return p


def events_from_data(data: Mapping[str, Any] | None) -> EventSpec | None:
    """The `EventSpec` of a section already checked by `check_events_data` (None: absent)."""
    if data is None:
        return None
    roles = data["roles"]
    return EventSpec(
        anchor=data["anchor"],
        attacker=roles["attacker"],
        victims=roles["victims"],
        location=roles["location"],
        condemned_by=roles["condemned_by"],
        killed=data["killed"],
        condemns=data["condemns"],
        group=data.get("group", "reference"),
        attach=data.get("attach", "nearest"),
        description=str(data.get("description") or ""),
    )
