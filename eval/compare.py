"""Compare two systems on the same gold: F1 side by side and a paired bootstrap test.

Inputs are either two saved results of `evaluate` (their per-document counts make the test
possible without the original files) or two prediction files scored here against one gold.

Only the metric families both results have are compared: a result scored without tokens
(``eval --no-tokens``) has no token counts, and reading those as zeros would invent an F1 of
0 for it. Each (family, rule) left out is listed with the reason. A label with no item on
one side is not left out: its counts there are truly 0 (an F1 of 0, or none when neither
side has an item).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eventgold.eval.bootstrap import Bootstrap, PairedResult, paired_test
from eventgold.eval.evaluate import METRICS_VERSION, evaluate
from eventgold.eval.saved_result import read_result
from eventgold.eval.table import COUNT_NAMES, FAMILY_KIND, CountTable, GroupKey
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema

# The one method behind both the interval and the p-value (`bootstrap.percentile_test`).
TEST_METHOD = (
    "paired document bootstrap, percentile method for both the interval of A - B and the "
    "two-sided p for F1(A) = F1(B): the interval excludes 0 exactly when p < 1 - confidence"
)


# Why a family can be missing from a result, when a command leaves it out on request.
ABSENT_BECAUSE = {"tokens": "eval --no-tokens leaves them out"}


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A (family, rule) scored in one result only, so not compared."""

    metric: str  # "family/rule", e.g. "tokens/iob2"
    only_in: str  # the result that has it
    missing_in: str  # the result that does not

    @property
    def reason(self) -> str:
        family = self.metric.split("/", 1)[0]
        why = ABSENT_BECAUSE.get(family)
        return f"{self.missing_in} has no {self.metric} counts" + (f" ({why})" if why else "")

    def to_json(self) -> dict[str, str]:
        return {"metric": self.metric, "only_in": self.only_in, "reason": self.reason}


def _metrics(t: CountTable) -> dict[tuple[str, str], None]:
    """The (family, rule) pairs of a table, in its order."""
    return dict.fromkeys((g[0], g[1]) for g in t.groups)


def _keep(t: CountTable, keep: set[tuple[str, str]]) -> CountTable:
    """`t` with the groups of the (family, rule) pairs in `keep` only."""
    groups = tuple(g for g in t.groups if (g[0], g[1]) in keep)
    if groups == t.groups:
        return t
    offsets = t.offsets
    columns = [offsets[g] + k for g in groups for k in range(len(COUNT_NAMES[FAMILY_KIND[g[0]]]))]
    return CountTable(doc_ids=t.doc_ids, groups=groups, counts=t.counts[:, columns])


