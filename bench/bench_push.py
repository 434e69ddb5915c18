"""Push throughput: `eventgold.annotate.push.push` vs a raw bulk `import_tasks` of the same tasks;
and the re-push: a no-op re-push and adding `ADDED` documents, with the ledger of the last push
against a scan of every task (`rescan`), each on its own project of the same size.

Each measurement runs in a fresh process (spawn), so its peak RSS is its own. `run(sizes)`
needs a Label Studio: `url`/`api_key`, else LABEL_STUDIO_URL/LABEL_STUDIO_API_KEY or the
`eventgold serve` server; if none answers, a temporary server is initialised and started (about
30-100 s) and stopped afterwards.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from eventgold.documents import Document, Entity, Relation

DOC_CHARS = 2_000
BATCH = 500
ADDED = 1_000  # documents added to a project of each size


def article(i: int, *, chars: int = DOC_CHARS) -> Document:
    """A generated ~2 KB news-like document with four entities and two relations."""
    head = f"Militants killed “{i % 97 + 2} civilians” in Town{i} on Friday 😀. "
    tail = "Officials condemned the raid."
    filler = "Witnesses described the scene near the market as chaotic and loud. "
    body = filler * max(0, (chars - len(head) - len(tail)) // len(filler))
    text = head + body + tail

    def span(sub: str, label: str, eid: str, *, last: bool = False) -> Entity:
        start = text.rindex(sub) if last else text.index(sub)
        return Entity(eid, start, start + len(sub), label, sub)

    victims = text[text.index("“") + 1 : text.index("”")]
    return Document(
        f"bench-{i:06d}",
        text,
        title=f"Article {i}",
        entities=(
            span("Militants", "ATTACKER", "e1"),
            span(victims, "VICTIM_GROUP", "e2"),
            span("Officials", "ACTOR", "e3", last=True),
            span("raid", "ATTACK", "e4", last=True),
        ),
        relations=(Relation("e1", "e2", "KILLED"), Relation("e3", "e4", "CONDEMNS")),
    )


def docs(n: int) -> Iterator[Document]:
    return (article(i) for i in range(n))


def _measure(target: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run `target(*args)` in a fresh process; add its wall time and peak RSS (MB)."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        result = pool.apply(_timed, (target, *args))
        # Let the worker exit on its own: the pool's exit terminates it, and a terminated
        # worker leaves its semaphores to the tracker, which warned of "leaked" ones.
        pool.close()
        pool.join()
    return result


def _timed(target: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    # Import before the clock starts: both sides pay the same start-up, which is not the point.
    # eventgold loads these on first use (so that commands that do not need them start fast).
    import datasets  # noqa: F401
    import label_studio_sdk.client  # noqa: F401
    import spacy  # noqa: F401

    import eventgold.annotate.pull
    import eventgold.annotate.push  # noqa: F401

    t0 = time.perf_counter()
    result = target(*args)
    result["seconds"] = round(time.perf_counter() - t0, 3)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def peak_rss_mb() -> float:
    """Peak RSS of this process since it started its program, in MB.

    Not `ru_maxrss`: Linux folds the high-water mark of the image a process replaces at exec
    into it, and a spawned worker is a fork of the benchmark first, so it would report at
    least the benchmark's own RSS at that moment (7.3 GB for eval at 100,000 documents, whose
    corpus the benchmark holds). ``VmHWM`` belongs to the running program only.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux: ru_maxrss is the best there is
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return round(kb / 1024, 1)


def _session(url: str, api_key: str):
    from eventgold.annotate.labelstudio.connection import connect

    return connect(url=url, api_key=api_key)


def push_ours(
    url: str,
    api_key: str,
    title: str,
    n: int,
    annotations: bool,
    ledger_dir: str | None = None,
    rescan: bool = False,
) -> dict[str, Any]:
    from eventgold.annotate.push import push
    from eventgold.progress import drain
    from eventgold.schema import load_schema

    session = _session(url, api_key)
    report = drain(
        push(
            session,
            project_title=title,
            documents=(d.without_annotations() for d in docs(n)),
            annotations=docs(n) if annotations else None,
            schema=load_schema(),
            batch_size=BATCH,
            ledger_dir=Path(ledger_dir) if ledger_dir is not None else None,
            rescan=rescan,
        )
    )
    return {
        "imported": report.imported,
        "skipped": report.skipped,
        "keys_read": report.keys_read,
        "keys_from_ledger": report.keys_from_ledger,
    }


def push_raw(url: str, api_key: str, title: str, n: int, annotations: bool) -> dict[str, Any]:
    from eventgold.annotate.labelstudio.config import to_label_config
    from eventgold.annotate.labelstudio.convert import to_task
    from eventgold.schema import load_schema

    session = _session(url, api_key)
    client = session.client
    project = client.projects.create(title=title, label_config=to_label_config(load_schema()))
    batch: list[dict[str, Any]] = []
    imported = 0
    for d in docs(n):
        batch.append(to_task(d.without_annotations(), annotations=[d] if annotations else ()))
        if len(batch) == BATCH:
            imported += len(
                client.projects.import_tasks(
                    id=project.id, request=batch, return_task_ids=True
                ).task_ids
            )
            batch = []
    if batch:
        imported += len(
            client.projects.import_tasks(
                id=project.id, request=batch, return_task_ids=True
            ).task_ids
        )
    return {"imported": imported}


