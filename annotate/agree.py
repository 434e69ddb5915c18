"""Inter-annotator agreement over several annotations of the same documents.

Input is ``Iterable[tuple[str, list[Document]]]``: a task key (document id or Label Studio
task) and every annotation of it, each a `Document` naming its annotator in
``meta["annotator"]``. Files and Label Studio are thin adapters producing that shape
(`load_annotation_inputs` here, ``annotations_from_project`` in `annotate.pull`).

Figures (tasks with at least two usable annotations only):

- span F1, strict: same label and same boundaries;
- span F1, overlap: same label and overlapping, matched one-to-one (greedy: exact matches
  first, then largest overlap, then leftmost), so each span counts once;
- relation F1: same relation label and both endpoints the same (label, start, end) spans;
- Cohen's kappa on tokens: spaCy ``blank("en")`` tokens, whitespace tokens dropped; a token's
  label is the label of the entity covering it, else ``O``;
- Krippendorff's alpha: *token-level nominal* alpha over the same token labels (not the
  unitizing alpha of Krippendorff 1995), any number of annotators, missing where an annotator
  did not annotate a document; computed with the ``krippendorff`` package.

Span and relation F1 between two annotators is symmetric: ``2 * matched / (|A| + |B|)``.
Per-label kappa and alpha are binary (label vs. everything else). Every figure carries the
number of items it rests on (F1: distinct spans or relations of the pair, i.e.
``|A| + |B| - matched``; kappa: tokens; alpha: tokens coded by two or more annotators) and a
warning when that number is below `MIN_ITEMS`, or when the figure is undefined.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np

from eventgold.documents import Document, Entity, load_documents, read_document_file
from eventgold.eval.matching import match_spans
from eventgold.problems import TEXT_MISMATCH, Problem, ProblemsError, join
from eventgold.schema import Schema
from eventgold.timestamps import updated_at
from eventgold.tokens import tokenize
from eventgold.validate import PREDICTION_RULES, validate_document

# Below this many items a figure is shown with a warning: with fewer than ten spans or
# tokens one disagreement moves F1 or kappa by 0.1 or more, too noisy to report bare.
MIN_ITEMS = 10

ALL = "(all)"  # the label key of a figure over every label
OUTSIDE = "O"  # token label outside every entity

SPAN_STRICT = "span_f1_strict"
SPAN_OVERLAP = "span_f1_overlap"
RELATION = "relation_f1"
KAPPA = "token_kappa"
ALPHA = "token_alpha"
PAIR_MEASURES = (SPAN_STRICT, SPAN_OVERLAP, RELATION, KAPPA)
MEASURE_TITLES: dict[str, str] = {
    SPAN_STRICT: "Span F1 (strict)",
    SPAN_OVERLAP: "Span F1 (overlap)",
    RELATION: "Relation F1",
    KAPPA: "Token kappa",
    ALPHA: "Token alpha",
}

# Problem codes of annotations left out of the comparison.
DUPLICATE_ANNOTATOR = "duplicate-annotator"
INVALID_ANNOTATION = "invalid-annotation"

SpanKey = tuple[str, int, int]
RelationKey = tuple[str, SpanKey, SpanKey]


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class Task:
    """One document and its usable annotations, keyed by annotator name (sorted)."""

    key: str
    annotations: Mapping[str, Document]

    @property
    def annotators(self) -> tuple[str, ...]:
        return tuple(self.annotations)

    @property
    def text(self) -> str:
        return next(iter(self.annotations.values())).text if self.annotations else ""


def annotator_of(doc: Document, *, fallback: str) -> str:
    """``meta["annotator"]`` when set, else `fallback` (an input name or position)."""
    name = doc.meta.get("annotator")
    return str(name) if name not in (None, "") else fallback


def prepare_tasks(
    groups: Iterable[tuple[str, Sequence[Document]]], schema: Schema
) -> tuple[list[Task], list[Problem]]:
    """Check and key each task's annotations; leave out what cannot be compared, with reasons.

    Left out (each with a located `Problem`): an annotation with schema or offset problems
    (overlaps are allowed here: they are work in progress), one whose text differs from the
    task's first annotation (offsets would not be comparable), and all but the most recent
    (``meta["updated_at"]``, else the last given) of one annotator's annotations of a task.
    """
    tasks: list[Task] = []
    problems: list[Problem] = []
    for key, docs in groups:
        where = f"document '{key}'"  # the key is the document id, from files or a project
        latest: dict[str, Document] = {}
        text: str | None = None
        first_name = ""
        for i, doc in enumerate(docs):
            name = annotator_of(doc, fallback=str(doc.meta.get("annotation_id") or f"#{i + 1}"))
            awhere = join(where, f"annotator '{name}'")
            found = validate_document(doc, schema, rules=PREDICTION_RULES, where=awhere)
            if found:
                problems.append(
                    Problem(awhere, f"left out: {len(found)} problem(s)", INVALID_ANNOTATION)
                )
                problems += found
                continue
            if text is None:
                text, first_name = doc.text, name
            elif doc.text != text:
                problems.append(
                    Problem(
                        awhere,
                        f"left out: its text ({len(doc.text)} characters) differs from the "
                        f"text of annotator '{first_name}' ({len(text)} characters), so "
                        "offsets are not comparable",
                        TEXT_MISMATCH,
                    )
                )
                continue
            if name in latest:
                newer = sorted((latest[name], doc), key=updated_at)[-1]  # stable: later wins ties
                when = newer.meta.get("updated_at")
                kept = f"the one updated at {when}" if when else "the one given last"
                problems.append(
                    Problem(
                        awhere,
                        f"annotated this document more than once; kept {kept}",
                        DUPLICATE_ANNOTATOR,
                    )
                )
                doc = newer
            latest[name] = doc
        tasks.append(Task(key=key, annotations=dict(sorted(latest.items()))))
    return tasks, problems


def _input_name(path: Path, taken: set[str]) -> str:
    name = path.stem if path.is_file() else path.name
    return str(path) if name in taken else name


def load_annotation_inputs(
    paths: Sequence[Path],
) -> tuple[list[tuple[str, list[Document]]], list[Problem]]:
    """Group the documents of several inputs by document id.

    Each path is a JSONL file, a single ``.json`` document file, or a folder of ``.json``
    document files. An annotation without ``meta["annotator"]`` is attributed to its input's
    name (the file stem or folder name; the whole path if two inputs share a name). Unreadable
    files and lines are reported and skipped.
    """
    groups: dict[str, list[Document]] = {}
    problems: list[Problem] = []
    taken: set[str] = set()
    for path in map(Path, paths):
        if not path.exists():
            problems.append(Problem(str(path), "no such file or folder"))
            continue
        name = _input_name(path, taken)
        taken.add(name)
        docs: list[Document] = []
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        if path.is_dir() and not files:
            problems.append(Problem(str(path), "folder has no .json document files"))
        for file in files:
            if file.suffix == ".json":
                try:
                    docs.append(read_document_file(file))
                except ProblemsError as exc:
                    problems += exc.problems
            else:
                found_docs, found = load_documents(file)
                docs += found_docs
                problems += found
        for doc in docs:
            meta = {**doc.meta, "annotator": annotator_of(doc, fallback=name)}
            groups.setdefault(doc.id, []).append(replace(doc, meta=meta))
    return sorted(groups.items()), problems


# ----------------------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class Figure:
    """One agreement figure, the number of items it rests on, and a warning if shaky."""

    value: float | None
    items: int
    warning: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "items": self.items, "warning": self.warning}

    def render(self, *, digits: int = 3) -> str:
        value = "–" if self.value is None else f"{self.value:.{digits}f}"
        return f"{value} (n={self.items}){' †' if self.warning else ''}"


def make_figure(value: float | None, items: int, *, min_items: int, undefined: str) -> Figure:
    """Attach the warning: `undefined` if there is no value, else too few items."""
    if value is None:
        return Figure(None, items, f"undefined: {undefined}")
    if items < min_items:
        return Figure(value, items, f"rests on {items} item(s), fewer than {min_items}")
    return Figure(value, items)


@dataclass(slots=True)
class _F1Counts:
    matched: int = 0
    a: int = 0
    b: int = 0

    def add(self, other: _F1Counts) -> None:
        self.matched += other.matched
        self.a += other.a
        self.b += other.b

    def figure(self, *, min_items: int) -> Figure:
        total = self.a + self.b
        value = 2 * self.matched / total if total else None
        return make_figure(
            value, total - self.matched, min_items=min_items, undefined="neither annotated any"
        )


def _strict_counts(a: set[Any], b: set[Any]) -> _F1Counts:
    return _F1Counts(matched=len(a & b), a=len(a), b=len(b))


def overlap_matches(a: Iterable[SpanKey], b: Iterable[SpanKey]) -> int:
    """Size of a one-to-one matching of same-label overlapping spans: eval's matcher
    (`eventgold.eval.matching.match_spans`: identical spans first, then closest boundaries),
    so that an agreement figure and an evaluation figure mean the same pairing. The one
    difference is the reading: agreement is symmetric (pairwise F1 of two annotators), while
    eval calls one side gold."""
    m = match_spans(a, b)
    return len(m.same) + len(m.same_label)


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of paired labels; None when chance agreement is 1 (one label only)."""
    n = len(pairs)
    if not n:
        return None
    observed = sum(x == y for x, y in pairs) / n
    count_a: dict[str, int] = {}
    count_b: dict[str, int] = {}
    for x, y in pairs:
        count_a[x] = count_a.get(x, 0) + 1
        count_b[y] = count_b.get(y, 0) + 1
    expected = sum(count_a[k] * count_b.get(k, 0) for k in count_a) / (n * n)
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1 - expected)


