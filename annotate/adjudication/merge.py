"""Adjudication: merge several annotations of each document into one gold annotation.

Input is the same ``Iterable[tuple[str, list[Document]]]`` as `annotate.agree` (task key,
annotations with ``meta["annotator"]``). A strategy (`STRATEGIES`, one class each, the rule in
its docstring) decides which spans and relations to keep; then every strategy's choice goes
through the same finishing step, so merged documents always pass `validate_document` with
GOLD_RULES:

1. overlapping spans are resolved greedily: more votes first, then the longer span, then the
   earlier start, then the label's order in the schema; each span dropped this way is recorded;
2. a span the gold rules refuse on its own (e.g. untrimmed) is dropped and recorded;
3. a relation whose endpoint span was dropped is dropped and recorded.

Alongside the merged documents comes a review: per document, what was decided, and each
remaining disagreement between annotators (a span only some have, a label or a boundary that
differs, a relation only some have) with the text shown, for a reviewer to check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from eventgold.annotate.agree import (
    RelationKey,
    SpanKey,
    Task,
    prepare_tasks,
    relation_keys,
)
from eventgold.atomic import write_text_atomic
from eventgold.documents import Document, Entity, Relation, without_annotation_meta
from eventgold.problems import Problem, ProblemsError, allowed
from eventgold.schema import Schema
from eventgold.timestamps import updated_at
from eventgold.validate import validate_document

# Review entry kinds.
DECIDED = "decided"
ONLY_IN = "only-in"
LABEL_DIFFERS = "label-differs"
BOUNDARY_DIFFERS = "boundary-differs"
LABEL_AND_BOUNDARY_DIFFER = "label-and-boundary-differ"
RELATION_DIFFERS = "relation-differs"
TIE = "tie"
OVERLAP_RESOLVED = "overlap-resolved"
INVALID_SPAN = "invalid-span"
RELATION_DROPPED = "relation-dropped"
LEFT_OUT = "left-out"  # an annotation not usable as input
SKIPPED = "skipped"  # a document with no merged result


@dataclass(frozen=True, slots=True)
class ReviewEntry:
    """One line of the review: what was decided or where annotators disagree, text shown."""

    document: str
    kind: str
    message: str
    text: str = ""
    annotators: tuple[str, ...] = ()
    decision: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "kind": self.kind,
            "message": self.message,
            "text": self.text,
            "annotators": list(self.annotators),
            "decision": self.decision,
        }


@dataclass(frozen=True, slots=True)
class Choice:
    """A strategy's decision for one task, before the shared finishing step."""

    base: Document  # source of text, title, source and meta
    spans: Mapping[SpanKey, int]  # span -> votes (priority when overlaps are resolved)
    relations: frozenset[RelationKey]
    summary: str
    notes: tuple[ReviewEntry, ...] = ()


def span_text(text: str, key: SpanKey) -> str:
    return f"{key[0]} [{key[1]}, {key[2]}) {text[key[1] : key[2]]!r}"


def relation_text(text: str, key: RelationKey) -> str:
    label, head, tail = key
    return f"{span_text(text, head)} -{label}-> {span_text(text, tail)}"


# ----------------------------------------------------------------------------- strategies


def _copy(task: Task, name: str, summary: str) -> Choice:
    doc = task.annotations[name]
    return Choice(
        base=doc,
        spans={e.key: 1 for e in doc.entities},
        relations=frozenset(relation_keys(doc)),
        summary=summary,
    )


