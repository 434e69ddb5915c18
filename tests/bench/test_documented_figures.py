"""The documented pull and eval figures are those of the saved runs, bench/results/ (issues 18, 23)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def saved_pull_rows() -> dict[int, list[str]]:
    """The saved run's table: tasks -> its cells."""
    rows = {}
    for line in (ROOT / "bench" / "results" / "pull.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0].isdigit():
            rows[int(cells[0])] = cells
    return rows


def test_the_docs_quote_the_saved_pull_run() -> None:
    readme = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    limitations = (ROOT / "docs" / "known-limitations.md").read_text(encoding="utf-8")
    rows = saved_pull_rows()
    sizes = sorted(rows)
    # The benchmark table: ratio of medians, per round, of best, to the raw export alone.
    for title, column in (
        ("pull to a gold dataset / raw (SDK lookup + export), ratio of medians", 4),
        ("the same, median of per-round ratios", 5),
        ("the same, ratio of best times", 6),
        ("the same, ours / the raw export alone (medians)", 7),
    ):
        row = next(line for line in readme.splitlines() if line.startswith(f"| {title} |"))
        quoted = [c.strip() for c in row.strip("|").split("|")][1:4]
        assert quoted == [rows[n][column].replace("x", "×") for n in sizes], title
    # The known limitations quote the saved run at 1,000 tasks.
    said = re.search(
        r"The saved run meets it\s+\(([\d.]+)× of medians, ([\d.]+)× per round, ([\d.]+)× of best",
        limitations,
    )
    assert said is not None
    assert [f"{v}x" for v in said.groups()] == [rows[1000][c] for c in (4, 5, 6)]


def test_the_docs_quote_the_saved_eval_run() -> None:
    saved = json.loads((ROOT / "bench" / "results" / "eval.json").read_text(encoding="utf-8"))
    rows = saved["figures"]["sizes"]
    readme = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    title = "eval scoring (count table) from columns"
    row = next(line for line in readme.splitlines() if line.startswith(f"| {title}"))
    quoted = [c.strip() for c in row.strip("|").split("|")][1:4]
    assert quoted == [f"{rows[n]['speedup_cpu']:.1f}×" for n in ("1000", "10000", "100000")]
    folder = rows["100000"]["eval_command"]["folder"]
    limitations = (ROOT / "docs" / "known-limitations.md").read_text(encoding="utf-8")
    assert f"it takes {folder['seconds']:.1f} s on a gold" in limitations
    assert f"{folder['speedup_vs_nervaluate_scoring']:.2f}×" in limitations
