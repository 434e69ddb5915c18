"""A gold folder: the files it holds, the rule for writing one, and reading it back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from eventgold.atomic import replaced_folder_problems
from eventgold.dataset.splits import SPLITS
from eventgold.documents import (
    GOLD_DOCUMENTS,
    Document,
    existing_gold_documents,
    read_documents,
)
from eventgold.problems import Problem, ProblemsError, allowed

if TYPE_CHECKING:  # `datasets` (with pandas) takes ~1.4 s to import: only what uses it pays
    import datasets

DOCUMENTS_FILE = GOLD_DOCUMENTS
REJECTS_FILE = "rejects.jsonl"
CARD_FILE = "README.md"
DATA_DIR = "data"
HF_DIR = "hf"
HF_ARROW = "data-00000-of-00001.arrow"  # the one data file per split, as save_to_disk names it
ANNOTATIONS_FILE = "annotations.jsonl"  # pull: doc id -> the Label Studio task and annotation
PULL_FILE = "pull.json"  # pull: where and when the gold was pulled
STATS_FILE = "stats.json"  # what a patch of the folder needs to know (dataset.stats)
# Written into every gold folder: only a folder holding it (or a new or empty one) is replaced,
# so a corpus folder, whose documents.jsonl has a gold file's name, is never taken for one.
GOLD_MARKER = ".eventgold-gold"
GOLD_MARKER_TEXT = (
    "A gold folder written by eventgold: `eventgold pull` and `eventgold demo --update-gold` "
    "replace it whole.\n"
)
# Everything a gold folder may hold: writing one replaces the folder whole, so a folder with
# anything else in it is refused rather than wiped.
GOLD_ENTRIES = frozenset(
    {
        DOCUMENTS_FILE,
        REJECTS_FILE,
        CARD_FILE,
        DATA_DIR,
        HF_DIR,
        ANNOTATIONS_FILE,
        PULL_FILE,
        STATS_FILE,
        GOLD_MARKER,
    }
)
GOLD_TARGET = "gold-target"


def require_gold_target(out_dir: Path) -> None:
    """Raise `ProblemsError` with `gold_target_problems`, if there are any."""
    if found := gold_target_problems(out_dir):
        raise ProblemsError(found, summary=f"cannot write the gold to {out_dir}")


def gold_target_problems(out_dir: Path) -> list[Problem]:
    """Why `out_dir` cannot be (re)written as a gold folder: empty if it is new, empty, or a
    gold folder eventgold wrote (it holds `GOLD_MARKER`, and nothing a gold folder does not).
    Anything else would be lost, since the folder is replaced whole."""
    out_dir = Path(out_dir)
    found = replaced_folder_problems(
        out_dir,
        what="gold folder",
        owned=GOLD_ENTRIES.__contains__,
        holds=allowed(GOLD_ENTRIES),
        code=GOLD_TARGET,
    )
    if found or not out_dir.is_dir():
        return found
    names = sorted(p.name for p in out_dir.iterdir())
    if not names or GOLD_MARKER in names:
        return []
    corpus = " (a corpus?)" if DOCUMENTS_FILE in names else ""
    return [
        Problem(
            f"gold folder {out_dir}",
            f"holds {', '.join(names)} but no {GOLD_MARKER} marker, so it is not a gold folder "
            f"that eventgold wrote{corpus}, and a gold folder is replaced whole; name a new or "
            "empty folder",
            GOLD_TARGET,
        )
    ]


def read_gold(gold_dir: Path) -> Iterator[Document]:
    """Stream the gold documents (sorted by id) from ``gold/documents.jsonl`` (or from
    `gold_dir` itself when it is a documents file)."""
    return read_documents(existing_gold_documents(gold_dir))


def count_gold(gold_dir: Path) -> int:
    """How many documents the gold holds (counts lines; reads no JSON)."""
    with existing_gold_documents(gold_dir).open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def parquet_files(gold_dir: Path) -> dict[str, list[str]]:
    """Parquet shards per non-empty split, for ``load_dataset("parquet", data_files=...)``."""
    data = Path(gold_dir) / DATA_DIR
    found = {s: sorted(str(p) for p in data.glob(f"{s}-*.parquet")) for s in SPLITS}
    return {s: files for s, files in found.items() if files}


def load_gold_dataset(gold_dir: Path) -> datasets.DatasetDict:
    """The gold as a `DatasetDict` (memory-mapped from ``gold/hf``)."""
    import datasets

    return datasets.load_from_disk(str(Path(gold_dir) / HF_DIR))
