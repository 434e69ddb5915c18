"""The learning-curve experiment on the shipped gold: uncertainty order against random order.

`python -m bench curve [--seeds 0,1,2] [--epochs 5] [--folds N] [--gold PATH]` runs
`annotate.backend.curve.simulate` and writes the table (and every run's points in the JSON);
rerun it when more gold comes in.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench curve")
    parser.add_argument("--seeds", default="0,1,2", help="seeds, comma-separated")
    parser.add_argument("--epochs", type=int, default=5, help="NER epochs per training")
    parser.add_argument("--folds", type=int, default=0, help="held-out documents (0: all)")
    parser.add_argument("--gold", default=str(ROOT / "gold"), help="gold folder or JSONL")
    options, _ = parser.parse_known_args(argv)
    options.seeds = [int(x) for x in options.seeds.split(",") if x]
    return options


def run(argv: list[str]) -> tuple[dict[str, Any], str]:
    from eventgold.annotate.backend.curve import RunPoint, simulate, summarise
    from eventgold.eval.baselines.gold import load_gold
    from eventgold.eval.baselines.registry import load_extractor
    from eventgold.schema import load_schema

    options = _options(argv)
    schema = load_schema()
    gold = load_gold(Path(options.gold), schema=schema)
    points = [
        p
        for p in simulate(
            gold,
            schema,
            second=load_extractor("rules", schema=schema),
            seeds=options.seeds,
            folds=options.folds or None,
            epochs=options.epochs,
        )
        if isinstance(p, RunPoint)
    ]
    rows = summarise(points)

    def cell(i: Any) -> str:
        return f"{i.mean:.3f} ({i.low:.2f}–{i.high:.2f})"

    lines = [
        "Learning curve: the trained baseline's strict F1 on a held-out gold document after "
        "k annotated documents, taken in uncertainty order (lowest agreement with the rules "
        "first) or in random order; mean over runs (held-out document × seed) with 95% "
        "bootstrap intervals; gain = uncertainty − random, paired by run.",
        "",
        f"{len(gold)} gold documents, seeds {options.seeds}, {options.epochs} epochs a training.",
        "",
        "| k | runs | entity F1 uncertainty | entity F1 random | entity gain "
        "| relation F1 uncertainty | relation F1 random | relation gain |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.k} | {r.runs} | {cell(r.entity['uncertainty'])} | {cell(r.entity['random'])} "
        f"| {cell(r.entity_gain)} | {cell(r.relation['uncertainty'])} "
        f"| {cell(r.relation['random'])} | {cell(r.relation_gain)} |"
        for r in rows
    ]
    figures = {
        "documents": len(gold),
        "seeds": options.seeds,
        "epochs": options.epochs,
        "rows": [asdict(r) for r in rows],
        "points": [asdict(p) for p in points],
    }
    return figures, "\n".join(lines)
