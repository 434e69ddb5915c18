"""The shipped gold/ is exactly what the round trip yields from the shipped sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eventgold.annotate.demo import DemoInputs, gold_differences, run_demo
from eventgold.progress import drain
from eventgold.schema import load_schema

ROOT = Path(__file__).resolve().parents[2]
INPUTS = DemoInputs(
    corpus=ROOT / "corpus" / "documents.jsonl",
    gold_sources=ROOT / "annotations" / "gold",
    passes=(ROOT / "annotations" / "first_pass", ROOT / "annotations" / "second_pass"),
)


@pytest.mark.labelstudio
def test_shipped_gold_is_reproducible_from_the_sources(ls_session, tmp_path):
    report = drain(
        run_demo(
            ls_session,
            schema=load_schema(),
            inputs=INPUTS,
            out_dir=tmp_path / "gold",
            reference=ROOT / "gold",
        )
    )
    assert report.differences == ()
    assert (report.pull.documents, report.pull.rejected) == (17, 0)
    assert report.push.annotations_added == 42  # 17 + 8 passes, 17 ground truths
    assert report.agreement_tasks == 8


def test_gold_differences_sees_content_changes(tmp_path):
    copy = tmp_path / "gold"
    shutil.copytree(ROOT / "gold", copy)
    assert gold_differences(copy, ROOT / "gold") == []
    (copy / "pull.json").write_text("{}")  # run facts may differ
    assert gold_differences(copy, ROOT / "gold") == []
    lines = (copy / "documents.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["entities"] = first["entities"][1:]
    (copy / "documents.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    diffs = gold_differences(copy, ROOT / "gold")
    # Issue 18, defect 10: the check names the document and what differs in it.
    dropped = json.loads(lines[0])["entities"][0]
    span = f"{dropped['label']} {dropped['start']}-{dropped['end']} {dropped['text']!r}"
    assert diffs[0] == (
        f"documents.jsonl: document '{first['id']}': entities only in {ROOT / 'gold'}: {span}"
    )
    assert all(d.startswith(f"documents.jsonl: document '{first['id']}': ") for d in diffs)
    assert gold_differences(copy, tmp_path / "nothing") == [
        f"{tmp_path / 'nothing'} does not exist"
    ]


def test_gold_differences_name_the_rows_that_differ(tmp_path):
    import pyarrow.parquet as pq

    copy = tmp_path / "gold"
    shutil.copytree(ROOT / "gold", copy)
    shard = next((copy / "data").glob("test-*.parquet"))
    table = pq.read_table(shard)
    rows = table.to_pylist()
    rows[0]["title"] = "Another title"
    pq.write_table(table.from_pylist(rows, schema=table.schema), shard)
    assert gold_differences(copy, ROOT / "gold") == [
        f"data/{shard.name}: rows that differ (columns): '{rows[0]['id']}' (title)"
    ]
