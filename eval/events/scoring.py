"""Event-level scoring: predicted events matched one to one to gold events, then slot by slot.

Within each document, predicted and gold events are paired by an optimal assignment
(`scipy.optimize.linear_sum_assignment`) that maximises the summed similarity of the pairs,
as CEAF pairs coreference chains. The similarity of two events is the number of values they
share (`similarity`); pairs that share nothing are not made. Each slot is then counted over
the pairs with its rule (one class per rule below): values of a paired event are compared,
values of an unpaired gold event are all missed, those of an unpaired predicted event all
spurious. Counts are summed over documents (micro) and the bootstrap resamples documents, as
for the span metrics (`eval.bootstrap`). docs/events.md has the rules with worked examples.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from eventgold.documents import Document, Entity
from eventgold.eval.bootstrap import Bootstrap, intervals
from eventgold.eval.counts import PRF
from eventgold.eval.events.assembly import Event, assemble
from eventgold.eval.table import MACRO, OVERALL, CountTable, GroupKey, f1_metrics, f1_values
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema

FAMILY = "events"
SLOTS_RULE = "slots"  # the groups of the slot counts: ("events", "slots", slot | ALL)
EVENTS_RULE = "events"  # the group of the event counts: ("events", "events", ALL)
DEFAULT_TOLERANCE = 0.1
EVENTS_METRICS_VERSION = "eventgold-events/1"


def normalized(text: str) -> str:
    """A mention's value: case-folded, whitespace runs collapsed to one space."""
    return " ".join(text.casefold().split())


class SlotRule(Protocol):
    def counts(self, gold: Event | None, pred: Event | None) -> PRF:
        """Counts of one slot for a pair (None: the event has no partner)."""
        ...


def _texts(mentions: Iterable[Entity]) -> set[str]:
    return {normalized(m.text) for m in mentions}


@dataclass(frozen=True, slots=True)
class SameText:
    """A slot holding mentions (attacker, victims, location, condemned_by): its values are
    the distinct texts of its mentions, case-folded with whitespace runs collapsed. A predicted
    value is correct when the paired gold event has the same value in the same slot; a value
    counts once per event however often it is mentioned."""

    slot: str

    def values(self, event: Event | None) -> set[str]:
        return _texts(getattr(event, self.slot)) if event is not None else set()

    def counts(self, gold: Event | None, pred: Event | None) -> PRF:
        return PRF.from_sets(self.values(gold), self.values(pred))


@dataclass(frozen=True, slots=True)
class KilledWithin:
    """The killed count: one value per event, its best figure. A predicted figure is correct
    when it differs from the paired gold figure by at most `tolerance` times the gold figure
    (0.1: 35 accepts 32 to 38; 0 accepts 0 only). A wrong figure is one false positive and one
    false negative; an event with no figure adds nothing on its side."""

    tolerance: float = DEFAULT_TOLERANCE

    def correct(self, gold: int, pred: int) -> bool:
        return abs(pred - gold) <= self.tolerance * gold

    def counts(self, gold: Event | None, pred: Event | None) -> PRF:
        g = gold.killed.best if gold is not None and gold.killed is not None else None
        p = pred.killed.best if pred is not None and pred.killed is not None else None
        if g is not None and p is not None:
            return PRF(tp=1) if self.correct(g, p) else PRF(fp=1, fn=1)
        return PRF(fp=int(p is not None), fn=int(g is not None))


SLOTS = ("attacker", "victims", "location", "killed", "condemned_by")


def slot_rules(tolerance: float = DEFAULT_TOLERANCE) -> dict[str, SlotRule]:
    """The rule of each scored slot, in column order."""
    rules: dict[str, SlotRule] = {s: SameText(s) for s in SLOTS if s != "killed"}
    rules["killed"] = KilledWithin(tolerance)
    return {s: rules[s] for s in SLOTS}


def _overlap(a: Entity, b: Entity) -> bool:
    return a.start < b.end and b.start < a.end


def similarity(gold: Event, pred: Event, rules: Mapping[str, SlotRule]) -> int:
    """What two events share: the slot values correct for the pair (true positives of every
    slot rule), plus the gold anchor mentions that a predicted anchor mention overlaps."""
    shared = sum(rule.counts(gold, pred).tp for rule in rules.values())
    return shared + sum(any(_overlap(g, p) for p in pred.anchors) for g in gold.anchors)


