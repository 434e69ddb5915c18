"""`python -m bench NAME [options]`: run one benchmark, save bench/results/NAME.json and .md;
`python -m bench all [--sizes ...]` runs them all.

Each benchmark is a function taking its own command-line arguments and returning a
`BenchResult`; add one by adding it to `BENCHMARKS`. The machine (cores, RAM, Python) is
recorded next to every figure, since timings mean nothing without it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class BenchResult:
    figures: dict[str, Any]  # machine-readable numbers
    summary: str  # markdown lines for people


def machine() -> dict[str, Any]:
    ram = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cores": os.cpu_count(),
        "ram_gib": ram,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
    }


def _eval(argv: list[str]) -> BenchResult:
    from bench import bench_eval

    return bench_eval.run(argv)


def _options(
    name: str,
    argv: list[str],
    *,
    repeat: int | None = None,
    more: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """``--sizes`` (and ``--repeat`` where the benchmark takes it); ``--help`` explains them
    instead of starting a benchmark of many minutes."""
    parser = argparse.ArgumentParser(prog=f"python -m bench {name}")
    parser.add_argument(
        "--sizes", default="1000,10000", help="documents per project, comma-separated"
    )
    if repeat is not None:
        parser.add_argument("--repeat", type=int, default=repeat, help="interleaved rounds")
    if more is not None:  # the benchmark's own options
        more(parser)
    # Known options only: `all` hands every benchmark the options of the others too.
    options, _ = parser.parse_known_args(argv)
    options.sizes = [int(x) for x in options.sizes.split(",") if x]
    return options


def _push(argv: list[str]) -> BenchResult:
    from bench import bench_push

    def more(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--annotations-max",
            type=int,
            default=None,
            help="largest size also pushed with annotations (default: every size); above it, "
            "documents only",
        )

    options = _options("push", argv, more=more)
    figures = bench_push.run(options.sizes, annotations_max=options.annotations_max)
    lines = [
        "push: eventgold `push` (streamed, idempotent) vs a raw SDK bulk import of the same "
        "tasks, each in a fresh process; goal: at least 80% of raw throughput.",
        "",
        f"Times are medians of {bench_push.REPEAT} interleaved runs for sizes up to "
        f"{bench_push.REPEAT_MAX:,} documents (one run above).",
        "",
        "| documents | tasks | ours docs/s | raw docs/s | ours / raw | peak RSS ours MB |",
        "|---|---|---|---|---|---|",
    ]
    for n, row in figures["sizes"].items():
        for tag, r in row.items():
            ratio = r["push_tasks_per_s"] / r["raw_tasks_per_s"]
            lines.append(
                f"| {n} | {tag.replace('_', ' ')} | {r['push_tasks_per_s']} | "
                f"{r['raw_tasks_per_s']} | {ratio:.0%} | {r['push']['peak_rss_mb']} |"
            )
    added = figures["added"]
    lines += [
        "",
        f"Re-push: pushing the same documents again (no-op), and adding {added:,} documents (the "
        "whole corpus pushed, the project's documents skipped), with the ledger of the last "
        "push from this machine against reading every task's key (`--rescan`, what every push "
        "did before the ledger), each on its own project of that size, in the same run; goal: "
        "a no-op re-push at 100,000 documents in at most 15 s.",
        "",
        "| documents | tasks | no-op, ledger s (keys read) | no-op, every task s | ledger / "
        f"every task | add {added:,}, ledger s (keys read) | add {added:,}, every task s "
        "| ledger / every task |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, row in figures["sizes"].items():
        for tag, r in row.items():
            noop, add = r["re_push_noop_ledger"], r["add_ledger"]
            lines.append(
                f"| {n} | {tag.replace('_', ' ')} | {noop['seconds']} ({noop['keys_read']}) | "
                f"{r['re_push_noop_rescan']['seconds']} | {r['noop_ledger_over_rescan']}x | "
                f"{add['seconds']} ({add['keys_read']}) | {r['add_rescan']['seconds']} | "
                f"{r['add_ledger_over_rescan']}x |"
            )
    return BenchResult(figures=figures, summary="\n".join(lines))


def _pull(argv: list[str]) -> BenchResult:
    from bench import bench_pull

    options = _options("pull", argv, repeat=bench_pull.REPEAT)
    repeat = options.repeat
    figures = bench_pull.run(options.sizes, repeat=repeat)
    lines = [
        "pull: eventgold `pull_to_gold` (streamed export, validation, gold dataset written) and "
        "the streamed pull alone vs a raw full-JSON export parsed with json.loads; goal: at most "
        "1.25x the raw time, peak memory flat in the project size.",
        "",
        f"Times are medians of {repeat} interleaved runs for sizes up to "
        f"{bench_pull.REPEAT_MAX:,} tasks (one run above); RSS is the highest of them.",
        "",
        "Raw: the project found by title as the SDK documents it, then the export; the "
        "export alone is the raw time less that lookup.",
        "",
        "Ratios of pull_to_gold to raw: of the median times; the median of the per-round "
        "ratios (both sides measured back to back in each round); of the best times.",
        "",
        "| tasks | raw s (lookup s) | pull (stream+validate) s | pull_to_gold s | "
        "ratio of medians | median per round | ratio of best | / raw export alone "
        "| RSS raw MB | RSS pull MB | RSS pull_to_gold MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, r in figures["sizes"].items():
        raw, stream, gold = r["raw_export"], r["pull_stream"], r["pull_to_gold"]
        alone = raw["seconds"] - raw.get("lookup_seconds", 0.0)
        ratio = r["ratios"]
        lines.append(
            f"| {n} | {raw['seconds']} ({raw.get('lookup_seconds', '-')}) | {stream['seconds']} "
            f"| {gold['seconds']} | {ratio['of_medians']:.2f}x | {ratio['median_per_round']:.2f}x "
            f"| {ratio['of_best']:.2f}x | {gold['seconds'] / alone:.2f}x | {raw['peak_rss_mb']} | "
            f"{stream['peak_rss_mb']} | {gold['peak_rss_mb']} |"
        )
    return BenchResult(figures=figures, summary="\n".join(lines))


def _backend(argv: list[str]) -> BenchResult:
    from bench import bench_backend

    figures = bench_backend.run(argv)
    lines = [
        "backend: predict latency per task (one task a POST /predict to the backend on "
        "uvicorn, 127.0.0.1) against the served model's own predict on the same article, and "
        f"retrain time (`trained.fit`, {figures['epochs']} epochs) against annotated documents.",
        "",
        f"Latency over {figures['repeat']} requests after 3 warm-up ones; the trained model is "
        "scored against the rules (both run per request), the rules alone have no second model.",
        "",
        "| model / article | characters | backend p50 ms | backend p95 ms | model alone p50 ms "
        "| model alone p95 ms | backend / model (p50) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in figures["latency"].items():
        lines.append(
            f"| {name} | {r['characters']:,} | {r['backend']['p50_ms']} | {r['backend']['p95_ms']} "
            f"| {r['model_alone']['p50_ms']} | {r['model_alone']['p95_ms']} | {r['ratio_p50']}x |"
        )
    lines += [
        "",
        "| annotated documents | characters | retrain s | / first size |",
        "|---|---|---|---|",
    ]
    for n, r in figures["retrain"].items():
        lines.append(f"| {n} | {r['characters']:,} | {r['seconds']} | {r['ratio_to_first']}x |")
    return BenchResult(figures=figures, summary="\n".join(lines))


def _curve(argv: list[str]) -> BenchResult:
    from bench import bench_curve

    figures, summary = bench_curve.run(argv)
    return BenchResult(figures=figures, summary=summary)


def _repull(argv: list[str]) -> BenchResult:
    from bench import bench_repull

    def more(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--changed", type=int, default=bench_repull.CHANGED, help="annotations changed a round"
        )
        parser.add_argument(
            "--profile", type=Path, default=None, help="folder for a cProfile of one more re-pull"
        )

    options = _options("repull", argv, repeat=bench_repull.REPEAT, more=more)
    figures = bench_repull.run(
        options.sizes, k=options.changed, repeat=options.repeat, profile=options.profile
    )
    lines = [
        f"repull: a pull into the previous gold folder after {figures['changed']} annotations "
        "changed (only the tasks updated since are exported, and the gold folder is patched) "
        "against a full pull (`--full`: every task exported, the whole folder written) of the "
        f"same project into the same folder. Medians of {figures['repeat']} rounds, each in a "
        f"fresh process; above {figures['full_once_above']:,} tasks the full pull is measured "
        "in the first round only. Before the rounds, one re-pull (not timed) reads the tasks "
        "Label Studio updated in the background after the import. Same folder: the files "
        "that differ between the re-pull's and the full pull's gold in the first round "
        "(pull.json's times aside).",
        "",
        "| tasks | re-pull s | tasks read (each round) | patched | full pull s (rounds) "
        "| re-pull / full | same folder | peak RSS re-pull / full MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, r in figures["sizes"].items():
        read = ", ".join(str(t) for t in r["repull"]["tasks_read"])
        patched = ", ".join("yes" if p else "no" for p in r["repull"]["patched"])
        differ = r["differing_files_first_round"]
        lines.append(
            f"| {n} | {r['repull']['seconds']} | {read} | {patched} | {r['full']['seconds']} "
            f"({len(r['full']['samples_seconds'])}) | {r['ratio_of_medians']}x "
            f"| {'yes' if not differ else 'no: ' + ', '.join(differ)} "
            f"| {r['repull']['peak_rss_mb']} / {r['full']['peak_rss_mb']} |"
        )
    return BenchResult(figures=figures, summary="\n".join(lines))


def _browser(argv: list[str]) -> BenchResult:
    from bench import bench_browser

    figures = bench_browser.run(argv)
    return BenchResult(figures=figures, summary="\n".join(bench_browser.summary(figures)))


BENCHMARKS: dict[str, Callable[[list[str]], BenchResult]] = {
    "eval": _eval,
    "push": _push,
    "pull": _pull,
    "backend": _backend,
    "curve": _curve,
    "browser": _browser,
    "repull": _repull,
}


def save(name: str, result: BenchResult) -> tuple[Path, Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = machine()
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    data = {"benchmark": name, "when": when, "machine": info, "figures": result.figures}
    json_path, md_path = RESULTS / f"{name}.json", RESULTS / f"{name}.md"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    md = (
        f"# bench {name}\n\n{when}; {info['cores']} cores, {info['ram_gib']} GiB RAM, "
        f"Python {info['python']}, {info['platform']}\n\n{result.summary}\n"
    )
    md_path.write_text(md, encoding="utf-8")
    return json_path, md_path


def main(argv: list[str]) -> int:
    """`NAME [options]` runs one benchmark; `all [--sizes ...]` runs every one in turn."""
    names = list(BENCHMARKS) if argv[:1] == ["all"] else argv[:1]
    if not names or names[0] not in BENCHMARKS:
        print(f"usage: python -m bench {{all,{','.join(BENCHMARKS)}}} [options]", file=sys.stderr)
        return 2
    if len(names) > 1 and {"-h", "--help"} & set(argv[1:]):
        # Each benchmark's own help (argparse exits after printing it), not only the first's.
        for name in names:
            with contextlib.suppress(SystemExit):
                BENCHMARKS[name](["--help"])
        return 0
    for name in names:
        result = BENCHMARKS[name](argv[1:])
        print(f"# {name}\n\n{result.summary}\n")
        for path in save(name, result):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
