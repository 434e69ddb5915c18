"""Reading a saved `eval --json` result back: every field compare uses, checked first.

A result file is edited, cut short or written by another tool often enough that its shape is
not trusted: each field compare reads is checked, and every problem is reported, located by
file and field (``rB.json: per_document.counts has 1 row(s), per_document.doc_ids 3``),
instead of failing inside numpy on the first one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eventgold.eval.evaluate import METRICS_VERSION
from eventgold.eval.inputs import decode_json
from eventgold.eval.table import COUNT_NAMES, FAMILY_KIND, CountTable, GroupKey
from eventgold.problems import Problem, ProblemsError, allowed

FIELD = "per_document"
PARTS = ("doc_ids", "groups", "counts")
MAX_PER_CHECK = 10  # problems of one kind listed per file; the rest are counted
INT64_MAX = np.iinfo(np.int64).max


@dataclass(frozen=True)
class SavedResult:
    """What compare reads of a saved eval result."""

    path: Path
    gold_sha256: str | None  # the gold file's hash as eval recorded it, if it did
    table: CountTable


def _kind(value: object) -> str:
    """A JSON value's type as the user wrote it (for "expected a list, got null")."""
    names = {type(None): "null", bool: "true/false", str: "a string", dict: "an object"}
    names |= {list: "a list", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _capped(problems: list[Problem], where: str, what: str) -> list[Problem]:
    """The first `MAX_PER_CHECK` problems, and one saying how many more there are."""
    if len(problems) <= MAX_PER_CHECK:
        return problems
    more = len(problems) - MAX_PER_CHECK
    return [*problems[:MAX_PER_CHECK], Problem(where, f"... and {more} more {what}")]


def _group(text: object) -> GroupKey | None:
    if not isinstance(text, str):
        return None
    parts = text.split("/", 2)
    if len(parts) != 3 or parts[0] not in FAMILY_KIND or not all(parts):
        return None
    return (parts[0], parts[1], parts[2])


def _check_groups(raw: list, where: str) -> tuple[list[Problem], tuple[GroupKey, ...]]:
    problems, groups, seen = [], [], set()
    for i, text in enumerate(raw):
        g = _group(text)
        if g is None:
            problems.append(
                Problem(
                    where,
                    f"{FIELD}.groups[{i}] is {text!r}, expected family/rule/scope with family "
                    f"one of {allowed(FAMILY_KIND)}",
                )
            )
        elif g in seen:
            problems.append(Problem(where, f"{FIELD}.groups[{i}] {text!r} is listed twice"))
        else:
            seen.add(g)
            groups.append(g)
    return _capped(problems, where, "bad group(s)"), tuple(groups)


def _check_doc_ids(raw: list, where: str) -> list[Problem]:
    problems = [
        Problem(where, f"{FIELD}.doc_ids[{i}] is {_kind(d)}, expected a document id (a string)")
        for i, d in enumerate(raw)
        if not isinstance(d, str)
    ]
    return _capped(problems, where, "bad document id(s)")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT64_MAX


def _column_names(groups: tuple[GroupKey, ...]) -> list[str]:
    """``family/rule/scope count`` of every column, in order (for locating a bad value)."""
    return [f"{'/'.join(g)} {name}" for g in groups for name in COUNT_NAMES[FAMILY_KIND[g[0]]]]


def _check_counts(
    raw: list, doc_ids: list, groups: tuple[GroupKey, ...], where: str
) -> tuple[list[Problem], np.ndarray | None]:
    """Problems of the counts matrix (rows, row widths, values), and the matrix if none."""
    width = sum(len(COUNT_NAMES[FAMILY_KIND[g[0]]]) for g in groups)
    if len(raw) != len(doc_ids):
        return [
            Problem(
                where,
                f"{FIELD}.counts has {len(raw)} row(s), {FIELD}.doc_ids {len(doc_ids)}",
            )
        ], None

    def doc(i: int, *more: str) -> str:
        """`` (document 'd1', more)``: the row's document and what else locates a value."""
        named = [f"document {doc_ids[i]!r}"] if isinstance(doc_ids[i], str) else []
        return f" ({', '.join([*named, *more])})" if named or more else ""

    rows = []
    for i, row in enumerate(raw):
        if not isinstance(row, list):
            rows.append(
                Problem(where, f"{FIELD}.counts[{i}]{doc(i)} is {_kind(row)}, expected a list")
            )
        elif len(row) != width:
            rows.append(
                Problem(
                    where,
                    f"{FIELD}.counts[{i}]{doc(i)} has {len(row)} value(s), expected {width} "
                    f"(the count columns of the {len(groups)} groups)",
                )
            )
    if rows:
        return _capped(rows, where, "bad row(s)"), None
    # Fast path: a matrix of integers converts as one; only a bad one is scanned.
    counts = np.asarray(raw) if raw and width else np.zeros((len(raw), width), np.int64)
    if counts.dtype.kind == "i" and (not counts.size or counts.min() >= 0):
        return [], counts.astype(np.int64, copy=False)
    names = _column_names(groups)
    values = [
        Problem(
            where,
            f"{FIELD}.counts[{i}][{j}]{doc(i, names[j])} is {v!r}, expected a count "
            "(an integer >= 0)",
        )
        for i, row in enumerate(raw)
        for j, v in enumerate(row)
        if not _is_count(v)
    ]
    if not values:  # all counts, in a dtype numpy did not infer as int64
        return [], np.asarray(raw, dtype=np.int64)
    return _capped(values, where, "bad count(s)"), None


def read_count_table(data: object, where: str) -> CountTable:
    """The per-document count table of a saved result (`CountTable.to_json` form), checked;
    raises `ProblemsError` naming `where` and each bad field."""
    if not isinstance(data, dict):
        raise ProblemsError(
            [
                Problem(
                    where,
                    f"{FIELD} is {_kind(data)}, expected an object with "
                    f"{', '.join(PARTS)} (re-run eval --json)",
                )
            ]
        )
    problems = [
        Problem(where, f"{FIELD} has no {name!r} (expected {', '.join(PARTS)})")
        for name in PARTS
        if name not in data
    ]
    problems += [
        Problem(where, f"{FIELD}.{name} is {_kind(data[name])}, expected a list")
        for name in PARTS
        if name in data and not isinstance(data[name], list)
    ]
    if problems:
        raise ProblemsError(problems)
    doc_ids, raw_groups, raw_counts = (data[name] for name in PARTS)
    problems = _check_doc_ids(doc_ids, where)
    group_problems, groups = _check_groups(raw_groups, where)
    problems += group_problems
    if group_problems:  # row widths depend on the groups: do not report them as well
        raise ProblemsError(problems)
    count_problems, counts = _check_counts(raw_counts, doc_ids, groups, where)
    problems += count_problems
    if problems or counts is None:
        raise ProblemsError(problems)
    return CountTable(doc_ids=tuple(doc_ids), groups=groups, counts=counts)


def _gold_sha256(data: dict[str, Any], where: str) -> tuple[list[Problem], str | None]:
    """The gold hash eval recorded (inputs.gold.sha256); absent or null fields are allowed."""
    inputs = data.get("inputs")
    if inputs is None:
        return [], None
    if not isinstance(inputs, dict):
        return [Problem(where, f"inputs is {_kind(inputs)}, expected an object")], None
    gold = inputs.get("gold")
    if gold is None:
        return [], None
    if not isinstance(gold, dict):
        return [Problem(where, f"inputs.gold is {_kind(gold)}, expected an object")], None
    sha = gold.get("sha256")
    if sha is None or isinstance(sha, str):
        return [], sha or None
    return [Problem(where, f"inputs.gold.sha256 is {_kind(sha)}, expected a string")], None


def read_result(path: Path) -> SavedResult:
    """A saved eval result, checked to be one (it must carry its per-document counts);
    raises `ProblemsError` with every problem, each naming the file and field."""
    path = Path(path)
    where = path.name
    data, problems = decode_json(path.read_bytes(), where=where)
    if problems:
        summary = f"{where} is not an eval result (eval --json); prediction files need --gold"
        raise ProblemsError(problems, summary=summary)
    if not isinstance(data, dict) or FIELD not in data:
        raise ProblemsError(
            [
                Problem(
                    where,
                    f"not an eval result (no {FIELD!r} counts); pass prediction files "
                    "with --gold instead",
                )
            ]
        )
    if data.get("metrics_version") != METRICS_VERSION:
        raise ProblemsError(
            [
                Problem(
                    where,
                    f"metrics version {data.get('metrics_version')!r} differs from "
                    f"{METRICS_VERSION!r}; re-run eval",
                )
            ]
        )
    problems, sha = _gold_sha256(data, where)
    try:
        table = read_count_table(data[FIELD], where)
    except ProblemsError as exc:
        problems += exc.problems
    if problems:
        raise ProblemsError(problems, summary=f"{where}: not a usable eval result")
    return SavedResult(path=path, gold_sha256=sha, table=table)
