"""`eventgold compare A B [--gold GOLD]`: two systems side by side, with a paired test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from eventgold.atomic import write_text_atomic
from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_SCHEMA_PATH,
    SchemaOpt,
    err,
    get_schema,
    out,
    schema_file,
    user_errors,
)
from eventgold.eval.compare import Comparison, compare_predictions, compare_results
from eventgold.eval.table import OVERALL
from eventgold.paths import require_distinct_paths


def comparison_table(c: Comparison, *, all_labels: bool) -> Table:
    table = Table(title=f"A = {c.a}   B = {c.b}")
    for col in ("metric", "F1 A", "F1 B", "A - B [95% CI]", "p"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for (family, rule, scope), row in c.rows.items():
        if not all_labels and scope != OVERALL:
            continue
        table.add_row(
            f"{family} {rule} {scope}",
            f"{row.f1_a:.3f}",
            f"{row.f1_b:.3f}",
            f"{row.delta:+.3f}"
            + ("" if row.low is None else f" [{row.low:+.3f}, {row.high:+.3f}]"),
            "—" if row.p_value is None else f"{row.p_value:.3f}",
        )
    return table


@app.command("compare")
def compare_cli(
    a: Annotated[
        Path, typer.Argument(help="Eval result JSON of A (or A's predictions with --gold).")
    ],
    b: Annotated[
        Path, typer.Argument(help="Eval result JSON of B (or B's predictions with --gold).")
    ],
    gold: Annotated[
        Path | None, typer.Option(help="Gold folder or JSONL: A and B are then prediction files.")
    ] = None,
    schema: SchemaOpt = DEFAULT_SCHEMA_PATH,
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples (0: the figures only, no test).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    labels: Annotated[
        bool, typer.Option("--labels", help="Show every label, not only overall.")
    ] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the comparison JSON.")
    ] = None,
) -> None:
    """Compare two systems on the same gold: F1 side by side and a paired bootstrap test."""
    with user_errors():
        named = {str(a): a, str(b): b, "--gold": gold}
        if gold is not None:  # the schema is read only to score prediction files
            named["--schema"] = schema_file(schema)
        require_distinct_paths(named, {"--json": json_out})
        if gold is None:
            result = compare_results(a, b, resamples=bootstrap, seed=seed)
        else:
            sch = get_schema(schema)
            result = compare_predictions(
                a, b, gold=gold, schema=sch, resamples=bootstrap, seed=seed
            )
    out.print(comparison_table(result, all_labels=labels))
    for note in result.notes():
        out.print(f"note: {note}", markup=False)
    for warning in result.warnings():
        err.print(f"warning: {warning}", markup=False)
    if result.bootstrap.resamples:
        out.print(
            f"paired document bootstrap: {result.bootstrap.resamples} resamples, seed "
            f"{result.bootstrap.seed}; p is two-sided for F1(A) = F1(B); interval and p come "
            "from one method (percentile), so the 95% interval excludes 0 exactly when "
            "p < 0.05 (docs/compare.md)"
        )
    else:
        out.print("no bootstrap (--bootstrap 0): no interval and no test")
    if json_out is not None:
        with user_errors():
            write_text_atomic(json_out, json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        out.print(f"wrote {json_out}")
