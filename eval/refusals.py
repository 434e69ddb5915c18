"""What scoring refuses, and why: one policy for `eval`, `compare` and Python callers.

Figures over nothing read as a model that scored 0, so a result is refused when

- the gold (or the part of it scored, with ``splits``) holds no documents (`EMPTY_GOLD`);
- the predictions match none of the gold documents: an empty file, or another corpus's
  (`NO_MATCH`). A model that finds nothing still writes each document, with no entities.

Predictions of documents the gold does not hold are not refused: they are ignored and
counted (see `eval.inputs`), unless scoring is ``strict``.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventgold.problems import Problem, ProblemsError

EMPTY_GOLD = "empty-gold"
NO_MATCH = "no-matching-prediction"


def in_splits(splits: Sequence[str]) -> str:
    """`` in split(s) a, b`` for messages, or nothing when the whole gold is scored."""
    return f" in split(s) {', '.join(splits)}" if splits else ""


def refuse_unscorable(
    *, gold: str, predictions: str, documents: int, missing: int, splits: Sequence[str] = ()
) -> None:
    """Raise `ProblemsError` if `documents` gold documents with `missing` of them without a
    prediction cannot give a meaningful score; `gold` and `predictions` name the inputs."""
    where = in_splits(splits)
    if documents == 0:
        message = f"the gold {gold} holds no documents{where}: there is nothing to score"
        found = Problem(gold, f"holds no documents{where}", EMPTY_GOLD)
        raise ProblemsError([found], summary=message)
    if missing == documents:
        message = (
            f"{predictions} has a prediction for none of the {documents} gold document(s)"
            f"{where}; a model that finds nothing still writes each document, with no entities"
        )
        found = Problem(
            predictions, f"matches none of the {documents} gold document(s){where}", NO_MATCH
        )
        raise ProblemsError([found], summary=message)
