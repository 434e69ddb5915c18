"""The rule-based baseline: gazetteer phrases and trigger words, no trained model, no parser.

Entities come from phrase lists kept as data (`gazetteer.yaml`) and token patterns for counted
victim groups ("73 civilians", "five members of the Taliban"); following the annotation
guidelines, places, perpetrators and victims are kept only in sentences about an attack and
actors only in sentences that condemn one, and nothing is found in the lines the guidelines
never annotate (reference lists, by-lines, captions, page boilerplate: `boilerplate`).
Relations come from trigger words in a sentence: KILLED links the attack or attacker nearest a
kill verb to the victim groups on the verb's victim side (after an active verb, before a
passive one), or, when the sentence names no attack, the nearest attack of the previous few
sentences; CONDEMNS links the actors before a condemn verb (or "described ... as barbaric") to
the attack it names. Rules refer to *roles*; the gazetteer maps roles to schema labels so a
renamed label is a data edit (a copy of the gazetteer passed as ``--model my-gazetteer.yaml``),
a role mapped to null is switched off (for a schema without that label), and a label the
schema lacks is refused when the extractor is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import spacy
import yaml
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from eventgold.documents import Document, Entity, Relation, prediction_meta
from eventgold.eval.baselines.boilerplate import Skipped, inside, skipped_lines
from eventgold.problems import Problem, ProblemsError, allowed
from eventgold.schema import Schema
from eventgold.strict_yaml import decode_problem, syntax_problem

DEFAULT_GAZETTEER = Path(__file__).resolve().parent / "gazetteer.yaml"

UNKNOWN_RULE_LABEL = "unknown-rule-label"
RULE_ENDPOINT_TYPE = "rule-endpoint-type"

# Roles the rules produce: entity roles, and relation roles with their (head, tail) roles.
ENTITY_ROLES = ("attacker", "victim", "location", "actor", "attack")
RELATION_ROLES: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "killed": (("attacker", "attack"), ("victim",)),
    "condemns": (("actor",), ("attack", "attacker")),
}
# Gazetteer phrase lists, by the entity role they produce.
_PHRASE_KEYS: Mapping[str, str] = {
    "attackers": "attacker",
    "attacks": "attack",
    "actors": "actor",
    "locations": "location",
    "victims": "victim",
}
_WORD_LISTS = (
    "victim_nouns",
    "place_types",
    "event_words",
    "injury_words",
    "honorifics",
    "role_words",
    "quantities",
    "evaluation_verbs",
    "evaluation_words",
    "passive_markers",
    "victim_first_triggers",
)
_TRIGGER_LISTS = ("killed_triggers", "condemns_triggers")
_SENT_END = {".", "!", "?"}
_CONNECTORS = {"of", "the", "-", "al", "ul", "e"}


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """The rule data: role -> label map, phrase lists and trigger words (all lower-cased)."""

    labels: Mapping[str, str | None]  # None: the role is switched off
    phrases: Mapping[str, tuple[str, ...]]  # entity role -> phrases
    words: Mapping[str, frozenset[str]]  # list name (see _WORD_LISTS) -> words
    triggers: Mapping[str, tuple[str, ...]]  # relation role -> trigger phrases
    version: str = ""
    path: str = ""


def _string_list(
    data: Mapping[str, Any], key: str, where: str
) -> tuple[tuple[str, ...], list[Problem]]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return (), [
            Problem(f"{where}: {key}", f"must be a list of non-empty strings, got {value!r:.60}")
        ]
    return tuple(v.strip() for v in value), []


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """Read the gazetteer YAML (the shipped one if `path` is None); raise on every problem."""
    path = Path(path) if path is not None else DEFAULT_GAZETTEER
    where = str(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemsError(
            [decode_problem(exc, raw, where)], summary=f"gazetteer {path} is not UTF-8 text"
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProblemsError(
            [syntax_problem(exc, where, text)],
            summary=f"gazetteer {path} is not valid YAML",
        ) from exc
    if not isinstance(data, dict):
        raise ProblemsError([Problem(where, "a gazetteer must be a mapping")])
    problems: list[Problem] = []
    labels = data.get("labels")
    roles = (*ENTITY_ROLES, *RELATION_ROLES)
    if not isinstance(labels, dict):
        problems.append(
            Problem(f"{where}: labels", f"must map each role to a label: {allowed(roles)}")
        )
        labels = {}
    for role in roles:
        if role not in labels or not isinstance(labels[role], str | None):
            problems.append(
                Problem(
                    f"{where}: labels",
                    f"role '{role}' needs a label, got {labels.get(role)!r} (null switches the "
                    "role off)",
                )
            )
    phrases: dict[str, tuple[str, ...]] = {}
    for key, role in _PHRASE_KEYS.items():
        phrases[role], found = _string_list(data, key, where)
        problems += found
    words: dict[str, frozenset[str]] = {}
    for key in _WORD_LISTS:
        values, found = _string_list(data, key, where)
        words[key] = frozenset(v.lower() for v in values)
        problems += found
    triggers: dict[str, tuple[str, ...]] = {}
    for key in _TRIGGER_LISTS:
        triggers[key.removesuffix("_triggers")], found = _string_list(data, key, where)
        problems += found
    if problems:
        raise ProblemsError(problems, summary=f"gazetteer {path} has {len(problems)} problem(s)")
    return Gazetteer(
        labels={role: labels[role] for role in roles},
        phrases=phrases,
        words=words,
        triggers=triggers,
        version=str(data.get("version", "")),
        path=str(path),
    )


def check_labels(gazetteer: Gazetteer, schema: Schema) -> list[Problem]:
    """Problems of the rules' labels against `schema`: unknown labels and disallowed endpoints."""
    where = f"gazetteer {gazetteer.path}" if gazetteer.path else "gazetteer"
    problems: list[Problem] = []
    for role in ENTITY_ROLES:
        label = gazetteer.labels[role]
        if label is not None and label not in schema.entity_labels:
            problems.append(
                Problem(
                    f"{where}: labels.{role}",
                    f"the rule extractor emits entity label '{label}', which is not in schema "
                    f"'{schema.name}'; allowed: {allowed(schema.entity_labels)}",
                    UNKNOWN_RULE_LABEL,
                )
            )
    for role, (head_roles, tail_roles) in RELATION_ROLES.items():
        label = gazetteer.labels[role]
        if label is None:
            continue
        rtype = schema.relation(label)
        if rtype is None:
            problems.append(
                Problem(
                    f"{where}: labels.{role}",
                    f"the rule extractor emits relation label '{label}', which is not in schema "
                    f"'{schema.name}'; allowed: {allowed(schema.relation_labels)}",
                    UNKNOWN_RULE_LABEL,
                )
            )
            continue
        for end, end_roles, ok in (
            ("head", head_roles, rtype.head),
            ("tail", tail_roles, rtype.tail),
        ):
            for end_role in end_roles:
                ent_label = gazetteer.labels[end_role]
                if ent_label in schema.entity_labels and ent_label not in ok:  # None is in neither
                    problems.append(
                        Problem(
                            f"{where}: labels.{role}",
                            f"the rules use {ent_label} as {label} {end}, but schema "
                            f"'{schema.name}' allows {end} labels: {allowed(ok)}",
                            RULE_ENDPOINT_TYPE,
                        )
                    )
    return problems


