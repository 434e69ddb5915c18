"""The HTML report is one self-contained file with charts, confusion and errors."""

from __future__ import annotations

import re

from eventgold.eval.evaluate import evaluate
from eventgold.eval.html import render_html


def test_report_is_self_contained(gold_docs, pred_docs, schema) -> None:
    html = render_html(evaluate(gold_docs, pred_docs, schema, bootstrap=50), title="t <x>")
    assert html.startswith("<!DOCTYPE html>") and "<title>t &lt;x&gt;</title>" in html
    assert "<script" not in html and not re.search(r"(src|href)=", html)
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert html.count("<svg") == 3  # entities, relations, tokens
    assert "Label confusion" in html and "gold \\ predicted" in html
    # The wrong-label error shows its sentence with the span marked for both sides.
    assert 'Rebels attacked <mark class="gp">Kabul</mark>.' in html
    # The boundary error marks the predicted-only part and the shared part separately.
    assert 'The UN condemned <mark class="p">the </mark><mark class="gp">attack</mark>.' in html


def test_documents_given_in_memory_are_named_as_such(gold_docs, pred_docs, schema) -> None:
    from eventgold.eval.evaluate import evaluate
    from eventgold.eval.html import render_html

    html = render_html(evaluate(gold_docs, pred_docs, schema, bootstrap=0))
    assert "<li>gold: documents given in memory (no file)</li>" in html
    assert "sha256 <code>None</code>" not in html