def tokens(text: str) -> list[tuple[int, int]]:
    """Code-point ``(start, end)`` of each spaCy ``blank("en")`` token, whitespace dropped.

    Not split at entity boundaries (unlike the IOB view), so every annotator of a text is
    coded on the same units.
    """
    return tokenize(text)


def token_labels(toks: Sequence[tuple[int, int]], entities: Iterable[Entity]) -> list[str]:
    """Each token's label: the entity overlapping it, else ``O``.

    If several entities overlap one token (overlaps are possible in work in progress, or an
    entity may end inside a token), the one covering most of the token wins, then the longer
    entity, then the earlier start, then the label name, so the result never depends on order.
    """
    ends = [e for _, e in toks]
    best: dict[int, tuple[tuple[int, int, int, str], str]] = {}
    for ent in entities:
        i = bisect.bisect_right(ends, ent.start)
        while i < len(toks) and toks[i][0] < ent.end:
            s, e = toks[i]
            rank = (-(min(e, ent.end) - max(s, ent.start)), -(ent.end - ent.start), ent.start)
            cand = ((*rank, ent.label), ent.label)
            if i not in best or cand[0] < best[i][0]:
                best[i] = cand
            i += 1
    return [best[i][1] if i in best else OUTSIDE for i in range(len(toks))]


