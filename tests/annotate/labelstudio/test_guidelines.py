from __future__ import annotations

import dataclasses

from eventgold.annotate.labelstudio.guidelines import guidelines_html, markdown_to_html
from eventgold.schema import load_schema

SCHEMA = load_schema()


def test_markdown_is_escaped_html():
    html = markdown_to_html("# Title <x>\n\nSome **bold** and `code`.\n\n- one\n- two & *three*\n")
    assert html == (
        "<h1>Title &lt;x&gt;</h1>\n<p>Some <strong>bold</strong> and <code>code</code>.</p>\n"
        "<ul>\n<li>one</li>\n<li>two &amp; <em>three</em></li>\n</ul>\n"
    )


def test_raw_html_and_script_links_do_not_pass_through():
    html = markdown_to_html("<script>alert(1)</script>\n\n[x](javascript:alert(1))\n")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_tables_and_numbered_lists_render_as_such():
    html = markdown_to_html(
        "| Label | Hotkey |\n|---|---|\n| ATTACKER | 1 |\n\n1. **Trim.** No spaces.\n2. **No overlaps.**\n"
    )
    assert "<table>\n<thead>\n<tr>\n<th>Label</th>\n<th>Hotkey</th>" in html
    assert "<td>ATTACKER</td>\n<td>1</td>" in html
    assert (
        "<ol>\n<li><strong>Trim.</strong> No spaces.</li>\n<li><strong>No overlaps.</strong></li>\n</ol>"
        in html
    )


def test_the_shipped_guidelines_have_their_tables_and_span_rules():
    html = guidelines_html(SCHEMA)
    assert html.count("<table>") >= 3
    assert "| Label |" not in html  # no raw pipes left
    assert "<ol>" in html and "<li><strong>No overlaps, no nesting.</strong>" in html


def test_guidelines_are_rendered_only_when_the_file_exists(tmp_path):
    (tmp_path / "G.md").write_text("## Spans\nTrim them.\n", encoding="utf-8")
    schema = dataclasses.replace(SCHEMA, guidelines="G.md", path=str(tmp_path / "s.yaml"))
    assert guidelines_html(schema) == "<h2>Spans</h2>\n<p>Trim them.</p>\n"
    assert guidelines_html(dataclasses.replace(schema, guidelines="missing.md")) == ""
