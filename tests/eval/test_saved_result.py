"""saved_result: a damaged eval result is refused with located problems, never a traceback."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from eventgold.eval.evaluate import evaluate
from eventgold.eval.saved_result import read_count_table, read_result
from eventgold.problems import ProblemsError

Damage = Callable[[dict[str, Any]], None]


@pytest.fixture
def saved(tmp_path: Path, gold_docs, schema) -> dict[str, Any]:
    return evaluate(gold_docs, gold_docs, schema, bootstrap=0).to_json()


def _write(tmp_path: Path, data: dict[str, Any], damage: Damage) -> Path:
    data = copy.deepcopy(data)
    damage(data)
    path = tmp_path / "rB.json"
    path.write_text(json.dumps(data))
    return path


def _cut(d: dict) -> None:
    d["per_document"]["counts"] = d["per_document"]["counts"][:1]


def _short(d: dict) -> None:
    d["per_document"]["counts"][1].pop()


def _letter(d: dict) -> None:
    d["per_document"]["counts"][0][3] = "x"


def _negative(d: dict) -> None:
    d["per_document"]["counts"][2][0] = -1


def _fraction(d: dict) -> None:
    d["per_document"]["counts"][2][1] = 2.5


def _no_groups(d: dict) -> None:
    del d["per_document"]["groups"]


def _null(d: dict) -> None:
    d["per_document"] = None


def _string(d: dict) -> None:
    d["per_document"] = "x"


def _bad_group(d: dict) -> None:
    d["per_document"]["groups"][0] = "entities/strict"


def _twice(d: dict) -> None:
    d["per_document"]["groups"][1] = d["per_document"]["groups"][0]


def _row_null(d: dict) -> None:
    d["per_document"]["counts"][0] = None


def _doc_id(d: dict) -> None:
    d["per_document"]["doc_ids"][2] = 7


def _inputs(d: dict) -> None:
    d["inputs"] = "x"


def _gold_hash(d: dict) -> None:
    d["inputs"]["gold"]["sha256"] = 5


CASES: list[tuple[Damage, str]] = [
    (_cut, "rB.json: per_document.counts has 1 row(s), per_document.doc_ids 3"),
    (
        _short,
        "rB.json: per_document.counts[1] (document 'd2') has {w1} value(s), expected {w} "
        "(the count columns of the {g} groups)",
    ),
    (
        _letter,
        "rB.json: per_document.counts[0][3] (document 'd1', entities/strict/ALL missed) is "
        "'x', expected a count (an integer >= 0)",
    ),
    (
        _negative,
        "rB.json: per_document.counts[2][0] (document 'd3', entities/strict/ALL correct) is "
        "-1, expected a count (an integer >= 0)",
    ),
    (
        _fraction,
        "rB.json: per_document.counts[2][1] (document 'd3', entities/strict/ALL incorrect) is "
        "2.5, expected a count (an integer >= 0)",
    ),
    (_no_groups, "rB.json: per_document has no 'groups' (expected doc_ids, groups, counts)"),
    (
        _null,
        "rB.json: per_document is null, expected an object with doc_ids, groups, counts "
        "(re-run eval --json)",
    ),
    (
        _string,
        "rB.json: per_document is a string, expected an object with doc_ids, groups, counts "
        "(re-run eval --json)",
    ),
    (
        _bad_group,
        "rB.json: per_document.groups[0] is 'entities/strict', expected family/rule/scope "
        "with family one of entities, events, relations, tokens",
    ),
    (_twice, "rB.json: per_document.groups[1] 'entities/strict/ALL' is listed twice"),
    (_row_null, "rB.json: per_document.counts[0] (document 'd1') is null, expected a list"),
    (_doc_id, "rB.json: per_document.doc_ids[2] is a number, expected a document id (a string)"),
    (_inputs, "rB.json: inputs is a string, expected an object"),
    (_gold_hash, "rB.json: inputs.gold.sha256 is a number, expected a string"),
]


@pytest.mark.parametrize(("damage", "message"), CASES, ids=[c[0].__name__ for c in CASES])
def test_a_damaged_result_is_refused_naming_file_and_field(
    tmp_path: Path, saved: dict, damage: Damage, message: str
) -> None:
    width = len(saved["per_document"]["counts"][0])
    expected = message.format(w=width, w1=width - 1, g=len(saved["per_document"]["groups"]))
    with pytest.raises(ProblemsError) as info:
        read_result(_write(tmp_path, saved, damage))
    assert [str(p) for p in info.value.problems] == [expected]
    assert info.value.summary == "rB.json: not a usable eval result"


def test_a_sound_result_reads_back_its_table(tmp_path: Path, saved: dict) -> None:
    result = read_result(_write(tmp_path, saved, lambda d: None))
    assert result.table.doc_ids == ("d1", "d2", "d3")
    assert result.table.counts.dtype == np.int64
    assert result.table.counts.tolist() == saved["per_document"]["counts"]
    assert result.gold_sha256 == saved["inputs"]["gold"]["sha256"]


def test_many_bad_values_are_listed_up_to_ten_then_counted(saved: dict) -> None:
    data = copy.deepcopy(saved["per_document"])
    data["counts"] = [["x"] * len(row) for row in data["counts"]]
    with pytest.raises(ProblemsError) as info:
        read_count_table(data, "r.json")
    total = sum(len(row) for row in data["counts"])
    assert len(info.value.problems) == 11
    assert str(info.value.problems[-1]) == f"r.json: ... and {total - 10} more bad count(s)"


def test_an_empty_table_is_read(saved: dict) -> None:
    table = read_count_table(
        {"doc_ids": [], "groups": saved["per_document"]["groups"], "counts": []}, "r.json"
    )
    assert table.counts.shape == (0, len(saved["per_document"]["counts"][0]))
