"""Lines the annotation guidelines never annotate, found by rule: the rule model skips them.

GUIDELINES.md §1, "Not annotated at all": reference lists, site navigation and boilerplate,
photo captions and image file names, and by-lines. Each rule below matches whole lines of the
text (a line is what lies between two newlines); a rule with `to_end` also takes every line
after the one it matches (the teasers and comment forms that follow "Check Also" or "Leave a
Reply" belong to the page, not to the article).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LineRule:
    """A kind of line that is never annotated: its name, the guideline it follows, a pattern
    matched against the whole line (stripped), and whether the rest of the text goes with it."""

    name: str
    why: str
    pattern: re.Pattern[str]
    to_end: bool = False


RULES: tuple[LineRule, ...] = (
    LineRule(
        "reference",
        "reference lists: `1. ^ Eqbal, Saqalain (2022-10-02) ...`",
        re.compile(r"(?:\d+\.\s*)?\^\s.*"),
    ),
    LineRule(
        "by-line",
        "by-lines: `Written by Fahim Amin`, `By Jane Doe` (capitalised names after `By`)",
        re.compile(
            r"(?:Written|Translated|Reported|Edited|Compiled)\s+by\s+\S.{0,120}"
            r"|By\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}(?:\s*[,|]\s*[^.!?]{0,60})?"
        ),
    ),
    LineRule(
        "source",
        "site boilerplate: `Source: VOA News`",
        re.compile(r"Source:\s.{0,80}"),
    ),
    LineRule(
        "caption",
        "photo captions: `photo_camera AFP/ AHMAD SAHEL ARMAN - ...`",
        re.compile(r"photo_camera\b.*"),
    ),
    LineRule(
        "image-name",
        "image file names: `atalayar_ahmad massoud` (a first word joined by an underscore)",
        re.compile(r"[a-z0-9]+_[^\s.]*(?:\s[^.!?]{0,60})?"),
    ),
    LineRule(
        "navigation",
        "site navigation: `About admin`",
        re.compile(r"About admin|Share this:?|Print|Tags?:.*", re.IGNORECASE),
    ),
    LineRule(
        "page-end",
        "the page after the article: `Check Also`, `Leave a Reply`, related posts",
        re.compile(r"Check Also|Leave a Reply|Related (?:Posts|Articles|News)", re.IGNORECASE),
        to_end=True,
    ),
)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A range of the text ([start, end) in code points) that a rule says is never annotated."""

    start: int
    end: int
    rule: str


def skipped_lines(text: str, rules: tuple[LineRule, ...] = RULES) -> Iterator[Skipped]:
    """The text's never-annotated lines, in order; after a `to_end` rule, one range to the end."""
    at = 0
    for line in text.split("\n"):
        stripped = line.strip()
        for rule in rules:
            if stripped and rule.pattern.fullmatch(stripped):
                yield Skipped(at, len(text) if rule.to_end else at + len(line), rule.name)
                if rule.to_end:
                    return
                break
        at += len(line) + 1


def inside(ranges: list[Skipped], start: int, end: int) -> bool:
    """Whether [start, end) touches any of `ranges`."""
    return any(start < r.end and r.start < end for r in ranges)
