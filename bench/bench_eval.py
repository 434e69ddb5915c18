"""Scoring speed: eventgold's four entity rules + relations vs nervaluate's entity scoring.

Synthetic corpus: N documents with ~30 entities and ~8 relations each; predictions are the
gold perturbed (kept, boundary shifted, relabelled, dropped, plus spurious spans). Both
scorers get the same spans; nervaluate gets end-inclusive offsets as it expects. The goal is
ours >= 20x faster than nervaluate's entity scoring alone, while ours does more work.

Scoring is the count table every figure comes from. Each scorer is timed on its own input,
made from the same documents before the clock starts: ours on columns (`eval.columns`, what
`eventgold eval` scores), nervaluate on its lists of span dicts. Beside it: ours a document
at a time from `Document` objects (`build_table`), and what building the columns from
`Document` objects costs. The whole report (`evaluate`, as `eventgold eval --no-tokens
--bootstrap 0` runs it) adds the label confusion matrix and the error list (each error's
sentence, for the first 5,000), and is timed too.

`eventgold eval` is also run as a user runs it, on JSONL files of the same corpus made valid
gold (spans trimmed, relations fitting the schema) and on the gold folder written from them,
in a fresh Python process (start-up and imports timed too): its wall time against
nervaluate run as a user runs it on the same JSONL files (read, then every document scored in
one call, in a fresh process; `nervaluate_command`), its CPU time and that of the second
process that reads both files (`eval.read_ahead`), and peak RSS, which must not grow with the
documents held (it reads them one at a time).

Token scores (IOB2, `eventgold eval`'s default) are timed against seqeval's strict IOB2
report. seqeval gets the tag sequences ready-made (made outside its timing); ours starts from
the documents, so it tokenizes every text and scores the entity rules as well.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.__main__ import BenchResult
from bench.bench_push import peak_rss_mb
from eventgold.dataset.writer import write_gold
from eventgold.documents import (
    Document,
    Entity,
    Relation,
    read_documents,
    write_documents,
)
from eventgold.eval.bootstrap import Bootstrap, intervals
from eventgold.eval.columns import column_table, columns_of
from eventgold.eval.evaluate import EvalResult, evaluate
from eventgold.eval.iob import tags_for, token_offsets
from eventgold.eval.table import CountTable, build_table
from eventgold.schema import Schema, load_schema

LABELS = ("ATTACKER", "VICTIM_GROUP", "LOCATION", "ACTOR", "ATTACK")
ROOT = Path(__file__).resolve().parents[1]  # the repository: `bench` imports from here
FILLER = "the quick brown fox jumps over the lazy dog near the river bank at dawn " * 40


def _doc(i: int, rnd: random.Random, n_entities: int, n_relations: int) -> Document:
    spans, at = [], 0
    for _ in range(n_entities):
        at += rnd.randint(4, 20)
        length = rnd.randint(3, 25)
        spans.append((at, at + length))
        at += length
    text = (FILLER * (at // len(FILLER) + 2))[: at + 10]
    ents = tuple(
        Entity(f"e{j}", s, e, rnd.choice(LABELS), text[s:e]) for j, (s, e) in enumerate(spans)
    )
    rels = tuple(
        Relation(f"e{h}", f"e{t}", rnd.choice(("KILLED", "CONDEMNS")))
        for h, t in (rnd.sample(range(n_entities), 2) for _ in range(n_relations))
    )
    return Document(id=f"d{i:06d}", text=text, entities=ents, relations=rels)


def _perturb(doc: Document, rnd: random.Random) -> Document:
    ents = []
    for e in doc.entities:
        r = rnd.random()
        if r < 0.75:
            ents.append(e)
        elif r < 0.85:
            s = max(0, e.start + rnd.randint(-3, 3))
            end = max(s + 1, e.end + rnd.randint(-3, 3))
            ents.append(Entity(e.id, s, end, e.label, doc.text[s:end]))
        elif r < 0.92:
            ents.append(Entity(e.id, e.start, e.end, rnd.choice(LABELS), e.text))
    keys = {e.key for e in ents}
    for k in range(2):  # spurious spans, possibly overlapping gold, never repeating one
        s = rnd.randrange(0, max(1, len(doc.text) - 10))
        spurious = Entity(f"s{k}", s, s + 5, rnd.choice(LABELS), doc.text[s : s + 5])
        if spurious.key not in keys:
            keys.add(spurious.key)
            ents.append(spurious)
    kept = {e.id for e in ents}
    rels = [r for r in doc.relations if r.head in kept and r.tail in kept and rnd.random() < 0.8]
    return doc.with_annotations(entities=ents, relations=rels)


def make_corpus(
    n_docs: int, *, seed: int = 0, entities: int = 30, relations: int = 8
) -> tuple[list[Document], list[Document]]:
    rnd = random.Random(seed)
    gold = [_doc(i, rnd, entities, relations) for i in range(n_docs)]
    return gold, [_perturb(d, rnd) for d in gold]


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Best CPU seconds and best wall seconds over `repeat` runs, and the last result.

    CPU time (this process only) is the headline: on a shared machine wall time mostly
    measures the neighbours. Both are reported.
    """
    cpu = wall = float("inf")
    result = None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
    return cpu, wall, result