def _span_sets(doc: Document) -> dict[str, set[SpanKey]]:
    sets: dict[str, set[SpanKey]] = {}
    for e in doc.entities:
        sets.setdefault(e.label, set()).add(e.key)
    return sets


def relation_keys(doc: Document) -> set[RelationKey]:
    """Relations identified by label and endpoint spans, since entity ids differ by annotator."""
    by_id = doc.entity_by_id()
    return {
        (r.label, by_id[r.head].key, by_id[r.tail].key)
        for r in doc.relations
        if r.head in by_id and r.tail in by_id
    }


# ----------------------------------------------------------------------------- report


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """Figures for one pair of annotators (or all pairs pooled): measure -> label -> Figure."""

    scope: str
    annotators: tuple[str, ...]
    tasks: int
    measures: Mapping[str, Mapping[str, Figure]]

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "annotators": list(self.annotators),
            "tasks": self.tasks,
            "measures": {
                m: {label: f.to_json() for label, f in by_label.items()}
                for m, by_label in self.measures.items()
            },
        }


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """Every agreement figure, with the tasks compared and the annotations left out."""

    min_items: int
    tasks: int  # tasks with two or more usable annotations
    single: int  # tasks with fewer, not compared
    annotators: tuple[str, ...]
    pairs: tuple[PairAgreement, ...]
    pooled: PairAgreement | None  # all pairs' items pooled (None without any pair)
    alpha: Mapping[str, Figure] = field(default_factory=dict)  # label -> token alpha
    problems: tuple[Problem, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "min_items": self.min_items,
            "tasks": self.tasks,
            "single_annotation_tasks": self.single,
            "annotators": list(self.annotators),
            "pairs": [p.to_json() for p in self.pairs],
            "pooled": self.pooled.to_json() if self.pooled else None,
            "token_alpha": {label: f.to_json() for label, f in self.alpha.items()},
            "problems": [p.to_json() for p in self.problems],
        }


