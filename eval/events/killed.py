"""The number of people inside a victim-group mention, as UCDP codes fatalities: low, best
and high figures.

``parse_killed("at least 35 students")`` gives ``Killed(low=35, best=35, high=None, ...)``.
What each wording gives is one table in docs/events.md ("Killed count"); in short:

- a stated number (digits with or without thousands commas, or words: ``thirty-five``, ``one
  hundred and twenty``, ``a dozen``, ``two dozen``) is low = best = high;
- a range (``30 to 40``, ``30-40``, ``between 30 and 40``, ``30 or 40``) is low and high, and
  best is its low end (UCDP's conservative reading);
- a lower bound (``at least``, ``more than``, ``over``, ``N+``, ``N or more``) has no high
  (None), an upper bound (``up to``, ``as many as``, ``nearly``, ``almost``, ``fewer than``)
  no low;
- a vague amount has fixed figures (``dozens`` 24 / 24 / 99, ``hundreds`` 200 / 200 / 999,
  ...): the lowest it can mean, and the highest before the next word would be used;
- no number at all (``victims``, ``Israr Mohammad``) gives None.

The mention's text always travels with its figures (`Killed.text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Killed:
    """Figures read from one mention; None where the text gives no such bound."""

    low: int | None
    best: int
    high: int | None
    text: str  # the mention the figures were read from

    def to_json(self) -> dict[str, int | str | None]:
        return {"low": self.low, "best": self.best, "high": self.high, "text": self.text}


_ONES = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2
    )
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
# Vague amounts: (low = best, high). The high is the largest figure before the next word up
# would be the natural one (a hundred people are not "dozens").
_VAGUE: dict[str, tuple[int, int]] = {
    "several": (3, 9),
    "few": (2, 9),
    "handful": (2, 9),
    "dozens": (24, 99),
    "scores": (40, 199),
    "hundreds": (200, 999),
    "thousands": (2_000, 9_999),
}
_LOWER = ("at least", "more than", "over", "no fewer than", "no less than", "upwards of")
_UPPER = ("up to", "as many as", "nearly", "almost", "fewer than", "less than", "under")
_RANGE_WORDS = {"to", "or", "-", "–", "—", "and"}  # "and" only after "between"

# Digits (thousands commas, a decimal part, a trailing +), words (hyphens split below), dashes.
_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?\+?(?:st|nd|rd|th)?|[a-z]+|[–—-]")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("’", "'"))


@dataclass(frozen=True, slots=True)
class _Number:
    value: int
    end: int  # index of the token after it
    plus: bool = False  # written "N+"
    vague_high: int | None = None  # set for a vague amount


def _digits(tok: str) -> tuple[float, bool] | None:
    if re.search(r"(st|nd|rd|th)$", tok):  # an ordinal ("13th district") counts nothing
        return None
    plus = tok.endswith("+")
    raw = tok.rstrip("+").replace(",", "")
    return (float(raw), plus) if raw else None


def _number_at(toks: list[str], i: int) -> _Number | None:
    """The number starting at token i (digits, number words, 'a dozen', a vague amount)."""
    tok = toks[i]
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    if tok in _VAGUE:
        low, high = _VAGUE[tok]
        end = i + 1
        if tok in ("dozens", "hundreds", "thousands", "scores") and nxt == "of":
            end = i + 2
        return _Number(low, end, vague_high=high)
    if tok in ("a", "an") and nxt in ("dozen", "hundred", "thousand", "million"):
        toks = [*toks[:i], "one", *toks[i + 1 :]]  # "a hundred" reads as "one hundred"
        tok = "one"
    if tok[0].isdigit():
        found = _digits(tok)
        if found is None:
            return None
        value, plus = found
        end = i + 1
        while end < len(toks) and toks[end] in _SCALES:  # "1.5 million", "5 thousand"
            value *= _SCALES[toks[end]]
            end += 1
        if end < len(toks) and toks[end] == "dozen":
            value, end = value * 12, end + 1
        return _Number(round(value), end, plus=plus)
    return _words_at(toks, i)


def _words_at(toks: list[str], i: int) -> _Number | None:
    """Number words from token i: 'thirty-five' (tokens thirty - five), 'one hundred and
    twenty', 'two dozen'."""
    total, current, j, seen = 0, 0, i, False
    while j < len(toks):
        tok = toks[j]
        if tok in _ONES:
            current += _ONES[tok]
        elif tok in _TENS:
            current += _TENS[tok]
        elif tok in _SCALES and seen:
            scale = _SCALES[tok]
            if scale == 100:
                current *= 100
            else:
                total, current = total + current * scale, 0
        elif tok == "dozen" and seen:
            current *= 12
        elif tok in ("-", "and") and seen and j + 1 < len(toks):
            after = toks[j + 1]
            joins = after in _ONES or after in _TENS
            # "thirty-five", "hundred and twenty" join; "30 - 40" and "30 and 40" do not
            if (
                not joins
                or (tok == "and" and toks[j - 1] not in _SCALES)
                or (tok == "-" and toks[j - 1] not in _TENS)
            ):
                break
            j += 1
            continue
        else:
            break
        seen = True
        j += 1
    if not seen:
        return None
    return _Number(total + current, j)


def _hedge_before(toks: list[str], i: int, hedges: tuple[str, ...]) -> bool:
    before = " ".join(toks[max(0, i - 3) : i])
    return any(before == h or before.endswith(" " + h) for h in hedges)


def parse_killed(text: str) -> Killed | None:
    """Low, best and high figures of the first number in `text`, or None if it has none."""
    toks = _tokens(text)
    for i in range(len(toks)):
        num = _number_at(toks, i)
        if num is None:
            continue
        if num.vague_high is not None:
            return Killed(num.value, num.value, num.vague_high, text)
        rest = toks[num.end :]
        between = i > 0 and toks[i - 1] == "between"
        if len(rest) >= 2 and rest[0] in _RANGE_WORDS and (rest[0] != "and" or between):
            other = _number_at(toks, num.end + 1)
            if other is not None and other.value >= num.value:
                return Killed(num.value, num.value, other.value, text)
        if num.plus or rest[:2] == ["or", "more"] or _hedge_before(toks, i, _LOWER):
            return Killed(num.value, num.value, None, text)
        if _hedge_before(toks, i, _UPPER):
            return Killed(None, num.value, num.value, text)
        return Killed(num.value, num.value, num.value, text)
    return None


@dataclass(frozen=True, slots=True)
class EventKilled:
    """An event's figures from its killed victim groups, each mention kept beside them.

    Victim groups of one event often overlap (``96 people ... Among the dead were 73
    civilians and 23 Taliban members``; ``200 people, including 13 U.S. service members``),
    so figures are not added up: low and best are the largest of the mentions' (the toll is at
    least the largest group), and high is the sum of the highs (all groups disjoint), None if
    any mention has no high.
    """

    low: int | None
    best: int
    high: int | None
    mentions: tuple[tuple[str, Killed], ...]  # (entity id, its figures), in text order

    @classmethod
    def combine(cls, mentions: list[tuple[str, Killed]]) -> EventKilled | None:
        if not mentions:
            return None
        counts = [k for _, k in mentions]
        lows = [k.low for k in counts if k.low is not None]
        highs = [k.high for k in counts]
        return cls(
            low=max(lows) if lows else None,
            best=max(k.best for k in counts),
            high=None if any(h is None for h in highs) else sum(h for h in highs if h is not None),
            mentions=tuple(mentions),
        )
