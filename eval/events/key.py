"""Hand-made event keys, and how well each assembly rule reproduces one.

A key lists, per document, the events an analyst reads, each column as the ids of the gold
entities that fill it and the killed count as the analyst codes it (tests/data/events_key.yaml
is the key of the shipped gold). `compare_rules` assembles the documents with every pair of
group and attach rules and scores the result against the key with the event scorer: the
evidence behind the rules the schema chooses (docs/events.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eventgold.documents import Document, Entity
from eventgold.eval.bootstrap import Bootstrap
from eventgold.eval.events.assembly import ATTACH_RULES, GROUP_RULES, Event, assemble
from eventgold.eval.events.killed import EventKilled
from eventgold.eval.events.scoring import EventScores, score_event_lists
from eventgold.eval.events.segments import Segments
from eventgold.problems import Problem, ProblemsError
from eventgold.schema_events import EventSpec

_COLUMNS = ("anchors", "attacker", "victims", "location", "condemned_by")


def _key_event(
    doc: Document, entry: Mapping[str, Any], where: str
) -> tuple[Event | None, list[Problem]]:
    by_id = doc.entity_by_id()
    problems: list[Problem] = []
    cols: dict[str, tuple[Entity, ...]] = {}
    for col in _COLUMNS:
        ids = entry.get(col) or []
        unknown = [i for i in ids if i not in by_id]
        problems += [Problem(f"{where}.{col}", f"no entity {i!r} in the document") for i in unknown]
        cols[col] = tuple(sorted((by_id[i] for i in ids if i in by_id), key=lambda e: e.start))
    if not cols["anchors"]:
        problems.append(Problem(f"{where}.anchors", "an event needs at least one anchor"))
    if problems:
        return None, problems
    killed = entry.get("killed")
    first = cols["anchors"][0]
    return (
        Event(
            doc_id=doc.id,
            number=0,  # numbered in text order below
            source=doc.source,
            anchors=cols["anchors"],
            attacker=cols["attacker"],
            victims=cols["victims"],
            location=cols["location"],
            condemned_by=cols["condemned_by"],
            killed=None if killed is None else EventKilled(killed, killed, killed, ()),
            sentence=Segments.of(doc.text).sentence_text(doc.text, first.start),
        ),
        [],
    )


def load_key(path: Path, docs: Sequence[Document]) -> dict[str, list[Event]]:
    """The key's events by document id (every gold document, [] if the key lists none);
    raises `ProblemsError` naming every unknown document or entity id."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    by_doc = {d.id: d for d in docs}
    out: dict[str, list[Event]] = {d.id: [] for d in docs}
    problems: list[Problem] = []
    for doc_id, entries in data.items():
        if doc_id not in by_doc:
            problems.append(Problem(f"{path}: {doc_id}", "no such gold document"))
            continue
        for n, entry in enumerate(entries):
            event, found = _key_event(by_doc[doc_id], entry, f"{path}: {doc_id}[{n}]")
            problems += found
            if event is not None:
                out[doc_id].append(event)
    if problems:
        raise ProblemsError(problems, summary=f"event key {path} has {len(problems)} problem(s)")
    for doc_id, events in out.items():
        events.sort(key=lambda e: e.anchors[0].start)
        out[doc_id] = [_renumbered(e, n) for n, e in enumerate(events, start=1)]
    return out


def _renumbered(e: Event, n: int) -> Event:
    from dataclasses import replace

    return replace(e, number=n)


@dataclass(frozen=True, slots=True)
class RuleResult:
    group: str
    attach: str
    scores: EventScores


def compare_rules(
    docs: Sequence[Document], spec: EventSpec, key: Mapping[str, list[Event]]
) -> list[RuleResult]:
    """Every (group, attach) rule pair's events scored against the key (no bootstrap)."""
    out = []
    for g_name, g_rule in GROUP_RULES.items():
        for a_name, a_rule in ATTACH_RULES.items():
            triples = [
                (d.id, key[d.id], assemble(d, spec, group=g_rule, attach=a_rule).events)
                for d in docs
            ]
            scores = score_event_lists(triples, bootstrap=Bootstrap(resamples=0))
            out.append(RuleResult(g_name, a_name, scores))
    return out


class KeyGroup:
    """Anchor mentions grouped as the key groups them: what an ATTACK-to-ATTACK "same event"
    relation would give. Only for measuring what such a relation would add."""

    def __init__(self, events: Sequence[Event]) -> None:
        self._event = {a.id: i for i, e in enumerate(events) for a in e.anchors}

    def group(self, anchors: Sequence[Entity], text: str, seg: Segments) -> list[int]:
        seen: dict[object, int] = {}
        return [seen.setdefault(self._event.get(a.id, ("alone", a.id)), len(seen)) for a in anchors]


def relations_needed(key: Mapping[str, list[Event]]) -> dict[str, int]:
    """How many relations the key's events would take to annotate: a chain of "same event"
    links between each event's ATTACK mentions, one attacker-to-attack link per attacker
    mention, one attack-to-location link per location mention."""
    events = [e for es in key.values() for e in es]
    return {
        "same_event": sum(len(e.anchors) - 1 for e in events),
        "attacker_attack": sum(len(e.attacker) for e in events),
        "attack_location": sum(len(e.location) for e in events),
    }
