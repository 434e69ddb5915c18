"""`eventgold demo`: the whole round trip on a fresh embedded Label Studio (SQLite)."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

from eventgold.annotate.demo import DemoInputs, DemoReport, run_demo
from eventgold.annotate.labelstudio import server as srv
from eventgold.annotate.labelstudio.connection import connect
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
from eventgold.dataset.folder import parquet_files
from eventgold.paths import require_distinct_paths


@app.command("demo")
def demo_cli(
    gold: Annotated[Path, typer.Option(help="The shipped gold to compare with.")] = Path("gold"),
    update_gold: Annotated[
        bool,
        typer.Option("--update-gold", help="Write the result to --gold instead of comparing."),
    ] = False,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Scratch folder (default: a new temporary one, removed afterwards)."),
    ] = None,
    keep_server: Annotated[
        bool, typer.Option("--keep-server", help="Leave Label Studio running to look around.")
    ] = False,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port for Label Studio (default: a free one)."),
    ] = None,
    schema_path: SchemaOpt = DEFAULT_SCHEMA_PATH,
) -> None:
    """Start Label Studio, push the corpus and the hand annotations, pull, check the gold."""
    schema = get_schema(schema_path)
    inputs = DemoInputs()
    # Checked before the ~30 s start: the inputs are the repository's, not the package's.
    missing = inputs.missing() + ([] if update_gold or gold.exists() else [gold])
    if missing:
        fail(
            f"the demo runs from a clone of the eventgold repository; not found in "
            f"{Path.cwd()}: {', '.join(map(str, missing))}"
        )
    if workdir is not None:  # the round trip's gold is pulled into WORKDIR/gold
        with user_errors():
            require_distinct_paths(
                {str(p): p for p in (inputs.corpus, inputs.gold_sources, *inputs.passes)}
                | {"--gold": None if update_gold else gold},
                (),
                folders={"--workdir (its gold/)": workdir / "gold"},
            )
    if port is not None:
        with user_errors():
            srv.require_free_port("127.0.0.1", port)  # not after the ~30 s initialisation
    scratch = Path(workdir or tempfile.mkdtemp(prefix="eventgold-demo-"))
    home = srv.Home(scratch / "labelstudio")
    started = time.monotonic()
    server: srv.RunningServer | None = None
    try:
        with user_errors():
            with err.status("initialising a fresh Label Studio (about 30 s)…"):
                creds = srv.ensure_home(home)
            with err.status("starting Label Studio…"):
                server = srv.start(home.data_dir, creds, port=port or srv.free_port())
            session = connect(url=server.url, api_key=creds.token)
            out_dir = gold if update_gold else scratch / "gold"
            steps = run_demo(
                session,
                schema=schema,
                inputs=inputs,
                out_dir=out_dir,
                reference=None if update_gold else gold,
            )
            with err.status("…") as status:
                while True:
                    try:
                        step = next(steps)
                    except StopIteration as stop:
                        report: DemoReport = stop.value
                        break
                    status.update(step.note + "…")
        _summary(report, server.url, time.monotonic() - started, update_gold=update_gold)
        if report.differences:
            fail(
                f"the round trip's gold differs from {gold}:\n  - "
                + "\n  - ".join(report.differences)
                + "\n(if the annotations changed on purpose: eventgold demo --update-gold)"
            )
    except srv.ServerError as exc:
        fail(str(exc))
    finally:
        if server is not None and keep_server:
            out.print(
                f"Label Studio left running at {server.url} (pid {server.pid}); "
                f"credentials in {home.credentials}"
            )
        elif server is not None:
            srv.stop_pid(server.pid)
        if workdir is None and not keep_server:
            shutil.rmtree(scratch, ignore_errors=True)


def _summary(report: DemoReport, url: str, seconds: float, *, update_gold: bool) -> None:
    pushed, pulled = report.push, report.pull
    out.print(f"eventgold demo: round trip through Label Studio at {url} in {seconds:.0f} s")
    out.print(
        f"  push: {pushed.imported} documents imported with {pushed.annotations_added} "
        f"annotations (project id {report.pull.project_id})"
    )
    out.print(f"  agreement: measured on {report.agreement_tasks} doubly annotated document(s)")
    out.print(
        f"  pull: {pulled.tasks} tasks, {pulled.annotations} annotations, "
        f"{pulled.documents} gold documents, {pulled.rejected} rejected, "
        f"{pulled.cancelled} cancelled"
    )
    splits = ", ".join(
        f"{s}: {len(files)} shard(s)" for s, files in parquet_files(report.out_dir).items()
    )
    out.print(f"  gold: {report.out_dir} ({splits})")
    if update_gold:
        out.print(f"  wrote the shipped gold to {report.out_dir}")
    elif not report.differences:
        out.print("  check: identical to the shipped gold/ ✓")