@dataclass(frozen=True, slots=True)
class _Mention:
    role: str
    start: int  # token indices, end exclusive
    end: int


@dataclass(frozen=True)
class RuleExtractor:
    """Build with `build_rule_extractor`; `predict` is pure and deterministic."""

    schema: Schema
    gazetteer: Gazetteer
    nlp: Language
    phrases: PhraseMatcher
    patterns: Matcher

    @property
    def name(self) -> str:
        return "rules"

    def predict(self, doc: Document) -> Document:
        sdoc = self.nlp(doc.text)
        sent = sentence_ids(sdoc)
        mentions, triggers = self._match(sdoc, sent)
        # Reference lists, by-lines, captions and page boilerplate are never annotated.
        skipped = list(skipped_lines(doc.text))
        if skipped:
            mentions = [m for m in mentions if not _skipped(sdoc, m.start, m.end, skipped)]
            triggers = [(r, t) for r, t in triggers if not _skipped(sdoc, t, t + 1, skipped)]
        spans = filter_spans([Span(sdoc, m.start, m.end, label=m.role) for m in mentions])
        spans.sort(key=lambda s: (s.start, s.end))
        found = [_Mention(s.label_, s.start, s.end) for s in spans]
        labels = self.gazetteer.labels
        # Roles switched off (null) still take part in matching, so that the others are found
        # as with every role on; their spans, and relations to them, are left out here.
        entities = [
            Entity(id=f"e{i}", start=s.start_char, end=s.end_char, label=label, text=s.text)
            for i, s in enumerate(spans)
            if (label := labels[s.label_]) is not None
        ]
        ids = {e.id for e in entities}
        relations: list[Relation] = []
        seen: set[tuple[str, str, str]] = set()
        for role, position in triggers:
            rel_label = labels[role]
            if rel_label is None:
                continue
            for head, tail in _LINKERS[role](self.gazetteer, sdoc, sent, found, position):
                key = (rel_label, f"e{head}", f"e{tail}")
                if key[1] in ids and key[2] in ids and key not in seen:
                    seen.add(key)
                    relations.append(Relation(head=key[1], tail=key[2], label=key[0]))
        meta = prediction_meta(doc, {"name": self.name, "gazetteer": self.gazetteer.path})
        return replace(doc, meta=meta, entities=tuple(entities), relations=tuple(relations))

    def _match(
        self, sdoc: Doc, sent: Sequence[int]
    ) -> tuple[list[_Mention], list[tuple[str, int]]]:
        """Entity mentions (gated by sentence context) and ``(relation role, token)`` triggers."""
        vocab = self.nlp.vocab.strings
        words = self.gazetteer.words
        raw: list[_Mention] = []
        triggers: list[tuple[str, int]] = []
        for match_id, start, end in [*self.phrases(sdoc), *self.patterns(sdoc)]:
            key = vocab[match_id]
            if key.startswith("trigger:"):
                if sent[start] == sent[end - 1]:
                    triggers.append((key.removeprefix("trigger:"), start))
            else:
                raw.append(_Mention(key, start, end))
        raw = _merge_attackers(_extend_places(raw, sdoc, words["place_types"]))
        condemn_sents = {sent[t] for role, t in triggers if role == "condemns"}
        event_sents = {sent[t] for role, t in triggers if role == "killed"}
        event_sents |= {sent[m.start] for m in raw if m.role == "attack"}
        event_sents |= {sent[tok.i] for tok in sdoc if tok.lower_ in words["event_words"]}
        # The guidelines label places, perpetrators and victims only in sentences about an
        # attack, and actors only where they condemn: background "Kabul" or "ISIS" is no span.
        gate = {
            "location": event_sents,
            "attacker": event_sents,
            "victim": event_sents,
            "actor": condemn_sents,
        }
        mentions = [m for m in raw if m.role not in gate or sent[m.start] in gate[m.role]]
        for role, t in triggers:
            has_actor = any(
                m.role == "actor" and sent[m.start] == sent[t] and m.start < t for m in mentions
            )
            if role == "condemns" and not has_actor:
                taken = [(m.start, m.end) for m in mentions]
                for start, end in _names_before(sdoc, sent, t, words, taken):
                    mentions.append(_Mention("actor", start, end))
        return mentions, sorted(set(triggers), key=lambda rt: (rt[1], rt[0]))


