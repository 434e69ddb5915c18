"""Apply the adjudication decisions of issue 20 to the twelve new articles and write gold.

Inputs (all in this folder or in annotations/):
  merged.jsonl   `eventgold adjudicate P1 P2 --strategy majority --tie senior --senior annotator-1`
                 on the six doubly annotated new articles (P1/P2 = those six files of
                 first_pass/ and second_pass/); review.md / review.jsonl is its review list.
  first_pass/    annotator-1's files, the base for the six single-annotated new articles.

Every decision names its spans by label and text (plus the span it follows where the text is
not unique), resolved against the pass files; no offset is typed here. Each decision is
checked against the merged document (a "keep" must be there, a "not added" must be absent),
applied, and logged to apply.log. Entity ids are renumbered T1.. in text order, relations
sorted by (head, tail), and every file is validated under the gold rules before it is written.

Run from the worktree root:  python annotations/adjudication_gold12/apply.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eventgold.documents import parse_document, write_document_file
from eventgold.schema import load_schema
from eventgold.validate import GOLD_RULES, validate_document

HERE = Path(__file__).resolve().parent
ANN = HERE.parent
DOUBLE = [
    "002_kabul_truck_bombing_may2017_wikinews",
    "006_peshawar_police_lines_mosque_bombing_2023_wikipedia",
    "010_tchoma_bangou_zaroumdareye_massacres_2021_wikipedia",
    "012_sobane_da_massacre_2019_wikipedia",
    "018_sayyidah_zaynab_bombings_2016_wikipedia",
    "020_houla_massacre_2012_voa",
]
SINGLE = [
    "004_mazar_i_sharif_army_base_attack_2017_voa",
    "007_kohat_usterzai_car_bombing_wikinews",
    "015_elasha_biyaha_suicide_car_bomb_voa",
    "017_karrada_truck_bombing_2016_wikipedia",
    "023_in_amenas_hostage_crisis_2013_voa",
    "024_hezbollah_commander_badreddine_killed_2016_voa",
]

# (id, doc prefix, action, what, side, rule)
#   what: ("span", LABEL, text[, after]) or ("rel", LABEL, head_spec, tail_spec),
#   a spec being (LABEL, text[, after]) where `after` is a (LABEL, text) span the wanted one
#   is the first match after (or a unique piece of plain text it follows); action: keep | remove | not-added | add.
DECISIONS = [
    ("N1", "002_kabul", "remove",
     ("rel", "KILLED", ("ATTACK", "car bomb"), ("VICTIM_GROUP", "83 bodies")), "pass 2", "C12 (7.9)"),
    ("N2", "002_kabul", "remove", ("span", "ATTACK", "car bomb"), "pass 2", "C12 (7.9)"),
    ("N3", "002_kabul", "add",
     ("rel", "KILLED", ("ATTACK", "attack", ("VICTIM_GROUP", "83 bodies")),
      ("VICTIM_GROUP", "83 bodies")), "neither", "C13 (7.10 step 4)"),
    ("N4", "010_tchoma", "keep", ("span", "ATTACK", "lynching"), "pass 1", "C5 (7.2)"),
    ("N5", "010_tchoma", "keep", ("span", "VICTIM_GROUP", "two jihadists"), "pass 1", "C5 (7.2)"),
    ("N6", "010_tchoma", "keep", ("span", "ATTACKER", "residents"), "pass 1", "C5 (7.2)"),
    ("N7", "010_tchoma", "keep",
     ("rel", "KILLED", ("ATTACK", "lynching"), ("VICTIM_GROUP", "two jihadists")), "pass 1", "C5 (7.2)"),
    ("N8", "010_tchoma", "keep",
     ("rel", "KILLED", ("ATTACKER", "residents"), ("VICTIM_GROUP", "two jihadists")), "pass 1",
     "C5 (7.2), section 4 'link both'"),
    ("N9", "018_sayyidah", "keep",
     ("rel", "KILLED", ("ATTACK", "attack", ("VICTIM_GROUP", "60 people")),
      ("VICTIM_GROUP", "60 people")), "pass 1", "C13 (7.10 step 4)"),
    ("N10", "018_sayyidah", "keep",
     ("rel", "KILLED", ("ATTACK", "attack", ("VICTIM_GROUP", "60 people")),
      ("VICTIM_GROUP", "25 Shi'ite fighters")), "pass 1", "C13 (7.10 step 4)"),
    ("N11", "020_houla", "remove",
     ("rel", "CONDEMNS", ("ACTOR", "Ban Ki-moon"), ("ATTACK", "violence")), "pass 2", "C14 (7.11)"),
    ("N12", "020_houla", "remove",
     ("rel", "CONDEMNS", ("ACTOR", "Kofi Annan"), ("ATTACK", "violence")), "pass 2", "C14 (7.11)"),
    ("N13", "020_houla", "remove", ("span", "ATTACK", "violence"), "pass 2", "C12 (7.9), C4 (7.1)"),
    ("N14", "020_houla", "not-added", ("span", "VICTIM_GROUP", "others"), "pass 1", "C6 (7.3), 2.10"),
    ("N15", "020_houla", "not-added",
     ("rel", "KILLED", ("ATTACKER", "shabiha"), ("VICTIM_GROUP", "others")), "pass 1", "C6 (7.3)"),
    # consistency pass on the single-annotated articles (first pass as base)
    ("K1", "017_karrada", "remove", ("span", "ATTACK", "suicide truck-bomb"), "lead", "C12 (7.9)"),
    ("K2", "024_hezbollah", "add",
     ("rel", "KILLED", ("ATTACKER", "Badreddine", "Saddam Hussein in 1990"),
      ("VICTIM_GROUP", "Rafik Hariri")), "lead", "C7 (7.4)"),
    ("K3", "024_hezbollah", "add",
     ("rel", "KILLED", ("ATTACKER", "Badreddine", "Saddam Hussein in 1990"),
      ("VICTIM_GROUP", "21 others")), "lead", "C7 (7.4)"),
]

log_lines: list[str] = []


def log(msg: str) -> None:
    print(msg)
    log_lines.append(msg)


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def key(e: dict) -> tuple:
    return (e["label"], e["start"], e["end"])


def resolve(spec, pool: list[dict], text: str) -> tuple:
    """The (label, start, end) of the one span matching spec among pool's entities."""
    label, span_text = spec[0], spec[1]
    cands = sorted({key(e) for e in pool if e["label"] == label and e["text"] == span_text})
    if len(spec) > 2 and spec[2] is not None:
        anchor = spec[2]
        if isinstance(anchor, str):
            # a plain-text anchor (unique in the text): the first match after it
            assert text.count(anchor) == 1, anchor
            pos = text.index(anchor)
        else:
            pos = resolve(anchor, pool, text)[1]
        after = [c for c in cands if c[1] > pos]
        cands = after[:1]
    if len(cands) != 1:
        sys.exit(f"spec {spec!r} matches {cands!r}")
    return cands[0]


