from hypothesis import given
from hypothesis import strategies as st

from eventgold.offset_units import (
    codepoint_to_utf16,
    units_hint,
    utf8_to_codepoint,
    utf16_length,
    utf16_to_codepoint,
)


def test_utf16_helpers_on_astral_text():
    text = "a😀b"
    assert utf16_length(text) == 4
    assert codepoint_to_utf16(text, 2) == 3
    assert utf16_to_codepoint(text, 3) == 2
    assert utf16_to_codepoint(text, 2) is None  # inside the surrogate pair
    assert utf16_to_codepoint(text, 5) is None


@given(st.text(alphabet=st.sampled_from("ab😀“\n é𝄞"), max_size=30), st.data())
def test_utf16_offsets_invert(text, data):
    offset = data.draw(st.integers(0, len(text)))
    assert utf16_to_codepoint(text, codepoint_to_utf16(text, offset)) == offset


def test_utf8_offsets_read_back_as_code_points():
    text = "é😀b"
    assert utf8_to_codepoint(text, 0) == 0
    assert utf8_to_codepoint(text, 2) == 1  # after é's two bytes
    assert utf8_to_codepoint(text, 6) == 2  # after the emoji's four
    assert utf8_to_codepoint(text, 1) is None  # inside é
    assert utf8_to_codepoint(text, 8) is None  # past the end


def test_units_hint_names_the_units_the_offsets_were_counted_in():
    text = "Rebels 😀 killed “five villagers” in Kabul."
    start = text.index("five")
    # JavaScript's indices are one more after the emoji.
    assert units_hint(text, start + 1, start + 15, "five villagers") == (
        "; read as UTF-16 code units (as JavaScript counts) they cover it: offsets count "
        f"characters (code points, Python str indices), here [{start}, {start + 14})"
    )
    b = len(text[:start].encode("utf-8"))
    assert units_hint(text, b, b + 14, "five villagers").startswith("; read as UTF-8 bytes")
    assert units_hint(text, 0, 3, "five villagers") == ""
    assert units_hint("plain ascii", 0, 3, "ascii") == ""  # one unit a character: no hint
