"""A command killed (SIGKILL) at any step of its writes leaves each output as it was or as a
normal run leaves it, changes nothing else, and a re-run gives the normal result with no
scratch left over (`tests.crash`). Ctrl-C says that nothing half-written was kept."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.crash import EVENTGOLD, crash_matrix, run
from tests.crash import HERE as HARNESS

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "gold"
SCHEMA = ROOT / "schemas" / "conflict_events.yaml"
ANNOTATIONS = ROOT / "annotations"
S = ["--schema", str(SCHEMA)]


@pytest.fixture(scope="module")
def predictions(tmp_path_factory) -> tuple[Path, Path]:
    """Two prediction files of the shipped gold's documents: the rules' and a copy with the
    last document's entities dropped (so that two results differ)."""
    where = tmp_path_factory.mktemp("preds")
    done, _ = run(
        ["predict", "--model", "rules", "--corpus", str(GOLD), "--out", "a.jsonl", *S], where
    )
    assert done.returncode == 0, done.stderr
    lines = (where / "a.jsonl").read_text(encoding="utf-8").splitlines()
    import json

    last = json.loads(lines[-1])
    last["entities"], last["relations"] = [], []
    (where / "b.jsonl").write_text("\n".join([*lines[:-1], json.dumps(last)]) + "\n")
    return where / "a.jsonl", where / "b.jsonl"