def match_events(
    gold: Sequence[Event], pred: Sequence[Event], rules: Mapping[str, SlotRule]
) -> list[tuple[int, int]]:
    """Index pairs (gold, predicted) of the one-to-one assignment of greatest total
    similarity; pairs of similarity 0 are left out."""
    if not gold or not pred:
        return []
    from scipy.optimize import linear_sum_assignment  # scipy comes with scikit-learn

    sim = np.array([[similarity(g, p, rules) for p in pred] for g in gold], dtype=np.int64)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if sim[r, c] > 0]


@dataclass(frozen=True, slots=True)
class DocumentCounts:
    """One document's event and slot counts and its pairs (gold number, predicted number)."""

    doc_id: str
    events: PRF
    slots: dict[str, PRF]
    pairs: tuple[tuple[int, int], ...]


def score_document(
    doc_id: str, gold: Sequence[Event], pred: Sequence[Event], rules: Mapping[str, SlotRule]
) -> DocumentCounts:
    pairs = match_events(gold, pred, rules)
    slots = dict.fromkeys(rules, PRF())
    paired_g = {g for g, _ in pairs}
    paired_p = {p for _, p in pairs}
    partners: list[tuple[Event | None, Event | None]] = [(gold[g], pred[p]) for g, p in pairs]
    partners += [(e, None) for i, e in enumerate(gold) if i not in paired_g]
    partners += [(None, e) for i, e in enumerate(pred) if i not in paired_p]
    for g_event, p_event in partners:
        for name, rule in rules.items():
            slots[name] = slots[name] + rule.counts(g_event, p_event)
    events = PRF(tp=len(pairs), fp=len(pred) - len(pairs), fn=len(gold) - len(pairs))
    numbered = tuple((gold[g].number, pred[p].number) for g, p in pairs)
    return DocumentCounts(doc_id, events, slots, numbered)


def _groups(slots: Iterable[str]) -> tuple[GroupKey, ...]:
    return (
        (FAMILY, EVENTS_RULE, OVERALL),
        *((FAMILY, SLOTS_RULE, s) for s in slots),
        (FAMILY, SLOTS_RULE, OVERALL),
    )


def count_table(docs: Sequence[DocumentCounts], slots: Sequence[str]) -> CountTable:
    """The per-document count table (`eval.table.CountTable`) the bootstrap resamples."""
    rows = []
    for d in docs:
        overall = sum(d.slots.values(), PRF())
        row = [*d.events.as_tuple()]
        for s in slots:
            row += d.slots[s].as_tuple()
        rows.append([*row, *overall.as_tuple()])
    counts = np.array(rows, dtype=np.int64).reshape(len(docs), 3 * (len(slots) + 2))
    return CountTable(tuple(d.doc_id for d in docs), _groups(slots), counts)


@dataclass(frozen=True, slots=True)
class EventScores:
    """Event and slot figures with their bootstrap intervals, and the per-document counts."""

    documents: tuple[DocumentCounts, ...]
    table: CountTable
    intervals: dict[GroupKey, tuple[float, float] | None]
    bootstrap: Bootstrap
    tolerance: float
    missing: tuple[str, ...]  # gold documents with no prediction (scored as empty)
    ignored: int = 0  # predictions of documents the gold does not hold (not `strict`)

    def prf(self, rule: str, scope: str) -> PRF:
        j = self.table.offsets[FAMILY, rule, scope]
        tp, fp, fn = (int(x) for x in self.table.counts[:, j : j + 3].sum(axis=0))
        return PRF(tp=tp, fp=fp, fn=fn)

    def figure(self, rule: str, scope: str) -> dict[str, Any]:
        c = self.prf(rule, scope)
        ci = self.intervals.get((FAMILY, rule, scope))
        return {
            "precision": c.precision,
            "recall": c.recall,
            "f1": c.f1,
            "ci": list(ci) if ci else None,
            "tp": c.tp,
            "fp": c.fp,
            "fn": c.fn,
        }

    def figures(self) -> dict[str, dict[str, Any]]:
        """``{"events": figure, "slots": {slot: figure, ..., "ALL": figure}, "macro": ...}``."""
        slots = [g[2] for g in self.table.groups if g[1] == SLOTS_RULE and g[2] != OVERALL]
        sums = self.table.counts.sum(axis=0).astype(np.float64)
        names = f1_metrics(self.table)
        macro = float(
            np.nan_to_num(f1_values(self.table, sums))[names.index((FAMILY, SLOTS_RULE, MACRO))]
        )
        ci = self.intervals.get((FAMILY, SLOTS_RULE, MACRO))
        return {
            "events": self.figure(EVENTS_RULE, OVERALL),
            "slots": {s: self.figure(SLOTS_RULE, s) for s in [*slots, OVERALL]},
            "macro": {"f1": macro, "ci": list(ci) if ci else None},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics_version": EVENTS_METRICS_VERSION,
            "killed_tolerance": self.tolerance,
            "bootstrap": self.bootstrap.to_json(),
            "figures": self.figures(),
            "missing": list(self.missing),
            "ignored_predictions": self.ignored,
            "pairs": {d.doc_id: [list(p) for p in d.pairs] for d in self.documents},
            "table": self.table.to_json(),
        }


