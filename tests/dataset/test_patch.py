from __future__ import annotations

import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from eventgold.dataset.folder import DOCUMENTS_FILE, HF_DIR, STATS_FILE
from eventgold.dataset.patch import GoldDelta, PatchedGold, iter_patch_gold, merged_documents
from eventgold.dataset.splits import SplitRatios
from eventgold.dataset.writer import write_gold
from eventgold.documents import Document, Entity, Relation
from eventgold.problems import ProblemsError
from eventgold.progress import drain
from eventgold.schema import Schema, load_schema, schema_fingerprint

SCHEMA = load_schema()
SHARD_ROWS = 100  # shards end between the writer's 256-row batches


def article(doc_id: str, i: int, *, version: int = 0, split: str | None = None) -> Document:
    """A short article with an attack, its victims, place and a condemnation (one event),
    a licence on every fifth; `version` changes its annotation."""
    n = i % 40 + 2
    text = (
        f"Rebels of Group{i} attacked Town{i}, killing {n} civilians. "
        f"The minister v{version} condemned the raid on the market."
    )
    spans = [
        ("ATTACKER", f"Rebels of Group{i}"),
        ("ATTACK", "attacked"),
        ("LOCATION", f"Town{i}"),
        ("VICTIM_GROUP", f"{n} civilians"),
        ("ACTOR", f"The minister v{version}"),
    ]
    ents = []
    for k, (label, needle) in enumerate(spans[: 5 - version % 3]):
        start = text.index(needle)
        ents.append(Entity(f"e{k}", start, start + len(needle), label, needle))
    rels = [Relation("e1", "e3", "KILLED")] if len(ents) >= 4 else []
    if len(ents) == 5:
        rels.append(Relation("e4", "e1", "CONDEMNS"))
    meta: dict[str, object] = {"n": i}
    if i % 5 == 0:
        meta |= {"licence": "CC BY-SA 4.0", "attribution": f"Wikipedia {i % 3}"}
    if split is not None:
        meta["split"] = split
    return Document(doc_id, text, f"Attack {i}", "gen", meta, tuple(reversed(ents)), tuple(rels))


def corpus(n: int) -> list[Document]:
    docs = [article(f"d{i:05d}", i) for i in range(n)]
    return [*docs, article("d00007-é", 7), article('d00008\\"q', 8, split="test")]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def write(docs: list[Document], out: Path, **options) -> Path:
    write_gold(
        docs,
        out,
        schema=SCHEMA,
        rejects=[{"task_id": 1, "codes": ["x"]}],
        provenance={"annotators": "a, b"},
        shard_rows=SHARD_ROWS,
        **options,
    )
    return out


# What a re-pull hands the patch and, to compare, the full writer: the same on both sides.
REPULL = {
    "rejects": [{"task_id": 2, "codes": ["y"]}],
    "provenance": {"annotators": "a, c"},
    "shard_rows": SHARD_ROWS,
}


def patch(
    previous: Path, delta: GoldDelta, out: Path, *, schema: Schema = SCHEMA, **options
) -> PatchedGold:
    return drain(iter_patch_gold(previous, delta, out, schema=schema, **REPULL, **options))


def full_write(
    previous: Path, delta: GoldDelta, out: Path, *, schema: Schema = SCHEMA, **options
) -> dict[str, bytes]:
    docs = list(merged_documents(previous, delta))
    write_gold(docs, out, schema=schema, **REPULL, **options)
    return folder_bytes(out)


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(corpus(700), tmp_path_factory.mktemp("prev") / "gold")


def random_delta(seed: int, docs: list[Document]) -> GoldDelta:
    rng = random.Random(seed)
    ids = [d.id for d in docs]
    removed = set(rng.sample(ids, 40)) | {ids[0], ids[-1]}
    changed = [
        article(doc_id, int(doc_id[1:6]), version=rng.randint(1, 5))
        for doc_id in rng.sample(ids[:-2], 40)
    ]
    moved = [  # changed split membership, both ways
        article(doc_id, int(doc_id[1:6]), split=rng.choice(["train", "validation", "test"]))
        for doc_id in rng.sample(ids[:-2], 10)
    ]
    added = [article(f"d{i:05d}", i, version=i % 3) for i in range(700, 700 + 30)]
    added += [article("!first", 1), article("~last", 2), article("d00100x", 3, split="test")]
    return GoldDelta(tuple(changed + moved + added), frozenset(removed))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_patch_writes_the_full_writes_folder_byte_for_byte(previous, tmp_path, seed):
    delta = random_delta(seed, corpus(700))
    out = tmp_path / "gold"
    shutil.copytree(previous, out)
    got = patch(out, delta, out)  # in place: the previous folder is the target
    want = full_write(previous, delta, tmp_path / "full")
    assert (got.patched, got.reason) == (True, "")
    assert sorted(folder_bytes(out)) == sorted(want)
    assert [name for name, data in want.items() if folder_bytes(out)[name] != data] == []
    assert got.summary.documents == want[DOCUMENTS_FILE].count(b"\n") > 700 - 42
    assert "d00100x" in (out / DOCUMENTS_FILE).read_text(encoding="utf-8")