def shared_metrics(
    a: CountTable, b: CountTable, names: tuple[str, str]
) -> tuple[CountTable, CountTable, tuple[LeftOut, ...]]:
    """Both tables cut to the (family, rule) pairs they share, and what was left out."""
    in_a, in_b = _metrics(a), _metrics(b)
    shared = set(in_a) & set(in_b)
    left = [LeftOut("/".join(m), names[0], names[1]) for m in in_a if m not in shared]
    left += [LeftOut("/".join(m), names[1], names[0]) for m in in_b if m not in shared]
    if not shared:
        raise ProblemsError(
            [
                Problem(
                    f"{names[0]} vs {names[1]}",
                    f"no metric scored in both: {names[0]} has "
                    f"{', '.join('/'.join(m) for m in in_a) or 'none'}, {names[1]} has "
                    f"{', '.join('/'.join(m) for m in in_b) or 'none'}",
                )
            ]
        )
    return _keep(a, shared), _keep(b, shared), tuple(left)


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    bootstrap: Bootstrap
    rows: dict[GroupKey, PairedResult]
    # Per system scored here (`compare_predictions`): scored documents its model trained on.
    seen_in_training: tuple[int, int] = (0, 0)
    left_out: tuple[LeftOut, ...] = ()  # metrics one result has and the other has not
    # Per system scored here: gold documents it has no prediction of (scored as empty), and
    # its predictions of documents the gold does not hold (ignored).
    missing: tuple[int, int] = (0, 0)
    ignored: tuple[int, int] = (0, 0)
    # Saved results that record no gold hash: that both scored the same gold is unchecked.
    gold_unchecked: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        """What was not compared and why: one line, or none."""
        if not self.left_out:
            return []
        return [
            "not compared (scored in one result only): "
            + "; ".join(f"{x.metric}, {x.reason}" for x in self.left_out)
        ]

    def warnings(self) -> list[str]:
        """What makes the comparison unfair, or left something out, for the user."""
        names = (self.a, self.b)
        said = [
            (name, f"{n} scored document(s) were training documents of the model that "
             "predicted them, so its figures overstate it")
            for name, n in zip(names, self.seen_in_training, strict=True)
            if n
        ]  # fmt: skip
        said += [
            (name, f"{n} gold document(s) had no prediction (scored as empty)")
            for name, n in zip(names, self.missing, strict=True)
            if n
        ]
        said += [
            (name, f"{n} prediction(s) ignored: their documents are not in the gold")
            for name, n in zip(names, self.ignored, strict=True)
            if n
        ]
        said += [
            (name, "records no gold hash (inputs.gold.sha256), so whether both results scored "
             "the same gold is not checked, only that they scored the same document ids")
            for name in self.gold_unchecked
        ]  # fmt: skip
        return [f"{name}: {message}" for name, message in said]

    def to_json(self) -> dict[str, Any]:
        return {
            "metrics_version": METRICS_VERSION,
            "a": self.a,
            "b": self.b,
            "bootstrap": self.bootstrap.to_json(),
            "test": TEST_METHOD,
            "metrics": [
                {"metric": "/".join(name), **row.to_json()} for name, row in self.rows.items()
            ],
            "left_out": [x.to_json() for x in self.left_out],
            "missing_predictions": list(self.missing),
            "ignored_predictions": list(self.ignored),
            "gold_unchecked": list(self.gold_unchecked),
        }


def compare_tables(
    a: CountTable, b: CountTable, *, names: tuple[str, str], resamples: int = 1000, seed: int = 0
) -> Comparison:
    """Paired test of every metric both tables have (see `shared_metrics`)."""
    settings = Bootstrap(resamples=resamples, seed=seed)
    a, b, left_out = shared_metrics(a, b, names)
    try:
        rows = paired_test(a, b, settings)
    except ValueError as exc:
        raise ProblemsError([Problem(f"{names[0]} vs {names[1]}", str(exc))]) from exc
    return Comparison(a=names[0], b=names[1], bootstrap=settings, rows=rows, left_out=left_out)


def compare_results(a: Path, b: Path, *, resamples: int = 1000, seed: int = 0) -> Comparison:
    """Paired test from two saved eval results of the same gold file."""
    ra, rb = read_result(a), read_result(b)
    ga, gb = ra.gold_sha256, rb.gold_sha256
    if ga and gb and ga != gb:
        raise ProblemsError(
            [
                Problem(
                    f"{Path(a).name} vs {Path(b).name}",
                    f"different gold files ({ga[:12]} vs "
                    f"{gb[:12]}); a paired test needs the same gold",
                )
            ]
        )
    result = compare_tables(
        ra.table, rb.table, names=(str(a), str(b)), resamples=resamples, seed=seed
    )
    unchecked = tuple(str(r.path) for r in (ra, rb) if r.gold_sha256 is None)
    return replace(result, gold_unchecked=unchecked)


def compare_predictions(
    a: Path, b: Path, *, gold: Path, schema: Schema, resamples: int = 1000, seed: int = 0
) -> Comparison:
    """Score two prediction files against `gold`, then test the difference."""
    ra = evaluate(gold, a, schema, bootstrap=0, seed=seed)
    rb = evaluate(gold, b, schema, bootstrap=0, seed=seed)
    result = compare_tables(
        ra.table, rb.table, names=(str(a), str(b)), resamples=resamples, seed=seed
    )
    return replace(
        result,
        seen_in_training=(len(ra.seen_in_training), len(rb.seen_in_training)),
        missing=(len(ra.missing), len(rb.missing)),
        ignored=(ra.ignored, rb.ignored),
    )
