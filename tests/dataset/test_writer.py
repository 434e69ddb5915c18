from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eventgold.dataset.features import canonical, features, from_row
from eventgold.dataset.folder import load_gold_dataset, parquet_files, read_gold
from eventgold.dataset.splits import BAD_SPLIT, SplitRatios, fill_empty_splits, split_hash, split_of
from eventgold.dataset.writer import DUPLICATE_DOCUMENT, iter_write_gold, write_gold
from eventgold.documents import Document, Entity, Relation, load_documents
from eventgold.problems import ProblemsError
from eventgold.progress import Progress, collect
from eventgold.schema import load_schema

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "documents.jsonl"
SCHEMA = load_schema()


def place(
    doc: Document, spans: list[tuple[str, str]], rels: list[tuple[int, int, str]]
) -> Document:
    """Entities at the first occurrence of each needle, relations by entity index."""
    ents = []
    for i, (label, needle) in enumerate(spans):
        start = doc.text.index(needle)
        ents.append(Entity(f"e{i}", start, start + len(needle), label, needle))
    relations = [Relation(f"e{h}", f"e{t}", label) for h, t, label in rels]
    # Reversed, so the writer's canonical order is visible in the output.
    return doc.with_annotations(entities=reversed(ents), relations=reversed(relations))


def gold_docs() -> list[Document]:
    docs, problems = load_documents(CORPUS)
    docs = [d for d in docs if re.fullmatch(r"\d{3}_[0-9a-f]{16}", d.id)]  # the five seeds
    assert not problems and len(docs) == 5
    # The shipped corpus pins its validation and test documents; unpinned, the five exercise
    # the small-corpus rule.
    docs = [
        dataclasses.replace(d, meta={k: v for k, v in d.meta.items() if k != "split"}) for d in docs
    ]
    annotations = {
        0: (
            [
                ("ATTACK", "bombing"),
                ("LOCATION", "Kabul"),
                ("VICTIM_GROUP", "35 students"),
                ("ACTOR", "Zabiullah Mujahid"),
            ],
            [(0, 2, "KILLED"), (3, 0, "CONDEMNS")],
        ),
        1: ([("ATTACKER", "ISKP"), ("LOCATION", "Jalalabad")], []),
        3: ([("ATTACKER", "Islamic State"), ("ATTACK", "bombing")], []),
        4: ([("ATTACKER", "Islamic State")], []),
    }
    return [place(d, *annotations[i]) if i in annotations else d for i, d in enumerate(docs)]


@pytest.fixture(scope="module")
def gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("g") / "gold"
    write_gold(
        list(reversed(gold_docs())),
        out,
        schema=SCHEMA,
        rejects=[{"task": 7, "where": "task 7 / entity 2", "message": "overlaps"}],
        provenance={"label_studio_project": 1, "annotators": 2},
        shard_rows=1,
    )
    return out


def test_features_follow_the_schema_with_extra_labels(tmp_path: Path) -> None:
    text = SCHEMA.path and Path(SCHEMA.path).read_text(encoding="utf-8")
    text = text.replace(
        "relations:\n",
        "  - label: WEAPON\n    description: Weapon used.\n\nrelations:\n"
        "  - label: USED\n    description: Attacker used a weapon.\n"
        "    head: [ATTACKER]\n    tail: [WEAPON]\n",
    )
    path = tmp_path / "schema.yaml"
    path.write_text(text, encoding="utf-8")
    schema = load_schema(path)
    feats = features(schema)
    assert feats["entities"].feature["label"].names == [*SCHEMA.entity_labels, "WEAPON"]
    assert feats["relations"].feature["label"].names == ["USED", *SCHEMA.relation_labels]
    assert feats["ner_tags"].feature.names[-2:] == ["B-WEAPON", "I-WEAPON"]
    assert isinstance(feats["entities"], datasets.List)

    doc = Document(
        id="w",
        text="ISKP used a drone.",
        entities=(Entity("a", 0, 4, "ATTACKER", "ISKP"), Entity("b", 12, 17, "WEAPON", "drone")),
        relations=(Relation("a", "b", "USED"),),
    )
    write_gold([doc], tmp_path / "gold", schema=schema)
    (split,) = load_gold_dataset(tmp_path / "gold").values()
    row = split[0]
    assert feats["entities"].feature["label"].int2str(row["entities"][1]["label"]) == "WEAPON"
    assert from_row(row, feats) == doc


