"""A self-contained HTML report of an `EvalResult`: one file, no scripts, no external assets.

Charts are inline SVG drawn here (F1 bars with their bootstrap intervals as whiskers), so the
report opens offline and can be archived next to the result JSON it was made from.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from eventgold.eval.evaluate import ERROR_KINDS, NONE, ErrorCase, EvalResult
from eventgold.eval.events.render import events_html
from eventgold.eval.events.rows import EventRow
from eventgold.eval.table import MACRO, OVERALL

MAX_SHOWN_ERRORS = 1000
RULE_COLORS = {
    "strict": "#1f77b4",
    "exact": "#2ca02c",
    "partial": "#ff7f0e",
    "type": "#9467bd",
    "boundaries": "#2ca02c",
    "iob2": "#1f77b4",
}
CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
mark.g{background:#b7e1b7}mark.p{background:#f9c9a3}mark.gp{background:#e8d37c}
.meta{color:#555;font-size:90%}.ctx{max-width:640px}code{font-size:90%}
"""


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _ci(fig: dict[str, Any]) -> str:
    ci = fig.get("ci")
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "–"


def bar_chart(rows: list[str], series: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Horizontal F1 bars: one group per row, one bar per series, whiskers = interval."""
    bar_h, gap, left, width = 12, 10, 150, 420
    n = max(1, len(series))
    group_h = n * bar_h + gap
    height = len(rows) * group_h + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" '
        f'height="{height}" role="img" font-size="11">'
    ]
    for tick in range(0, 11, 2):
        x = left + width * tick / 10
        parts.append(
            f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 30}" stroke="#ddd"/>'
            f'<text x="{x}" y="{height - 18}" text-anchor="middle">{tick / 10:.1f}</text>'
        )
    for i, row in enumerate(rows):
        y0 = i * group_h + 4
        parts.append(
            f'<text x="{left - 6}" y="{y0 + n * bar_h / 2 + 4}" text-anchor="end">'
            f"{escape(row)}</text>"
        )
        for j, (name, figs) in enumerate(series.items()):
            fig = figs.get(row)
            if fig is None:
                continue
            y = y0 + j * bar_h
            w = width * fig["f1"]
            color = RULE_COLORS.get(name, "#777")
            parts.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{color}">'
                f"<title>{escape(name)} {escape(row)}: F1 {fig['f1']:.3f} {_ci(fig)}</title></rect>"
            )
            if fig.get("ci"):
                lo, hi = (left + width * v for v in fig["ci"])
                ym = y + (bar_h - 2) / 2
                parts.append(
                    f'<path d="M{lo:.1f} {ym - 3}v6M{lo:.1f} {ym}H{hi:.1f}M{hi:.1f} {ym - 3}v6" '
                    'stroke="#000" fill="none"/>'
                )
    legend_y = height - 4
    for j, name in enumerate(series):
        x = left + j * 90
        parts.append(
            f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" '
            f'fill="{RULE_COLORS.get(name, "#777")}"/>'
            f'<text x="{x + 14}" y="{legend_y}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _family_section(title: str, family: dict[str, dict[str, Any]]) -> str:
    labels = sorted({label for block in family.values() for label in block["labels"]})
    rows = [OVERALL, MACRO, *labels]
    series = {
        rule: {
            OVERALL: block["overall"],
            MACRO: block["macro"],
            **block["labels"],
        }
        for rule, block in family.items()
    }
    head = "".join(f"<th>{escape(r)} P</th><th>R</th><th>F1 [CI]</th>" for r in family)
    body = []
    for row in rows:
        cells = []
        for rule in family:
            fig = series[rule].get(row)
            if fig is None:
                cells.append("<td></td>" * 3)
                continue
            cells.append(
                f'<td class="n">{_fmt(fig.get("precision"))}</td>'
                f'<td class="n">{_fmt(fig.get("recall"))}</td>'
                f'<td class="n">{_fmt(fig["f1"])} {_ci(fig)}</td>'
            )
        body.append(f"<tr><th>{escape(row)}</th>{''.join(cells)}</tr>")
    return (
        f"<h2>{escape(title)}</h2>{bar_chart(rows, series)}"
        f"<table><tr><th></th>{head}</tr>{''.join(body)}</table>"
    )


def confusion_table(cells: dict[tuple[str, str], int]) -> str:
    """Gold label rows, predicted label columns; shade by share of the row."""
    gold = [*sorted({g for g, _ in cells} - {NONE}), NONE]
    pred = [*sorted({p for _, p in cells} - {NONE}), NONE]
    head = "".join(f"<th>{escape(p)}</th>" for p in pred)
    body = []
    for g in gold:
        total = sum(cells.get((g, p), 0) for p in pred) or 1
        row = []
        for p in pred:
            n = cells.get((g, p), 0)
            alpha = 0.85 * n / total
            row.append(f'<td class="n" style="background:rgba(31,119,180,{alpha:.2f})">{n}</td>')
        body.append(f"<tr><th>{escape(g)}</th>{''.join(row)}</tr>")
    return f"<table><tr><th>gold \\ predicted</th>{head}</tr>{''.join(body)}</table>"


def highlight(case: ErrorCase) -> str:
    """The context with the gold span and the predicted span marked (both where they meet)."""
    a = case.context_start
    text = case.context
    points = {0, len(text)}
    for s in (case.gold, case.pred):
        if s:
            points.update((max(0, s[1] - a), min(len(text), s[2] - a)))
    cuts = sorted(p for p in points if 0 <= p <= len(text))
    out = []
    for lo, hi in itertools.pairwise(cuts):
        piece = escape(text[lo:hi])
        in_g = case.gold is not None and case.gold[1] <= lo + a and hi + a <= case.gold[2]
        in_p = case.pred is not None and case.pred[1] <= lo + a and hi + a <= case.pred[2]
        cls = "gp" if in_g and in_p else "g" if in_g else "p" if in_p else ""
        out.append(f'<mark class="{cls}">{piece}</mark>' if cls else piece)
    return "".join(out)


def _span(s: tuple[str, int, int] | None) -> str:
    return f"{escape(s[0])} [{s[1]}, {s[2]})" if s else ""


def error_table(result: EvalResult) -> str:
    counts = ", ".join(f"{k}: {result.error_counts.get(k, 0)}" for k in ERROR_KINDS)
    shown = result.errors[:MAX_SHOWN_ERRORS]
    rows = "".join(
        f"<tr><td>{escape(c.kind)}</td><td>{escape(c.doc_id)}</td><td>{_span(c.gold)}</td>"
        f'<td>{_span(c.pred)}</td><td class="ctx">{highlight(c)}</td></tr>'
        for c in shown
    )
    total = sum(result.error_counts.values())
    note = f"<p class=meta>Showing {len(shown)} of {total}.</p>" if total > len(shown) else ""
    return (
        f"<h2>Errors (strict rule)</h2><p>{escape(counts)}. "
        '<mark class="g">gold</mark> <mark class="p">predicted</mark> '
        '<mark class="gp">both</mark></p>'
        f"{note}<table><tr><th>kind</th><th>document</th><th>gold</th><th>predicted</th>"
        f"<th>sentence</th></tr>{rows}</table>"
    )


def _input_item(name: str, where: Mapping[str, str | None]) -> str:
    # Documents passed as objects (a Python caller) have no file to name or hash.
    if where.get("path") is None:
        return f"<li>{escape(name)}: documents given in memory (no file)</li>"
    return (
        f"<li>{escape(name)}: <code>{escape(str(where['path']))}</code> sha256 "
        f"<code>{escape(str(where['sha256']))}</code></li>"
    )


def render_html(
    result: EvalResult,
    *,
    title: str = "eventgold evaluation",
    events: Sequence[EventRow] = (),
    all_events: bool = True,
) -> str:
    """The whole report as one HTML string; `events`, the predicted event table, if given
    (unless `all_events`, the first rows of a longer one)."""
    data = result.summary_json()
    figures = data["figures"]
    inputs = "".join(_input_item(k, v) for k, v in data["inputs"].items())
    boot = data["bootstrap"]
    missing = len(result.missing)
    align = result.alignment
    align_note = (
        f"<li>offset-free entities aligned: {align.exact} exact, {align.fuzzy} ignoring "
        f"case/space, {len(align.unaligned)} not found</li>"
        if align
        else ""
    )
    sections = [
        _family_section(f"{family.capitalize()} ({', '.join(block)})", block)
        for family, block in figures.items()
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><ul class=meta>"
        f"<li>metrics {escape(data['metrics_version'])}; schema "
        f"{escape(result.schema_name)} {escape(result.schema_version)}</li>{inputs}"
        f"<li>{len(result.table.doc_ids)} gold documents, {missing} without predictions "
        f"(scored as empty)</li>{align_note}"
        f"<li>bootstrap: {boot['resamples']} document resamples, seed {boot['seed']}, "
        f"{boot['confidence']:.0%} percentile intervals</li></ul>"
        f"{''.join(sections)}"
        "<h2>Label confusion over overlapping spans</h2>"
        f"{confusion_table(result.confusion)}{error_table(result)}"
        f"{events_html(events, title='Predicted events', all_rows=all_events) if events else ''}"
        "</body></html>"
    )
