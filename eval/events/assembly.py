"""Events from one document's spans and relations, by the schema's ``events:`` section.

`assemble` makes the events of a document in four steps (docs/events.md, "Assembly"):

1. the anchor mentions (ATTACK) are grouped into events by the group rule;
2. each attacker that heads a ``killed`` relation joins an event by the attach rule, or, when
   there is none in reach, anchors an event of its own;
3. a victim group that is the tail of ``killed`` joins its head's event, and an actor that
   heads ``condemns`` its tail's event;
4. every other mention of a role label joins an event by the attach rule, or none.

Group and attach rules are one class each below, the rule in the docstring; `GROUP_RULES`
and `ATTACH_RULES` map the schema's names to them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from eventgold.documents import Document, Entity
from eventgold.eval.events.killed import EventKilled, Killed, parse_killed
from eventgold.eval.events.segments import Segments
from eventgold.schema_events import EventSpec

# An anchor mention, the index of its event, and its sentence and paragraph indexes.
Placed = tuple[Entity, int, int, int]


class GroupRule(Protocol):
    def group(self, anchors: Sequence[Entity], text: str, seg: Segments) -> list[int]:
        """The event index of each anchor mention (anchors in text order; indexes from 0,
        each new event the next index)."""
        ...


class AttachRule(Protocol):
    def attach(self, mention: Entity, placed: Sequence[Placed], seg: Segments) -> int | None:
        """The event a mention joins, given the anchor mentions placed so far; None: none."""
        ...


def _by_key(keys: list[int]) -> list[int]:
    """Event indexes from a grouping key per anchor: equal keys, one event, in first-seen
    order."""
    seen: dict[int, int] = {}
    return [seen.setdefault(k, len(seen)) for k in keys]


class ByMention:
    """Every anchor mention is an event of its own (no two mentions are merged)."""

    def group(self, anchors: Sequence[Entity], text: str, seg: Segments) -> list[int]:
        return list(range(len(anchors)))


class BySentence:
    """Anchor mentions in one sentence are one event; an event never spans two sentences."""

    def group(self, anchors: Sequence[Entity], text: str, seg: Segments) -> list[int]:
        return _by_key([seg.sentence(a.start) for a in anchors])


class ByParagraph:
    """Anchor mentions in one paragraph (line) are one event."""

    def group(self, anchors: Sequence[Entity], text: str, seg: Segments) -> list[int]:
        return _by_key([seg.paragraph(a.start) for a in anchors])


_INDEFINITE = frozenset({"a", "an", "another"})
_DEFINITE = frozenset({"the", "this", "that", "these", "those", "such", "its", "their", "his"})
_WORD = re.compile(r"[\w’'-]+")
LOOK_BACK = 3  # words before a mention searched for its determiner


class ByReference:
    """An anchor mention introduced by an indefinite determiner (``a``, ``an``, ``another``)
    starts a new event, and so does the document's first one; any other (``the``, ``this``,
    a possessive such as ``Sunday’s``, or no determiner) refers back: it joins the event of
    the nearest anchor mention before it. The determiner is the nearest of these words among
    the `LOOK_BACK` words before the mention in its sentence (adjectives and attacker names
    in between are skipped: ``a deadly blast``, ``the Taliban offensive``)."""

    def group(self, anchors: Sequence[Entity], text: str, seg: Segments) -> list[int]:
        out: list[int] = []
        for a in anchors:
            i = seg.sentence(a.start)
            start = seg.sentences[i][0] if i >= 0 else 0
            words = _WORD.findall(text[start : a.start].lower())[-LOOK_BACK:]
            new = not out or _introduces(words)
            out.append(len(set(out)) if new else out[-1])
        return out


def _introduces(words: list[str]) -> bool:
    for word in reversed(words):
        if word in _INDEFINITE:
            return True
        if word in _DEFINITE or word.endswith(("'s", "’s")):
            return False
    return False


def _distance(a: Entity, b: Entity) -> int:
    return max(0, b.start - a.end, a.start - b.end)


def _nearest(mention: Entity, candidates: list[Placed]) -> int | None:
    """The event of the candidate nearest the mention; on equal distance the one before it."""
    if not candidates:
        return None
    best = min(candidates, key=lambda p: (_distance(mention, p[0]), p[0].start > mention.start))
    return best[1]


class AttachSentence:
    """A mention joins the event of the nearest anchor mention in its sentence; with none
    there, no event."""

    def attach(self, mention: Entity, placed: Sequence[Placed], seg: Segments) -> int | None:
        s = seg.sentence(mention.start)
        return _nearest(mention, [p for p in placed if p[2] == s])


class AttachParagraph:
    """A mention joins the event of the nearest anchor mention in its paragraph; with none
    there, no event."""

    def attach(self, mention: Entity, placed: Sequence[Placed], seg: Segments) -> int | None:
        par = seg.paragraph(mention.start)
        return _nearest(mention, [p for p in placed if p[3] == par])


class AttachNearest:
    """A mention joins the event of the nearest anchor mention in its sentence; with none
    there, that of the nearest anchor mention before it in its paragraph; else no event."""

    def attach(self, mention: Entity, placed: Sequence[Placed], seg: Segments) -> int | None:
        found = AttachSentence().attach(mention, placed, seg)
        if found is not None:
            return found
        par = seg.paragraph(mention.start)
        before = [p for p in placed if p[3] == par and p[0].end <= mention.start]
        return _nearest(mention, before)


GROUP_RULES: dict[str, GroupRule] = {
    "mention": ByMention(),
    "sentence": BySentence(),
    "paragraph": ByParagraph(),
    "reference": ByReference(),
}
ATTACH_RULES: dict[str, AttachRule] = {
    "sentence": AttachSentence(),
    "paragraph": AttachParagraph(),
    "nearest": AttachNearest(),
}


@dataclass(frozen=True, slots=True)
class Event:
    """One event of a document: its mentions by column (each an `Entity`: id, offsets,
    text), the killed figures and the sentence of its first anchor."""

    doc_id: str
    number: int  # 1, 2, ... in the order of the first anchor mention
    source: str
    anchors: tuple[Entity, ...]
    attacker: tuple[Entity, ...]
    victims: tuple[Entity, ...]
    location: tuple[Entity, ...]
    condemned_by: tuple[Entity, ...]
    killed: EventKilled | None
    sentence: str

    @property
    def event_id(self) -> str:
        return f"{self.doc_id}/E{self.number}"


@dataclass(frozen=True, slots=True)
class Assembly:
    """A document's events, and the role mentions that joined none (listed, not lost)."""

    events: tuple[Event, ...]
    unplaced: tuple[Entity, ...]