def test_split_is_a_function_of_id_and_seed() -> None:
    ids = [f"doc-{i}" for i in range(3000)]
    splits = [split_of(Document(id=i, text="x")) for i in ids]
    assert splits == [split_of(Document(id=i, text="y")) for i in ids]
    counts = Counter(splits)
    assert 2250 < counts["train"] < 2550 and 200 < counts["validation"] < 400
    assert split_hash("a", seed="s1") != split_hash("a", seed="s2")
    only_test = SplitRatios(train=0, validation=0, test=1)
    assert {split_of(Document(id=i, text="x"), ratios=only_test) for i in ids[:50]} == {"test"}


def test_meta_split_wins() -> None:
    doc = Document(id="doc-1", text="x", meta={"split": "validation"})
    assert split_of(doc, ratios=SplitRatios(train=1, validation=0, test=0)) == "validation"


def test_bad_meta_split_is_a_located_problem(tmp_path: Path) -> None:
    doc = Document(id="d1", text="x", meta={"split": "dev"})
    with pytest.raises(ProblemsError) as info:
        write_gold([doc], tmp_path / "gold", schema=SCHEMA)
    (problem,) = info.value.problems
    assert problem.code == BAD_SPLIT
    assert str(problem) == (
        "document 'd1' / meta.split: unknown split 'dev'; allowed: test, train, validation"
    )


def test_bad_ratios_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProblemsError, match="train must be a number >= 0, got -1"):
        write_gold([], tmp_path / "g", schema=SCHEMA, ratios=SplitRatios(train=-1))
    assert not (tmp_path / "g").exists()


def test_small_corpus_rule_fills_empty_splits_and_big_corpora_are_untouched() -> None:
    ratios = SplitRatios()
    # Five documents that all hash into train: the two highest hashes go to test, validation.
    hashed = [(f"d{i}", u, 0) for i, u in enumerate([0.1, 0.2, 0.3, 0.5, 0.7])]
    counts = Counter({0: 5})
    assert fill_empty_splits(hashed, counts, ratios) == {"d4": 2, "d3": 1}
    assert counts == Counter({0: 3, 1: 1, 2: 1})
    # A single document stays where it is; a split with ratio 0 is never filled.
    assert fill_empty_splits([("a", 0.5, 0)], Counter({0: 1}), ratios) == {}
    no_val = SplitRatios(train=0.9, validation=0, test=0.1)
    assert fill_empty_splits(hashed, Counter({0: 5}), no_val) == {"d4": 2}
    # Every split already has a document by hash: nothing moves.
    spread = [("a", 0.1, 0), ("b", 0.85, 1), ("c", 0.95, 2), ("d", 0.2, 0)]
    assert fill_empty_splits(spread, Counter({0: 2, 1: 1, 2: 1}), ratios) == {}


def test_gold_round_trip_and_layout(gold: Path) -> None:
    expected = sorted((canonical(d) for d in gold_docs()), key=lambda d: d.id)
    assert list(read_gold(gold)) == expected
    assert next(read_gold(gold)).entities[0].text == "bombing"  # sorted by start

    dd = load_gold_dataset(gold)
    assert sum(dd.num_rows.values()) == 5
    assert set(dd) == {"train", "validation", "test"}  # small-corpus rule: none empty
    feats = features(SCHEMA)
    assert dd["train"].features == feats
    by_id = {d.id: d for d in expected}
    for split in dd.values():
        for row in split:
            assert from_row(row, feats) == by_id[row["id"]]
            assert len(row["tokens"]) == len(row["ner_tags"]) == len(row["token_starts"])

    assert (gold / "rejects.jsonl").read_text(encoding="utf-8").count("\n") == 1
    assert sorted(p.name for p in gold.iterdir()) == [
        ".eventgold-gold",
        "README.md",
        "data",
        "documents.jsonl",
        "hf",
        "rejects.jsonl",
        "stats.json",
    ]