@dataclass(frozen=True, slots=True)
class GroundTruthStrategy:
    """The annotation marked ``meta["ground_truth"]`` wins, copied as is.

    If several are marked, the most recently updated of them wins; if none is marked, the most
    recently updated annotation wins (``meta["updated_at"]``, ISO 8601; a missing or
    unparseable time counts as oldest). Remaining ties go to the annotator name first in
    alphabetical order.
    """

    name: ClassVar[str] = "ground-truth"

    @classmethod
    def configure(
        cls, *, tasks: Sequence[Task], annotator: str | None, senior: str | None, tie: str
    ) -> GroundTruthStrategy:
        return cls()

    def decide(self, task: Task) -> Choice | None:
        # max() keeps the first of equal keys, and annotators are sorted by name.
        winner = max(
            task.annotators,
            key=lambda n: (
                task.annotations[n].meta.get("ground_truth") is True,
                updated_at(task.annotations[n]),
            ),
        )
        doc = task.annotations[winner]
        why = (
            "marked ground truth"
            if doc.meta.get("ground_truth") is True
            else f"no ground truth marked; most recent (updated_at "
            f"{doc.meta.get('updated_at') or 'missing'})"
        )
        return _copy(task, winner, f"annotator '{winner}': {why}")


@dataclass(frozen=True, slots=True)
class AnnotatorStrategy:
    """The named annotator's annotation, copied as is.

    A document that annotator did not annotate gets no merged result and is listed in the
    review as skipped.
    """

    name: ClassVar[str] = "annotator"
    annotator: str

    @classmethod
    def configure(
        cls, *, tasks: Sequence[Task], annotator: str | None, senior: str | None, tie: str
    ) -> AnnotatorStrategy:
        available = {n for t in tasks for n in t.annotators}
        if annotator is None:
            raise ProblemsError(
                [
                    Problem(
                        "annotator",
                        f"required by strategy 'annotator'; available: {allowed(available)}",
                    )
                ],
                summary="strategy 'annotator' needs an annotator name",
            )
        if annotator not in available:
            raise ProblemsError(
                [
                    Problem(
                        "annotator",
                        f"unknown annotator '{annotator}'; available: {allowed(available)}",
                    )
                ],
                summary=f"unknown annotator '{annotator}'",
            )
        return cls(annotator=annotator)

    def decide(self, task: Task) -> Choice | None:
        if self.annotator not in task.annotations:
            return None
        return _copy(task, self.annotator, f"annotator '{self.annotator}' chosen")


def _tie_drop(voters: frozenset[str], senior: str | None) -> bool:
    return False


def _tie_keep(voters: frozenset[str], senior: str | None) -> bool:
    return True


def _tie_senior(voters: frozenset[str], senior: str | None) -> bool:
    return senior in voters


# Tie rules of majority voting: keep a half-voted item or not.
TIE_RULES: dict[str, Callable[[frozenset[str], str | None], bool]] = {
    "drop": _tie_drop,
    "keep": _tie_keep,
    "senior": _tie_senior,
}


