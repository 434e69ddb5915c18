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