SLICE = 1000  # documents per slice of the interleaved comparison


@dataclass(frozen=True)
class Scorer:
    """A scorer's input made from a slice of gold and predicted documents (not timed), and
    its scoring of that input (timed)."""

    prepare: Callable[[list[Document], list[Document]], Any]
    score: Callable[[Any], object]


def _documents(gold: list[Document], pred: list[Document]) -> tuple[list, list]:
    return gold, pred


def interleaved(
    scorers: dict[str, Scorer],
    gold: list[Document],
    pred: list[Document],
    *,
    repeat: int,
    slice_docs: int = SLICE,
) -> dict[str, tuple[float, float]]:
    """Per scorer: CPU and wall seconds summed over slices of `slice_docs` documents, each the
    best of `repeat` runs, with the scorers taking turns on every slice (order rotated).

    Why: this machine runs the same code up to 1.7 times slower for seconds at a time. Timed
    one after the other, our short run and nervaluate's long one land in different stretches
    and their ratio measures the machine; taking turns a slice at a time, both see the same
    ones. Slicing costs every scorer its fixed per-call work once per slice (for ours, the
    table's assembly), so it can only understate our lead.
    """
    names = list(scorers)
    cpu = dict.fromkeys(names, 0.0)
    wall = dict.fromkeys(names, 0.0)
    for k, at in enumerate(range(0, len(gold), slice_docs)):
        g, p = gold[at : at + slice_docs], pred[at : at + slice_docs]
        inputs = {name: scorers[name].prepare(g, p) for name in names}
        best_cpu = dict.fromkeys(names, float("inf"))
        best_wall = dict.fromkeys(names, float("inf"))
        for r in range(repeat):
            turn = (k + r) % len(names)
            for name in names[turn:] + names[:turn]:
                c0, w0 = time.process_time(), time.perf_counter()
                scorers[name].score(inputs[name])
                best_cpu[name] = min(best_cpu[name], time.process_time() - c0)
                best_wall[name] = min(best_wall[name], time.perf_counter() - w0)
        for name in names:
            cpu[name] += best_cpu[name]
            wall[name] += best_wall[name]
    return {name: (cpu[name], wall[name]) for name in names}


def _nervaluate_input(docs: list[Document]) -> list[list[dict]]:
    # nervaluate's offsets are end-inclusive.
    return [
        [{"label": e.label, "start": e.start, "end": e.end - 1} for e in d.entities] for d in docs
    ]


def score_ours(gold: list[Document], pred: list[Document], *, relations: bool) -> CountTable:
    """A document at a time, from `Document` objects (`build_table`)."""
    return build_table(zip(gold, pred, strict=True), relations=relations, tokens=False)


def columns_input(gold: list[Document], pred: list[Document]) -> tuple:
    """What `column_table` scores: the gold ids and both sides' columns."""
    return [d.id for d in gold], columns_of(gold), columns_of(pred)


def columns_from_documents(docs: tuple[list[Document], list[Document]]) -> None:
    """Building both sides' columns from `Document` objects."""
    for side in docs:
        columns_of(side)


def report_ours(gold: list[Document], pred: list[Document], schema: Schema) -> EvalResult:
    return evaluate(gold, pred, schema, bootstrap=0, tokens=False)


def score_tokens_ours(gold: list[Document], pred: list[Document]) -> CountTable:
    return build_table(zip(gold, pred, strict=True), relations=False, tokens=True)


