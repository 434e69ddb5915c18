"""YAML read strictly: a key given twice in one mapping is a located problem, not "last wins".

PyYAML keeps the last value of a repeated key without a word. In a schema that hides real
mistakes: an unclosed quote (``hotkey: "2``) swallows the lines after it up to the next quote,
and the next entry's keys then land in the entry above, where they silently replace its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from eventgold.problems import Problem

DUPLICATE_KEY = "duplicate-key"
_SHOWN = 40  # characters of a value quoted in a message


def _short(node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode):
        return f"a {'list' if isinstance(node, yaml.SequenceNode) else 'mapping'}"
    return _cut(" ".join(str(node.value).split()))


def _cut(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…")


def _label(node: yaml.Node) -> str | None:
    """The scalar ``label`` of a mapping node (how schema entries are named), if any."""
    if not isinstance(node, yaml.MappingNode):
        return None
    found = [
        v.value for k, v in node.value if k.value == "label" and isinstance(v, yaml.ScalarNode)
    ]
    return str(found[-1]) if found else None


def _duplicates(node: yaml.Node, where: str) -> Iterator[tuple[str, str, yaml.Node, yaml.Node]]:
    """``(key path, key, first value, repeated value)`` for every repeated key under `node`."""
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            label = _label(item)
            yield from _duplicates(item, f"{where}[{i}]" + (f" ({label})" if label else ""))
    elif isinstance(node, yaml.MappingNode):
        first: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else ""
            path = f"{where}.{name}" if where else name
            if name in first:
                yield path, name, first[name], value
            elif name:
                first[name] = value
            yield from _duplicates(value, path)


def load_yaml(text: str, *, where: str) -> tuple[Any, list[Problem]]:
    """Decode YAML `text`; return the data and one problem per repeated key, located by its
    key path and lines (`where` names the file). Syntax errors raise `yaml.YAMLError`."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        # Found before constructing, which flattens merge keys (<<) into the mappings.
        found = list(_duplicates(node, ""))
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    return data, [
        Problem(
            f"{where}: {path}",
            f"key '{name}' given twice, at line {first.start_mark.line + 1} ({_short(first)}) "
            f"and at line {again.start_mark.line + 1} ({_short(again)}); YAML would keep only "
            "the last: give each key once (an unclosed quote above it can swallow the lines "
            "after it)",
            DUPLICATE_KEY,
        )
        for path, name, first, again in found
    ]


def syntax_problem(exc: yaml.YAMLError, where: str, text: str = "") -> Problem:
    """A YAML syntax error located by file (`where`), line and column, in words.

    PyYAML's own text names ``"<unicode string>"`` (it parsed a string, not the file) and
    spreads over several lines with carets; this keeps what it found, and where. Given the
    `text`, a value above the error that opens a quote and does not close it is named: the
    error is then lines below the mistake, where the quote finally closes."""
    mark = getattr(exc, "problem_mark", None)
    loc = f"{where} line {mark.line + 1} column {mark.column + 1}" if mark else where
    reason = getattr(exc, "problem", None) or str(exc).replace('"<unicode string>"', where)
    context, at = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and at is not None:
        reason += f" ({context} at line {at.line + 1} column {at.column + 1})"
    elif context:
        reason += f" ({context})"
    named = "quoted scalar" in (context or "")  # PyYAML named where the quote opened
    if (
        not named
        and mark is not None
        and (line := unclosed_quote_line(text, mark.line)) is not None
    ):
        shown = text.splitlines()[line].strip()
        reason += f"; line {line + 1} opens a quote it does not close: {_cut(shown)}"
    return Problem(loc, f"YAML syntax error: {reason}")


# A value that starts with a quote: after "key: ", "- " or both; the rest of the line follows.
_QUOTED_VALUE = re.compile(r"""^\s*(?:-\s+)?(?:[^\s"'#][^:#]*:\s+)?(["'])(.*)$""")
# The end of a double-quoted value: a quote after an even number of backslashes.
_DOUBLE_CLOSES = re.compile(r'(?<!\\)(?:\\\\)*"')


def unclosed_quote_line(text: str, upto: int) -> int | None:
    """The last line (0-based) at or before `upto` whose value opens a quote that the line
    does not close, or None. A single-quoted value closes on a lone ``'`` (``''`` is a quote
    inside it)."""
    lines = text.splitlines()[: upto + 1]
    for i in range(len(lines) - 1, -1, -1):
        m = _QUOTED_VALUE.match(lines[i])
        if m is None:
            continue
        quote, rest = m.groups()
        closed = _DOUBLE_CLOSES.search(rest) if quote == '"' else rest.replace("''", "").count("'")
        if not closed:
            return i
    return None


def decode_problem(exc: UnicodeDecodeError, raw: bytes, where: str) -> Problem:
    """Bytes that are not UTF-8, located by file, line and column (counted in bytes)."""
    line = raw.count(b"\n", 0, exc.start) + 1
    column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
    bad = " ".join(f"0x{b:02x}" for b in raw[exc.start : exc.end])
    return Problem(
        f"{where} line {line} column {column}",
        f"not valid UTF-8: byte(s) {bad}; save the file as UTF-8",
    )
