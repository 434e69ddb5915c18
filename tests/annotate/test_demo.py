"""The shipped gold/ is exactly what the round trip yields from the shipped sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eventgold.annotate.demo import DemoInputs, gold_differences, run_demo
from eventgold.annotate.schema import load_schema
from eventgold.annotate.steps import drain

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
    assert len(diffs) == 1 and diffs[0].startswith("documents.jsonl: line 1 differs")
    assert gold_differences(copy, tmp_path / "nothing") == [
        f"{tmp_path / 'nothing'} does not exist"
    ]
