"""Re-pull: a pull into a gold folder after `k` annotations changed, against a full pull.

Per size a project of generated ~2 KB annotated documents is pushed and pulled once, then
re-pulled once (neither timed: Label Studio updates tasks again in the background after an
import, which the first re-pull reads). Then, per round, `k` tasks get one more annotation
each (the kind of change an annotator's submission makes), and the same gold folder is pulled
twice in fresh processes: ``repull`` (the default: only the tasks updated since the previous
pull are exported, and the gold folder is patched) and ``full`` (`--full`: the whole project,
the whole folder written). Above `FULL_ONCE_ABOVE` tasks the full pull is measured in the first
round only (about 400 s at 100,000). The first round also checks that both wrote the same
folder (pull.json's times aside). With ``profile``, one more round's re-pull runs under
cProfile (not timed) and its statistics are saved.
"""

from __future__ import annotations

import itertools
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
CHANGED = 100  # annotations changed between pulls
MARGIN_S = 5  # annotate.repull looks this far before the previous pull's start
FULL_ONCE_ABOVE = 10_000


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
    return {
        "incremental": report.incremental,
        "tasks_read": report.fetched,
        "patched": report.incremental and not report.rewrite_reason,
        "rewrite_reason": report.rewrite_reason,
    }


def _profiled_pull(url: str, api_key: str, title: str, out: str, stats: str) -> dict[str, Any]:
    import cProfile

    profile = cProfile.Profile()
    result = profile.runcall(_pull, url, api_key, title, out, False)
    profile.dump_stats(stats)
    return result


def _change(url: str, api_key: str, title: str, k: int) -> None:
    """One more annotation on `k` tasks (a copy of each task's first annotation's result)."""
    from eventgold.annotate.labelstudio.project import require_project

    session = _session(url, api_key)
    project = require_project(session, title)
    tasks = session.client.tasks.list(project=project.id, page_size=k, fields="all")
    for task in itertools.islice(tasks, k):  # the pager would fetch every page
        result = task.annotations[0]["result"] if task.annotations else []
        session.client.annotations.create(id=task.id, result=result, ground_truth=False)


def _differing(a: Path, b: Path) -> list[str]:
    from eventgold.annotate.repull import comparable_files

    got, want = comparable_files(a), comparable_files(b)
    return sorted(n for n in got.keys() | want.keys() if got.get(n) != want.get(n))


def run(
    sizes: list[int], *, k: int = CHANGED, repeat: int = REPEAT, profile: Path | None = None
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "repeat": repeat,
        "changed": k,
        "full_once_above": FULL_ONCE_ABOVE,
        "sizes": {},
    }
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
            warm_up = _pull(url, key, title, str(gold), False)
            time.sleep(MARGIN_S + 1)
            samples: dict[str, list[dict[str, Any]]] = {"repull": [], "full": []}
            same: list[str] = []
            for r in range(repeat):
                _change(url, key, title, k)
                # The same starting folder for both: the previous pull's.
                before, after = Path(tmp) / f"before-{n}", Path(tmp) / f"after-{n}"
                shutil.rmtree(before, ignore_errors=True)
                shutil.copytree(gold, before)
                samples["repull"].append(_measure(_pull, url, key, title, str(gold), False))
                if r and n > FULL_ONCE_ABOVE:
                    continue
                shutil.rmtree(after, ignore_errors=True)
                gold.rename(after)
                shutil.copytree(before, gold)
                samples["full"].append(_measure(_pull, url, key, title, str(gold), True))
                if not r:
                    same = _differing(after, gold)
            row: dict[str, Any] = {name: summary(got) for name, got in samples.items()}
            row["warm_up_tasks_read"] = warm_up["tasks_read"]
            for key_ in ("tasks_read", "patched"):
                row["repull"][key_] = [s[key_] for s in samples["repull"]]
            row["differing_files_first_round"] = same
            row["ratio_of_medians"] = round(
                statistics.median(s["seconds"] for s in samples["repull"])
                / statistics.median(s["seconds"] for s in samples["full"]),
                3,
            )
            if profile is not None:
                _change(url, key, title, k)
                stats = profile / f"repull-{n}.pstats"
                row["profile"] = str(stats)
                _measure(_profiled_pull, url, key, title, str(gold), str(stats))
            results["sizes"][n] = row
    return results


if __name__ == "__main__":
    import sys

    print(json.dumps(run([int(a) for a in sys.argv[1:]] or [1000]), indent=1))