def test_parquet_shards_stream_back(gold: Path) -> None:
    files = parquet_files(gold)
    n_train = load_gold_dataset(gold)["train"].num_rows
    assert [Path(f).name for f in files["train"]] == [
        f"train-{i:05d}-of-{n_train:05d}.parquet" for i in range(n_train)
    ]
    streamed = datasets.load_dataset("parquet", data_files=files, streaming=True)
    rows = [row for split in streamed.values() for row in split]
    assert sorted(r["id"] for r in rows) == sorted(d.id for d in gold_docs())
    doc0 = next(r for r in rows if r["id"].startswith("000_"))
    label = streamed["train"].features["entities"].feature["label"]
    assert [label.int2str(e["label"]) for e in doc0["entities"]] == [
        "ATTACK",
        "LOCATION",
        "VICTIM_GROUP",
        "ACTOR",
    ]


def test_hf_folder_holds_the_parquet_rows_and_nothing_else(gold: Path) -> None:
    # hf/ is written in place (not through save_to_disk): the same rows as the Parquet
    # shards, the schema's features, and no staging left behind.
    dd = load_gold_dataset(gold)
    for split, files in parquet_files(gold).items():
        parquet = pa.concat_tables(pq.read_table(f) for f in files)
        assert dd[split].data.table.equals(parquet.cast(dd[split].data.table.schema))
        assert dd[split].features == features(SCHEMA)
    assert sorted(p.name for p in (gold / "hf").iterdir()) == [
        "dataset_dict.json",
        "test",
        "train",
        "validation",
    ]
    assert sorted(p.name for p in (gold / "hf" / "train").iterdir()) == [
        "data-00000-of-00001.arrow",
        "dataset_info.json",
        "state.json",
    ]


def test_output_is_deterministic_whatever_the_input_order(gold: Path, tmp_path: Path) -> None:
    again = tmp_path / "gold"
    write_gold(
        gold_docs(),
        again,
        schema=SCHEMA,
        rejects=[{"task": 7, "where": "task 7 / entity 2", "message": "overlaps"}],
        provenance={"annotators": 2, "label_studio_project": 1},
        shard_rows=1,
    )
    for name in ("documents.jsonl", "README.md", "rejects.jsonl", "stats.json"):
        assert (again / name).read_bytes() == (gold / name).read_bytes(), name
    for split, files in parquet_files(gold).items():
        other = parquet_files(again)[split]
        assert [Path(f).read_bytes() for f in files] == [Path(f).read_bytes() for f in other]


def test_gold_folder_is_readable_by_others(gold: Path) -> None:
    assert os.stat(gold).st_mode & 0o055 == 0o055


def _failing(docs: list[Document]) -> Iterator[Document]:
    yield from docs[:3]
    raise RuntimeError("annotation server went away")


def test_failure_mid_write_leaves_old_gold_intact(gold: Path, tmp_path: Path) -> None:
    out = tmp_path / "gold"
    write_gold(gold_docs()[:2], out, schema=SCHEMA)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(RuntimeError, match="went away"):
        write_gold(_failing(gold_docs()), out, schema=SCHEMA)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["gold"]  # no staging folder left


def test_invalid_gold_is_refused_with_every_problem(tmp_path: Path) -> None:
    docs = gold_docs()
    bad_entity = dataclasses.replace(docs[1].entities[0], label="WEAPON")
    bad = docs[1].with_annotations(entities=[bad_entity], relations=[])
    with pytest.raises(ProblemsError) as info:
        write_gold([docs[0], bad, docs[0]], tmp_path / "gold", schema=SCHEMA)
    found = {p.code: str(p) for p in info.value.problems}
    assert found[DUPLICATE_DOCUMENT] == f"document '{docs[0].id}': duplicate document id"
    assert "label 'WEAPON' is not in schema 'conflict_events'; allowed: ACTOR" in str(
        found["unknown-entity-label"]
    )
    assert not (tmp_path / "gold").exists()