@contextlib.contextmanager
def label_studio(url: str | None, api_key: str | None) -> Iterator[tuple[str, str]]:
    """A server to measure against: the configured one, else a temporary one."""
    from eventgold.annotate.labelstudio import server as srv
    from eventgold.annotate.labelstudio.connection import ConnectionProblem, resolve

    try:
        target = resolve(url=url, api_key=api_key)
        if srv.health(target.url):
            yield target.url, target.api_key
            return
    except ConnectionProblem:
        pass  # nothing configured: start a temporary server below
    with tempfile.TemporaryDirectory(prefix="eventgold-bench-") as tmp:
        creds = srv.Credentials.generate()
        data = Path(tmp) / "data"
        srv.init_data_dir(data, creds)
        server = srv.start(data, creds, port=srv.free_port())
        try:
            yield server.url, creds.token
        finally:
            srv.stop_pid(server.pid)


REPEAT = 3  # measurements per size, interleaved, for sizes up to REPEAT_MAX documents
REPEAT_MAX = 1_000  # (one push of 1,000 documents takes under a second: noise dominates)


def summary(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The median time and highest RSS of `samples` (each a `_measure` result), and all."""
    medians = {  # every timing a measurement reports ("seconds", pull's "lookup_seconds")
        key: round(statistics.median(s[key] for s in samples), 3)
        for key in samples[0]
        if key.endswith("seconds")
    }
    return {
        **samples[0],
        **medians,
        "peak_rss_mb": max(s["peak_rss_mb"] for s in samples),
        "samples_seconds": [s["seconds"] for s in samples],
    }


def run(
    sizes: list[int],
    *,
    url: str | None = None,
    api_key: str | None = None,
    annotations_max: int | None = None,
) -> dict:
    """Per size: our push of a new project vs raw bulk import; then on that project a no-op
    re-push and adding `ADDED` documents with the ledger, and on a second project of the same
    size the same with `rescan` (every task read, as without a ledger). Documents only, and
    up to `annotations_max` documents (all sizes if None) with annotations too."""
    results: dict[str, Any] = {
        "doc_chars": DOC_CHARS,
        "batch_size": BATCH,
        "added": ADDED,
        "repeat": REPEAT,
        "repeat_max": REPEAT_MAX,
        "sizes": {},
    }
    stamp = time.strftime("%Y%m%d-%H%M%S")
    steps = ("push", "raw", "noop_ledger", "noop_rescan", "add_ledger", "add_rescan")
    with label_studio(url, api_key) as (the_url, key), tempfile.TemporaryDirectory() as cache:
        for n in sizes:
            row = {}
            both = annotations_max is None or n <= annotations_max
            for annotations in (False, True) if both else (False,):
                tag = "with_annotations" if annotations else "documents_only"
                got: dict[str, list[dict[str, Any]]] = {step: [] for step in steps}
                for i in range(REPEAT if n <= REPEAT_MAX else 1):
                    # Label Studio titles have at most 50 characters.
                    ours = f"bench-push-{stamp}-{n}-{tag[:4]}-{i}"
                    other = f"bench-scan-{stamp}-{n}-{tag[:4]}-{i}"
                    ledger = str(Path(cache) / f"{n}-{tag}-{i}")
                    args = (the_url, key, ours, n, annotations, ledger)
                    got["push"].append(_measure(push_ours, *args))
                    raw = f"bench-raw-{stamp}-{n}-{tag[:4]}-{i}"
                    got["raw"].append(_measure(push_raw, the_url, key, raw, n, annotations))
                    got["noop_ledger"].append(_measure(push_ours, *args))
                    added = (the_url, key, ours, n + ADDED, annotations, ledger)
                    got["add_ledger"].append(_measure(push_ours, *added))
                    # The same on a project of the same size, every task read.
                    _measure(push_ours, the_url, key, other, n, annotations, ledger)
                    again = (the_url, key, other, n, annotations, ledger, True)
                    got["noop_rescan"].append(_measure(push_ours, *again))
                    added = (the_url, key, other, n + ADDED, annotations, ledger, True)
                    got["add_rescan"].append(_measure(push_ours, *added))
                s = {step: summary(samples) for step, samples in got.items()}
                row[tag] = {
                    "push": s["push"],
                    "raw_import": s["raw"],
                    "push_tasks_per_s": round(n / s["push"]["seconds"], 1),
                    "raw_tasks_per_s": round(n / s["raw"]["seconds"], 1),
                    "re_push_noop_ledger": s["noop_ledger"],
                    "re_push_noop_rescan": s["noop_rescan"],
                    "add_ledger": s["add_ledger"],
                    "add_rescan": s["add_rescan"],
                    "noop_ledger_over_rescan": _ratio(got["noop_ledger"], got["noop_rescan"]),
                    "add_ledger_over_rescan": _ratio(got["add_ledger"], got["add_rescan"]),
                }
            results["sizes"][n] = row
    return results


def _ratio(ours: list[dict[str, Any]], reference: list[dict[str, Any]]) -> float:
    """Median time of `ours` over that of `reference` (measured in the same rounds)."""
    return round(
        statistics.median(s["seconds"] for s in ours)
        / statistics.median(s["seconds"] for s in reference),
        3,
    )


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run([int(a) for a in sys.argv[1:]] or [2000]), indent=1))
