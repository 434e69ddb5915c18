"""`eventgold eval --gold GOLD --predictions FILE [--json OUT] [--html OUT]`."""

from __future__ import annotations

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
    run_steps,
    schema_file,
    user_errors,
)
from eventgold.cli._splits import SplitOpt
from eventgold.dataset.membership import parse_splits
from eventgold.eval import evaluate as ev
from eventgold.eval.events.rows import predicted_event_rows
from eventgold.eval.html import render_html
from eventgold.eval.table import MACRO, OVERALL
from eventgold.paths import require_distinct_paths


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
HTML_EVENTS = 1000  # predicted events an HTML report shows (`eventgold events`: all of them)


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
    if result.splits:
        out.print(f"scored split(s): {', '.join(result.splits)}")
    if result.ignored:
        out.print(
            f"{result.ignored} prediction(s) ignored: their documents are not in the gold"
            + (" split(s) scored" if result.splits else "")
            + " (--strict refuses predictions of documents not in the gold)"
        )
    if result.seen_in_training:
        err.print(
            f"warning: {len(result.seen_in_training)} of the {n_docs} scored document(s) were "
            "training documents of the model that predicted them, so these figures overstate "
            "it: score documents it was not trained on (e.g. train --split train, then eval "
            "--split test)"
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
    split: SplitOpt = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse predictions of documents the gold does not hold (default: ignore "
            "and count them).",
        ),
    ] = False,
) -> None:
    """Score a prediction file against the gold, with bootstrap confidence intervals."""
    with user_errors():
        require_distinct_paths(
            {"--gold": gold, "--predictions": predictions, "--schema": schema_file(schema)},
            {"--json": json_out, "--html": html_out},
        )
    sch = get_schema(schema)
    with user_errors():
        splits = parse_splits(split or ())
        events = ev.iter_evaluate(
            gold,
            predictions,
            sch,
            bootstrap=bootstrap,
            seed=seed,
            tokens=tokens,
            strict=strict,
            splits=splits,
        )
        result = run_steps(events, {})
    print_result(result)
    with user_errors():
        if json_out is not None:
            result.write_json(json_out)
            out.print(f"wrote {json_out}")
        if html_out is not None:
            # the predicted event table, when the schema declares events: its first rows
            rows, complete = (
                predicted_event_rows(gold, predictions, sch, limit=HTML_EVENTS)
                if sch.events
                else ([], True)
            )
            title = f"eventgold eval: {predictions}"
            html = render_html(result, title=title, events=rows, all_events=complete)
            write_text_atomic(html_out, html)
            out.print(f"wrote {html_out}")