def seqeval_input(gold: list[Document], pred: list[Document]) -> tuple[list, list]:
    """Gold and predicted IOB2 tag sequences on the gold tokens, as seqeval takes them."""
    gold_tags, pred_tags = [], []
    for g, p in zip(gold, pred, strict=True):
        offsets = token_offsets(g)
        gold_tags.append(tags_for(offsets, g.entities))
        pred_tags.append(tags_for(offsets, p.entities))
    return gold_tags, pred_tags


def score_seqeval(gold_tags: list, pred_tags: list) -> dict:
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    with warnings.catch_warnings():  # labels without predictions warn
        warnings.simplefilter("ignore")
        return classification_report(
            gold_tags, pred_tags, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
        )


def valid_gold(doc: Document, schema: Schema) -> Document:
    """`doc` as valid gold: spans trimmed of whitespace (dropped if nothing is left, or if
    trimming made them repeat one), and only relations whose endpoints have labels the schema
    allows, each once."""
    ents, keys = [], set()
    for e in doc.entities:
        text = doc.text[e.start : e.end]
        start = e.start + len(text) - len(text.lstrip())
        end = e.end - (len(text) - len(text.rstrip()))
        if start < end and (e.label, start, end) not in keys:
            keys.add((e.label, start, end))
            ents.append(Entity(e.id, start, end, e.label, doc.text[start:end]))
    labels = {e.id: e.label for e in ents}
    rels = {}
    for r in doc.relations:
        rtype = schema.relation(r.label)
        if (
            rtype is not None
            and labels.get(r.head) in rtype.head
            and labels.get(r.tail) in rtype.tail
        ):
            rels[r.head, r.tail, r.label] = r
    return doc.with_annotations(entities=ents, relations=rels.values())


def command_main() -> None:
    """`eventgold ARGS...` (``sys.argv[1:]``) run as `command` runs it, writing its own
    figures to the file named by ``EVENTGOLD_BENCH_STATS``: CPU seconds of this process and of
    the processes it waited for (the one reading both files, `eval.read_ahead`), and peak RSS
    of both."""
    from eventgold.cli import commands_for

    app = commands_for(sys.argv[1:])  # as the `eventgold` program loads it
    with contextlib.redirect_stdout(io.StringIO()):  # the figures table: not the bench's
        app(sys.argv[1:], standalone_mode=False)
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = {
        "cpu_seconds": round(own.ru_utime + own.ru_stime, 3),
        "children_cpu_seconds": round(children.ru_utime + children.ru_stime, 3),
        "peak_rss_mb": peak_rss_mb(),
        "children_peak_rss_mb": round(children.ru_maxrss / 1024, 1),
    }
    Path(os.environ["EVENTGOLD_BENCH_STATS"]).write_text(json.dumps(stats))


def fresh_process(main: str, args: list[str]) -> dict[str, Any]:
    """Run ``bench.bench_eval.<main>()`` with ``sys.argv[1:]`` = `args` in a fresh Python
    process: wall seconds from its start to its end (interpreter start-up and imports
    included), the load average when it started, and the figures it wrote to the file named
    by ``EVENTGOLD_BENCH_STATS``."""
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "stats.json"
        env = {**os.environ, "EVENTGOLD_BENCH_STATS": str(stats)}
        code = f"from bench.bench_eval import {main}; {main}()"
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code, *args], check=True, env=env, cwd=ROOT)
        seconds = time.perf_counter() - t0
        return {
            "seconds": round(seconds, 3),
            "load_average_1min": round(load, 2),
            **json.loads(stats.read_text()),
        }


def command(args: list[str]) -> dict[str, Any]:
    """`eventgold ARGS...` run as a user runs it (`command_main` in `fresh_process`)."""
    return fresh_process("command_main", args)


def nervaluate_main() -> None:
    """nervaluate as a user runs it on JSONL files ``sys.argv[1:3]`` (gold, predictions): read
    both, then score every document in one call; its reading and scoring seconds go to the
    file named by ``EVENTGOLD_BENCH_STATS``."""
    t0 = time.perf_counter()

    def spans(path: str) -> list[list[dict]]:
        with open(path, "rb") as fh:
            return [
                [
                    {"label": e["label"], "start": e["start"], "end": e["end"] - 1}
                    for e in json.loads(line)["entities"]
                ]
                for line in fh
                if line.strip()
            ]

    true, predicted = spans(sys.argv[1]), spans(sys.argv[2])
    t1 = time.perf_counter()
    score_lists(true, predicted)
    t2 = time.perf_counter()
    stats = {"read_seconds": round(t1 - t0, 3), "score_seconds": round(t2 - t1, 3)}
    Path(os.environ["EVENTGOLD_BENCH_STATS"]).write_text(json.dumps(stats))


