"""Sentences and paragraphs of a text, as character ranges: the scopes of the assembly rules.

A paragraph is a run of text between line breaks (a heading is a paragraph of its own). A
sentence ends at a line break or at '.', '!' or '?' followed by whitespace, except after an
abbreviation: a single letter (``U.S.``, ``p.m.``) or a title such as ``Mr.`` does not end a
sentence, since the corpus writes ``Mr. Nizamani`` and ``13 U.S. service members``
mid-sentence.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "maj",
        "prof",
        "rev",
        "sen",
        "rep",
        "gov",
        "no",
        "vs",
        "etc",
        "jr",
        "sr",
    ]
)
_STOP = re.compile(r"[.!?]+(?=\s)")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.?$")


def _ends_sentence(text: str, at: int) -> bool:
    """Whether the stop at `at` ends a sentence (not an abbreviation's full stop)."""
    if text[at] != ".":
        return True
    found = _WORD_BEFORE.search(text, max(0, at - 12), at)
    if found is None:
        return True
    word = found.group(1)
    return not (len(word) == 1 or word.lower() in _ABBREVIATIONS)


def paragraph_bounds(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every non-empty line, in order."""
    out, start = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((start, start + len(line)))
        start += len(line) + 1
    return out


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every sentence, in order; sentences never cross a line break."""
    out = []
    for a, b in paragraph_bounds(text):
        start = a
        for stop in _STOP.finditer(text, a, b):
            if _ends_sentence(text, stop.start()):
                out.append((start, stop.end()))
                start = stop.end() + 1
        if text[start:b].strip():
            out.append((start, b))
    return out


@dataclass(frozen=True, slots=True)
class Segments:
    """Which sentence and paragraph each character offset is in."""

    sentences: tuple[tuple[int, int], ...]
    paragraphs: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, text: str) -> Segments:
        return cls(tuple(sentence_bounds(text)), tuple(paragraph_bounds(text)))

    @staticmethod
    def _index(bounds: tuple[tuple[int, int], ...], offset: int) -> int:
        # The last segment starting at or before `offset` (-1 before the first).
        return bisect.bisect_right(bounds, (offset, float("inf"))) - 1

    def sentence(self, offset: int) -> int:
        return self._index(self.sentences, offset)

    def paragraph(self, offset: int) -> int:
        return self._index(self.paragraphs, offset)

    def sentence_text(self, text: str, offset: int) -> str:
        i = self.sentence(offset)
        if i < 0:
            return ""
        a, b = self.sentences[i]
        return text[a:b].strip()
