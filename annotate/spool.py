"""A disk spool of documents found again by id, so push never holds an input file in memory."""

from __future__ import annotations

import json
import os
from pathlib import Path

from eventgold.documents import Document, dumps_document, parse_document


class Spool:
    """Documents written to a temporary JSONL file, found again by id through an offset index.

    Private and mutable by nature (an open file); lives for one push.
    """

    def __init__(self, directory: Path, name: str) -> None:
        self.path = directory / f"{name}.jsonl"
        self.fh = self.path.open("w+b")
        self.index: dict[str, list[tuple[int, int]]] = {}
        self.used: set[str] = set()
        self.annotators: set[str] = set()

    def add(self, doc: Document) -> None:
        if doc.meta.get("annotator"):
            self.annotators.add(str(doc.meta["annotator"]))
        line = (dumps_document(doc) + "\n").encode("utf-8")
        self.fh.seek(0, os.SEEK_END)
        self.index.setdefault(doc.id, []).append((self.fh.tell(), len(line)))
        self.fh.write(line)

    def take(self, doc_id: str) -> list[Document]:
        """The documents spooled under `doc_id`, marking them used."""
        self.used.add(doc_id)
        docs = []
        for offset, length in self.index.get(doc_id, ()):
            self.fh.seek(offset)
            doc, _ = parse_document(json.loads(self.fh.read(length)))
            assert doc is not None  # spooled from a valid Document
            docs.append(doc)
        return docs

    def unused(self) -> list[str]:
        return sorted(set(self.index) - self.used)

    def close(self) -> None:
        self.fh.close()