@dataclass(slots=True)
class _PairItems:
    tasks: int = 0
    spans: dict[str, _F1Counts] = field(default_factory=dict)
    overlap: dict[str, _F1Counts] = field(default_factory=dict)
    relations: dict[str, _F1Counts] = field(default_factory=dict)
    token_pairs: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: _PairItems) -> None:
        self.tasks += other.tasks
        for mine, theirs in (
            (self.spans, other.spans),
            (self.overlap, other.overlap),
            (self.relations, other.relations),
        ):
            for label, counts in theirs.items():
                mine.setdefault(label, _F1Counts()).add(counts)
        self.token_pairs += other.token_pairs


def _compare(
    a: Document, b: Document, labels_a: list[str], labels_b: list[str], schema: Schema
) -> _PairItems:
    items = _PairItems(tasks=1)
    sa, sb = _span_sets(a), _span_sets(b)
    ra, rb = relation_keys(a), relation_keys(b)
    for label in schema.entity_labels:
        x, y = sa.get(label, set()), sb.get(label, set())
        items.spans[label] = _strict_counts(x, y)
        items.overlap[label] = _F1Counts(overlap_matches(x, y), len(x), len(y))
    for label in schema.relation_labels:
        items.relations[label] = _strict_counts(
            {r for r in ra if r[0] == label}, {r for r in rb if r[0] == label}
        )
    items.token_pairs = list(zip(labels_a, labels_b, strict=True))
    return items


def _f1_figures(counts: Mapping[str, _F1Counts], min_items: int) -> dict[str, Figure]:
    total = _F1Counts()
    for c in counts.values():
        total.add(c)
    figures = {ALL: total.figure(min_items=min_items)}
    figures.update({label: c.figure(min_items=min_items) for label, c in counts.items()})
    return figures


def _kappa_figures(
    pairs: Sequence[tuple[str, str]], labels: Sequence[str], min_items: int
) -> dict[str, Figure]:
    n = len(pairs)
    undefined = "chance agreement is 1 (a single label throughout)"
    figures = {ALL: make_figure(cohen_kappa(pairs), n, min_items=min_items, undefined=undefined)}
    for label in labels:
        binary = [(x == label, y == label) for x, y in pairs]
        value = cohen_kappa([(str(x), str(y)) for x, y in binary])
        figures[label] = make_figure(value, n, min_items=min_items, undefined=undefined)
    return figures


def _pair_agreement(
    scope: str, annotators: tuple[str, ...], items: _PairItems, schema: Schema, min_items: int
) -> PairAgreement:
    return PairAgreement(
        scope=scope,
        annotators=annotators,
        tasks=items.tasks,
        measures={
            SPAN_STRICT: _f1_figures(items.spans, min_items),
            SPAN_OVERLAP: _f1_figures(items.overlap, min_items),
            RELATION: _f1_figures(items.relations, min_items),
            KAPPA: _kappa_figures(items.token_pairs, schema.entity_labels, min_items),
        },
    )


def krippendorff_alpha(data: np.ndarray, *, min_items: int) -> Figure:
    """Nominal alpha of an annotators x units matrix (NaN = missing), via `krippendorff`."""
    pairable = int(np.sum(np.sum(~np.isnan(data), axis=0) >= 2)) if data.size else 0
    try:
        value: float | None = float(
            krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        )
    except ValueError:  # the package refuses a single value in the domain
        value = None
    if value is not None and math.isnan(value):
        value = None
    return make_figure(
        value, pairable, min_items=min_items, undefined="fewer than two distinct values coded"
    )


def _alpha_figures(
    coded: Sequence[Mapping[str, list[str]]],
    annotators: Sequence[str],
    schema: Schema,
    min_items: int,
) -> dict[str, Figure]:
    """Alpha over all annotators; `coded` holds each task's token labels by annotator."""
    codes = {label: i for i, label in enumerate((OUTSIDE, *schema.entity_labels))}
    row = {name: i for i, name in enumerate(annotators)}
    columns: list[np.ndarray] = []
    for by_annotator in coded:
        width = len(next(iter(by_annotator.values())))
        block = np.full((len(annotators), width), np.nan)
        for name, labels in by_annotator.items():
            block[row[name]] = [codes[x] for x in labels]
        columns.append(block)
    data = np.concatenate(columns, axis=1) if columns else np.empty((len(annotators), 0))
    figures = {ALL: krippendorff_alpha(data, min_items=min_items)}
    for label in schema.entity_labels:
        binary = np.where(np.isnan(data), np.nan, (data == codes[label]).astype(float))
        figures[label] = krippendorff_alpha(binary, min_items=min_items)
    return figures


