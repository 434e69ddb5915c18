"""Splits: a hash of the document id, so adding documents never moves old ones."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from eventgold.documents import Document
from eventgold.problems import Problem, allowed

SPLITS: tuple[str, ...] = ("train", "validation", "test")
DEFAULT_SEED = "eventgold"
BAD_SPLIT = "bad-split"
# Empty splits are filled only in corpora smaller than this (see fill_empty_splits); larger
# corpora keep pure hash assignment and need no hash list in memory.
FILL_MAX = 1_000


@dataclass(frozen=True, slots=True)
class SplitRatios:
    """Shares of train/validation/test; any non-negative numbers, normalised by their sum."""

    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1

    def problems(self) -> list[Problem]:
        values = {"train": self.train, "validation": self.validation, "test": self.test}
        found = [
            Problem("split ratios", f"{name} must be a number >= 0, got {value!r}", BAD_SPLIT)
            for name, value in values.items()
            if not isinstance(value, int | float) or value < 0 or math.isnan(value)
        ]
        if not found and sum(values.values()) <= 0:
            found.append(Problem("split ratios", "at least one ratio must be > 0", BAD_SPLIT))
        return found

    def cumulative(self) -> tuple[float, float]:
        total = self.train + self.validation + self.test
        return self.train / total, (self.train + self.validation) / total


DEFAULT_RATIOS = SplitRatios()


def split_hash(doc_id: str, *, seed: str = DEFAULT_SEED) -> float:
    """A number in [0, 1) from seed and id alone: where the id falls among the ratios."""
    digest = hashlib.sha256(f"{seed}\x00{doc_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_by_hash(u: float, ratios: SplitRatios) -> int:
    train, validation = ratios.cumulative()
    return 0 if u < train else 1 if u < validation else 2


def placed(doc: Document, *, ratios: SplitRatios, seed: str) -> tuple[int, float | None]:
    """The split index of `doc` (before the small-corpus rule) and, when its hash placed it,
    the hash; None when its ``meta["split"]`` names a split. An unknown ``meta["split"]`` is
    left to the hash: `split_problems` reports it where it is an error."""
    explicit = doc.meta.get("split")
    if explicit in SPLITS:
        return SPLITS.index(explicit), None
    u = split_hash(doc.id, seed=seed)
    return split_by_hash(u, ratios), u


def split_of(
    doc: Document, *, ratios: SplitRatios = SplitRatios(), seed: str = DEFAULT_SEED
) -> str:
    """The split of `doc`: ``meta["split"]`` if set, else from a hash of seed and id.

    The hash depends on nothing but the id, so adding documents never moves existing ones
    (except the small-corpus rule of `fill_empty_splits`).
    """
    explicit = doc.meta.get("split")
    if explicit is not None:
        return str(explicit)
    return SPLITS[split_by_hash(split_hash(doc.id, seed=seed), ratios)]


def fill_empty_splits(
    hashed: list[tuple[str, float, int]], counts: Counter, ratios: SplitRatios
) -> dict[str, int]:
    """Moves ``{id: split index}`` so no split with a ratio > 0 is empty in a tiny corpus.

    `hashed` holds ``(id, hash, split index)`` of the documents placed by hash (not by
    ``meta.split``); `counts` the documents per split index, updated in place. A user with five
    documents expects a train, a validation and a test split, not five training documents: if
    hashing leaves a split empty, the hash-placed document nearest to that split's hash range
    moves there, taken from a split that keeps at least one document. Once every split has a
    document by hash nothing moves, so assignment is stable for any corpus of real size.
    """
    train, validation = ratios.cumulative()
    ranges = {0: (0.0, train), 1: (train, validation), 2: (validation, 1.0)}
    shares = (ratios.train, ratios.validation, ratios.test)
    moved: dict[str, int] = {}
    for k in (2, 1, 0):  # test first, so the highest hashes go to test, then validation
        if counts[k] or not shares[k]:
            continue
        lo, hi = ranges[k]
        candidates = [
            (max(lo - u, u - hi, 0.0), doc_id, split)
            for doc_id, u, split in hashed
            if doc_id not in moved and counts[split] > 1
        ]
        if not candidates:
            continue
        _, doc_id, split = min(candidates)
        moved[doc_id] = k
        counts[split] -= 1
        counts[k] += 1
    return moved


def split_problems(doc: Document) -> list[Problem]:
    explicit = doc.meta.get("split")
    if explicit is None or explicit in SPLITS:
        return []
    return [
        Problem(
            f"document '{doc.id}' / meta.split",
            f"unknown split {explicit!r}; allowed: {allowed(SPLITS)}",
            BAD_SPLIT,
        )
    ]


def splits_settled(seen: Mapping[int, int], shares: tuple[float, ...], hashed: int) -> bool:
    """Whether `fill_empty_splits` can no longer move a document: every split with a share
    has one, or too many documents were placed by hash for it to run."""
    return hashed >= FILL_MAX or all(seen.get(k) for k, share in enumerate(shares) if share)
