"""The schema's guidelines (Markdown) as the HTML of a Label Studio project's instructions.

Rendered with markdown-it-py (CommonMark, plus GitHub-style tables): the guidelines' label
tables and numbered span rules must read as tables and lists on the labeling page. Raw HTML in
the Markdown is escaped, not passed through, so the guidelines cannot inject markup into Label
Studio; link targets are checked by markdown-it (no ``javascript:`` links).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from markdown_it import MarkdownIt

from eventgold.schema import Schema


@cache
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(markdown: str) -> str:
    """CommonMark with tables, raw HTML escaped."""
    return _renderer().render(markdown)


def guidelines_html(schema: Schema) -> str:
    """The schema's guidelines file as HTML; "" when the schema names none or it is missing."""
    path = schema.guidelines_path()
    if path is None or not Path(path).is_file():
        return ""
    return markdown_to_html(Path(path).read_text(encoding="utf-8"))
