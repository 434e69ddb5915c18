"""Which split each gold document is in, and choosing splits (`train --split`, `eval --split`).

A gold folder's Parquet shards (``data/<split>-*.parquet``) say where `write_gold` put each
document; a documents file without shards (or a document added after them) gets the split
`write_gold` would give it: ``meta.split``, else the hash of its id, with
`fill_empty_splits` in a tiny corpus.

A shard that cannot be read (cut short, emptied, not Parquet) is refused, naming it: the
shards are the record of which document is in which split, and the rule could place that
shard's documents elsewhere (a gold pulled with other ratios or seed, or filled splits), so
guessing could put training documents in the test split. Scoring reads the shards' token
offsets only as a shortcut, and does without an unreadable one (`eval.gold_tokens`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from eventgold.dataset.folder import parquet_files
from eventgold.dataset.splits import (
    DEFAULT_RATIOS,
    DEFAULT_SEED,
    FILL_MAX,
    SPLITS,
    SplitRatios,
    fill_empty_splits,
    placed,
    split_problems,
)
from eventgold.documents import Document
from eventgold.problems import Problem, ProblemsError, allowed

UNKNOWN_SPLIT = "unknown-split"
EMPTY_SPLIT = "empty-split"
UNREADABLE_SHARD = "unreadable-shard"


def parse_splits(values: Sequence[str]) -> tuple[str, ...]:
    """Split names from repeated options and comma lists (``train,validation``), in the
    order of `SPLITS`, each once; raise `ProblemsError` naming any unknown one."""
    names = [v.strip() for value in values for v in value.split(",") if v.strip()]
    bad = [
        Problem("--split", f"unknown split {name!r}; allowed: {allowed(SPLITS)}", UNKNOWN_SPLIT)
        for name in dict.fromkeys(names)
        if name not in SPLITS
    ]
    if bad:
        unknown = ", ".join(repr(n) for n in dict.fromkeys(names) if n not in SPLITS)
        raise ProblemsError(bad, summary=f"unknown split(s): {unknown}")
    return tuple(s for s in SPLITS if s in names)


def assign_splits(
    documents: Iterable[Document],
    *,
    ratios: SplitRatios = DEFAULT_RATIOS,
    seed: str = DEFAULT_SEED,
) -> dict[str, str]:
    """Document id -> split, by the rule `write_gold` follows (see the module doc)."""
    index: dict[str, int] = {}
    hashed: list[tuple[str, float, int]] = []
    for doc in documents:
        index[doc.id], u = placed(doc, ratios=ratios, seed=seed)
        if u is not None and len(hashed) < FILL_MAX:
            hashed.append((doc.id, u, index[doc.id]))
    if len(hashed) < FILL_MAX:
        index.update(fill_empty_splits(hashed, Counter(index.values()), ratios))
    return {doc_id: SPLITS[k] for doc_id, k in index.items()}


def stored_splits(gold: Path | None) -> dict[str, str]:
    """Document id -> split as a gold folder's Parquet shards hold them (empty without).

    Raises `ProblemsError` naming every shard that cannot be read, and why."""
    if gold is None or not Path(gold).is_dir():
        return {}
    import pyarrow as pa
    import pyarrow.parquet as pq

    found: dict[str, str] = {}
    problems: list[Problem] = []
    for split, files in parquet_files(gold).items():
        for file in files:
            try:
                with pq.ParquetFile(file) as shard:
                    if "id" not in shard.schema_arrow.names:
                        raise KeyError("no 'id' column")
                    ids = shard.read(columns=["id"]).column(0).to_pylist()
            except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
                reason = exc.args[0] if isinstance(exc, KeyError) else exc
                message = (
                    f"the shard of split {split!r} cannot be read ({reason}); it records which "
                    "documents are in that split: restore it, or pull the gold again"
                )
                problems.append(Problem(str(file), message, UNREADABLE_SHARD))
                continue
            found.update(dict.fromkeys(ids, split))
    if problems:
        raise ProblemsError(
            problems,
            summary=f"the gold {gold} has {len(problems)} unreadable Parquet shard(s); "
            "without them no document can be placed in its split",
        )
    return found


def gold_splits(gold: Path | None, documents: Iterable[Document]) -> dict[str, str]:
    """Document id -> split for the `documents` of `gold` (its shards if it is a gold folder
    that has them, else the rule); `gold` None: documents in memory, the rule."""
    docs = list(documents)
    stored = stored_splits(gold)
    assigned = new_splits([d for d in docs if d.id not in stored], gold=str(gold))
    return {d.id: stored.get(d.id) or assigned[d.id] for d in docs}


def new_splits(documents: Sequence[Document], *, gold: str) -> dict[str, str]:
    """Document id -> split for documents no shard holds, by the writer's rule; raise
    `ProblemsError` for a document naming an unknown split. The writer refuses one; a gold
    made or edited by hand may hold one, and placing that document by hash would silently
    score (or export) it in a split it does not name."""
    if bad := [p for d in documents for p in split_problems(d)]:
        raise ProblemsError(bad, summary=f"the gold {gold} names unknown splits")
    return assign_splits(documents)


def select_splits(
    documents: Sequence[Document],
    splits: Sequence[str],
    assignment: Mapping[str, str],
    *,
    gold: str,
) -> list[Document]:
    """The `documents` in `splits` (all of them when `splits` is empty); raise
    `ProblemsError` if none is, with how many each split holds."""
    if not splits:
        return list(documents)
    chosen = [d for d in documents if assignment[d.id] in splits]
    if not chosen:
        sizes = Counter(assignment[d.id] for d in documents)
        held = ", ".join(f"{s} {sizes[s]}" for s in SPLITS)
        message = f"no document in split(s) {', '.join(splits)} (documents per split: {held})"
        raise ProblemsError(
            [Problem(gold, message, EMPTY_SPLIT)],
            summary=f"the gold {gold} holds no documents in split(s) {', '.join(splits)}",
        )
    return chosen
