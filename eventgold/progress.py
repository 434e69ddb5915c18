"""Long library work is a generator that yields progress and *returns* its result.

The CLI shows the progress; callers that only want the result `drain` the generator.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

R = TypeVar("R")


def drain(steps: Generator[object, None, R]) -> R:
    """Run `steps` to the end, ignoring its progress events; return its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value