def test_progress_events_end_with_the_summary(tmp_path: Path) -> None:
    steps = iter_write_gold(gold_docs(), tmp_path / "gold", schema=SCHEMA)
    events, summary = collect(steps)
    assert events[-1] == Progress("hf", 1, 1)
    assert Progress("write", 5, 5) in events
    assert summary.documents == 5
    assert sum(s.entities["ATTACKER"] for s in summary.splits) == 3
    assert sum(s.relations["KILLED"] for s in summary.splits) == 1
    assert len(summary.moved) == 2  # the small-corpus rule filled validation and test
    assert all(s.documents for s in summary.splits)


def test_row_encoder_equals_datasets_encoder():
    from eventgold.dataset.features import RowEncoder, to_row

    schema = load_schema()
    feats = features(schema)
    gold = Path(__file__).resolve().parents[2] / "gold" / "documents.jsonl"
    docs, problems = load_documents(gold)
    assert not problems and len(docs) == 17
    for doc in docs:
        row = to_row(doc, schema)
        assert RowEncoder(feats)(row) == feats.encode_example(row)


# --- documents in id order are written as they arrive ----------------------------------------


def _many(n: int = 60) -> list[Document]:
    """`n` gold documents (copies of the five under new ids), sorted by id."""
    base = gold_docs()
    return [dataclasses.replace(base[i % 5], id=f"doc-{i:04d}") for i in range(n)]