def _skipped(sdoc: Doc, start: int, end: int, skipped: list[Skipped]) -> bool:
    span = sdoc[start:end]
    return inside(skipped, span.start_char, span.end_char)


def _extend_places(mentions: list[_Mention], sdoc: Doc, types: frozenset[str]) -> list[_Mention]:
    """A place keeps the type word that follows it: "Nangarhar province", "Injil district"."""
    return [
        _Mention(m.role, m.start, m.end + 1)
        if m.role == "location" and m.end < len(sdoc) and sdoc[m.end].lower_ in types
        else m
        for m in mentions
    ]


def _merge_attackers(mentions: list[_Mention]) -> list[_Mention]:
    """Adjacent attacker phrases are one description: "IS-Khorasan" + "suicide bomber"."""
    others = [m for m in mentions if m.role != "attacker"]
    attackers = sorted(
        (m for m in mentions if m.role == "attacker"), key=lambda m: (m.start, -m.end)
    )
    merged: list[_Mention] = []
    for m in attackers:
        if merged and merged[-1].end == m.start:
            merged[-1] = _Mention("attacker", merged[-1].start, m.end)
        elif not merged or m.start >= merged[-1].end:
            merged.append(m)
        else:  # nested in the previous, longer phrase: filter_spans would drop it anyway
            merged[-1] = _Mention("attacker", merged[-1].start, max(merged[-1].end, m.end))
    return others + merged


def sentence_ids(sdoc: Doc) -> list[int]:
    """Sentence number of each token: a break after . ! ? (and closing quotes) or a newline.

    No parser or sentencizer model is needed; the trained baseline uses it too.
    """
    ids: list[int] = []
    current = 0
    after_stop = after_newline = False
    for tok in sdoc:
        closing = tok.is_quote or tok.text in _SENT_END or tok.text == ")"
        if after_newline or (after_stop and not closing):
            current += 1
            after_stop = after_newline = False
        ids.append(current)
        if tok.is_space:
            after_newline = after_newline or "\n" in tok.text
        else:
            after_stop = after_stop or tok.text in _SENT_END
        after_newline = after_newline or "\n" in tok.whitespace_
    return ids


