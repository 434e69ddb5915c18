"""The event table for people: Markdown for the dataset card, HTML for the eval report."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from eventgold.eval.events.rows import EventRow

SHOWN_COLUMNS = ("event_id", "attacker", "victims", "location", "killed", "condemned_by")


def _killed(record: dict[str, Any]) -> str:
    best = record["killed_best"]
    if best is None:
        return ""
    low, high = record["killed_low"], record["killed_high"]
    figures = f"{best}" if low == best == high else f"{best} ({_or(low)}–{_or(high)})"
    return f"{figures}: {record['killed_text']}"


def _or(x: int | None) -> str:
    return "?" if x is None else str(x)


def _cells(row: EventRow) -> list[str]:
    r = row.to_record()
    return [_killed(r) if c == "killed" else str(r[c]) for c in SHOWN_COLUMNS]


def events_markdown(rows: Sequence[EventRow], *, total: int | None = None) -> str:
    """A "## Events" section: the rows as a Markdown table; `total` (all events, when `rows`
    are the first of them) is said in the lead sentence."""
    n = len(rows) if total is None else total
    lines = [
        "## Events",
        "",
        f"{n} event(s) assembled from the spans and relations by the schema's `events:` rules "
        "(`eventgold events --gold gold/ --out events/` writes them all, each cell traced to "
        "its spans; killed: best figure (low–high) and the mentions it was read from).",
    ]
    if len(rows) < n:
        lines[-1] += f" The first {len(rows)} by document id:"
    if rows:
        lines += ["", "| " + " | ".join(SHOWN_COLUMNS) + " |", "|" + "---|" * len(SHOWN_COLUMNS)]
        for row in rows:
            cells = [c.replace("|", "\\|").replace("\n", " ") for c in _cells(row)]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def events_html(rows: Sequence[EventRow], *, title: str = "Events", all_rows: bool = True) -> str:
    """An <h2> section with the rows as an HTML table; the sentence of each event's first
    anchor as the row's tooltip. Unless `all_rows`, the rows are the first events of more."""
    head = "".join(f"<th>{escape(c)}</th>" for c in SHOWN_COLUMNS)
    body = "".join(
        f'<tr title="{escape(row.event.sentence)}">'
        + "".join(f"<td>{escape(c)}</td>" for c in _cells(row))
        + "</tr>"
        for row in rows
    )
    count = (
        f"{len(rows)} event(s)."
        if all_rows
        else f"The first {len(rows)} event(s), in the gold's document order "
        "(<code>eventgold events</code> writes them all)."
    )
    return f"<h2>{escape(title)}</h2><p>{count}</p><table><tr>{head}</tr>{body}</table>"
