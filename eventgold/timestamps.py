"""Annotation times: one parser for every ``updated_at`` eventgold reads.

Label Studio writes ISO 8601 with a ``Z`` suffix (which Python 3.10's `fromisoformat` does not
read); files written by hand or by other tools may have no zone at all. Every time is made
aware (naive read as UTC) so that any two compare; a missing or unreadable time is the oldest,
so an annotation with a time wins over one without.
"""

from __future__ import annotations

from datetime import datetime, timezone

from eventgold.documents import Document

OLDEST = datetime.min.replace(tzinfo=timezone.utc)


def parse_time(value: object) -> datetime:
    """`value` (ISO 8601, ``Z`` accepted) as an aware time; `OLDEST` when missing or unreadable."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return OLDEST
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def updated_at(doc: Document) -> datetime:
    """When the annotation `doc` was last updated (``meta["updated_at"]``), by `parse_time`."""
    return parse_time(doc.meta.get("updated_at"))
