from __future__ import annotations

import json

import pytest

import bench.__main__ as bench_main
from bench import bench_eval
from bench.__main__ import BenchResult


def test_eval_bench_measures_every_size_against_nervaluate() -> None:
    quick = ["--repeat", "1", "--resamples", "5", "--seqeval-max", "20", "--rounds", "2"]
    result = bench_eval.run(["--sizes", "20,40", *quick])
    rows = result.figures["sizes"]
    assert list(rows) == [20, 40]
    assert rows[40]["documents"] == 40 and rows[40]["gold_entities"] == 40 * 30
    assert all(r["speedup_cpu"] > 0 and r["nervaluate_cpu_seconds"] > 0 for r in rows.values())
    assert all(r["speedup_report_cpu"] > 0 for r in rows.values())
    assert all(r["per_document_cpu_seconds"] > 0 for r in rows.values())
    assert all(r["columns_from_documents_cpu_seconds"] > 0 for r in rows.values())
    assert result.summary.count("\n| 20 |") == 4 and "| 40 |" in result.summary
    # Token scores: seqeval only up to --seqeval-max documents.
    assert rows[20]["speedup_tokens_cpu"] > 0 and rows[40]["ours_tokens_cpu_seconds"] > 0
    assert "seqeval_cpu_seconds" not in rows[40]
    assert "| 40 | " in result.summary and "not run | - |" in result.summary
    # The CLI on files and on a gold folder, in a fresh process, against nervaluate.
    for r in rows.values():
        assert set(r["eval_command"]) == {"file", "folder"}
        for run in r["eval_command"].values():
            assert run["peak_rss_mb"] > 50 and run["seconds"] > run["cpu_seconds"] / 4 > 0
            assert run["speedup_vs_nervaluate_wall"] > 0 and run["load_average_1min"] >= 0
            assert run["speedup_vs_nervaluate_scoring"] > 0
            assert run["speedup_vs_nervaluate_command"] > 0 and run["per_round_speedup"] > 0
            assert len(run["rounds"]) == 2 and run["seconds"] == min(run["rounds"])
        theirs = r["nervaluate_command"]
        assert theirs["seconds"] > theirs["score_seconds"] > 0 and theirs["read_seconds"] > 0
        assert len(theirs["rounds"]) == 2
    assert result.summary.count("\n| 40 |") == 4 and "| 40 | folder | " in result.summary


def test_interleaved_scorers_take_turns_on_every_slice() -> None:
    gold, pred = bench_eval.make_corpus(5)
    calls: list[tuple[str, tuple[str, ...]]] = []
    prepared: list[str] = []

    def prepare(g, p):
        prepared.append(g[0].id)  # once per scorer and slice, outside the timing
        return tuple(d.id for d in g)

    def scorer(name: str):
        return bench_eval.Scorer(prepare, lambda ids: calls.append((name, ids)))

    times = bench_eval.interleaved(
        {"a": scorer("a"), "b": scorer("b")}, gold, pred, repeat=2, slice_docs=2
    )
    slices = [("d000000", "d000001"), ("d000002", "d000003"), ("d000004",)]
    # Each slice: both scorers twice, the first scorer rotating by slice and by run.
    assert [c[0] for c in calls] == list("abbabaababba")
    assert [c[1] for c in calls] == [s for s in slices for _ in range(4)]
    assert prepared == ["d000000"] * 2 + ["d000002"] * 2 + ["d000004"] * 2
    assert set(times) == {"a", "b"} and all(cpu >= 0 and wall >= 0 for cpu, wall in times.values())


def test_all_runs_every_benchmark_and_saves_each(tmp_path, monkeypatch, capsys) -> None:
    ran: list[tuple[str, list[str]]] = []

    def fake(name: str):
        def run(argv: list[str]) -> BenchResult:
            ran.append((name, argv))
            return BenchResult(figures={"n": len(name)}, summary=f"{name} table")

        return run

    monkeypatch.setattr(bench_main, "BENCHMARKS", {n: fake(n) for n in ("eval", "push", "pull")})
    monkeypatch.setattr(bench_main, "RESULTS", tmp_path)
    assert bench_main.main(["all", "--sizes", "10"]) == 0
    assert ran == [(n, ["--sizes", "10"]) for n in ("eval", "push", "pull")]
    saved = json.loads((tmp_path / "push.json").read_text())
    assert saved["figures"] == {"n": 4} and saved["machine"]["cores"]
    assert "pull table" in (tmp_path / "pull.md").read_text()
    assert bench_main.main(["nope"]) == 2
    assert "usage: python -m bench {all,eval,push,pull}" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["--sizes", "10"]])
def test_usage_without_a_benchmark_name(argv: list[str]) -> None:
    assert bench_main.main(argv) == 2


def test_pull_ratios_pair_the_rounds() -> None:
    from bench.bench_pull import ratios

    ours = [{"seconds": s} for s in (3.0, 2.0, 6.0)]
    raw = [{"seconds": s} for s in (2.0, 2.0, 4.0)]
    # medians 3.0 / 2.0; per round 1.5, 1.0, 1.5; best 2.0 / 2.0
    assert ratios(ours, raw) == {"of_medians": 1.5, "median_per_round": 1.5, "of_best": 1.0}
    with pytest.raises(ValueError):
        ratios(ours, raw[:2])


def test_push_and_pull_options_have_help_and_take_sizes_and_repeat(capsys) -> None:
    options = bench_main._options(
        "pull", ["--sizes", "10,20", "--repeat", "3", "--seed", "1"], repeat=7
    )
    assert (options.sizes, options.repeat) == ([10, 20], 3)  # --seed is eval's: left alone
    assert bench_main._options("push", []).sizes == [1000, 10000]
    with pytest.raises(SystemExit) as done:
        bench_main._options("pull", ["--help"], repeat=7)
    assert done.value.code == 0  # help, not a benchmark of many minutes
    assert "usage: python -m bench pull [-h] [--sizes SIZES] [--repeat REPEAT]" in (
        capsys.readouterr().out
    )


def test_all_help_prints_every_benchmarks_options_and_runs_none(capsys) -> None:
    assert bench_main.main(["all", "--help"]) == 0
    printed = capsys.readouterr().out
    for name in bench_main.BENCHMARKS:
        assert f"usage: python -m bench {name}" in printed
    assert "--seqeval-max" in printed and "--repeat REPEAT" in printed
