from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from eventgold.cli import app
from eventgold.dataset.export import (
    DOCSTART,
    EXPORTERS,
    NOTHING_TO_EXPORT,
    UNKNOWN_FORMAT,
    conll_lines,
    export,
    export_gold_splits,
    read_conll,
    to_spacy_doc,
)
from eventgold.dataset.features import canonical
from eventgold.dataset.folder import DOCUMENTS_FILE, load_gold_dataset, read_gold
from eventgold.dataset.membership import gold_splits
from eventgold.dataset.writer import write_gold
from eventgold.documents import Document, Entity, Relation, load_documents
from eventgold.problems import ProblemsError
from eventgold.schema import load_schema
from eventgold.tokens import spans_from_iob, tokens_and_tags

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "documents.jsonl"
SCHEMA = load_schema()
runner = CliRunner()


def annotated(doc: Document, needles: list[tuple[str, str]]) -> Document:
    ents = []
    for i, (label, needle) in enumerate(needles):
        start = doc.text.index(needle)
        ents.append(Entity(f"e{i}", start, start + len(needle), label, needle))
    return doc.with_annotations(entities=ents, relations=[])


def docs() -> list[Document]:
    corpus, _ = load_documents(CORPUS)
    first = annotated(
        corpus[0],
        [("ATTACK", "bombing"), ("VICTIM_GROUP", "35 students"), ("ACTOR", "Zabiullah Mujahid")],
    )
    first = first.with_annotations(
        entities=first.entities,
        relations=[Relation("e0", "e1", "KILLED"), Relation("e2", "e0", "CONDEMNS")],
    )
    tricky = Document(
        id="zz_tricky",
        text="“Islamic  State” 😀 struck proTalibans in Kabul’s west.\n\nNext  day.",
        meta={"split": "test"},
    )
    t = tricky.text
    tricky = tricky.with_annotations(
        entities=[
            Entity("a", t.index("Islamic"), t.index("State") + 5, "ATTACKER", "Islamic  State"),
            Entity("b", t.index("Taliban"), t.index("Taliban") + 7, "VICTIM_GROUP", "Taliban"),
            Entity("c", t.index("Kabul"), t.index("Kabul") + 5, "LOCATION", "Kabul"),
        ],
        relations=[],
    )
    return [first, annotated(corpus[1], [("ATTACKER", "ISKP")]), corpus[2], tricky]


@pytest.fixture(scope="module")
def gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("g") / "gold"
    write_gold(docs(), out, schema=SCHEMA)
    return out


def test_spacy_doc_keeps_text_spans_and_relations() -> None:
    doc = docs()[-1]
    sdoc = to_spacy_doc(doc, SCHEMA)
    assert sdoc.text == doc.text
    assert [(e.start_char, e.end_char, e.label_) for e in sdoc.ents] == sorted(
        (e.start, e.end, e.label) for e in doc.entities
    )
    assert sdoc.user_data["id"] == "zz_tricky"
    assert json.loads(sdoc.user_data["meta"]) == {"split": "test"}


