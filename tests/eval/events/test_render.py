"""The event table in the dataset card and the HTML report."""

from __future__ import annotations

from pathlib import Path

from eventgold.documents import read_documents
from eventgold.eval.events.render import events_html, events_markdown
from eventgold.eval.events.rows import EventSample
from eventgold.schema import load_schema
from tests.eval.events.helpers import seed_gold

ROOT = Path(__file__).resolve().parents[3]


def sample(limit: int, *, reverse: bool = False, docs: list | None = None) -> EventSample:
    s = EventSample(load_schema(), limit=limit)
    docs = seed_gold() if docs is None else docs
    for d in reversed(docs) if reverse else docs:
        s.add(d)
    return s


def test_markdown_lists_the_first_rows_by_document_id_in_any_order() -> None:
    a, b = sample(3), sample(3, reverse=True)
    assert events_markdown(a.rows, total=a.events) == events_markdown(b.rows, total=b.events)
    md = events_markdown(a.rows, total=a.events)
    assert md.startswith("## Events\n\n20 event(s) assembled")
    assert "The first 3 by document id:" in md
    assert "| 000_825f39275db574bb/E1 |  | 35 students; victims |" in md
    assert "| 35: 35 students |" in md
    assert "| 001_cd875d34d6ffdbd4/E1 |" in md and "001_cd875d34d6ffdbd4/E2" not in md


def test_html_escapes_and_shows_every_row() -> None:
    s = sample(100)
    html = events_html(s.rows)
    assert html.count("<tr title=") == 20
    assert "Kabul&#x27;s Naqash station" in html  # the sentence, escaped, as the tooltip
    assert "<td>35: 35 students</td>" in html


def test_shipped_card_shows_the_event_table() -> None:
    card = (ROOT / "gold" / "README.md").read_text(encoding="utf-8")
    s = sample(20, docs=list(read_documents(ROOT / "gold" / "documents.jsonl")))
    assert events_markdown(s.rows, total=s.events) + "\n\n## Offsets" in card


def test_card_has_an_events_section_only_when_given_one() -> None:
    from eventgold.dataset.card import render_card
    from tests.dataset.test_card import SCHEMA, SUMMARY

    plain = render_card(SUMMARY, schema=SCHEMA, provenance={}, agreement_markdown=None)
    assert "## Events" not in plain
    s = sample(2)
    card = render_card(SUMMARY, schema=SCHEMA, provenance={}, agreement_markdown=None, events=s)
    assert card == plain.replace("## Offsets", events_markdown(s.rows, total=20) + "\n\n## Offsets")


def test_html_report_shows_predicted_events_when_given(gold_docs, pred_docs, schema) -> None:
    from eventgold.eval.evaluate import evaluate
    from eventgold.eval.events.rows import EventRow, event_table
    from eventgold.eval.html import render_html

    result = evaluate(gold_docs, pred_docs, schema, bootstrap=0)
    assert "Predicted events" not in render_html(result)
    rows = [EventRow(e) for a in event_table(pred_docs, schema) for e in a.events]
    assert rows  # the eval fixtures' predictions hold an attack
    html = render_html(result, events=rows)
    assert f"<h2>Predicted events</h2><p>{len(rows)} event(s).</p>" in html
    assert html.endswith("</table></body></html>")
    first = render_html(result, events=rows[:1], all_events=False)
    assert (
        "<p>The first 1 event(s), in the gold's document order (<code>eventgold events</code> "
        "writes them all).</p>" in first
    )
