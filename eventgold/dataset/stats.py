"""``stats.json`` in a gold folder: what a later patch of the folder needs to know about it
and cannot take from its rows (`dataset.patch`), in a form meant for programs, not readers.

Written by `writer.finish_folder` into the staged folder, so it is swapped in with the rest.
Deterministic: the same documents under the same schema give the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class GoldStats:
    events: int | None  # events assembled from the whole gold; None: the schema declares none
    schema: str  # `schema.schema_fingerprint` of the schema the gold was written under

    def to_json(self) -> str:
        return json.dumps({"events": self.events, "schema": self.schema}, indent=2) + "\n"


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
    return GoldStats(events, schema)