@dataclass(frozen=True, slots=True)
class MajorityStrategy:
    """Majority vote over the task's annotators, per span and per relation.

    A span is the triple (label, start, end); a relation is (label, head span, tail span), so
    entity ids do not matter. An item voted by more than half the annotators is kept, by fewer
    than half dropped. A tie (exactly half: only with an even number of annotators) follows
    the tie rule: ``drop`` drops it, ``keep`` keeps it, ``senior`` keeps it if and only if the
    senior annotator voted for it. Each tie is recorded in the review.
    """

    name: ClassVar[str] = "majority"
    tie: str = "drop"
    senior: str | None = None

    @classmethod
    def configure(
        cls, *, tasks: Sequence[Task], annotator: str | None, senior: str | None, tie: str
    ) -> MajorityStrategy:
        available = {n for t in tasks for n in t.annotators}
        problems = []
        if tie not in TIE_RULES:
            problems.append(
                Problem("tie", f"unknown tie rule '{tie}'; allowed: {allowed(TIE_RULES)}")
            )
        if tie == "senior" and senior is None:
            problems.append(Problem("senior", "tie rule 'senior' needs a senior annotator name"))
        if senior is not None and senior not in available:
            problems.append(
                Problem("senior", f"unknown annotator '{senior}'; available: {allowed(available)}")
            )
        if problems:
            raise ProblemsError(problems, summary="strategy 'majority' is not set up right")
        return cls(tie=tie, senior=senior)

    def _vote(
        self, task: Task, votes: Mapping[Any, set[str]], show: Callable[[Any], str]
    ) -> tuple[list[Any], list[ReviewEntry]]:
        n = len(task.annotations)
        kept: list[Any] = []
        notes: list[ReviewEntry] = []
        for key, voters in sorted(votes.items()):
            if 2 * len(voters) > n:
                kept.append(key)
            elif 2 * len(voters) == n:
                keep = TIE_RULES[self.tie](frozenset(voters), self.senior)
                if keep:
                    kept.append(key)
                notes.append(
                    ReviewEntry(
                        document=task.key,
                        kind=TIE,
                        message=f"{len(voters)} of {n} votes; tie rule '{self.tie}'"
                        + (f" (senior '{self.senior}')" if self.senior else ""),
                        text=show(key),
                        annotators=tuple(sorted(voters)),
                        decision="kept" if keep else "dropped",
                    )
                )
        return kept, notes

    def decide(self, task: Task) -> Choice | None:
        span_votes: dict[SpanKey, set[str]] = {}
        rel_votes: dict[RelationKey, set[str]] = {}
        for name, doc in task.annotations.items():
            for e in doc.entities:
                span_votes.setdefault(e.key, set()).add(name)
            for r in relation_keys(doc):
                rel_votes.setdefault(r, set()).add(name)
        text = task.text
        spans, span_notes = self._vote(task, span_votes, lambda k: span_text(text, k))
        rels, rel_notes = self._vote(task, rel_votes, lambda k: relation_text(text, k))
        n = len(task.annotations)
        return Choice(
            base=task.annotations[task.annotators[0]],
            spans={k: len(span_votes[k]) for k in spans},
            relations=frozenset(rels),
            summary=f"majority of {n} annotator(s) ({', '.join(task.annotators)}): "
            f"{len(spans)} of {len(span_votes)} span(s) and {len(rels)} of {len(rel_votes)} "
            f"relation(s) kept",
            notes=tuple(span_notes + rel_notes),
        )


Strategy = GroundTruthStrategy | AnnotatorStrategy | MajorityStrategy

STRATEGIES: dict[str, type[Strategy]] = {
    GroundTruthStrategy.name: GroundTruthStrategy,
    MajorityStrategy.name: MajorityStrategy,
    AnnotatorStrategy.name: AnnotatorStrategy,
}


# ----------------------------------------------------------------------------- finishing


def _finish(
    task: Task, choice: Choice, schema: Schema, strategy: str
) -> tuple[Document, list[ReviewEntry]]:
    """Resolve overlaps, drop invalid spans and orphaned relations; return a gold-valid doc."""
    text = choice.base.text
    notes: list[ReviewEntry] = []
    order = {label: i for i, label in enumerate(schema.entity_labels)}
    ranked = sorted(
        choice.spans.items(),
        key=lambda kv: (-kv[1], -(kv[0][2] - kv[0][1]), kv[0][1], order.get(kv[0][0], 0), kv[0]),
    )
    kept: list[SpanKey] = []
    for key, votes in ranked:
        clash = next((k for k in kept if key[1] < k[2] and k[1] < key[2]), None)
        if clash is not None:
            notes.append(
                ReviewEntry(
                    document=task.key,
                    kind=OVERLAP_RESOLVED,
                    message=f"overlaps the kept {span_text(text, clash)} "
                    f"({choice.spans[clash]} vote(s) against {votes})",
                    text=span_text(text, key),
                    decision="dropped",
                )
            )
            continue
        single = Document(id=task.key, text=text, entities=(_entity("x", key, text),))
        found = validate_document(single, schema)
        if found:
            notes.append(
                ReviewEntry(
                    document=task.key,
                    kind=INVALID_SPAN,
                    message="; ".join(p.message for p in found),
                    text=span_text(text, key),
                    decision="dropped",
                )
            )
            continue
        kept.append(key)
    kept.sort(key=lambda k: (k[1], k[2], k[0]))
    ids = {key: f"e{i}" for i, key in enumerate(kept, start=1)}
    relations = []
    for rel in sorted(choice.relations):
        label, head, tail = rel
        if head in ids and tail in ids:
            relations.append(Relation(head=ids[head], tail=ids[tail], label=label))
        else:
            notes.append(
                ReviewEntry(
                    document=task.key,
                    kind=RELATION_DROPPED,
                    message="an endpoint span is not in the merged document",
                    text=relation_text(text, rel),
                    decision="dropped",
                )
            )
    meta = without_annotation_meta(choice.base.meta)
    meta["adjudication"] = {
        "strategy": strategy,
        "annotators": list(task.annotators),
        "decision": choice.summary,
    }
    merged = replace(
        choice.base,
        meta=meta,
        entities=tuple(_entity(ids[k], k, text) for k in kept),
        relations=tuple(relations),
    )
    problems = validate_document(merged, schema)
    if problems:  # a bug here, not bad input: every rule above is meant to prevent it
        raise ProblemsError(problems, summary=f"merged document '{task.key}' is not valid gold")
    return merged, notes


