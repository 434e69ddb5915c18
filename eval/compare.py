"""Compare two systems on the same gold: F1 side by side and a paired bootstrap test.

Inputs are either two saved results of `evaluate` (their per-document counts make the test
possible without the original files) or two prediction files scored here against one gold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eventgold.eval.bootstrap import Bootstrap, PairedResult, paired_test
from eventgold.eval.evaluate import METRICS_VERSION, evaluate
from eventgold.eval.saved_result import read_result
from eventgold.eval.table import CountTable, GroupKey
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema

# The one method behind both the interval and the p-value (`bootstrap.percentile_test`).
TEST_METHOD = (
    "paired document bootstrap, percentile method for both the interval of A - B and the "
    "two-sided p for F1(A) = F1(B): the interval excludes 0 exactly when p < 1 - confidence"
)


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    bootstrap: Bootstrap
    rows: dict[GroupKey, PairedResult]
    # Per system scored here (`compare_predictions`): scored documents its model trained on.
    seen_in_training: tuple[int, int] = (0, 0)

    def warnings(self) -> list[str]:
        """What makes the comparison unfair, for the user."""
        return [
            f"{name}: {n} scored document(s) were training documents of the model that "
            "predicted them, so its figures overstate it"
            for name, n in zip((self.a, self.b), self.seen_in_training, strict=True)
            if n
        ]

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
        }


def compare_tables(
    a: CountTable, b: CountTable, *, names: tuple[str, str], resamples: int = 1000, seed: int = 0
) -> Comparison:
    settings = Bootstrap(resamples=resamples, seed=seed)
    try:
        rows = paired_test(a, b, settings)
    except ValueError as exc:
        raise ProblemsError([Problem(f"{names[0]} vs {names[1]}", str(exc))]) from exc
    return Comparison(a=names[0], b=names[1], bootstrap=settings, rows=rows)


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
    return compare_tables(
        ra.table, rb.table, names=(str(a), str(b)), resamples=resamples, seed=seed
    )


def compare_predictions(
    a: Path, b: Path, *, gold: Path, schema: Schema, resamples: int = 1000, seed: int = 0
) -> Comparison:
    """Score two prediction files against `gold`, then test the difference."""
    ra = evaluate(gold, a, schema, bootstrap=0, seed=seed)
    rb = evaluate(gold, b, schema, bootstrap=0, seed=seed)
    result = compare_tables(
        ra.table, rb.table, names=(str(a), str(b)), resamples=resamples, seed=seed
    )
    seen = (len(ra.seen_in_training), len(rb.seen_in_training))
    return replace(result, seen_in_training=seen)
