"""Killed counts read from victim-group mentions: every wording in docs/events.md."""

from __future__ import annotations

import pytest

from eventgold.eval.events.killed import Killed, parse_killed


@pytest.mark.parametrize(
    ("text", "low", "best", "high"),
    [
        # stated numbers, digits and words
        ("35 students", 35, 35, 35),
        ("1,200 people", 1200, 1200, 1200),
        ("1.5 million people", 1_500_000, 1_500_000, 1_500_000),
        ("thirty-five people", 35, 35, 35),
        ("thirty five people", 35, 35, 35),
        ("Three of the men", 3, 3, 3),
        ("one worshiper", 1, 1, 1),
        ("nine Hazara men", 9, 9, 9),
        ("one hundred and twenty people", 120, 120, 120),
        ("two hundred thousand", 200_000, 200_000, 200_000),
        ("a hundred people", 100, 100, 100),
        ("a dozen people", 12, 12, 12),
        ("two dozen soldiers", 24, 24, 24),
        ("13 U.S. service members", 13, 13, 13),
        ("five members of the Taliban", 5, 5, 5),
        # lower bounds: no high
        ("at least 35 students", 35, 35, None),
        ("more than 30 others", 30, 30, None),
        ("over 1,200 people", 1200, 1200, None),
        ("6,000+ troops", 6000, 6000, None),
        ("30 or more people", 30, 30, None),
        ("no fewer than twelve people", 12, 12, None),
        # upper bounds: no low
        ("up to 40 people", None, 40, 40),
        ("as many as 40 people", None, 40, 40),
        ("nearly forty people", None, 40, 40),
        ("almost 40 people", None, 40, 40),
        # ranges: best is the low end
        ("30 to 40 people", 30, 30, 40),
        ("30-40 people", 30, 30, 40),
        ("30–40 people", 30, 30, 40),
        ("between 30 and 40 people", 30, 30, 40),
        ("thirty to forty people", 30, 30, 40),
        ("30 or 40 people", 30, 30, 40),
        # vague amounts
        ("dozens of lives", 24, 24, 99),
        ("Dozens of civilians", 24, 24, 99),
        ("scores of people", 40, 40, 199),
        ("hundreds of people", 200, 200, 999),
        ("thousands", 2000, 2000, 9999),
        ("several villagers", 3, 3, 9),
        ("a few people", 2, 2, 9),
    ],
)
def test_figures(text: str, low: int | None, best: int, high: int | None) -> None:
    assert parse_killed(text) == Killed(low, best, high, text)


@pytest.mark.parametrize(
    "text",
    ["victims", "Israr Mohammad", "influential cleric", "13th district", "teenage students", ""],
)
def test_no_number_gives_none(text: str) -> None:
    assert parse_killed(text) is None


def test_a_descending_pair_is_not_a_range_and_and_needs_between() -> None:
    # "40 to 30" would be a range backwards: only the first number is read
    assert parse_killed("40 to 30 people") == Killed(40, 40, 40, "40 to 30 people")
    # "30 and 40 people" without "between" names two numbers, not a range
    assert parse_killed("30 and 40 people") == Killed(30, 30, 30, "30 and 40 people")


def test_the_mention_travels_with_its_figures() -> None:
    found = parse_killed("at least 35 students")
    assert found is not None
    assert found.to_json() == {"low": 35, "best": 35, "high": None, "text": "at least 35 students"}
