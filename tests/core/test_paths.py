from __future__ import annotations

import os
from pathlib import Path

import pytest

from eventgold.paths import (
    OUTPUT_IS_FOLDER,
    PATH_COLLISION,
    SUMMARY,
    path_collisions,
    require_distinct_paths,
)
from eventgold.problems import ProblemsError


def _texts(problems: list) -> list[str]:
    return [str(p) for p in problems]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, with an input file p.jsonl and an input folder gold/."""
    monkeypatch.chdir(tmp_path)
    Path("p.jsonl").write_text("{}\n")
    Path("gold").mkdir()
    Path("gold/documents.jsonl").write_text("{}\n")
    return tmp_path


def test_apart_paths_are_no_problem(here: Path) -> None:
    found = path_collisions(
        {"--gold": Path("gold"), "--predictions": Path("p.jsonl")},
        {"--json": Path("r.json"), "--html": Path("out/r.html"), "--unused": None},
        folders={"--out": Path("model")},
    )
    assert found == []


@pytest.mark.parametrize("spelled", ["p.jsonl", "./p.jsonl", "link.jsonl", "hard.jsonl"])
def test_an_output_that_is_an_input_however_spelled(here: Path, spelled: str) -> None:
    os.symlink("p.jsonl", "link.jsonl")
    os.link("p.jsonl", "hard.jsonl")
    found = path_collisions({"--predictions": Path("./p.jsonl")}, {"--json": Path(spelled)})
    assert _texts(found) == [
        f"--json {Path(spelled)}: is also --predictions, an input it would overwrite; name "
        "another file"
    ]
    assert found[0].code == PATH_COLLISION


def test_an_output_inside_an_input_folder_whatever_its_name(here: Path) -> None:
    found = path_collisions(
        {"--gold": Path("gold")},
        {"--json": Path("gold/eval.json"), "--html": Path("gold/sub/r.html")},
    )
    assert _texts(found) == [
        "--json gold/eval.json: is inside --gold gold, an input folder, and nothing is written "
        "into an input folder; name a path outside it",
        "--html gold/sub/r.html: is inside --gold gold, an input folder, and nothing is "
        "written into an input folder; name a path outside it",
    ]


def test_a_positional_input_is_named_by_its_path(here: Path) -> None:
    found = path_collisions({"gold": Path("gold")}, {"--markdown": Path("gold/x.json")})
    assert _texts(found) == [
        "--markdown gold/x.json: is inside gold, an input folder, and nothing is written into "
        "an input folder; name a path outside it"
    ]


def test_an_output_folder_replaced_whole_that_holds_an_input(here: Path) -> None:
    found = path_collisions(
        {"--gold": Path("gold/documents.jsonl")}, (), folders={"--out": Path("gold")}
    )
    assert _texts(found) == [
        "--out gold: holds --gold gold/documents.jsonl, an input, and is replaced whole; name "
        "a folder that holds no input"
    ]


def test_an_output_folder_that_is_the_input_folder(here: Path) -> None:
    found = path_collisions({"--gold": Path("gold")}, (), folders={"--out": Path("gold/")})
    assert _texts(found) == [
        "--out gold: is also --gold, an input it would overwrite; name another folder"
    ]


def test_a_file_beside_an_input_file_is_no_problem(here: Path) -> None:
    # An input file is not a folder: only the file itself is refused.
    assert path_collisions({"--gold": Path("gold/documents.jsonl")}, {"--json": Path("x")}) == []


def test_two_outputs_of_one_run(here: Path) -> None:
    found = path_collisions(
        {},
        [("--json", Path("same.out")), ("--html", Path("./same.out")), ("--p", Path("m/p"))],
        folders={"--out": Path("m")},
    )
    assert _texts(found) == [
        "--html same.out: is also --json, another output of this run; name another file",
        "--out m: holds --p m/p, another output of this run, and is replaced whole; name a "
        "folder that holds no other output",
    ]


def test_an_output_inside_an_earlier_output_folder(here: Path) -> None:
    found = path_collisions(
        {}, [("--p", Path("m/p.jsonl"))], folders=[("--out", Path("m")), ("--spacy", Path("m/s"))]
    )
    assert _texts(found) == [
        "--out m: holds --p m/p.jsonl, another output of this run, and is replaced whole; name "
        "a folder that holds no other output",
        "--spacy m/s: is inside --out m, an output folder this run replaces whole; name a path "
        "outside it",
    ]


def test_require_raises_with_every_problem(here: Path) -> None:
    with pytest.raises(ProblemsError) as caught:
        require_distinct_paths(
            {"--predictions": Path("p.jsonl")},
            {"--json": Path("p.jsonl"), "--html": Path("p.jsonl")},
        )
    assert caught.value.summary == SUMMARY
    assert _texts(caught.value.problems) == [
        "--json p.jsonl: is also --predictions, an input it would overwrite; name another file",
        "--html p.jsonl: is also --predictions, an input it would overwrite; name another file",
        "--html p.jsonl: is also --json, another output of this run; name another file",
    ]
    require_distinct_paths({"--predictions": Path("p.jsonl")}, {"--json": Path("r.json")})


def test_a_file_output_that_names_a_folder_is_refused_before_any_work(here: Path) -> None:
    Path("reports").mkdir()
    found = path_collisions({"--gold": Path("gold")}, {"--json": Path("reports")})
    assert _texts(found) == ["--json reports: is a folder; name a file"]
    assert [p.code for p in found] == [OUTPUT_IS_FOLDER]
    assert path_collisions({}, {}, folders={"--out": Path("reports")}) == []  # a folder output
