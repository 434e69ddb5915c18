from __future__ import annotations

import pytest

from eventgold.atomic import atomic_dir, atomic_file


def test_failed_file_write_keeps_the_old_content(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(path) as fh:
        fh.write("new half")
        raise RuntimeError("crash")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_failed_dir_build_keeps_the_old_folder(tmp_path):
    target = tmp_path / "gold"
    with atomic_dir(target) as staging:
        (staging / "a").write_text("1")
    assert (target / "a").read_text() == "1"
    with pytest.raises(RuntimeError), atomic_dir(target) as staging:
        (staging / "b").write_text("2")
        raise RuntimeError("crash")
    assert sorted(p.name for p in target.iterdir()) == ["a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold"]
    with atomic_dir(target) as staging:
        (staging / "c").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["c"]


def test_results_get_the_usual_mode_and_secrets_stay_private(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        with atomic_file(tmp_path / "pub.txt") as fh:
            fh.write("x")
        with atomic_file(tmp_path / "secret.txt", private=True) as fh:
            fh.write("x")
        with atomic_dir(tmp_path / "d") as staging:
            (staging / "f").write_text("1")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "pub.txt").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "secret.txt").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "d").st_mode) == 0o755


def test_entries_that_only_look_like_scratch_are_left(tmp_path, dead_pid) -> None:
    from eventgold.atomic import remove_stale_scratch

    # A push's lock file is named by 16 hex digits, which can all be decimal ones: too large
    # for a pid (os.kill raised OverflowError on it), and never a scratch entry.
    lock = tmp_path / "eventgold-push-2068019834466843.lock"
    padded = tmp_path / f"eventgold-push-{dead_pid:016d}.lock"  # a dead pid, written otherwise
    wide = tmp_path / "eventgold-push-\uff11\uff12.x"  # full-width digits
    stale = tmp_path / f"eventgold-push-{dead_pid}.spool"
    for path in (lock, padded, wide, stale):
        path.write_text("x", encoding="utf-8")
    remove_stale_scratch(tmp_path, "eventgold-push-")
    assert lock.exists() and padded.exists() and wide.exists()
    assert not stale.exists()


def test_scratch_left_by_a_killed_run_is_removed_by_the_next_one(tmp_path, dead_pid) -> None:
    from eventgold.atomic import scratch_prefix

    stale = tmp_path / f".gold.staging.{dead_pid}.abc"
    stale.mkdir()
    (stale / "data.parquet").write_bytes(b"x" * 100)
    stale_file = tmp_path / f".card.md.tmp.{dead_pid}.xyz.tmp"
    stale_file.write_text("half")
    users = tmp_path / f".card.md.{dead_pid}.notes"  # a user's hidden file, named like a pid
    users.write_text("mine")
    live = tmp_path / f"{scratch_prefix('.gold.staging.')}live"  # this process: still running
    live.mkdir()
    unrelated = tmp_path / ".gold.staging.notapid"
    unrelated.mkdir()
    with atomic_dir(tmp_path / "gold") as staging:
        (staging / "x").write_text("new")
    with atomic_file(tmp_path / "card.md") as fh:
        fh.write("card")
    assert not stale.exists() and not stale_file.exists()
    assert users.read_text() == "mine"
    assert live.exists() and unrelated.exists()
    assert (tmp_path / "gold" / "x").read_text() == "new"
    assert (tmp_path / "card.md").read_text() == "card"


@pytest.mark.parametrize("failing", ["exchange", "aside", "in"])
def test_a_failed_swap_keeps_the_old_folder_and_leaves_no_staging(
    tmp_path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """A folder that may not be moved (immutable, another owner's): the staging folder with
    the new result was left beside it, and a move of the new one in after the old one was
    moved aside left no folder at the path at all."""
    import os

    import eventgold.atomic as atomic

    target = tmp_path / "gold"
    with atomic_dir(target) as staging:
        (staging / "a").write_text("1")
    replace = os.replace

    def no_exchange(a, b) -> bool:
        if failing == "exchange":  # renameat2 refuses as rename does
            raise PermissionError(1, "Operation not permitted", str(b))
        return False  # the two-rename swap, whose renames fail below

    monkeypatch.setattr(atomic, "_exchange", no_exchange)

    def refused(src, dst) -> None:
        moving = "aside" if str(src) == str(target) else "in" if ".staging." in str(src) else ""
        if moving == failing:
            raise PermissionError(1, "Operation not permitted", str(src))
        replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", refused)
    with pytest.raises(PermissionError), atomic_dir(target) as staging:
        (staging / "b").write_text("2")
    assert sorted(p.name for p in target.iterdir()) == ["a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold"]


def test_a_scratch_folder_that_cannot_be_made_names_its_folder(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error named the temporary folder (`.eventgold-pull-<pid>.<random>`), a path the
    user never gave, instead of the folder that cannot be written."""
    import tempfile

    from eventgold.atomic import scratch_dir

    def refused(suffix=None, prefix=None, dir=None) -> str:
        raise PermissionError(13, "Permission denied", f"{dir}/{prefix}abc123")

    monkeypatch.setattr(tempfile, "mkdtemp", refused)
    with pytest.raises(PermissionError) as caught:
        scratch_dir(tmp_path / "out", ".eventgold-pull-")
    assert caught.value.filename == str(tmp_path / "out")


def test_a_folder_swap_leaves_no_scratch_and_keeps_a_foreign_sibling(tmp_path) -> None:
    target = tmp_path / "gold"
    (tmp_path / "gold.txt").write_text("mine")
    for text in ("old", "new"):
        with atomic_dir(target) as staging:
            (staging / "x").write_text(text)
    assert (target / "x").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold", "gold.txt"]


def test_the_two_rename_swap_works_where_there_is_no_exchange(tmp_path, monkeypatch) -> None:
    from eventgold import atomic

    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = tmp_path / "gold"
    for text in ("old", "new"):
        with atomic_dir(target) as staging:
            (staging / "x").write_text(text)
    assert (target / "x").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["gold"]


KILLED_BETWEEN_RENAMES = """
import os, signal, sys
from pathlib import Path
from eventgold import atomic

atomic._exchange = lambda a, b: False  # a system without renameat2: the two-rename swap
real_replace = os.replace

def replace(src, dst):
    real_replace(src, dst)
    if ".old." in os.fspath(dst):  # the old folder is aside, the new one not yet in place
        os.kill(os.getpid(), signal.SIGKILL)

atomic.os.replace = replace
with atomic.atomic_dir(Path(sys.argv[1])) as staging:
    (staging / "x").write_text("new")
"""


def test_a_folder_moved_aside_by_a_killed_swap_is_put_back_by_the_next_write(tmp_path) -> None:
    """Killed between the two renames of the fallback swap, a run leaves no folder at the
    target and the previous one aside: the next write puts it back before anything else, so
    a failing next run still leaves the previous content (it used to delete it as scratch)."""
    import signal
    import subprocess
    import sys

    target = tmp_path / "gold"
    with atomic_dir(target) as staging:
        (staging / "x").write_text("old")
    script = tmp_path / "swap.py"
    script.write_text(KILLED_BETWEEN_RENAMES)
    killed = subprocess.run([sys.executable, str(script), str(target)], capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not target.exists()
    aside = [p.name for p in tmp_path.iterdir() if p.name.startswith(".gold.old.")]
    assert len(aside) == 1
    with pytest.raises(RuntimeError), atomic_dir(target):
        raise RuntimeError("this run fails too")
    assert (target / "x").read_text() == "old"
    with atomic_dir(target) as staging:
        (staging / "x").write_text("new")
    assert (target / "x").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gold", "swap.py"]