def _entity(eid: str, key: SpanKey, text: str) -> Entity:
    return Entity(id=eid, start=key[1], end=key[2], label=key[0], text=text[key[1] : key[2]])


# ----------------------------------------------------------------------------- disagreements


def _version(text: str, keys: Iterable[SpanKey]) -> str:
    return ", ".join(span_text(text, k) for k in sorted(keys, key=lambda k: (k[1], k[2], k[0])))


def disagreements(task: Task, merged: Document | None) -> list[ReviewEntry]:
    """Where annotators differ: overlapping spans grouped, and relations not all share.

    Spans of all annotators that overlap (transitively) form one group; a group where every
    annotator has the same spans is agreement. Otherwise it is a *label* difference (same
    boundaries), a *boundary* difference (same label), both, or a span *only in* some.
    """
    text = task.text
    final = {e.key for e in merged.entities} if merged else set()
    items = sorted(
        (key[1], key[2], key[0], name)
        for name, doc in task.annotations.items()
        for key in {e.key for e in doc.entities}
    )
    groups: list[dict[str, set[SpanKey]]] = []
    end = -1
    for s, e, label, name in items:
        if not groups or s >= end:
            groups.append({})
            end = e
        end = max(end, e)
        groups[-1].setdefault(name, set()).add((label, s, e))
    entries = []
    for group in groups:
        versions = [group.get(n, set()) for n in task.annotators]
        if all(v == versions[0] for v in versions):
            continue
        keys = set().union(*versions)
        labels = {k[0] for k in keys}
        bounds = {(k[1], k[2]) for k in keys}
        kind = (
            LABEL_AND_BOUNDARY_DIFFER
            if len(labels) > 1 and len(bounds) > 1
            else LABEL_DIFFERS
            if len(labels) > 1
            else BOUNDARY_DIFFERS
            if len(bounds) > 1
            else ONLY_IN
        )
        lo, hi = min(k[1] for k in keys), max(k[2] for k in keys)
        kept = {k for k in final if k[1] < hi and lo < k[2]}
        message = "; ".join(
            f"{n}: {_version(text, group[n]) if n in group else 'none'}" for n in task.annotators
        )
        entries.append(
            ReviewEntry(
                document=task.key,
                kind=kind,
                message=message,
                text=text[lo:hi],
                annotators=tuple(n for n in task.annotators if n in group),
                decision=f"kept {_version(text, kept)}" if kept else "nothing kept",
            )
        )
    all_rels = {n: relation_keys(d) for n, d in task.annotations.items()}
    final_rels = relation_keys(merged) if merged else set()
    for rel in sorted(set().union(*all_rels.values())):
        have = tuple(n for n in task.annotators if rel in all_rels[n])
        if len(have) == len(task.annotators):
            continue
        entries.append(
            ReviewEntry(
                document=task.key,
                kind=RELATION_DIFFERS,
                message=f"only {', '.join(have)} of {len(task.annotators)} annotator(s)",
                text=relation_text(text, rel),
                annotators=have,
                decision="kept" if rel in final_rels else "dropped",
            )
        )
    return entries


# ----------------------------------------------------------------------------- adjudicate


