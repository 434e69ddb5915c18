"""The ML backend: predict latency per task, and retrain time against annotated documents.

Latency: one task per ``POST /predict`` to the backend served by uvicorn on 127.0.0.1 (what Label
Studio does when a task opens), for the rules and for the trained model (trained here on the
shipped gold, with the rules as the second model that scores it), on the shortest and the
longest shipped article. The reference, measured in the same run, is the served model's own
``predict`` on the same document in-process: the ratio is what the protocol, the second model,
the score and HTTP add. p50 and p95 over `--repeat` requests after 3 warm-up ones.

Retrain: `trained.fit` (what a training runs after reading the gold) on 1 to N documents; past
the five shipped articles, copies of them under new ids (so the text grows as more gold would).
The reference is the time for one document: the ratio says how training grows with the gold.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench backend")
    parser.add_argument("--repeat", type=int, default=50, help="requests per model and article")
    parser.add_argument("--docs", default="1,2,5,10,20", help="training set sizes, comma-separated")
    parser.add_argument("--epochs", type=int, default=20, help="NER epochs (the backend's default)")
    options, _ = parser.parse_known_args(argv)
    options.docs = [int(x) for x in options.docs.split(",") if x]
    return options


def _quantiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 2),
    }


def latency(repeat: int, epochs: int) -> dict[str, Any]:
    from eventgold.annotate.backend.app import Backend
    from eventgold.annotate.backend.models import ModelHolder, ModelSet, load_models
    from eventgold.annotate.backend.serving import running
    from eventgold.annotate.labelstudio.convert import task_data
    from eventgold.annotate.labelstudio.server import free_port
    from eventgold.documents import read_documents
    from eventgold.eval.baselines.trained import fit
    from eventgold.schema import load_schema

    schema = load_schema()
    gold = list(read_documents(ROOT / "gold" / "documents.jsonl"))
    articles = {
        "short": min(gold, key=lambda d: len(d.text)),
        "long": max(gold, key=lambda d: len(d.text)),
    }
    rules = load_models("rules", schema=schema)
    trained = fit(gold, schema, epochs=epochs)
    sets = {
        "rules": rules,
        "trained": ModelSet(served=trained, second=rules.served, trained_slot="served"),
    }
    figures: dict[str, Any] = {}
    for name, models in sets.items():
        backend = Backend(holder=ModelHolder(models), schema=schema)
        with running(backend, port=free_port()) as url, httpx.Client(timeout=100) as client:
            for size, doc in articles.items():
                body = {"tasks": [{"id": 1, "data": task_data(doc.without_annotations())}]}
                http: list[float] = []
                bare: list[float] = []
                for i in range(repeat + 3):
                    t0 = time.perf_counter()
                    client.post(f"{url}/predict", json=body).raise_for_status()
                    t1 = time.perf_counter()
                    models.served.predict(doc.without_annotations())
                    t2 = time.perf_counter()
                    if i >= 3:
                        http.append(t1 - t0)
                        bare.append(t2 - t1)
                row = {
                    "characters": len(doc.text),
                    "backend": _quantiles(http),
                    "model_alone": _quantiles(bare),
                }
                row["ratio_p50"] = round(row["backend"]["p50_ms"] / row["model_alone"]["p50_ms"], 2)
                figures[f"{name}/{size}"] = row
    return figures


def retrain(sizes: list[int], epochs: int) -> dict[str, Any]:
    from eventgold.documents import read_documents
    from eventgold.eval.baselines.trained import fit
    from eventgold.schema import load_schema

    schema = load_schema()
    gold = sorted(read_documents(ROOT / "gold" / "documents.jsonl"), key=lambda d: d.id)
    figures: dict[str, Any] = {}
    for n in sizes:
        docs = [replace(gold[i % len(gold)], id=f"{gold[i % len(gold)].id}-{i}") for i in range(n)]
        t0 = time.perf_counter()
        fit(docs, schema, epochs=epochs)
        figures[str(n)] = {
            "characters": sum(len(d.text) for d in docs),
            "seconds": round(time.perf_counter() - t0, 2),
        }
    base = figures[str(sizes[0])]["seconds"]
    for row in figures.values():
        row["ratio_to_first"] = round(row["seconds"] / base, 2)
    return figures


def run(argv: list[str]) -> dict[str, Any]:
    options = _options(argv)
    return {
        "repeat": options.repeat,
        "epochs": options.epochs,
        "latency": latency(options.repeat, options.epochs),
        "retrain": retrain(options.docs, options.epochs),
    }
