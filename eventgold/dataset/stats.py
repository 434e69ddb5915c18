"""``stats.json`` in a gold folder: what a later patch of the folder needs to know about it
and cannot take from its rows (`dataset.patch`), and the sha256 of its data files, by which
eval knows the Parquet shards hold the documents of ``documents.jsonl`` (`eval.gold_shards`);
in a form meant for programs, not readers.

Written by `writer.finish_folder` into the staged folder, so it is swapped in with the rest.
Deterministic: the same documents under the same schema give the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from eventgold.dataset.folder import DATA_DIR, DOCUMENTS_FILE
from eventgold.file_hash import sha256_file

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class GoldStats:
    events: int | None  # events assembled from the whole gold; None: the schema declares none
    schema: str  # `schema.schema_fingerprint` of the schema the gold was written under
    # The sha256 of `documents.jsonl` and of each Parquet shard, by path in the folder (with
    # "/"), as written; empty from an older eventgold, which did not record them.
    sha256: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        data: dict[str, object] = {"events": self.events, "schema": self.schema}
        if self.sha256:
            data["sha256"] = dict(sorted(self.sha256.items()))
        return json.dumps(data, indent=2) + "\n"


def data_files(folder: Path) -> list[str]:
    """The files whose sha256 `GoldStats` records, by path in `folder` (with "/"):
    ``documents.jsonl`` and the Parquet shards, as the folder holds them now."""
    shards = sorted(p.name for p in (Path(folder) / DATA_DIR).glob("*.parquet"))
    return [DOCUMENTS_FILE, *(f"{DATA_DIR}/{name}" for name in shards)]


def data_digests(folder: Path) -> dict[str, str]:
    """The sha256 of each of `folder`'s `data_files` (two at a time: hashlib lets go of the
    GIL, and ``documents.jsonl`` is as large as the shards together)."""
    names = data_files(folder)
    with ThreadPoolExecutor(2, thread_name_prefix="eventgold-sha256") as pool:
        digests = pool.map(sha256_file, [Path(folder) / name for name in names])
        return dict(zip(names, digests, strict=True))


def write_stats(path: Path, stats: GoldStats) -> None:
    """Write `stats` to `path`, a file of a staged gold folder (the folder's swap makes the
    write atomic)."""
    Path(path).write_text(stats.to_json(), encoding="utf-8", newline="\n")


def read_stats(path: Path) -> GoldStats:
    """The stats of a gold folder; `ValueError` (naming the key) when the file does not hold
    them, `OSError` when it cannot be read."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    events, schema = data.get("events"), data.get("schema")
    if events is not None and (type(events) is not int or events < 0):
        raise ValueError(f"events is {events!r}, not a count or null")
    if not isinstance(schema, str) or not schema:
        raise ValueError(f"schema is {schema!r}, not a schema hash")
    sha256 = data.get("sha256", {})
    if not isinstance(sha256, dict):
        raise ValueError(f"sha256 is {sha256!r}, not an object of files' digests")
    for name, digest in sha256.items():
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ValueError(f"sha256 of {name!r} is {digest!r}, not a sha256 hex digest")
    return GoldStats(events, schema, sha256)