def score_event_lists(
    pairs: Iterable[tuple[str, Sequence[Event], Sequence[Event]]],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    bootstrap: Bootstrap | None = None,
    missing: Sequence[str] = (),
) -> EventScores:
    """Score `(doc_id, gold events, predicted events)` triples (events already assembled)."""
    settings = bootstrap if bootstrap is not None else Bootstrap()
    rules = slot_rules(tolerance)
    docs = tuple(score_document(doc_id, g, p, rules) for doc_id, g, p in pairs)
    table = count_table(docs, list(rules))
    return EventScores(
        documents=docs,
        table=table,
        intervals=intervals(table, settings),
        bootstrap=settings,
        tolerance=tolerance,
        missing=tuple(missing),
    )


def require_events(schema: Schema) -> None:
    """Raise `ProblemsError` when the schema declares no ``events:`` section."""
    if schema.events is None:
        raise ProblemsError(
            [Problem(f"{schema.path or 'schema'}: events", "no event rules are declared")],
            summary=f"schema {schema.name} {schema.version} declares no events: section, so "
            "there are no events to assemble (see docs/events.md)",
        )


def score_events(
    gold_docs: Iterable[Document],
    pred_docs: Iterable[Document],
    schema: Schema,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    bootstrap: Bootstrap | None = None,
) -> EventScores:
    """Assemble the events of every gold document and of its prediction (matched by id; a
    gold document without one is scored as predicting nothing) and score them.

    Raises `ProblemsError` if the schema has no ``events:`` section, or a prediction names a
    document that is not in the gold.
    """
    require_events(schema)
    assert schema.events is not None
    spec = schema.events
    gold = list(gold_docs)
    known = {d.id for d in gold}
    preds: dict[str, Document] = {}
    problems = []
    for d in pred_docs:
        if d.id not in known:
            problems.append(Problem(f"prediction '{d.id}'", "no gold document has this id"))
        preds[d.id] = d
    if problems:
        raise ProblemsError(
            problems, summary=f"{len(problems)} prediction(s) match no gold document"
        )
    missing = [d.id for d in gold if d.id not in preds]
    triples = (
        (
            d.id,
            assemble(d, spec).events,
            assemble(preds.get(d.id) or d.without_annotations(), spec).events,
        )
        for d in gold
    )
    return score_event_lists(triples, tolerance=tolerance, bootstrap=bootstrap, missing=missing)


def score_event_files(
    gold: Path,
    predictions: Path,
    schema: Schema,
    *,
    strict: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    bootstrap: Bootstrap | None = None,
) -> EventScores:
    """`score_events` over a gold folder or file and a prediction file, with eval's checks
    and refusals (`eval.inputs`, `eval.refusals`): predictions of documents the gold does not
    hold are ignored, or with `strict` refused; no gold, or no matching prediction, is refused.
    """
    from eventgold.eval.inputs import index_gold, load_predictions
    from eventgold.eval.refusals import refuse_unscorable

    gold_file = index_gold(gold, schema)
    preds = load_predictions(predictions, gold_file, schema, strict=strict)
    refuse_unscorable(
        gold=str(gold),
        predictions=str(predictions),
        documents=len(gold_file),
        missing=len(preds.missing),
    )
    scores = score_events(
        list(gold_file),
        list(preds.documents.values()),
        schema,
        tolerance=tolerance,
        bootstrap=bootstrap,
    )
    return dataclasses.replace(scores, ignored=preds.ignored)
