"""Record `ls_export_full.json`: a real Label Studio full JSON export for the convert/pull tests.

Run against a disposable server (it creates a project):
    .venv/bin/python tests/data/record_ls_export.py --url http://127.0.0.1:PORT --api-key KEY
Every shape in the recording comes from the server; the script only imports tasks with inline
annotations through the API (as `push` does) and saves what the export returns.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from eventgold.annotate.labelstudio.config import to_label_config
from eventgold.annotate.labelstudio.connection import connect
from eventgold.annotate.labelstudio.convert import task_data, to_annotation
from eventgold.documents import Document, Entity, Relation
from eventgold.offset_units import codepoint_to_utf16
from eventgold.schema import load_schema

OUT = Path(__file__).with_name("ls_export_full.json")
TEXT = "Rebels 😀 killed “five villagers” in Kabul.\nThe UN condemned the attack."


def ent(eid: str, sub: str, label: str) -> Entity:
    start = TEXT.index(sub)
    return Entity(eid, start, start + len(sub), label, sub)


def doc(doc_id: str, entities=(), relations=()) -> Document:
    return Document(doc_id, TEXT, title=f"Title {doc_id}", entities=entities, relations=relations)


GOOD = (
    ent("e1", "Rebels", "ATTACKER"),
    ent("e2", "five villagers", "VICTIM_GROUP"),
    ent("e3", "UN", "ACTOR"),
    ent("e4", "attack", "ATTACK"),
)
GOOD_RELS = (Relation("e1", "e2", "KILLED"), Relation("e3", "e4", "CONDEMNS"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--api-key", required=True)
    args = ap.parse_args()
    session = connect(url=args.url, api_key=args.api_key)
    client = session.client
    project = client.projects.create(
        title=f"recording-{int(time.time())}", label_config=to_label_config(load_schema())
    )
    good = to_annotation(doc("x", GOOD, GOOD_RELS))
    # UTF-16 offsets: what a buggy frontend around emoji would store.
    utf16 = to_annotation(doc("x", GOOD[1:2]))
    v = utf16["result"][0]["value"]
    v["start"], v["end"] = codepoint_to_utf16(TEXT, v["start"]), codepoint_to_utf16(TEXT, v["end"])
    bad_label = to_annotation(doc("x", (ent("e1", "Rebels", "WEAPON"),)))
    mismatch = to_annotation(doc("x", (ent("e1", "Kabul", "LOCATION"),)))
    mismatch["result"][0]["value"]["text"] = "Kandahar"
    missing_end = to_annotation(doc("x", GOOD[:1], (Relation("e1", "e9", "KILLED"),)))
    wrong_type = to_annotation(doc("x", GOOD[2:4], (Relation("e4", "e3", "CONDEMNS"),)))
    overlap = to_annotation(
        doc("x", (ent("e1", "five villagers", "VICTIM_GROUP"), ent("e2", "villagers", "LOCATION")))
    )
    cancelled = {**to_annotation(doc("x", GOOD[:1])), "was_cancelled": True}
    gt_old = to_annotation(replace(doc("x", GOOD[:2], GOOD_RELS[:1]), meta={"ground_truth": True}))
    tasks = [
        {"data": task_data(doc("d-good")), "annotations": [good]},
        {"data": task_data(doc("d-utf16")), "annotations": [utf16]},
        {
            "data": task_data(doc("d-bad")),
            "annotations": [bad_label, mismatch, missing_end, wrong_type, overlap],
        },
        {"data": task_data(doc("d-select")), "annotations": [gt_old, cancelled]},
        {"data": {**task_data(doc("d-changed")), "sha256": "0" * 64}, "annotations": [good]},
        {"data": task_data(doc("d-empty"))},
    ]
    client.projects.import_tasks(id=project.id, request=tasks, return_task_ids=True)
    # A newer, non-ground-truth annotation on d-select, made after the ground truth.
    time.sleep(1.1)
    tasks_now = client.tasks.list(project=project.id)
    select_task = next(t for t in tasks_now if t.data["doc_id"] == "d-select")
    client.annotations.create(id=select_task.id, result=good["result"], ground_truth=False)
    raw = b"".join(
        client.projects.exports.download_sync(
            id=project.id, export_type="JSON", download_all_tasks=True
        )
    )
    export = json.loads(raw)
    OUT.write_text(json.dumps(export, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    client.projects.delete(id=project.id)
    print(f"wrote {OUT} ({len(export)} tasks)")


if __name__ == "__main__":
    main()