def _write(docs: list[Document], out: Path) -> list[Progress]:
    steps = iter_write_gold(docs, out, schema=SCHEMA, shard_rows=7)
    events: list[Progress] = []
    while True:
        try:
            events.append(next(steps))
        except StopIteration:
            return events


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_streamed_spooled_and_fallen_back_writes_are_byte_identical(tmp_path: Path) -> None:
    docs = _many()
    late = [*docs[:40], *docs[41:], docs[40]]  # order breaks after streaming has begun
    events = {
        "streamed": _write(docs, tmp_path / "a"),
        "spooled": _write(docs[::-1], tmp_path / "b"),
        "fallback": _write(late, tmp_path / "c"),
    }
    # Only the in-order input skips the second pass (its one write event says it is done).
    assert [e for e in events["streamed"] if e.stage == "write"] == [Progress("write", 60, 60)]
    for name in ("spooled", "fallback"):
        assert Progress("write", 0, 60) in events[name], name
    a = _files(tmp_path / "a")
    n_train = load_gold_dataset(tmp_path / "a")["train"].num_rows
    n_shards = -(-n_train // 7)  # known only once the last document is in
    assert [Path(f).name for f in parquet_files(tmp_path / "a")["train"]] == [
        f"train-{i:05d}-of-{n_shards:05d}.parquet" for i in range(n_shards)
    ]
    assert not [name for name in a if "partial" in name or "spool" in name]
    assert _files(tmp_path / "b") == a
    assert _files(tmp_path / "c") == a
    assert [d.id for d in read_gold(tmp_path / "c")] == [d.id for d in docs]


def test_a_problem_after_streaming_began_leaves_nothing(tmp_path: Path) -> None:
    docs = _many()
    bad = docs[50].with_annotations(
        entities=[dataclasses.replace(docs[50].entities[0], end=10**6)], relations=[]
    )
    with pytest.raises(ProblemsError) as info:
        write_gold([*docs[:50], bad, *docs[51:]], tmp_path / "gold", schema=SCHEMA)
    assert len(info.value.problems) == 1
    assert "document 'doc-0050'" in str(info.value.problems[0])
    assert list(tmp_path.iterdir()) == []


def test_a_repeated_id_in_order_is_a_duplicate(tmp_path: Path) -> None:
    docs = _many()
    with pytest.raises(ProblemsError) as info:
        write_gold([*docs[:45], docs[44], *docs[45:]], tmp_path / "gold", schema=SCHEMA)
    assert [str(p) for p in info.value.problems] == ["document 'doc-0044': duplicate document id"]


def test_no_documents_make_an_empty_loadable_gold(tmp_path: Path) -> None:
    out = tmp_path / "gold"
    rejects = [{"task": 3, "where": "task 3 / entity 0", "message": "unknown label"}]
    summary = write_gold([], out, schema=SCHEMA, rejects=rejects)
    assert summary.documents == 0 and summary.rejects == 1
    loaded = load_gold_dataset(out)
    assert {name: len(split) for name, split in loaded.items()} == {
        "train": 0,
        "validation": 0,
        "test": 0,
    }
    assert loaded["test"].features == features(SCHEMA)
    assert list(read_gold(out)) == [] and parquet_files(out) == {}
    card = (out / "README.md").read_text()
    assert "No document has a usable gold annotation yet" in card and "configs:" not in card
    assert (out / "rejects.jsonl").read_text().count("\n") == 1


def test_a_folder_that_is_not_gold_is_refused_not_wiped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventgold.dataset.folder import GOLD_TARGET, gold_target_problems

    mine = tmp_path / "important"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    (mine / "documents.jsonl").write_text("")
    with pytest.raises(ProblemsError) as caught:
        write_gold(gold_docs(), mine, schema=SCHEMA)
    [problem] = caught.value.problems
    assert problem.code == GOLD_TARGET
    assert str(problem).startswith(
        f"gold folder {mine}: holds what a gold folder does not (notes.txt), and a gold folder "
        "is replaced whole; name a new folder, or move those out (a gold folder holds: .eventgold-gold, README.md,"
    )
    assert (mine / "notes.txt").read_text() == "keep me"
    assert not list(tmp_path.glob(".important.*"))  # no staging folder left behind
    a_file = tmp_path / "corpus.jsonl"
    a_file.write_text("{}\n")
    assert [p.message for p in gold_target_problems(a_file)] == [
        "is a file, not a folder; name a new folder or a gold folder"
    ]
    monkeypatch.chdir(mine)
    assert "is the current folder or holds it" in gold_target_problems(Path("."))[0].message
    assert "is the current folder or holds it" in gold_target_problems(tmp_path)[0].message
    assert gold_target_problems(Path("gold")) == []  # new, inside the current folder


def test_an_earlier_gold_folder_is_replaced(gold: Path, tmp_path: Path) -> None:
    from eventgold.dataset.folder import gold_target_problems

    assert gold_target_problems(gold) == []
    out = tmp_path / "again"
    write_gold(gold_docs(), out, schema=SCHEMA)
    (out / "pull.json").write_text("{}")  # pull's own files belong in a gold folder too
    write_gold(gold_docs()[:2], out, schema=SCHEMA)
    assert len(list(read_gold(out))) == 2


def test_the_summary_counts_each_licence_and_attribution(tmp_path: Path) -> None:
    docs = gold_docs()
    docs[0] = replace(docs[0], meta={**docs[0].meta, "licence": "CC BY-SA 4.0", "attribution": "W"})
    docs[1] = replace(docs[1], meta={**docs[1].meta, "licence": "CC BY-SA 4.0", "attribution": "W"})
    summary = write_gold(docs, tmp_path / "gold", schema=SCHEMA)
    assert summary.sources == (("CC BY-SA 4.0", "W", 2),)


def test_hf_scratch_left_by_a_killed_write_is_removed_by_the_next_one(
    tmp_path, monkeypatch, scratch_left
):
    """`hf_split_files` works in the system's temporary folder: what a killed run left there
    (its process gone) is removed by the next gold write, not piled up."""
    import tempfile

    from eventgold.dataset.writer import HF_SCRATCH, hf_split_files

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _, live = scratch_left(tmp_path, HF_SCRATCH, "dataset_info.json")
    files = hf_split_files(features(load_schema()))
    assert sorted(files) == ["dataset_info.json", "state.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name]