@dataclass
class _Draft:
    anchors: list[Entity] = field(default_factory=list)
    members: dict[str, list[Entity]] = field(default_factory=dict)


def assemble(
    doc: Document,
    spec: EventSpec,
    *,
    group: GroupRule | None = None,
    attach: AttachRule | None = None,
) -> Assembly:
    """The events of `doc` (see the module docstring); `group` and `attach` override the
    spec's rules (used to compare rules)."""
    grouper = group or GROUP_RULES[spec.group]
    attacher = attach or ATTACH_RULES[spec.attach]
    seg = Segments.of(doc.text)
    ents = sorted(doc.entities, key=lambda e: (e.start, e.end))
    by_id = {e.id: e for e in ents}
    anchors = [e for e in ents if e.label == spec.anchor]
    drafts: list[_Draft] = []
    event_of: dict[str, int] = {}
    placed: list[Placed] = []
    for a, i in zip(anchors, grouper.group(anchors, doc.text, seg), strict=True):
        while len(drafts) <= i:
            drafts.append(_Draft())
        drafts[i].anchors.append(a)
        event_of[a.id] = i
        placed.append((a, i, seg.sentence(a.start), seg.paragraph(a.start)))

    killed_heads: dict[str, list[str]] = {}  # victim id -> heads of its killed relations
    killers: set[str] = set()
    condemned: dict[str, list[str]] = {}  # actor id -> tails of its condemns relations
    for r in doc.relations:
        if r.label == spec.killed:
            killed_heads.setdefault(r.tail, []).append(r.head)
            killers.add(r.head)
        elif r.label == spec.condemns:
            condemned.setdefault(r.head, []).append(r.tail)

    def join(mention: Entity, role: str, i: int) -> None:
        drafts[i].members.setdefault(role, []).append(mention)
        event_of.setdefault(mention.id, i)

    unplaced: list[Entity] = []
    # Step 2: attackers that killed, in text order, before anything that links to them.
    for e in ents:
        if e.label != spec.attacker or e.id not in killers:
            continue
        i = attacher.attach(e, placed, seg)
        if i is None:
            i = len(drafts)
            drafts.append(_Draft(anchors=[e]))
            placed.append((e, i, seg.sentence(e.start), seg.paragraph(e.start)))
        join(e, "attacker", i)

    def linked(ids: list[str]) -> int | None:
        return next((event_of[h] for h in ids if h in event_of), None)

    roles = spec.role_labels()
    order = ("attacker", "victims", "location", "condemned_by")
    for role in order:
        for e in ents:
            if e.label != roles[role] or e.id in event_of:
                continue
            i = None
            if role == "victims":
                i = linked(killed_heads.get(e.id, []))
            elif role == "condemned_by":
                i = linked([t for t in condemned.get(e.id, []) if t in by_id])
            if i is None:
                i = attacher.attach(e, placed, seg)
            if i is None:
                unplaced.append(e)
            else:
                join(e, role, i)

    events = []
    for n, d in enumerate(drafts, start=1):
        heads = {x.id for x in d.anchors} | {x.id for x in d.members.get("attacker", [])}
        counts: list[tuple[str, Killed]] = []
        for v in d.members.get("victims", []):
            if heads & set(killed_heads.get(v.id, [])):
                k = parse_killed(v.text)
                if k is not None:
                    counts.append((v.id, k))
        first = d.anchors[0]
        events.append(
            Event(
                doc_id=doc.id,
                number=n,
                source=doc.source,
                anchors=tuple(d.anchors),
                attacker=_ordered(d.members.get("attacker", [])),
                victims=_ordered(d.members.get("victims", [])),
                location=_ordered(d.members.get("location", [])),
                condemned_by=_ordered(d.members.get("condemned_by", [])),
                killed=EventKilled.combine(sorted(counts, key=lambda c: by_id[c[0]].start)),
                sentence=seg.sentence_text(doc.text, first.start),
            )
        )
    return Assembly(events=tuple(events), unplaced=tuple(sorted(unplaced, key=lambda e: e.start)))


def _ordered(mentions: list[Entity]) -> tuple[Entity, ...]:
    return tuple(sorted(mentions, key=lambda e: (e.start, e.end)))
