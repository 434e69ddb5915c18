"""Re-pull: a pull into a gold folder after `k` annotations changed, against a full pull.

Per size a project of generated ~2 KB annotated documents is pushed and pulled once (not
timed). Then, per round, `k` tasks get one more annotation each (the kind of change an
annotator's submission makes), and the same gold folder is pulled twice in fresh processes:
``repull`` (the default: only the tasks updated since the previous pull are exported) and
``full`` (`--full`: the whole project). Both write the whole gold folder again.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_pull import _prepare
from bench.bench_push import _measure, _session, label_studio, summary

REPEAT = 3
CHANGED = 10  # annotations changed between pulls
MARGIN_S = 5  # annotate.repull looks this far before the previous pull's start


def _pull(url: str, api_key: str, title: str, out: str, full: bool) -> dict[str, Any]:
    from eventgold.annotate.repull import iter_repull_to_gold
    from eventgold.progress import drain
    from eventgold.schema import load_schema

    report = drain(
        iter_repull_to_gold(
            _session(url, api_key),
            project_title=title,
            out_dir=Path(out),
            schema=load_schema(),
            full=full,
        )
    )
    return {"incremental": report.incremental, "tasks_read": report.fetched}


def _change(url: str, api_key: str, title: str, k: int, round_: int) -> None:
    """One more annotation on `k` tasks (a copy of each task's first annotation's result)."""
    from eventgold.annotate.labelstudio.project import require_project

    session = _session(url, api_key)
    project = require_project(session, title)
    tasks = session.client.tasks.list(project=project.id, page_size=k, fields="all")
    for task in list(tasks)[:k]:
        result = task.annotations[0]["result"] if task.annotations else []
        session.client.annotations.create(id=task.id, result=result, ground_truth=False)


def run(sizes: list[int], *, k: int = CHANGED, repeat: int = REPEAT) -> dict[str, Any]:
    results: dict[str, Any] = {"repeat": repeat, "changed": k, "sizes": {}}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with label_studio(None, None) as (url, key), tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            title = f"bench-repull-{stamp}-{n}"
            _prepare(url, key, title, n)
            gold = Path(tmp) / f"gold-{n}"
            _pull(url, key, title, str(gold), True)
            # A re-pull reads the tasks updated up to MARGIN before the previous pull began
            # (saves committed late): wait it out, so the rounds read only their changes.
            time.sleep(MARGIN_S + 1)
            samples: dict[str, list[dict[str, Any]]] = {"repull": [], "full": []}
            for r in range(repeat):
                _change(url, key, title, k, r)
                # The same starting folder for both: the previous pull's.
                before = Path(tmp) / f"before-{n}"
                shutil.rmtree(before, ignore_errors=True)
                shutil.copytree(gold, before)
                samples["repull"].append(_measure(_pull, url, key, title, str(gold), False))
                shutil.rmtree(gold)
                shutil.copytree(before, gold)
                samples["full"].append(_measure(_pull, url, key, title, str(gold), True))
            row: dict[str, Any] = {name: summary(got) for name, got in samples.items()}
            row["repull"]["tasks_read"] = [s["tasks_read"] for s in samples["repull"]]
            row["ratio_of_medians"] = round(
                statistics.median(s["seconds"] for s in samples["repull"])
                / statistics.median(s["seconds"] for s in samples["full"]),
                3,
            )
            results["sizes"][n] = row
    return results


if __name__ == "__main__":
    import sys

    print(json.dumps(run([int(a) for a in sys.argv[1:]] or [1000]), indent=1))
