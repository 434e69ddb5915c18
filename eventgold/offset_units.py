"""Offsets counted in other units than ours, and how to tell a user who sent them.

Ours are code points (Python ``str`` indices), end exclusive (see `eventgold.documents`).
JavaScript counts UTF-16 code units, in which a character outside the Basic Multilingual
Plane (an emoji, a CJK Extension B character) is two; Rust, Go and byte-level tokenizers
count UTF-8 bytes, in which anything beyond ASCII is two to four.
"""

from __future__ import annotations

from collections.abc import Callable


def utf16_length(text: str) -> int:
    """Length of `text` in UTF-16 code units (astral characters count two)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def codepoint_to_utf16(text: str, offset: int) -> int:
    """The UTF-16 code-unit offset of code-point `offset` in `text`."""
    return utf16_length(text[:offset])


def utf16_to_codepoint(text: str, offset: int) -> int | None:
    """The code-point offset of UTF-16 `offset`, or None if it is out of range or splits a pair."""
    units = 0
    for i, ch in enumerate(text):
        if units == offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


def utf8_to_codepoint(text: str, offset: int) -> int | None:
    """The code-point offset of UTF-8 byte `offset`, or None if out of range or mid-character."""
    data = text.encode("utf-8")
    if not 0 <= offset <= len(data) or (offset < len(data) and data[offset] & 0xC0 == 0x80):
        return None  # 0b10xxxxxx: a continuation byte, inside a character
    return len(data[:offset].decode("utf-8"))


# What a user's tool may have counted in -> how to read its offsets back as code points.
UNITS: dict[str, Callable[[str, int], int | None]] = {
    "UTF-16 code units (as JavaScript counts)": utf16_to_codepoint,
    "UTF-8 bytes": utf8_to_codepoint,
}


def units_hint(text: str, start: int, end: int, expected: str) -> str:
    """``"; read as <units> they cover it: ..."`` when offsets that miss `expected` in `text`
    cover it counted in other units; else ""."""
    if text.isascii():
        return ""  # every unit is one character: nothing to tell
    for units, to_codepoint in UNITS.items():
        s, e = to_codepoint(text, start), to_codepoint(text, end)
        if s is not None and e is not None and text[s:e] == expected:
            return (
                f"; read as {units} they cover it: offsets count characters "
                f"(code points, Python str indices), here [{s}, {e})"
            )
    return ""