def test_docbin_file_is_readable_by_spacy(gold: Path, tmp_path: Path) -> None:
    out = tmp_path / "gold.spacy"
    result = runner.invoke(app, ["export", "--gold", str(gold), "-f", "spacy", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # One DocBin per split (issue 18, defect 13), each holding that split's documents.
    splits = {name: ds["id"] for name, ds in load_gold_dataset(gold).items() if len(ds)}
    for name, ids in splits.items():
        assert f"{tmp_path / f'gold.{name}.spacy'}: {len(ids)} documents as spacy" in result.output
    assert not out.exists()
    nlp = spacy.blank("en")
    loaded = {}
    for name, ids in splits.items():
        part = DocBin().from_disk(tmp_path / f"gold.{name}.spacy").get_docs(nlp.vocab)
        docs_of_split = {d.user_data["id"]: d for d in part}
        assert sorted(docs_of_split) == sorted(ids)
        loaded.update(docs_of_split)
    for doc in docs():
        sdoc = loaded[doc.id]
        assert sdoc.text == doc.text
        assert {(e.start_char, e.end_char, e.label_) for e in sdoc.ents} == {
            (e.start, e.end, e.label) for e in doc.entities
        }
        assert [dict(r) for r in sdoc.user_data["relations"]] == [
            r.to_json() for r in canonical(doc).relations
        ]


def test_docbin_folder_is_a_corpus_of_shards(gold: Path, tmp_path: Path) -> None:
    out = tmp_path / "spacy"
    assert export(docs(), out, fmt="spacy", schema=SCHEMA) == 4
    (shard,) = sorted(out.iterdir())
    assert shard.name == "00000.spacy"
    assert len(DocBin().from_disk(shard)) == 4


def test_conll_parses_back_to_the_spans(gold: Path, tmp_path: Path) -> None:
    out = tmp_path / "gold.conll"
    result = runner.invoke(app, ["export", "--gold", str(gold), "-f", "conll", "-o", str(out)])
    assert result.exit_code == 0, result.output
    parsed = {}
    # One file per split (issue 18, defect 13): gold.train.conll, gold.validation.conll, ...
    splits = {name: ds["id"] for name, ds in load_gold_dataset(gold).items() if len(ds)}
    assert sorted(p.name for p in tmp_path.glob("gold.*.conll")) == sorted(
        f"gold.{name}.conll" for name in splits
    )
    for name, ids in splits.items():
        part = tmp_path / f"gold.{name}.conll"
        lines = part.read_text(encoding="utf-8").split("\n")
        assert lines[0] == f"{DOCSTART}\t{min(ids)}"
        assert all(line.count("\t") == 1 for line in lines if line)
        assert [c.id for c in read_conll(part)] == sorted(ids)
        parsed.update({c.id: c for c in read_conll(part)})
    assert sorted(parsed) == sorted(d.id for d in docs())
    for doc in docs():
        tt = tokens_and_tags(doc, SCHEMA)
        conll = parsed[doc.id]
        assert conll.tokens == tt.tokens
        assert sorted(spans_from_iob(tt.offsets, conll.tags)) == sorted(e.key for e in doc.entities)
    tricky = parsed["zz_tricky"]
    # Two sentences: "... west." and, after the paragraph break, "Next day."
    assert [tricky.tokens[i] for i in tricky.sentence_starts] == ["“", "Next"]


def test_conll_never_breaks_a_sentence_inside_an_entity() -> None:
    text = "They hit Camp Kabul. Base West fell."
    plain = list(conll_lines(Document(id="d", text=text), SCHEMA))
    assert plain[plain.index(".\tO") + 1] == ""  # the sentencizer splits after "Kabul."
    start, end = text.index("Kabul"), text.index(" fell")
    doc = Document(
        id="d", text=text, entities=(Entity("a", start, end, "LOCATION", text[start:end]),)
    )
    lines = list(conll_lines(doc, SCHEMA))
    assert lines[lines.index(".\tI-LOCATION") + 1] == "Base\tI-LOCATION"


def test_jsonl_export_is_the_gold_records(gold: Path, tmp_path: Path) -> None:
    out = tmp_path / "docs.jsonl"
    result = runner.invoke(app, ["export", "--gold", str(gold), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (gold / "documents.jsonl").read_bytes()


def test_unknown_format_names_the_allowed_ones(gold: Path, tmp_path: Path) -> None:
    with pytest.raises(ProblemsError) as info:
        export(docs(), tmp_path / "x", fmt="xml", schema=SCHEMA)
    (problem,) = info.value.problems
    assert problem.code == UNKNOWN_FORMAT
    assert problem.message == "unknown format 'xml'; allowed: conll, jsonl, spacy"
    assert sorted(EXPORTERS) == ["conll", "jsonl", "spacy"]

    result = runner.invoke(
        app, ["export", "--gold", str(gold), "-f", "xml", "-o", str(tmp_path / "x")]
    )
    assert result.exit_code == 1
    assert "allowed: conll, jsonl, spacy" in result.output
    assert not (tmp_path / "x").exists()


def test_missing_gold_is_one_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["export", "--gold", str(tmp_path / "nope"), "-o", str(tmp_path / "x.jsonl")]
    )
    assert result.exit_code == 1
    assert "file not found" in result.output and "documents.jsonl" in result.output
    assert "Traceback" not in result.output


def test_export_takes_a_documents_file_and_checks_every_format_against_the_schema(
    gold: Path, tmp_path: Path
) -> None:
    out = tmp_path / "from_file.conll"
    args = ["export", "--gold", str(gold / "documents.jsonl"), "-f", "conll", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    reference = tmp_path / "from_folder.conll"
    export(read_gold(gold), reference, fmt="conll", schema=SCHEMA)
    assert out.read_bytes() == reference.read_bytes()
    narrow = dataclasses.replace(
        SCHEMA, entities=tuple(e for e in SCHEMA.entities if e.label != "LOCATION")
    )
    for fmt in sorted(EXPORTERS):
        target = tmp_path / f"narrow.{fmt}"
        with pytest.raises(ProblemsError) as info:
            export(read_gold(gold), target, fmt=fmt, schema=narrow)
        assert info.value.summary.endswith(
            "is not valid gold for schema conflict_events 1.0.0; nothing was exported"
        )
        assert any("label 'LOCATION' is not in schema" in str(p) for p in info.value.problems)
        assert not target.exists()
    folder = tmp_path / "a_folder"
    folder.mkdir()
    result = runner.invoke(app, ["export", "--gold", str(gold), "-o", str(folder)])
    assert result.exit_code == 1
    assert f"--out {folder}: is a folder; name a file" in result.output


def test_a_spacy_folder_export_never_wipes_other_files(gold: Path, tmp_path: Path) -> None:
    keep = tmp_path / "keepme"
    keep.mkdir()
    (keep / "notes.txt").write_text("important")
    with pytest.raises(ProblemsError) as info:
        export(read_gold(gold), keep, fmt="spacy", schema=SCHEMA)
    assert str(info.value.problems[0]).startswith(
        f"spaCy export folder {keep}: holds what a spaCy export folder does not (notes.txt)"
    )
    assert (keep / "notes.txt").read_text() == "important"
    shards = tmp_path / "shards"
    n = export(read_gold(gold), shards, fmt="spacy", schema=SCHEMA)
    assert n > 0 and export(read_gold(gold), shards, fmt="spacy", schema=SCHEMA) == n  # replaced
    assert sorted(p.name for p in shards.iterdir()) == ["00000.spacy"]


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
def test_no_documents_is_nothing_to_export_and_nothing_is_written(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    with pytest.raises(ProblemsError) as caught:
        export([], out, fmt=fmt, schema=load_schema())
    assert caught.value.summary == f"nothing to export to {out}: the gold holds no documents"
    assert [p.code for p in caught.value.problems] == [NOTHING_TO_EXPORT]
    assert not out.exists()


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_export_gold_refuses_a_target_in_the_gold_folder(gold: Path) -> None:
    from eventgold.dataset.export import export_gold, export_gold_splits
    from eventgold.paths import PATH_COLLISION

    before = _tree(gold)
    with pytest.raises(ProblemsError) as caught:
        export_gold(gold, gold / "x.jsonl", fmt="jsonl", schema=SCHEMA)
    assert [p.code for p in caught.value.problems] == [PATH_COLLISION]
    assert str(caught.value.problems[0]) == (
        f"--out {gold}/x.jsonl: is inside --gold {gold}, an input folder, and nothing is "
        "written into an input folder; name a path outside it"
    )
    # every split file the gold has (train and test), named as it would be
    with pytest.raises(ProblemsError) as caught:
        export_gold_splits(gold, gold / "g.conll", fmt="conll", schema=SCHEMA)
    assert [p.where for p in caught.value.problems] == [
        f"--out {gold}/g.{split}.conll" for split in ("train", "test")
    ]
    assert _tree(gold) == before


def test_documents_added_after_the_shards_are_placed_as_eval_places_them(
    gold: Path, tmp_path: Path
) -> None:
    """Audit defect 5: a record appended to documents.jsonl with no shard row was dropped
    from the conll and spacy exports (jsonl 18 documents, conll 17, exit 0)."""
    folder = tmp_path / "gold"
    shutil.copytree(gold, folder)
    corpus, _ = load_documents(CORPUS)
    added = [
        dataclasses.replace(corpus[3], id="zzz_pinned", meta={"split": "validation"}),
        dataclasses.replace(corpus[4], id="zzz_hashed", meta={}),
    ]
    with (folder / DOCUMENTS_FILE).open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(d.to_json(), ensure_ascii=False) + "\n" for d in added)
    written = export_gold_splits(folder, tmp_path / "x.conll", fmt="conll", schema=SCHEMA)
    exported = {c.id: path.name for path in written for c in read_conll(path)}
    assert sorted(exported) == sorted(d.id for d in read_gold(folder))
    assert sum(written.values()) == len(docs()) + 2
    placed = gold_splits(folder, read_gold(folder))  # what eval --split scores
    assert exported == {doc_id: f"x.{split}.conll" for doc_id, split in placed.items()}
    assert exported["zzz_pinned"] == "x.validation.conll"


def test_a_gold_folder_without_shards_is_exported_by_the_rule_eval_uses(
    gold: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "gold"
    shutil.copytree(gold, folder)
    shutil.rmtree(folder / "data")
    written = export_gold_splits(folder, tmp_path / "x.conll", fmt="conll", schema=SCHEMA)
    exported = {c.id: path.name for path in written for c in read_conll(path)}
    placed = gold_splits(folder, read_gold(folder))
    assert exported == {doc_id: f"x.{split}.conll" for doc_id, split in placed.items()}
    assert len(exported) == len(docs())


def test_per_split_export_refuses_a_format_without_splits_and_an_empty_gold(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "empty"
    write_gold([], empty, schema=SCHEMA)
    with pytest.raises(ProblemsError) as caught:
        export_gold_splits(empty, tmp_path / "x.conll", fmt="conll", schema=SCHEMA)
    assert caught.value.summary == (
        f"nothing to export to {tmp_path / 'x.conll'}: the gold holds no documents"
    )
    with pytest.raises(ProblemsError) as caught:
        export_gold_splits(empty, tmp_path / "x.jsonl", fmt="jsonl", schema=SCHEMA)
    assert [str(p) for p in caught.value.problems] == [
        "--format: one file per split needs a format of conll, spacy, got 'jsonl'"
    ]
    assert not list(tmp_path.glob("x*"))