def adjudicate(
    groups: Iterable[tuple[str, Sequence[Document]]],
    schema: Schema,
    *,
    strategy: str,
    annotator: str | None = None,
    senior: str | None = None,
    tie: str = "drop",
) -> tuple[list[Document], list[ReviewEntry]]:
    """Merge each task's annotations by `strategy`; return gold-valid documents and the review.

    `annotator` is for the ``annotator`` strategy; `tie` and `senior` for ``majority`` (see
    `TIE_RULES`). Raises `ProblemsError` for an unknown strategy or a bad option, naming what
    is allowed. Unusable annotations are left out and listed in the review (kind ``left-out``).
    """
    if strategy not in STRATEGIES:
        raise ProblemsError(
            [Problem("strategy", f"unknown strategy '{strategy}'; allowed: {allowed(STRATEGIES)}")],
            summary=f"unknown strategy '{strategy}'",
        )
    tasks: list[Task] = []
    review: list[ReviewEntry] = []
    for key, docs in groups:
        found_tasks, problems = prepare_tasks([(key, docs)], schema)
        tasks += found_tasks
        review += [ReviewEntry(document=key, kind=LEFT_OUT, message=str(p)) for p in problems]
    chooser = STRATEGIES[strategy].configure(
        tasks=tasks, annotator=annotator, senior=senior, tie=tie
    )
    merged_docs: list[Document] = []
    for task in tasks:
        choice = chooser.decide(task) if task.annotations else None
        if choice is None:
            why = (
                "no usable annotation"
                if not task.annotations
                else f"strategy '{strategy}' has no annotation to take; annotators: "
                f"{', '.join(task.annotators)}"
            )
            review.append(ReviewEntry(document=task.key, kind=SKIPPED, message=why))
            continue
        merged, notes = _finish(task, choice, schema, strategy)
        merged_docs.append(merged)
        review.append(
            ReviewEntry(
                document=task.key,
                kind=DECIDED,
                message=choice.summary,
                annotators=task.annotators,
                decision=f"{len(merged.entities)} span(s), {len(merged.relations)} relation(s)",
            )
        )
        review += list(choice.notes) + notes + disagreements(task, merged)
    return merged_docs, review


# ----------------------------------------------------------------------------- review files


def _md(value: str) -> str:
    """One-line markdown-safe text: newlines folded, the few characters that start markup
    mid-line (code, emphasis, HTML) escaped; the rest is left readable as plain text."""
    flat = " ".join(value.split())
    return "".join(f"\\{c}" if c in "\\`*<" else c for c in flat)


def review_markdown(entries: Sequence[ReviewEntry], *, title: str = "Adjudication review") -> str:
    """The review as markdown: one section per document, decisions first, then differences."""
    by_doc: dict[str, list[ReviewEntry]] = {}
    for entry in entries:
        by_doc.setdefault(entry.document, []).append(entry)
    to_check = sum(e.kind not in (DECIDED,) for e in entries)
    lines = [f"# {title}", "", f"{len(by_doc)} document(s), {to_check} item(s) to check.", ""]
    for doc_id, doc_entries in by_doc.items():
        lines += [f"## {_md(doc_id)}", ""]
        for e in sorted(doc_entries, key=lambda x: x.kind != DECIDED):
            parts = [f"- **{e.kind}**"]
            if e.text:
                parts.append(f"«{_md(e.text)}»")
            parts.append(f"— {_md(e.message)}")
            if e.decision:
                parts.append(f"→ {_md(e.decision)}")
            lines.append(" ".join(parts))
        lines.append("")
    return "\n".join(lines)


def review_paths(path: Path) -> tuple[Path, Path]:
    """The two files of a review at `path`: ``X.md`` and ``X.jsonl``."""
    path = Path(path)
    return path.with_suffix(".md"), path.with_suffix(".jsonl")


def write_review(path: Path, entries: Sequence[ReviewEntry], *, title: str = "") -> list[Path]:
    """Write the review as markdown and as JSONL side by side (`review_paths`)."""
    md_path, jsonl_path = review_paths(path)
    write_text_atomic(md_path, review_markdown(entries, title=title or "Adjudication review"))
    write_text_atomic(
        jsonl_path,
        "".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in entries),
    )
    return [md_path, jsonl_path]
