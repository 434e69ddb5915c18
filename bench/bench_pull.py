"""Pull: `pull_to_gold` (stream, validate, write the gold folder) vs a raw full-JSON export.

Per size a project of generated ~2 KB annotated documents is pushed once (not timed), then
measured, each in a fresh process for its own peak RSS:

- ``raw_export``: `exports.download_sync` to bytes, then `json.loads` (what a naive pull does);
- ``pull_stream``: our streamed, validated `pull` alone (no files written);
- ``pull_to_gold``: the whole command: pull plus the gold folder (JSONL, Parquet, HF dataset).

Both look the project up by its title: the raw side as the SDK documents it (every field of
each matching project), ours with ids and titles only. The raw side's lookup is timed apart too
(``lookup_seconds``), so the export alone can be compared as well.

On this small shared machine one export of the same 1,000 tasks took anywhere from 1.9 to
4.0 s, so sizes up to `REPEAT_MAX` documents are measured `repeat` times, the measurements
interleaved, and the median time (and the highest RSS) reported; every sample is kept. Three
ratios are given (`ratios`): of the medians; the median of the per-round ratios (each round
measures both sides back to back, so a slow minute of the machine weighs on both); and of the
best times (what each side costs when nothing else gets in its way, as `timeit` advises).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_push import _measure, _session, docs, label_studio, summary

REPEAT = 7  # measurements per size, interleaved ...
REPEAT_MAX = 10_000  # ... for sizes up to this many documents (one run above)


def raw_export(url: str, api_key: str, title: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    session = _session(url, api_key)
    # The project by title, listed as the SDK documents it (every field of every project
    # whose title contains `title`); kept apart, so the export alone can be compared too.
    [project] = [p for p in session.client.projects.list(title=title) if p.title == title]
    lookup = time.perf_counter() - t0
    raw = b"".join(
        session.client.projects.exports.download_sync(
            id=project.id,
            export_type="JSON",
            download_all_tasks=True,
            # Label Studio builds the whole export before its first byte (over 60 s at 100k
            # tasks): the same allowance our pull gives itself.
            request_options={"timeout_in_seconds": 600},
        )
    )
    tasks = json.loads(raw)
    return {"tasks": len(tasks), "bytes": len(raw), "lookup_seconds": round(lookup, 3)}


def pull_stream(url: str, api_key: str, title: str) -> dict[str, Any]:
    from eventgold.annotate.pull import pull
    from eventgold.schema import load_schema

    n = used = 0
    for task in pull(_session(url, api_key), project_title=title, schema=load_schema()):
        n += 1
        used += len(task.annotations)
    return {"tasks": n, "annotations": used}


def pull_gold(url: str, api_key: str, title: str) -> dict[str, Any]:
    from eventgold.annotate.pull import pull_to_gold
    from eventgold.schema import load_schema

    with tempfile.TemporaryDirectory() as tmp:
        report = pull_to_gold(
            _session(url, api_key),
            project_title=title,
            out_dir=Path(tmp) / "gold",
            schema=load_schema(),
        )
    return {"tasks": report.tasks, "documents": report.documents, "rejected": report.rejected}


def _prepare(url: str, api_key: str, title: str, n: int) -> None:
    from eventgold.annotate.push import push
    from eventgold.schema import load_schema

    for _ in push(
        _session(url, api_key),
        project_title=title,
        documents=(d.without_annotations() for d in docs(n)),
        annotations=docs(n),
        schema=load_schema(),
    ):
        pass


MEASURED = {"raw_export": raw_export, "pull_stream": pull_stream, "pull_to_gold": pull_gold}


def ratios(ours: list[dict[str, Any]], raw: list[dict[str, Any]]) -> dict[str, float]:
    """`ours` over `raw` seconds, from rounds measured back to back (see the module doc)."""
    a = [s["seconds"] for s in ours]
    b = [s["seconds"] for s in raw]
    return {
        "of_medians": round(statistics.median(a) / statistics.median(b), 3),
        "median_per_round": round(statistics.median(x / y for x, y in zip(a, b, strict=True)), 3),
        "of_best": round(min(a) / min(b), 3),
    }


def run(
    sizes: list[int],
    *,
    url: str | None = None,
    api_key: str | None = None,
    repeat: int = REPEAT,
) -> dict:
    results: dict[str, Any] = {"repeat": repeat, "repeat_max": REPEAT_MAX, "sizes": {}}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with label_studio(url, api_key) as (the_url, key):
        for n in sizes:
            title = f"bench-pull-{stamp}-{n}"
            _prepare(the_url, key, title, n)
            samples: dict[str, list[dict[str, Any]]] = {name: [] for name in MEASURED}
            for _ in range(repeat if n <= REPEAT_MAX else 1):
                for name, target in MEASURED.items():
                    samples[name].append(_measure(target, the_url, key, title))
            row: dict[str, Any] = {name: summary(got) for name, got in samples.items()}
            for name in MEASURED:
                row[f"{name}_tasks_per_s"] = round(n / row[name]["seconds"], 1)
            row["ratios"] = ratios(samples["pull_to_gold"], samples["raw_export"])
            results["sizes"][n] = row
    return results


if __name__ == "__main__":
    import sys

    print(json.dumps(run([int(a) for a in sys.argv[1:]] or [2000]), indent=1))