def agree(
    groups: Iterable[tuple[str, Sequence[Document]]],
    schema: Schema,
    *,
    min_items: int = MIN_ITEMS,
) -> AgreementReport:
    """Agreement figures over every task with two or more usable annotations."""
    tasks, problems = prepare_tasks(groups, schema)
    compared = [t for t in tasks if len(t.annotations) >= 2]
    annotators = tuple(sorted({name for t in compared for name in t.annotators}))
    per_pair: dict[tuple[str, str], _PairItems] = {}
    coded: list[dict[str, list[str]]] = []  # token labels per task and annotator, made once
    for task in compared:
        toks = tokens(task.text)
        labels = {n: token_labels(toks, d.entities) for n, d in task.annotations.items()}
        coded.append(labels)
        for x, y in itertools.combinations(task.annotators, 2):
            a, b = task.annotations[x], task.annotations[y]
            items = _compare(a, b, labels[x], labels[y], schema)
            per_pair.setdefault((x, y), _PairItems()).add(items)
    pooled_items = _PairItems()
    pairs = []
    for (x, y), items in sorted(per_pair.items()):
        pairs.append(_pair_agreement(f"{x} vs {y}", (x, y), items, schema, min_items))
        pooled_items.add(items)
    # Pooled task count is the number of tasks compared, not the sum over pairs.
    pooled_items.tasks = len(compared)
    pooled = (
        _pair_agreement("all pairs", annotators, pooled_items, schema, min_items)
        if per_pair
        else None
    )
    return AgreementReport(
        min_items=min_items,
        tasks=len(compared),
        single=len(tasks) - len(compared),
        annotators=annotators,
        pairs=tuple(pairs),
        pooled=pooled,
        alpha=_alpha_figures(coded, annotators, schema, min_items) if compared else {},
        problems=tuple(problems),
    )


# ----------------------------------------------------------------------------- markdown


def agreement_markdown(report: AgreementReport) -> str:
    """The agreement section of a dataset card (markdown)."""
    lines = [
        "## Inter-annotator agreement",
        "",
        f"{report.tasks} document(s) annotated by two or more of "
        f"{len(report.annotators)} annotator(s) ({', '.join(report.annotators) or 'none'}); "
        f"{report.single} document(s) with fewer than two annotations are not compared.",
        "",
        "Span F1 is `2 * matched / (|A| + |B|)`: strict needs the same label and boundaries, "
        "overlap the same label and overlapping text (matched one to one). Relation F1 needs "
        'the same label and the same endpoint spans. Token figures use spaCy `blank("en")` '
        "tokens (whitespace dropped), each labelled with its covering entity's label or `O`; "
        "Krippendorff's alpha is token-level nominal alpha over all annotators, not unitizing "
        f"alpha. `n` is the number of items a figure rests on; † marks fewer than "
        f"{report.min_items} items or an undefined figure.",
        "",
    ]
    if report.pooled is None:
        return "\n".join([*lines, "No document has two annotations yet.", ""])
    head = "| Pair | Tasks | " + " | ".join(MEASURE_TITLES[m] for m in PAIR_MEASURES) + " |"
    lines += [head, "|" + "---|" * (len(PAIR_MEASURES) + 2)]
    for pair in (*report.pairs, report.pooled):
        cells = [pair.measures[m][ALL].render() for m in PAIR_MEASURES]
        lines.append(f"| {pair.scope} | {pair.tasks} | " + " | ".join(cells) + " |")
    lines += ["", "Per label, all pairs pooled; alpha over all annotators:", ""]
    span_measures = (SPAN_STRICT, SPAN_OVERLAP, KAPPA)
    lines += [
        "| Label | " + " | ".join(MEASURE_TITLES[m] for m in (*span_measures, ALPHA)) + " |",
        "|" + "---|" * (len(span_measures) + 2),
    ]
    for label in report.pooled.measures[SPAN_STRICT]:
        cells = [report.pooled.measures[m][label].render() for m in span_measures]
        cells.append(report.alpha[label].render() if label in report.alpha else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    relation_labels = [k for k in report.pooled.measures[RELATION] if k != ALL]
    if relation_labels:
        lines += ["", "| Relation | Relation F1 |", "|---|---|"]
        lines += [
            f"| {label} | {report.pooled.measures[RELATION][label].render()} |"
            for label in relation_labels
        ]
    return "\n".join([*lines, ""])
