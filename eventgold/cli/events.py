"""`eventgold events --gold gold/ --out events/ [--predictions FILE]` and
`eventgold events score --gold gold/ --predictions FILE [--json OUT]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from eventgold.atomic import atomic_file
from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_SCHEMA_PATH,
    SchemaOpt,
    err,
    fail,
    get_schema,
    out,
    schema_file,
    user_errors,
)
from eventgold.paths import require_distinct_paths

events_app = typer.Typer(
    help="The event table (one row per attack) and event-level scoring; see docs/events.md.",
    invoke_without_command=True,
)
app.add_typer(events_app, name="events")

GoldOpt = Annotated[Path, typer.Option(help="Gold folder (from pull) or documents JSONL.")]


@events_app.callback()
def events_cli(
    ctx: typer.Context,
    gold: Annotated[
        Path | None, typer.Option(help="Gold folder (from pull) or documents JSONL.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for events.parquet and events.csv.")
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(help="Make the table of this prediction file (checked against the gold)."),
    ] = None,
    schema: SchemaOpt = DEFAULT_SCHEMA_PATH,
) -> None:
    """Write the event table (Parquet and CSV, one row per event) of the gold or of a
    prediction file. `eventgold events score` scores predicted events against the gold's."""
    if ctx.invoked_subcommand is not None:
        return
    if gold is None or out_dir is None:
        fail("give --gold and --out (or a subcommand: score)")
    from eventgold.eval.events.rows import events

    sch = get_schema(schema)
    with user_errors():
        written = events(gold, out_dir, sch, predictions=predictions)
    what = predictions if predictions is not None else gold
    out.print(
        f"{written.events} event(s) from {written.documents} document(s) of {what}: "
        + ", ".join(str(f) for f in written.files)
    )
    _say_missing_and_ignored(written.missing, written.ignored, as_empty="no events")
    if written.unplaced:
        out.print(
            f"{written.unplaced} mention(s) of an event column joined no event (no anchor in "
            "reach; see docs/events.md)"
        )


def _say_missing_and_ignored(missing: tuple[str, ...], ignored: int, *, as_empty: str) -> None:
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        shown = ", ".join(missing[:5]) + more
        err.print(
            f"{len(missing)} gold document(s) had no prediction ({as_empty}): {shown}",
            markup=False,
        )
    if ignored:
        err.print(
            f"{ignored} prediction(s) ignored: their documents are not in the gold "
            "(--strict refuses them)"
        )


def _cell(fig: dict) -> str:
    ci = fig.get("ci")
    return f"{fig['f1']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{fig['f1']:.3f}"


@events_app.command("score")
def score_cli(
    gold: GoldOpt,
    predictions: Annotated[Path, typer.Option(help="Prediction file (record JSONL).")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the result JSON.")] = None,
    tolerance: Annotated[
        float,
        typer.Option(min=0.0, help="Killed count: accepted difference, a share of the gold's."),
    ] = 0.1,
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples (0: no intervals).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    strict: Annotated[
        bool,
        typer.Option(help="Refuse predictions of documents the gold does not hold."),
    ] = False,
    schema: SchemaOpt = DEFAULT_SCHEMA_PATH,
) -> None:
    """Score predicted events against the gold's: one-to-one matching, then slot by slot."""
    import json

    from eventgold.eval.bootstrap import Bootstrap
    from eventgold.eval.events.scoring import score_event_files

    with user_errors():
        inputs = {"--gold": gold, "--predictions": predictions, "--schema": schema_file(schema)}
        require_distinct_paths(inputs, {"--json": json_out})
    sch = get_schema(schema)
    with user_errors():
        result = score_event_files(
            gold,
            predictions,
            sch,
            strict=strict,
            tolerance=tolerance,
            bootstrap=Bootstrap(resamples=bootstrap, seed=seed),
        )
    figures = result.figures()
    table = Table(title=f"events (killed within {tolerance:.0%})")
    for col in ("", "P", "R", "F1 [95% CI]", "tp", "fp", "fn"):
        table.add_column(col, justify="right" if col else "left")
    rows = [("events", figures["events"]), *figures["slots"].items()]
    for name, fig in rows:
        table.add_row(
            name,
            f"{fig['precision']:.3f}",
            f"{fig['recall']:.3f}",
            _cell(fig),
            str(fig["tp"]),
            str(fig["fp"]),
            str(fig["fn"]),
        )
    out.print(table)
    out.print(f"slot macro F1 {_cell(figures['macro'])}")
    _say_missing_and_ignored(result.missing, result.ignored, as_empty="scored as empty")
    if json_out is not None:
        with user_errors(), atomic_file(json_out) as fh:
            json.dump(result.to_json(), fh, ensure_ascii=False)
        out.print(f"wrote {json_out}")