def _work(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("not eventgold's: must survive every run\n")
    return work


def test_eval_json_and_html(tmp_path, predictions) -> None:
    work = _work(tmp_path)
    shutil.copy(predictions[0], work / "p.jsonl")
    (work / "e.json").write_text("previous result")
    (work / "e.html").write_text("previous report")
    args = ["eval", "--gold", str(GOLD), "--predictions", "p.jsonl", "--json", "e.json"]
    points = crash_matrix(
        [*args, "--html", "e.html", "--bootstrap", "50", *S], work, ["e.json", "e.html"]
    )
    assert len(points) >= 4


def test_compare_json(tmp_path, predictions) -> None:
    work = _work(tmp_path)
    for name, preds in zip(("a", "b"), predictions, strict=True):
        done, _ = run(
            ["eval", "--gold", str(GOLD), "--predictions", str(preds), "--json", f"{name}.json",
             "--bootstrap", "50", *S],
            work,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    (work / "c.json").write_text("previous comparison")
    points = crash_matrix(["compare", "a.json", "b.json", "--json", "c.json"], work, ["c.json"])
    assert len(points) >= 2


def test_events_table(tmp_path) -> None:
    work = _work(tmp_path)
    (work / "ev").mkdir()
    (work / "ev" / "events.csv").write_text("previous table")
    (work / "ev" / "mine.txt").write_text("a file of the user's beside the table")
    crash_matrix(
        ["events", "--gold", str(GOLD), "--out", "ev", *S],
        work,
        ["ev/events.parquet", "ev/events.csv"],
    )


@pytest.mark.parametrize("fmt", ["jsonl", "conll"])
def test_export_files(tmp_path, fmt) -> None:
    work = _work(tmp_path)
    names = (
        ["x.jsonl"] if fmt == "jsonl" else [f"x.{s}.conll" for s in ("train", "validation", "test")]
    )
    (work / names[0]).write_text("previous export")
    crash_matrix(
        ["export", "--gold", str(GOLD), "--format", fmt, "--out", f"x.{fmt}", *S], work, names
    )


def test_export_spacy_folders(tmp_path) -> None:
    work = _work(tmp_path)
    (work / "sp.train").mkdir()
    (work / "sp.train" / "00000.spacy").write_bytes(b"previous shard")
    outputs = [f"sp.{s}" for s in ("train", "validation", "test")]
    points = crash_matrix(
        ["export", "--gold", str(GOLD), "--format", "spacy", "--out", "sp", *S],
        work,
        outputs,
        most=6,
    )
    assert len(points) >= 4


def test_corpus_add(tmp_path) -> None:
    work = _work(tmp_path)
    (work / "articles").mkdir()
    articles = sorted((ROOT / "corpus" / "articles").glob("*.txt"))
    for path in articles[:5]:
        shutil.copy(path, work / "articles")
    done, _ = run(["corpus", "add", "articles", "--corpus", "corpus.jsonl"], work)
    assert done.returncode == 0, done.stderr
    for path in articles[5:]:
        shutil.copy(path, work / "articles")
    crash_matrix(["corpus", "add", "articles", "--corpus", "corpus.jsonl"], work, ["corpus.jsonl"])


def test_adjudicate_outputs(tmp_path) -> None:
    work = _work(tmp_path)
    (work / "merged.jsonl").write_text("previous merge\n")
    (work / "merged.review.md").write_text("previous review\n")
    args = ["adjudicate", str(ANNOTATIONS / "first_pass"), str(ANNOTATIONS / "second_pass")]
    outputs = ["merged.jsonl", "merged.review.md", "merged.review.jsonl"]
    crash_matrix([*args, "--strategy", "majority", "--out", "merged.jsonl", *S], work, outputs)


@pytest.mark.slow
def test_predict_out(tmp_path) -> None:
    work = _work(tmp_path)
    (work / "p.jsonl").write_text("previous predictions\n")
    args = ["predict", "--model", "rules", "--corpus", str(GOLD), "--out", "p.jsonl", *S]
    crash_matrix(args, work, ["p.jsonl"], most=2)


@pytest.mark.slow
def test_train_out(tmp_path) -> None:
    work = _work(tmp_path)
    (work / "model").mkdir()
    (work / "model" / "meta.json").write_text("{}")  # an earlier model's (a folder it may hold)
    args = ["train", "--gold", str(GOLD), "--out", "model", "--epochs", "1", *S]
    crash_matrix(args, work, ["model"], most=2)


INTERRUPTED = (
    "error: interrupted: nothing half-written was kept (files are replaced atomically); run the "
    "command again to finish (a re-run never duplicates what is already done)"
)


def test_ctrl_c_while_eval_scores(tmp_path, predictions) -> None:
    """A real SIGINT from outside, sent once eval has opened the predictions (it is then
    bootstrapping for minutes): the promised message, exit 130, nothing written."""
    work = _work(tmp_path)
    shutil.copy(predictions[0], work / "p.jsonl")
    (work / "e.json").write_text("previous result")
    log = tmp_path / "work.writes"
    args = ["eval", "--gold", str(GOLD), "--predictions", "p.jsonl", "--json", "e.json"]
    proc = subprocess.Popen(
        [sys.executable, str(HARNESS), "0", str(work), str(log), "cli", *args,
         "--bootstrap", "200000", *S],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CRASH_READY_ON": "p.jsonl"},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while "ready" not in (log.read_text() if log.exists() else ""):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert " ".join(stderr.split()) == INTERRUPTED
    assert sorted(p.name for p in work.iterdir()) == ["e.json", "notes.txt", "p.jsonl"]
    assert (work / "e.json").read_text() == "previous result"


@pytest.mark.slow
def test_ctrl_c_while_train_writes_the_model(tmp_path) -> None:
    """SIGINT at each step of writing the model folder: the message, exit 130, the previous
    model kept and no scratch left."""
    work = _work(tmp_path)
    (work / "model").mkdir()
    (work / "model" / "meta.json").write_text("{}")
    args = ["train", "--gold", str(GOLD), "--out", "model", "--epochs", "1", *S]
    _, writes = run(args, work)
    for point in (1, len(writes) // 2, next(i for i, w in enumerate(writes, 1) if "rename" in w)):
        shutil.rmtree(work / "model")
        (work / "model").mkdir()
        (work / "model" / "meta.json").write_text("{}")
        done, _ = run(args, work, kill_at=point, env={"CRASH_SIGNAL": "SIGINT"})
        assert done.returncode == 130, (point, writes[point - 1], done.stderr)
        assert " ".join(done.stderr.split()) == INTERRUPTED
        assert sorted(p.name for p in work.iterdir()) == ["model", "notes.txt"], point
        assert [p.name for p in (work / "model").iterdir()] == ["meta.json"], point


def test_the_harness_runs_this_python() -> None:
    assert EVENTGOLD.exists(), sys.executable