def nervaluate_command(gold: Path, pred: Path) -> dict[str, Any]:
    """nervaluate on two JSONL files as a user runs it (`nervaluate_main` in
    `fresh_process`)."""
    return fresh_process("nervaluate_main", [str(gold), str(pred)])


def eval_cli(
    gold: list[Document], pred: list[Document], schema: Schema, *, rounds: int
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """`eventgold eval --gold GOLD --predictions PRED --json OUT --html OUT` (`command`), with
    the gold as a documents JSONL (``file``: every text tokenized) and as a gold folder
    (``folder``: token offsets read from its shards), and nervaluate on the same two JSONL
    files as a user runs it (`nervaluate_command`), taking turns for `rounds` rounds. Each
    run's figures are those of its median round by wall seconds, with every round's seconds
    (``rounds``); ours also carry the median over rounds of nervaluate's scoring seconds
    divided by theirs in the same round (``per_round_speedup``). Writing the files and the
    folder is not timed."""
    with tempfile.TemporaryDirectory() as tmp:
        names = ("gold.jsonl", "pred.jsonl", "result.json", "report.html")
        files = [Path(tmp) / name for name in names]
        write_documents(files[0], (valid_gold(d, schema) for d in gold))
        write_documents(files[1], (valid_gold(d, schema) for d in pred))
        folder = Path(tmp) / "gold"
        write_gold(read_documents(files[0]), folder, schema=schema)
        ours: dict[str, list[dict[str, Any]]] = {"file": [], "folder": []}
        theirs: list[dict[str, Any]] = []
        for _ in range(rounds):
            for name, where in (("file", files[0]), ("folder", folder)):
                args = ["eval", "--gold", str(where), "--predictions", str(files[1])]
                args += ["--json", str(files[2]), "--html", str(files[3])]
                ours[name].append(command(args))
            theirs.append(nervaluate_command(files[0], files[1]))
        runs = {
            name: {
                **_median_run(done),
                "per_round_speedup": round(
                    statistics.median(
                        t["score_seconds"] / r["seconds"] for r, t in zip(done, theirs, strict=True)
                    ),
                    2,
                ),
            }
            for name, done in ours.items()
        }
        return runs, _median_run(theirs)


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall seconds (the lower middle one of an even number), with the
    seconds of every run."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    return {**ordered[(len(ordered) - 1) // 2], "rounds": [r["seconds"] for r in runs]}


def nervaluate_input(gold: list[Document], pred: list[Document]) -> tuple[list, list]:
    """What nervaluate scores: both sides' lists of span dicts."""
    return _nervaluate_input(gold), _nervaluate_input(pred)


def score_lists(true: list[list[dict]], predicted: list[list[dict]]) -> dict:
    """nervaluate's 4 strategies, overall and per label, on its own input lists."""
    from nervaluate import Evaluator

    return Evaluator(true, predicted, tags=list(LABELS), loader="dict").evaluate()


def measure(
    n_docs: int, *, seed: int, resamples: int, repeat: int, seqeval_max: int, rounds: int
) -> dict[str, Any]:
    """Both scorers (and our bootstrap) on one generated corpus of `n_docs` documents; token
    scores against seqeval up to `seqeval_max` documents (it takes ~2 ms a document)."""
    gold, pred = make_corpus(n_docs, seed=seed)
    schema = load_schema()
    times = interleaved(
        {
            "ours": Scorer(columns_input, lambda x: column_table(*x)),
            "entities": Scorer(columns_input, lambda x: column_table(*x, relations=False)),
            "per_document": Scorer(_documents, lambda x: score_ours(*x, relations=True)),
            "columns": Scorer(_documents, columns_from_documents),
            "report": Scorer(_documents, lambda x: report_ours(*x, schema)),
            "nervaluate": Scorer(nervaluate_input, lambda x: score_lists(*x)),
        },
        gold,
        pred,
        repeat=repeat,
    )
    (ours, ours_wall), (ents, ents_wall) = times["ours"], times["entities"]
    per_document, columns = times["per_document"][0], times["columns"][0]
    (report, report_wall), (theirs, theirs_wall) = times["report"], times["nervaluate"]
    table = score_ours(gold, pred, relations=True)
    toks, toks_wall, _ = _timed(lambda: score_tokens_ours(gold, pred), repeat)
    tokens: dict[str, Any] = {"ours_tokens_cpu_seconds": round(toks, 3)}
    tokens["ours_tokens_wall_seconds"] = round(toks_wall, 3)
    if n_docs <= seqeval_max:
        gold_tags, pred_tags = seqeval_input(gold, pred)
        seq, seq_wall, _ = _timed(lambda: score_seqeval(gold_tags, pred_tags), 1)
        tokens["seqeval_cpu_seconds"] = round(seq, 3)
        tokens["seqeval_wall_seconds"] = round(seq_wall, 3)
        tokens["speedup_tokens_cpu"] = round(seq / toks, 1)
    settings = Bootstrap(resamples=resamples, seed=seed)
    boot, boot_wall, _ = _timed(lambda: intervals(table, settings), 1)
    cli, theirs_cli = eval_cli(gold, pred, schema, rounds=rounds)
    return {
        "documents": n_docs,
        "gold_entities": sum(len(d.entities) for d in gold),
        "gold_relations": sum(len(d.relations) for d in gold),
        "ours_cpu_seconds": round(ours, 3),
        "nervaluate_cpu_seconds": round(theirs, 3),
        "speedup_cpu": round(theirs / ours, 1),
        "ours_wall_seconds": round(ours_wall, 3),
        "ours_entities_only_cpu_seconds": round(ents, 3),
        "ours_entities_only_wall_seconds": round(ents_wall, 3),
        "speedup_entities_only_cpu": round(theirs / ents, 1),
        "per_document_cpu_seconds": round(per_document, 3),
        "speedup_per_document_cpu": round(theirs / per_document, 1),
        "columns_from_documents_cpu_seconds": round(columns, 3),
        "ours_report_cpu_seconds": round(report, 3),
        "ours_report_wall_seconds": round(report_wall, 3),
        "speedup_report_cpu": round(theirs / report, 1),
        "nervaluate_wall_seconds": round(theirs_wall, 3),
        "speedup_wall": round(theirs_wall / ours_wall, 1),
        "bootstrap_resamples": resamples,
        "bootstrap_cpu_seconds": round(boot, 3),
        "bootstrap_wall_seconds": round(boot_wall, 3),
        **tokens,
        # The whole command in a fresh process (start-up, reading, validating, every family,
        # bootstrap, JSON written) vs nervaluate run as a user runs it on the same files:
        # its scoring alone (one call on every document), and its whole process (reading the
        # files too); and vs the sum of its per-slice scoring above. Wall seconds.
        "nervaluate_command": theirs_cli,
        "eval_command": {
            name: {
                **run,
                "speedup_vs_nervaluate_scoring": round(
                    theirs_cli["score_seconds"] / run["seconds"], 2
                ),
                "speedup_vs_nervaluate_command": round(theirs_cli["seconds"] / run["seconds"], 2),
                "speedup_vs_nervaluate_wall": round(theirs_wall / run["seconds"], 2),
            }
            for name, run in cli.items()
        },
    }


def run(argv: list[str]) -> BenchResult:
    parser = argparse.ArgumentParser(prog="python -m bench eval")
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="documents per corpus, comma-separated"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2, help="runs per scorer; best is kept")
    parser.add_argument(
        "--seqeval-max", type=int, default=10_000, help="largest corpus to run seqeval on"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the commands taking turns; median kept"
    )
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    rows = {
        n: measure(
            n,
            seed=args.seed,
            resamples=args.resamples,
            repeat=args.repeat,
            seqeval_max=args.seqeval_max,
            rounds=args.rounds,
        )
        for n in sizes
    }
    figures = {
        "sizes": rows,
        "timing": (
            f"scoring: sum over slices of {SLICE} documents of the best of {args.repeat} runs,"
            " the scorers taking turns on each slice; tokens: best of"
            f" {args.repeat} runs each"
        ),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    lines = [
        "~30 gold entities and ~8 gold relations per document; predictions perturbed from them.",
        "",
        f"CPU seconds: the scorers take turns on slices of {SLICE} documents, and each"
        f" slice's best of {args.repeat} runs is summed; load average"
        f" {os.getloadavg()[0]:.1f}.",
        "",
        "| documents | eventgold: 4 entity rules + per label + 2 relation rules, from columns "
        "| eventgold, entities only | nervaluate: 4 strategies + per label (entities only), "
        "from its span dicts | speed-up, all | speed-up, entities only "
        "| eventgold a document at a time, from Documents | speed-up "
        "| building the columns from Documents "
        f"| eventgold bootstrap, {args.resamples} resamples, every F1 "
        "| eventgold whole report from Documents (scoring + confusion + error list) "
        "| speed-up, report |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, r in rows.items():
        lines.append(
            f"| {n} | {r['ours_cpu_seconds']:.3f} | {r['ours_entities_only_cpu_seconds']:.3f} "
            f"| {r['nervaluate_cpu_seconds']:.3f} | **{r['speedup_cpu']:.1f}x** "
            f"| {r['speedup_entities_only_cpu']:.1f}x | {r['per_document_cpu_seconds']:.3f} "
            f"| {r['speedup_per_document_cpu']:.1f}x "
            f"| {r['columns_from_documents_cpu_seconds']:.3f} | {r['bootstrap_cpu_seconds']:.3f} "
            f"| {r['ours_report_cpu_seconds']:.3f} | {r['speedup_report_cpu']:.1f}x |"
        )
    lines += [
        "",
        "Goal (issue 23): the scoring core, all rules, >= 20x nervaluate. Each scorer is timed"
        " on its own input, made from the same documents before its clock starts: ours on"
        " columns (what `eventgold eval` scores, built as it reads), nervaluate on its span"
        " dicts. Building our columns from `Document` objects is shown apart.",
    ]
    lines += [
        "",
        "Token scores (IOB2, strict), CPU seconds:",
        "",
        "| documents | eventgold: tokenize + entity rules + IOB2 chunks, from documents "
        "| seqeval strict IOB2 report, tags ready-made (one run) | speed-up |",
        "|---|---|---|---|",
    ]
    for n, r in rows.items():
        seq = r.get("seqeval_cpu_seconds")
        theirs = f"{seq:.3f} | {r['speedup_tokens_cpu']:.1f}x" if seq is not None else "not run | -"
        lines.append(f"| {n} | {r['ours_tokens_cpu_seconds']:.3f} | {theirs} |")
    lines += [
        "",
        "`eventgold eval` as users run it (tokens, 1,000 resamples, result JSON and HTML"
        " report written) in a"
        " fresh process, start-up and imports included,"
        " with the gold as a documents JSONL (every text tokenized) and as a gold folder"
        " (token offsets read from its shards). Wall seconds, with the 1-minute load average"
        " when it started (2 cores); CPU seconds of the command's process and of its second"
        " process, which reads both files (`eval.read_ahead`); nervaluate on the same files:",
        "",
        "| documents | gold | wall seconds (load) | CPU seconds: eval + reader "
        "| peak RSS: eval, reader | nervaluate: scoring in one call / its process, wall "
        "seconds (load) | nervaluate scoring / command | the same, median of per-round ratios "
        "| nervaluate process / command | nervaluate slices / command |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, r in rows.items():
        nc = r["nervaluate_command"]
        for name, c in r["eval_command"].items():
            lines.append(
                f"| {n} | {name} | {c['seconds']:.1f} ({c['load_average_1min']:.1f}) "
                f"| {c['cpu_seconds']:.1f} + {c['children_cpu_seconds']:.1f} "
                f"| {c['peak_rss_mb']:.0f} MB, {c['children_peak_rss_mb']:.0f} MB "
                f"| {nc['score_seconds']:.1f} / {nc['seconds']:.1f} "
                f"({nc['load_average_1min']:.1f}) "
                f"| **{c['speedup_vs_nervaluate_scoring']:.2f}x** "
                f"| {c['per_round_speedup']:.2f}x "
                f"| {c['speedup_vs_nervaluate_command']:.2f}x "
                f"| {c['speedup_vs_nervaluate_wall']:.2f}x |"
            )
    lines += [
        "",
        f"The commands take turns for {args.rounds} round(s) (ours on the file, on the folder,"
        " then nervaluate's), and each is shown by its median round; this machine runs the"
        " same command up to 25% slower from one minute to the next. nervaluate's scoring in"
        " one call is its `Evaluator(...).evaluate()` on every document at once, after reading"
        " the same JSONL files (its process: reading, scoring, exit); its slices are the sum"
        " of its per-slice scoring in the first table.",
        "",
        "Goals (issue 23): the command on 100,000 documents in at most 30 s, and at least 4x"
        " faster than nervaluate's entity scoring alone; the scoring core (all rules) at least"
        " 20x nervaluate.",
    ]
    return BenchResult(figures=figures, summary="\n".join(lines))