def _is_name_word(tok: Token, honorifics: frozenset[str]) -> bool:
    return (
        tok.is_alpha and tok.text[0].isupper() and not tok.is_stop and tok.lower_ not in honorifics
    )


def _name_runs(sdoc: Doc, start: int, end: int, honorifics: frozenset[str]) -> list[list[int]]:
    """Runs ``[first, end]`` of capitalised words in ``sdoc[start:end]``, joined by of/the/-."""
    runs: list[list[int]] = []
    for j in range(start, end):
        tok = sdoc[j]
        if _is_name_word(tok, honorifics):
            if runs and runs[-1][1] == j:
                runs[-1][1] = j + 1
            else:
                runs.append([j, j + 1])
        elif tok.lower_ in _CONNECTORS and runs and runs[-1][1] == j:
            nxt = sdoc[j + 1] if j + 1 < end else None
            joins = nxt is not None and (
                _is_name_word(nxt, honorifics) or nxt.lower_ in _CONNECTORS
            )
            if joins:
                runs[-1][1] = j + 1
    for run in runs:
        while sdoc[run[1] - 1].lower_ in _CONNECTORS:
            run[1] -= 1
    return runs


def _names_before(
    sdoc: Doc,
    sent: Sequence[int],
    t: int,
    words: Mapping[str, frozenset[str]],
    taken: Sequence[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Names of the condemning parties: capitalised runs before the trigger in its sentence.

    The first run is the subject, unless role words follow it and another run ("Taliban
    spokesman Zabiullah Mujahid": the name); a run right after "and" is a co-subject.
    """
    begin = t
    while begin > 0 and sent[begin - 1] == sent[t]:
        begin -= 1
    runs = [
        r
        for r in _name_runs(sdoc, begin, t, words["honorifics"])
        if not any(r[0] < e and s < r[1] for s, e in taken)
    ]
    if not runs:
        return []
    first = 0
    while first + 1 < len(runs):
        gap = sdoc[runs[first][1] : runs[first + 1][0]]
        if not len(gap) or not all(tok.lower_ in words["role_words"] for tok in gap):
            break
        first += 1
    chosen = [runs[first]]
    chosen += [r for r in runs[first + 1 :] if sdoc[r[0] - 1].lower_ == "and"]
    return [(a, b) for a, b in chosen]


def _nearest(
    found: Sequence[_Mention], sent: Sequence[int], t: int, roles: set[str], side: int
) -> int | None:
    """Index of the mention with a role in `roles` nearest token `t` in its sentence.

    `side` is -1 (before t), +1 (after t) or 0 (either side).
    """
    ranked = _by_distance(found, sent, t, roles, side)
    return ranked[0] if ranked else None


def _by_distance(
    found: Sequence[_Mention], sent: Sequence[int], t: int, roles: set[str], side: int
) -> list[int]:
    """Indexes of the mentions with a role in `roles` in t's sentence, nearest first."""
    ranked: list[tuple[int, int]] = []
    for i, m in enumerate(found):
        if m.role not in roles or sent[m.start] != sent[t]:
            continue
        before = m.end <= t
        if (side < 0 and not before) or (side > 0 and m.start <= t):
            continue
        ranked.append((t - m.end if before else m.start - t, i))
    return [i for _, i in sorted(ranked)]


def _victims(
    gaz: Gazetteer, sdoc: Doc, sent: Sequence[int], found: Sequence[_Mention], t: int, side: int
) -> list[int]:
    """Victim groups on one side of a kill trigger, up to an injury word or another trigger.

    "killed around 200 people, including 13 U.S. service members" gives both; "one worshiper
    was killed and two others were injured" gives only the first.
    """
    stop = gaz.words["injury_words"] | {"killed", "died", "dead"}
    chosen: list[int] = []
    for i in _by_distance(found, sent, t, {"victim"}, side):
        m = found[i]
        follow = [tok.lower_ for tok in sdoc[m.end : m.end + 3]]
        passive = bool(follow) and follow[0] in gaz.words["passive_markers"]
        if passive and any(w in gaz.words["injury_words"] for w in follow[1:]):
            continue  # "30 others were injured": hurt, not killed
        lo, hi = (t + 1, m.start) if side > 0 else (m.end, t)
        if chosen and any(tok.lower_ in stop for tok in sdoc[lo:hi]):
            break
        chosen.append(i)
        if side < 0 and any(tok.lower_ in gaz.words["injury_words"] for tok in sdoc[m.end : t]):
            break
    return chosen


_LOOK_BACK = 3  # sentences searched for the attack of a killing told without one


def _link_killed(
    gaz: Gazetteer, sdoc: Doc, sent: Sequence[int], found: Sequence[_Mention], t: int
) -> list[tuple[int, int]]:
    words = gaz.words
    passive = any(sdoc[i].lower_ in words["passive_markers"] for i in range(max(0, t - 2), t))
    side = -1 if passive or sdoc[t].lower_ in words["victim_first_triggers"] else 1
    victims = _victims(gaz, sdoc, sent, found, t, side) or _victims(
        gaz, sdoc, sent, found, t, -side
    )
    if not victims:
        return []
    heads = {"attacker", "attack"}
    head = _nearest(found, sent, t, heads, -side)
    head = head if head is not None else _nearest(found, sent, t, heads, 0)
    if head is None:
        # The guidelines link from the nearest preceding ATTACK (else ATTACKER) mention.
        earlier = [
            i
            for i, m in enumerate(found)
            if m.end <= t and 0 < sent[t] - sent[m.start] <= _LOOK_BACK
        ]
        attacks = [i for i in earlier if found[i].role == "attack"]
        attackers = [i for i in earlier if found[i].role == "attacker"]
        head = (attacks or attackers or [None])[-1]
    return [] if head is None else [(head, v) for v in victims]


_CONDEMN_REACH = 4  # tokens after a condemn verb where its object is looked for


def _link_condemns(
    gaz: Gazetteer, sdoc: Doc, sent: Sequence[int], found: Sequence[_Mention], t: int
) -> list[tuple[int, int]]:
    actors = _by_distance(found, sent, t, {"actor"}, -1)
    actors = actors or _by_distance(found, sent, t, {"actor"}, 0)[:1]
    # The object right after the verb ("condemned the attack"); after "condemns it", the
    # attack named before the verb, in the same sentence.
    after = [
        i
        for i in _by_distance(found, sent, t, {"attack", "attacker"}, 1)
        if found[i].start - t <= _CONDEMN_REACH
    ]
    target = after[0] if after else _nearest(found, sent, t, {"attack"}, -1)
    target = target if target is not None else _nearest(found, sent, t, {"attack"}, 0)
    return [] if target is None else [(actor, target) for actor in actors]


_LINKERS = {"killed": _link_killed, "condemns": _link_condemns}


def build_rule_extractor(schema: Schema, *, gazetteer: Gazetteer | None = None) -> RuleExtractor:
    """The rule extractor for `schema`; raise `ProblemsError` if a rule label is not in it."""
    gazetteer = gazetteer if gazetteer is not None else load_gazetteer()
    problems = check_labels(gazetteer, schema)
    if problems:
        raise ProblemsError(
            problems,
            summary=f"the rule extractor does not fit schema '{schema.name}': copy "
            f"{gazetteer.path or 'the gazetteer'}, map its labels to the schema's (null "
            "switches a role off) and pass the copy as --model COPY.yaml, or edit the schema",
        )
    nlp = spacy.blank("en")
    phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
    for role, items in gazetteer.phrases.items():
        phrases.add(role, list(nlp.tokenizer.pipe(items)))
    for role, items in gazetteer.triggers.items():
        phrases.add(f"trigger:{role}", list(nlp.tokenizer.pipe(items)))
    patterns = Matcher(nlp.vocab)
    words = gazetteer.words
    nouns = sorted(words["victim_nouns"])
    count = [{"LIKE_NUM": True}, {"LOWER": {"IN": sorted(words["quantities"])}}]
    modifier = {"IS_PUNCT": False, "LIKE_NUM": False, "LOWER": {"NOT_IN": [*nouns, "and", "of"]}}
    noun = {"LOWER": {"IN": nouns}}
    victims = []
    for number in count:
        victims.append([number, {**modifier, "OP": "{0,2}"}, noun])
        victims.append([number, {"LOWER": "of"}, {**modifier, "OP": "{0,1}"}, noun])
        # "five members of the Taliban": a counted noun owned by a named group.
        victims.append(
            [
                number,
                noun,
                {"LOWER": "of"},
                {"LOWER": "the", "OP": "?"},
                {"IS_TITLE": True, "OP": "+"},
            ]
        )
    patterns.add("victim", victims, greedy="LONGEST")
    patterns.add(
        "trigger:condemns",
        [
            [
                {"LOWER": {"IN": sorted(words["evaluation_verbs"])}},
                {"OP": "{0,10}"},
                {"LOWER": {"IN": sorted(words["evaluation_words"])}},
            ]
        ],
        greedy="FIRST",
    )
    return RuleExtractor(
        schema=schema, gazetteer=gazetteer, nlp=nlp, phrases=phrases, patterns=patterns
    )
