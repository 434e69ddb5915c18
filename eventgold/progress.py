"""One progress protocol for every long operation in eventgold.

A long operation is a generator that yields `Progress` and *returns* its result: push, pull,
writing the gold, training, cross-validation, evaluation and the demo all follow it. The CLI
shows the progress (`eventgold.cli._common.run_steps`); a caller that only wants the result
calls `drain`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import TypeVar

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Progress:
    """`done` of `total` units of `stage` (``total`` None: not known yet); `note` is free text
    for a person (a loss, a fold, a sentence of the demo)."""

    stage: str
    done: int = 0
    total: int | None = None
    note: str = ""


# The type of every long operation: yields progress, returns its result.
Steps = Generator[Progress, None, R]


def collect(steps: Steps[R]) -> tuple[list[Progress], R]:
    """Run `steps` to the end; return its progress, in order, and its result."""
    events: list[Progress] = []
    while True:
        try:
            events.append(next(steps))
        except StopIteration as stop:
            return events, stop.value


def drain(steps: Steps[R]) -> R:
    """Run `steps` to the end, ignoring its progress; return its result."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value