def test_patch_of_nothing_and_of_the_first_documents_events(previous, tmp_path):
    # Nothing changed: the same folder. Then the documents whose events the card shows first
    # are removed and replaced.
    out = patch(previous, GoldDelta(), tmp_path / "same")
    same, before = folder_bytes(tmp_path / "same"), folder_bytes(previous)
    assert out.patched and same == full_write(previous, GoldDelta(), tmp_path / "same-full")
    assert [n for n in before if same[n] != before[n]] == ["README.md", "rejects.jsonl"]
    ids = [f"d{i:05d}" for i in range(30)]
    delta = GoldDelta((article("d00003", 3, version=2), article("a", 9)), frozenset(ids[:25:2]))
    got = patch(previous, delta, tmp_path / "gold")
    assert got.patched
    assert folder_bytes(tmp_path / "gold") == full_write(previous, delta, tmp_path / "full")


def test_patch_checks_new_documents_as_the_writer_does(previous, tmp_path):
    bad = Document("bad", "Rebels", entities=(Entity("x", 0, 6, "WEAPON", "Rebels"),))
    pinned = article("pinned", 1, split="dev")
    out = tmp_path / "gold"
    shutil.copytree(previous, out)
    with pytest.raises(ProblemsError) as got:
        patch(out, GoldDelta((bad, pinned, article("d00001", 1)), frozenset()), out)
    with pytest.raises(ProblemsError) as want:
        full_write(previous, GoldDelta((bad, pinned, article("d00001", 1))), tmp_path / "full")
    assert str(got.value) == str(want.value)
    assert "unknown split 'dev'" in str(got.value)
    assert folder_bytes(out) == folder_bytes(previous)  # left untouched


def test_patch_writes_whole_where_it_could_differ_and_says_why(previous, tmp_path):
    docs = corpus(700)
    cases = {
        "seed": (
            GoldDelta(),
            {"seed": "other"},
            "is in train, not where its hash with this seed and these ratios puts it",
        ),
        "ratios": (
            GoldDelta(),
            {"ratios": SplitRatios(0.5, 0.25, 0.25)},
            "not where its hash with this seed and these ratios puts it",
        ),
        "most new": (
            GoldDelta(tuple(article(d.id, 1, version=1) for d in docs[:400])),
            {},
            "400 of the documents are new or changed: most of the gold is new",
        ),
        "empty": (
            GoldDelta(removed=frozenset(d.id for d in docs)),
            {},
            "a split would be empty in a small gold: the small-corpus rule may move documents",
        ),
    }
    for name, (delta, options, reason) in cases.items():
        out = tmp_path / name
        got = patch(previous, delta, out, **options)
        assert (got.patched, reason in got.reason) == (False, True), (name, got.reason)
        assert folder_bytes(out) == full_write(
            previous, delta, tmp_path / f"{name}-full", **options
        )


def test_patch_of_a_folder_without_rows_or_stats(previous, tmp_path):
    delta = GoldDelta((article("new", 5),))
    no_hf = tmp_path / "no-hf"
    shutil.copytree(previous, no_hf)
    shutil.rmtree(no_hf / HF_DIR)
    got = patch(no_hf, delta, tmp_path / "a")
    assert (got.patched, got.reason) == (
        False,
        f"{no_hf} holds no gold to patch (no hf/dataset_dict.json)",
    )
    assert folder_bytes(tmp_path / "a") == full_write(previous, delta, tmp_path / "a-full")
    # A gold folder an older eventgold wrote (no stats.json) is written whole, and gets one.
    older = tmp_path / "older"
    shutil.copytree(previous, older)
    (older / STATS_FILE).unlink()
    got = patch(older, delta, older)
    assert (got.patched, got.reason) == (
        False,
        f"{older} has no stats.json: an older eventgold wrote it",
    )
    assert folder_bytes(older) == full_write(previous, delta, tmp_path / "older-full")
    assert patch(older, GoldDelta((article("new", 6),)), tmp_path / "b").patched
    damaged = tmp_path / "damaged"
    shutil.copytree(previous, damaged)
    (damaged / STATS_FILE).write_text('{"events": "12", "schema": "x"}', encoding="utf-8")
    got = patch(damaged, delta, tmp_path / "c")
    assert (got.patched, got.reason) == (
        False,
        f"{damaged / STATS_FILE} cannot be read: events is '12', not a count or null",
    )
    lines = (previous / DOCUMENTS_FILE).read_bytes().splitlines(keepends=True)
    short = tmp_path / "short"
    shutil.copytree(previous, short)
    (short / DOCUMENTS_FILE).write_bytes(b"".join(lines[:-1]))
    got = patch(short, delta, tmp_path / "d")
    assert (got.patched, got.reason) == (False, "documents.jsonl and hf/ hold other documents")
    assert folder_bytes(tmp_path / "d")  # written whole from the documents file


def test_patch_under_another_schema_writes_whole(previous, tmp_path):
    # Same labels (so the same features), another description: the stats' schema hash differs.
    other = replace(SCHEMA, description="Another description.")
    delta = GoldDelta((article("new", 5),))
    got = patch(previous, delta, tmp_path / "gold", schema=other)
    assert (got.patched, got.reason) == (
        False,
        "the previous gold was written under another schema",
    )
    assert folder_bytes(tmp_path / "gold") == full_write(
        previous, delta, tmp_path / "full", schema=other
    )
    stats = json.loads((tmp_path / "gold" / STATS_FILE).read_text(encoding="utf-8"))
    assert stats["schema"] == schema_fingerprint(other) != schema_fingerprint(SCHEMA)
