from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.corpus import add_files, document_from_file, text_sha256, title_from_line
from eventgold.cli import app
from eventgold.documents import Document, Entity, Relation, read_documents, write_documents

ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_title_is_first_line_and_crlf_is_normalised(tmp_path):
    p = write(
        tmp_path / "a1.txt", "\ufeffTitle line\r\n\r\nBody “one”\r\n😀 two  spaces\r\n".encode()
    )
    doc, problems = document_from_file(p)
    assert problems == [] and doc is not None
    assert (doc.id, doc.title, doc.source) == ("a1", "Title line", "a1.txt")
    assert doc.text == "Body “one”\n😀 two  spaces"
    assert doc.meta == {"sha256": text_sha256(doc.text)}


def test_bad_files_are_named_and_skipped_good_ones_kept(tmp_path):
    good = write(tmp_path / "good.txt", b"T\nbody")
    files = [
        write(tmp_path / "empty.txt", b"  \n\n"),
        write(tmp_path / "title_only.txt", b"Just a title\n"),
        write(tmp_path / "latin1.txt", "T\ncaf\xe9".encode("latin-1")),
        write(tmp_path / "bin.txt", b"T\n\x00\x01"),
        good,
    ]
    corpus = tmp_path / "c.jsonl"
    report = add_files(files, corpus=corpus)
    assert report.added == ["good"]
    assert [str(p) for p in report.problems] == [
        f"{tmp_path}/empty.txt: is empty (no title and no text)",
        f"{tmp_path}/title_only.txt: has a title line ('Just a title') but no text",
        f"{tmp_path}/latin1.txt: not valid UTF-8: byte 0xe9 at offset 5; re-save the file as UTF-8",
        f"{tmp_path}/bin.txt: looks binary (contains NUL bytes); expected a UTF-8 text file",
    ]
    assert [d.id for d in read_documents(corpus)] == ["good"]


def test_re_adding_changes_nothing_and_changed_text_needs_replace(tmp_path):
    p = write(tmp_path / "a.txt", b"T\nfirst")
    corpus = tmp_path / "c.jsonl"
    add_files([p], corpus=corpus)
    before = corpus.read_bytes()
    again = add_files([p], corpus=corpus)
    assert again.unchanged == ["a"] and corpus.read_bytes() == before
    write(p, b"T\nsecond")
    refused = add_files([p], corpus=corpus)
    assert refused.added == [] and refused.problems[0].code == "changed-text"
    assert "pass --replace to replace it" in refused.problems[0].message
    assert corpus.read_bytes() == before
    replaced = add_files([p], corpus=corpus, replace_changed=True)
    assert replaced.replaced == ["a"]
    assert [d.text for d in read_documents(corpus)] == ["second"]


def test_replacing_an_annotated_document_reports_the_annotations_it_drops(tmp_path):
    corpus = tmp_path / "c.jsonl"
    ents = (Entity("a", 0, 6, "ATTACKER", "Gunmen"), Entity("b", 14, 18, "VICTIM_GROUP", "four"))
    annotated = Document(id="a", text="Gunmen killed four.", entities=ents,
                         relations=(Relation("a", "b", "KILLED"),))  # fmt: skip
    write_documents(corpus, [annotated])
    p = write(tmp_path / "a.txt", b"T\nGunmen killed five.")
    result = CliRunner().invoke(
        app, ["corpus", "add", str(p), "--corpus", str(corpus), "--replace"]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: document 'a' held 2 entities and 1 relations made on its old text; they are "
        "not kept (annotate it again)\n"
    )
    assert [(d.text, d.entities) for d in read_documents(corpus)] == [("Gunmen killed five.", ())]
    assert add_files([p], corpus=corpus, replace_changed=True).dropped == {}  # now unchanged


def test_shipped_corpus_matches_the_shipped_articles():
    docs = list(read_documents(ROOT / "corpus" / "documents.jsonl"))
    assert len(docs) == 17
    pins = {d.id: d.meta["split"] for d in docs}
    # Every split is pinned (issue 20): the test split holds new articles only, adjudicated.
    assert sorted(i for i, s in pins.items() if s == "test") == [
        "006_peshawar_police_lines_mosque_bombing_2023_wikipedia",
        "010_tchoma_bangou_zaroumdareye_massacres_2021_wikipedia",
        "012_sobane_da_massacre_2019_wikipedia",
        "020_houla_massacre_2012_voa",
    ]
    assert sorted(i for i, s in pins.items() if s == "validation") == [
        "002_kabul_truck_bombing_may2017_wikinews",
        "018_sayyidah_zaynab_bombings_2016_wikipedia",
    ]
    # What the corpus adds to a text read from its file: the split pin, and the source's
    # licence and attribution (corpus/SOURCES.md) for the texts that record one.
    added = {"split", "licence", "attribution"}
    for doc in docs:
        fresh, problems = document_from_file(ROOT / "corpus" / "articles" / f"{doc.id}.txt")
        own = {k: v for k, v in doc.meta.items() if k not in added}
        assert not problems and fresh == dataclasses.replace(doc, meta=own)