def show(k: tuple, text: str) -> str:
    return f"{k[0]} [{k[1]}, {k[2]}) {text[k[1]:k[2]]!r}"


def finish(doc_id: str, text_doc: dict, ents: dict, rels: set, meta: dict, schema) -> None:
    order = sorted(ents, key=lambda k: (k[1], k[2]))
    ids = {k: f"T{i}" for i, k in enumerate(order, 1)}
    for r in rels:
        assert r[1] in ents and r[2] in ents, f"{doc_id}: dangling relation {r}"
    obj = {
        "id": text_doc["id"], "text": text_doc["text"], "title": text_doc.get("title"),
        "source": text_doc.get("source"), "meta": meta,
        "entities": [{"id": ids[k], "start": k[1], "end": k[2], "label": k[0],
                      "text": text_doc["text"][k[1]:k[2]]} for k in order],
        "relations": [{"head": ids[h], "tail": ids[t], "label": lab}
                      for lab, h, t in sorted(rels, key=lambda r: (order.index(r[1]), order.index(r[2]), r[0]))],
    }
    doc, problems = parse_document(obj, where=doc_id)
    assert doc is not None and not problems, problems
    problems = validate_document(doc, schema, rules=GOLD_RULES)
    assert not problems, "\n".join(map(str, problems))
    write_document_file(ANN / "gold" / f"{doc_id}.json", doc)
    log(f"  wrote gold/{doc_id}.json: {len(order)} spans, {len(rels)} relations, 0 problems")


def main() -> None:
    schema = load_schema()
    merged = {json.loads(l)["id"]: json.loads(l) for l in (HERE / "merged.jsonl").open(encoding="utf-8")}
    assert sorted(merged) == DOUBLE
    counts = {"pass 1": 0, "pass 2": 0, "neither": 0, "lead": 0}
    for doc_id in DOUBLE + SINGLE:
        p1 = load_json(ANN / "first_pass" / f"{doc_id}.json")
        p2_path = ANN / "second_pass" / f"{doc_id}.json"
        p2 = load_json(p2_path) if p2_path.exists() else None
        base = merged[doc_id] if doc_id in merged else p1
        text = base["text"]
        assert text == p1["text"]
        pool = p1["entities"] + (p2["entities"] if p2 else [])
        ents = {key(e): e for e in base["entities"]}
        by_id = {e["id"]: key(e) for e in base["entities"]}
        rels = {(r["label"], by_id[r["head"]], by_id[r["tail"]]) for r in base["relations"]}
        log(f"{doc_id} ({'merged, majority / senior annotator-1' if doc_id in merged else 'single pass, annotator-1'}):"
            f" {len(ents)} spans, {len(rels)} relations")
        for did, prefix, action, what, side, rule in DECISIONS:
            if not doc_id.startswith(prefix):
                continue
            if what[0] == "span":
                k = resolve(what[1:], pool, text)
                present = k in ents
                desc = show(k, text)
            else:
                h, t = resolve(what[2], pool, text), resolve(what[3], pool, text)
                k = (what[1], h, t)
                present = k in rels
                desc = f"{show(h, text)} -{what[1]}-> {show(t, text)}"
            if action == "keep":
                assert present, f"{did}: expected {desc} in the merged document"
            elif action == "not-added":
                assert not present, f"{did}: expected {desc} absent"
            elif action == "remove":
                assert present, f"{did}: {desc} not there to remove"
                if what[0] == "span":
                    del ents[k]
                    gone = {r for r in rels if k in (r[1], r[2])}
                    rels -= gone
                else:
                    rels.discard(k)
            elif action == "add":
                assert not present, f"{did}: {desc} already there"
                assert k[1] in ents and k[2] in ents, f"{did}: endpoint missing"
                rels.add(k)
            counts[side] += 1
            log(f"  {did} {action:9s} {desc}  [for {side}; {rule}]")
        if doc_id in merged:
            meta = {"sha256": p1["meta"]["sha256"], "annotator": "adjudicated",
                    "adjudicated_from": ["annotator-1", "annotator-2"]}
        else:
            meta = {"sha256": p1["meta"]["sha256"], "annotator": "annotator-1"}
        finish(doc_id, p1, ents, rels, meta, schema)
    log(f"decisions: {counts}")
    (HERE / "apply.log").write_text("\n".join(log_lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
