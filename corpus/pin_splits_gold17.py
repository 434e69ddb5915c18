"""Pin meta.split of every corpus document for the 17-document gold set (issue 20).

test:        four of the six adjudicated, doubly annotated new articles (four countries,
             Wikipedia and VOA); nothing in it is used to tune the rules or train the model.
validation:  the other two adjudicated new articles.
train:       the rest (the five seed articles, whose old validation/test pins move to train,
             and the six single-annotated new articles).

Rewrites corpus/documents.jsonl in place with eventgold's own writer and logs every change
to corpus/pin_splits_gold17.log. Run from the worktree root.
"""

from __future__ import annotations

from pathlib import Path

from eventgold.annotate.documents import read_documents, write_documents

CORPUS = Path("corpus/documents.jsonl")
LOG = Path("corpus/pin_splits_gold17.log")
TEST = {
    "006_peshawar_police_lines_mosque_bombing_2023_wikipedia",
    "010_tchoma_bangou_zaroumdareye_massacres_2021_wikipedia",
    "012_sobane_da_massacre_2019_wikipedia",
    "020_houla_massacre_2012_voa",
}
VALIDATION = {
    "002_kabul_truck_bombing_may2017_wikinews",
    "018_sayyidah_zaynab_bombings_2016_wikipedia",
}


def main() -> None:
    docs = list(read_documents(CORPUS))
    ids = {d.id for d in docs}
    assert TEST <= ids and VALIDATION <= ids and not TEST & VALIDATION
    lines, out = [], []
    for d in docs:
        split = "test" if d.id in TEST else "validation" if d.id in VALIDATION else "train"
        old = d.meta.get("split")
        d.meta["split"] = split
        lines.append(f"{d.id}: {old or '(hash)'} -> {split}" + ("" if old != split else " (unchanged)"))
        out.append(d)
    write_documents(CORPUS, out)
    counts = {s: sum(1 for d in out if d.meta["split"] == s) for s in ("train", "validation", "test")}
    lines.append(f"counts: {counts}")
    LOG.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