def test_one_text_under_a_second_id_and_a_folder_without_files_are_problems(tmp_path):
    from eventgold.annotate.corpus import DUPLICATE_TEXT, NO_FILES

    articles = tmp_path / "a"
    write(articles / "one.txt", b"Title\nThe same body.")
    write(articles / "two.txt", b"Other title\nThe same body.")
    write(tmp_path / "nested" / "deeper" / "three.txt", b"T\nBody three.")
    corpus = tmp_path / "c.jsonl"
    report = add_files([articles, tmp_path / "nested"], corpus=corpus)
    assert report.added == ["one"]
    assert [(p.code, str(p)) for p in report.problems] == [
        (
            NO_FILES,
            f"{tmp_path / 'nested'}: folder has no *.txt files (subfolders are not searched)",
        ),
        (
            DUPLICATE_TEXT,
            f"{articles / 'two.txt'}: has the same text as document 'one'; skipped (one article "
            "under two ids could be in two splits)",
        ),
    ]
    again = add_files([articles / "one.txt"], corpus=corpus)  # its own text: unchanged
    assert (again.unchanged, again.problems) == (["one"], [])


def test_a_utf16_file_is_named_as_utf16_not_binary(tmp_path):
    text = "Title\nGunmen struck Kabul."
    files = [
        write(tmp_path / "le_bom.txt", text.encode("utf-16")),  # with a BOM, little-endian here
        write(tmp_path / "be_bom.txt", b"\xfe\xff" + text.encode("utf-16-be")),
        write(tmp_path / "le.txt", text.encode("utf-16-le")),
        write(tmp_path / "be.txt", text.encode("utf-16-be")),
    ]
    report = add_files(files, corpus=tmp_path / "c.jsonl")
    assert [(str(p), p.code) for p in report.problems] == [
        (f"{tmp_path}/{name}: is UTF-16 ({how}); expected UTF-8: re-save the file as UTF-8",
         "not-utf8")
        for name, how in (
            ("le_bom.txt", "little-endian, with a byte order mark"),
            ("be_bom.txt", "big-endian, with a byte order mark"),
            ("le.txt", "little-endian"),
            ("be.txt", "big-endian"),
        )
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("Home / Latest / Taliban say US behind IS-K and unrest in Afghanistan",
         "Taliban say US behind IS-K and unrest in Afghanistan"),
        ("home > World > Asia > Kabul raid: 5/6 killed", "Kabul raid: 5/6 killed"),
        ("Home › News › Raid, one › another", "another"),
        ("Home » News » ", "News"),
        ("Home / ", "Home /"),
        ("Homeland security / a review", "Homeland security / a review"),
        ("The road home / the road back", "The road home / the road back"),
        ("  Plain headline  ", "Plain headline"),
    ],
)  # fmt: skip
def test_a_breadcrumb_title_line_gives_its_last_segment(line, title):
    assert title_from_line(line) == title


def test_the_shipped_articles_have_their_headlines_as_titles():
    docs = {d.id: d for d in read_documents(ROOT / "corpus" / "documents.jsonl")}
    for path in sorted((ROOT / "corpus" / "articles").glob("*.txt")):
        doc, _ = document_from_file(path)
        assert doc is not None and doc.title == docs[doc.id].title
        assert not doc.title.lower().startswith("home /")
    assert docs["004_20b7060dfb18cd1a"].title == (
        "Taliban say US behind IS-K and unrest in Afghanistan"
    )


def test_what_a_folder_holds_besides_articles_is_named_not_read(tmp_path):
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    write(folder / "a.txt", b"T\nfirst")
    write(folder / "notes.md", b"# notes")
    write(folder / ".hidden", b"x")
    report = add_files([folder], corpus=tmp_path / "c.jsonl")
    assert report.added == ["a"] and report.not_read == [folder / "notes.md", folder / "sub"]
    args = ["corpus", "add", str(folder), "--corpus", str(tmp_path / "c.jsonl")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0 and result.stderr == (
        "note: 2 entr(ies) of the folders given not read (only *.txt files are articles; "
        f"subfolders are not searched): {folder / 'notes.md'}, {folder / 'sub'}\n"
    )
