"""Located problems: what validators return instead of raising.

Every check in eventgold collects `Problem`s and returns them as a list, so a user sees every
error in one run. `where` locates the problem (``task 12 / relation 3``), `message` says what
is wrong, naming the allowed values and the value received.
"""

from __future__ import annotations

from dataclasses import dataclass

# Problem codes that more than one command reports: one concept, one code.
DUPLICATE_DOCUMENT = "duplicate-document"  # a document id seen twice where ids must be unique
TEXT_MISMATCH = "text-mismatch"  # a record's text is not the text of the document it names


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    message: str
    code: str = ""  # stable machine-readable reason, e.g. "offset-mismatch"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "code": self.code, "message": self.message}


class ProblemsError(Exception):
    """Raised at an API boundary when a whole input is unusable; carries every problem."""

    def __init__(self, problems: list[Problem], summary: str = "") -> None:
        self.problems = list(problems)
        self.summary = summary
        lines = [summary] if summary else []
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[type[ProblemsError], tuple[list[Problem], str]]:
        # Pickled with its fields, not its message (multiprocessing sends errors this way).
        return (type(self), (self.problems, self.summary))


def join(*parts: str) -> str:
    """Join location parts with ' / ', skipping empty ones."""
    return " / ".join(p for p in parts if p)


def allowed(values: object) -> str:
    """Render a set of allowed values deterministically for error text ("none" if empty)."""
    return ", ".join(sorted({str(v) for v in values})) or "none"  # type: ignore[union-attr]
