"""`eventgold eval --gold GOLD --predictions FILE [--json OUT] [--html OUT]`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from eventgold.atomic import write_text_atomic
from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_SCHEMA_PATH,
    SchemaOpt,
    err,
    fail,
    get_schema,
    out,
    user_errors,
)
from eventgold.eval import evaluate as ev
from eventgold.eval.html import render_html
from eventgold.eval.table import MACRO, OVERALL


def _cell(fig: dict | None) -> str:
    if fig is None:
        return ""
    ci = fig.get("ci")
    return f"{fig['f1']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{fig['f1']:.3f}"


def figures_table(title: str, family: dict[str, dict]) -> Table:
    """One row per label (then overall and macro), one F1 [CI] column per rule."""
    table = Table(title=title)
    table.add_column("label")
    for rule in family:
        table.add_column(f"{rule} F1 [95% CI]", justify="right")
    first = next(iter(family.values()))
    table.add_column("support", justify="right")
    labels = sorted({label for block in family.values() for label in block["labels"]})
    for label in labels:
        cells = [_cell(block["labels"].get(label)) for block in family.values()]
        fig = first["labels"].get(label) or {}
        table.add_row(label, *cells, str(fig.get("possible", "")))
    table.add_section()
    table.add_row(
        OVERALL, *[_cell(b["overall"]) for b in family.values()], str(first["overall"]["possible"])
    )
    table.add_row(MACRO, *[_cell(b["macro"]) for b in family.values()], "")
    return table


# Below this many documents a document-level bootstrap says little; the user is told so.
MISSING_SHOWN = 10  # missing document ids named on the console
FEW_DOCUMENTS = 30


def print_result(result: ev.EvalResult) -> None:
    figures = result.figures()
    for family, block in figures.items():
        out.print(figures_table(family, block))
    boot = result.bootstrap
    n_docs = len(result.table.doc_ids)
    out.print(
        f"bootstrap: {boot.resamples} resamples of {n_docs} documents, seed {boot.seed}; "
        f"metrics {ev.METRICS_VERSION}; schema {result.schema_name} {result.schema_version}"
    )
    if boot.resamples and n_docs < FEW_DOCUMENTS:
        err.print(
            f"warning: the intervals rest on {n_docs} documents (fewer than {FEW_DOCUMENTS}); "
            "read them as rough"
        )
    if result.missing:
        shown = ", ".join(result.missing[:MISSING_SHOWN])
        more = len(result.missing) - MISSING_SHOWN
        out.print(
            f"{len(result.missing)} gold document(s) had no prediction (scored as empty): {shown}"
            + (f" and {more} more (all in the result JSON)" if more > 0 else "")
        )
    sources = result.token_sources or {}
    for problem in sources.get("unreadable", ()):
        err.print(f"warning: gold shards not read, their documents tokenized again: {problem}")
    if sources.get("stored") and sources.get("tokenized"):
        # A gold folder whose documents changed after its shards were written, or whose
        # shards could not all be read, gets here.
        why = (
            "their shards could not be read, or they differ from them"
            if sources.get("unreadable")
            else "they differ from the folder's shards"
        )
        out.print(
            f"tokens: {sources['stored']} document(s) from the gold folder's IOB view, "
            f"{sources['tokenized']} tokenized again ({why})"
        )
    if result.alignment:
        a = result.alignment
        out.print(
            f"aligned offset-free entities: {a.exact} exact, {a.fuzzy} ignoring case/space, "
            f"{len(a.unaligned)} not found, {a.dropped_relations} relation(s) dropped"
        )
        if a.repeated:
            out.print(
                f"  {a.repeated} of them name a text that occurs more than once in its document "
                "and were placed by reading order, which may not be the occurrence meant; give "
                "offsets to score them as meant"
            )


def run_with_progress(events: Iterator[ev.Progress | ev.EvalResult]) -> ev.EvalResult:
    """Drive `iter_evaluate`, showing a progress bar on stderr."""
    result = None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, int] = {}
        for event in events:
            if isinstance(event, ev.Progress):
                if event.stage not in tasks:
                    tasks[event.stage] = bar.add_task(event.stage, total=event.total)
                bar.update(tasks[event.stage], completed=event.done)
            else:
                result = event
    assert result is not None
    return result


@app.command("eval")
def eval_cli(
    gold: Annotated[Path, typer.Option(help="Gold folder or documents JSONL.")],
    predictions: Annotated[
        Path, typer.Option(help="Prediction file: record JSONL, or offset-free JSON/JSONL.")
    ],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result JSON.")] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report.")
    ] = None,
    schema: SchemaOpt = DEFAULT_SCHEMA_PATH,
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples (0: no intervals).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    tokens: Annotated[
        bool, typer.Option("--tokens/--no-tokens", help="Also score IOB2 token tags.")
    ] = True,
) -> None:
    """Score a prediction file against the gold, with bootstrap confidence intervals."""
    sch = get_schema(schema)
    with user_errors():
        result = run_with_progress(
            ev.iter_evaluate(gold, predictions, sch, bootstrap=bootstrap, seed=seed, tokens=tokens)
        )
    if not result.table.doc_ids:  # zeros over nothing would read as a model that scored 0
        fail(f"the gold {gold} holds no documents: there is nothing to score")
    if len(result.missing) == len(result.table.doc_ids):  # an empty file, or another corpus's
        fail(
            f"{predictions} has a prediction for none of the {len(result.missing)} gold "
            "document(s); a model that finds nothing still writes each document, with no entities"
        )
    print_result(result)
    with user_errors():
        if json_out is not None:
            result.write_json(json_out)
            out.print(f"wrote {json_out}")
        if html_out is not None:
            write_text_atomic(html_out, render_html(result, title=f"eventgold eval: {predictions}"))
            out.print(f"wrote {html_out}")
