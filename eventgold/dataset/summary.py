"""What writing the gold produced: counts per split, for the card and the console."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from eventgold.dataset.splits import SplitRatios

LIST_IDS_MAX = 20  # splits this small have their document ids listed in the card


@dataclass(frozen=True, slots=True)
class SplitSummary:
    name: str
    documents: int
    tokens: int
    entities: Mapping[str, int]  # every schema label, zero included
    relations: Mapping[str, int]
    shards: tuple[str, ...]  # paths relative to the gold folder
    ids: tuple[str, ...] = ()  # only when documents <= LIST_IDS_MAX


@dataclass(frozen=True, slots=True)
class GoldSummary:
    path: Path
    splits: tuple[SplitSummary, ...]  # all of SPLITS, empty ones included
    rejects: int
    ratios: SplitRatios
    seed: str
    shard_rows: int
    moved: tuple[str, ...] = ()  # ids placed by the small-corpus rule (fill_empty_splits)
    # (licence, attribution, documents) from the documents' ``meta.licence`` and
    # ``meta.attribution``, sorted; documents that record no licence are not counted here.
    sources: tuple[tuple[str, str, int], ...] = ()

    @property
    def documents(self) -> int:
        return sum(s.documents for s in self.splits)

    def split(self, name: str) -> SplitSummary:
        return next(s for s in self.splits if s.name == name)
