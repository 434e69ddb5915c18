"""The annotator's path in headless Chromium: page timings, and the docs' screenshots.

Against a Label Studio (the configured one, else a temporary one), each round makes a project
and an annotator as the browser tests do (`tests/browser/labeling.py`), then times, in one
browser: logging in, opening the labeling stream's first task (pre-annotations drawn), drawing
the first region (hotkey and drag), and submitting. The reference, measured in the same
rounds, is the login page's load alone (a plain server-rendered page): each step is also given
as a ratio to it, since raw seconds depend on the machine. The last round saves a screenshot
of the labeling page, and one of an HTML evaluation report, into docs/.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_push import label_studio

DOCS = Path(__file__).resolve().parent.parent / "docs"
ROOT = DOCS.parent
STEPS = ("login", "task_open", "first_region", "submit")
SHOTS = {"labeling": "screenshot-labeling.png", "report": "screenshot-report.png"}


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench browser")
    parser.add_argument("--repeat", type=int, default=3, help="labeling sessions timed")
    parser.add_argument("--url", default=None, help="Label Studio URL (else a temporary one)")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--shots", type=Path, default=DOCS, help="folder for the screenshots")
    options, _ = parser.parse_known_args(argv)
    return options


def _report_html(tmp: Path) -> Path:
    from eventgold.documents import read_documents
    from eventgold.eval.baselines.rules import build_rule_extractor
    from eventgold.eval.evaluate import evaluate
    from eventgold.eval.html import render_html
    from eventgold.schema import load_schema

    schema = load_schema()
    gold = list(read_documents(ROOT / "gold" / "documents.jsonl"))
    rules = build_rule_extractor(schema)
    result = evaluate(gold, [rules.predict(d) for d in gold], schema=schema)
    path = tmp / "report.html"
    path.write_text(render_html(result, title="eventgold eval: rules"), encoding="utf-8")
    return path


def run(argv: list[str]) -> dict[str, Any]:
    from eventgold.annotate.labelstudio.connection import connect
    from tests.browser import labeling as ui

    options = _options(argv)
    chromium = ui.chromium_path()
    if chromium is None:
        raise SystemExit("no Chromium found: install the `chromium` package")
    rounds: list[dict[str, float]] = []
    with (
        label_studio(options.url, options.api_key) as (url, key),
        connect(url=url, api_key=key) as session,
        tempfile.TemporaryDirectory(prefix="eventgold-bench-browser-") as tmp,
        ui.launched(chromium) as browser,
    ):
        for n in range(options.repeat):
            stamp = f"{time.time_ns() % 10**9}-{n}"
            prep = ui.prepare(
                session,
                title=f"bench-browser-{stamp}",
                email=f"bench-{stamp}@example.org",
                secrets_dir=Path(tmp) / "secrets",
            )
            context = browser.new_context(viewport={"width": 1100, "height": 520})
            page = context.new_page()
            began = time.perf_counter()
            page.goto(f"{url}/user/login/")
            page.wait_for_selector(ui.LOGIN_EMAIL)
            reference = time.perf_counter() - began
            timings = ui.Timings()
            labeled = ui.label_task(
                page,
                url,
                prep.project_id,
                email=prep.email,
                password=prep.password,
                timings=timings,
            )
            if labeled.status != 201:
                raise SystemExit(f"submit answered HTTP {labeled.status}")
            rounds.append({"login_page": round(reference, 3), **timings.steps})
            if n == options.repeat - 1 and options.shots:
                ui.open_task(page, url, prep.project_id)
                ui.close_instructions(page)
                page.screenshot(path=str(options.shots / SHOTS["labeling"]))
                report = browser.new_page(viewport={"width": 1100, "height": 700})
                report.goto(_report_html(Path(tmp)).as_uri())
                report.screenshot(path=str(options.shots / SHOTS["report"]))
            context.close()
    medians = {k: round(statistics.median(r[k] for r in rounds), 3) for k in rounds[0]}
    ratios = {k: round(medians[k] / medians["login_page"], 1) for k in STEPS}
    return {"rounds": rounds, "medians": medians, "ratio_to_login_page": ratios}


def summary(figures: dict[str, Any]) -> list[str]:
    med, ratio = figures["medians"], figures["ratio_to_login_page"]
    lines = [
        "browser: the annotator's path in headless Chromium (Playwright, system Chromium) on "
        "Label Studio 1.23.2; medians of "
        f"{len(figures['rounds'])} sessions, each step also as a ratio to the login page's "
        "load measured in the same sessions.",
        "",
        f"Reference: login page load {med['login_page']} s.",
        "",
        "| step | median s | / login page load |",
        "|---|---|---|",
    ]
    lines += [f"| {step.replace('_', ' ')} | {med[step]} | {ratio[step]}x |" for step in STEPS]
    return lines
