from __future__ import annotations

import pytest

from eventgold.annotate.atomic import atomic_dir, atomic_file


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
