"""Writing a gold folder (`iter_write_gold`) and patching one (`iter_patch_gold`), killed
(SIGKILL) at any step of their writes: the previous gold or the new one, whole, never a mix or
a half-written folder; the re-run gives the normal gold and leaves no scratch (`tests.crash`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eventgold.dataset.folder import read_gold
from eventgold.dataset.writer import write_gold
from eventgold.schema import load_schema
from tests.crash import crash_matrix

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "gold"
SCHEMA = ROOT / "schemas" / "conflict_events.yaml"

WRITE = f"""
from pathlib import Path
from eventgold.dataset.folder import read_gold
from eventgold.dataset.writer import write_gold
from eventgold.schema import load_schema

write_gold(read_gold(Path({str(GOLD)!r})), Path("g"), schema=load_schema(Path({str(SCHEMA)!r})))
"""

PATCH = f"""
import dataclasses
from pathlib import Path
from eventgold.dataset.folder import read_gold
from eventgold.dataset.patch import GoldDelta, iter_patch_gold
from eventgold.progress import drain
from eventgold.schema import load_schema

docs = list(read_gold(Path({str(GOLD)!r})))  # not g: a re-run makes the same change
changed = docs[3]
linked = {{e for r in changed.relations for e in (r.head, r.tail)}}
keep = [e for e in changed.entities if e.id in linked]
changed = dataclasses.replace(changed, entities=tuple(keep))
delta = GoldDelta(documents=(changed,), removed=frozenset({{docs[5].id}}))
schema = load_schema(Path({str(SCHEMA)!r}))
patched = drain(iter_patch_gold(Path("g"), delta, Path("g"), schema=schema))
assert patched.patched, patched.reason
"""


def _work(tmp_path: Path, script: str) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "run.py").write_text(script)
    (work / "notes.txt").write_text("not eventgold's: must survive every run\n")
    return work


@pytest.mark.slow
def test_a_killed_gold_write_leaves_the_previous_gold_or_the_new_one(tmp_path) -> None:
    work = _work(tmp_path, WRITE)
    docs = list(read_gold(GOLD))
    write_gold(docs[:9], work / "g", schema=load_schema(SCHEMA))  # the previous release
    points = crash_matrix([str(tmp_path / "run.py")], work, ["g"], kind="script", most=5)
    assert len(points) >= 4


@pytest.mark.slow
def test_a_killed_gold_patch_leaves_the_previous_gold_or_the_patched_one(tmp_path) -> None:
    work = _work(tmp_path, PATCH)
    shutil.copytree(GOLD, work / "g")
    for name in ("annotations.jsonl", "pull.json"):  # the pull's: left as they are
        assert (work / "g" / name).exists()
    points = crash_matrix([str(tmp_path / "run.py")], work, ["g"], kind="script", most=5)
    assert len(points) >= 4
