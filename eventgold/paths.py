"""Outputs never overwrite inputs: the check every command that reads and writes files runs
before any work.

An output is refused when it is an input (the same file however spelled: ``./x`` and ``x``, a
symlink, a hard link), when it lies inside an input folder, when it is a folder replaced whole
that holds an input, and when two outputs of one run are the same path or one lies inside the
other, a folder replaced whole. Nothing is written into an input folder, whatever the file's
name: each folder is read whole by its own rule (a gold folder is replaced whole by pull, which
refuses a file it does not know; a folder of ``*.json`` documents takes every ``.json`` for a
document), and one rule for all of them never loses or adds data.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from eventgold.problems import Problem, ProblemsError

PATH_COLLISION = "path-collision"
OUTPUT_IS_FOLDER = "output-is-folder"  # a file to write names a folder
SUMMARY = "an output path would overwrite an input, another output or a folder; nothing was written"

# An option's name ("--json"; a positional input as typed) and its path, None when not given.
Named = tuple[str, Path | None]
# A mapping from option names to paths, or (name, path) pairs when an option names several.
NamedPaths = Mapping[str, Path | None] | Iterable[Named]


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    path: Path  # as given
    resolved: Path
    folder: bool  # an input that is a folder on disk; an output folder replaced whole

    def label(self) -> str:
        """The name, and the path when the name is an option (a positional input is its path)."""
        return self.name if self.name == str(self.path) else f"{self.name} {self.path}"

    def kind(self) -> str:
        return "folder" if self.folder else "file"


def _entries(paths: NamedPaths, *, folder: bool | None) -> list[_Entry]:
    """`folder` None: look on disk (inputs)."""
    items = paths.items() if isinstance(paths, Mapping) else paths
    found = []
    for name, path in items:
        if path is None:
            continue
        path = Path(path)
        is_folder = path.is_dir() if folder is None else folder
        found.append(_Entry(name, path, path.resolve(), is_folder))
    return found


def _same(a: _Entry, b: _Entry) -> bool:
    if a.resolved == b.resolved:
        return True
    try:  # hard links, and names a case-insensitive file system takes for one
        return os.path.samefile(a.path, b.path)
    except OSError:  # one of them does not exist yet
        return False


def _inside(inner: _Entry, outer: _Entry) -> bool:
    return inner.resolved != outer.resolved and inner.resolved.is_relative_to(outer.resolved)


def _against_input(out: _Entry, inp: _Entry) -> str | None:
    if _same(out, inp):
        return f"is also {inp.name}, an input it would overwrite; name another {out.kind()}"
    if inp.folder and _inside(out, inp):
        return (
            f"is inside {inp.label()}, an input folder, and nothing is written into an input "
            "folder; name a path outside it"
        )
    if out.folder and _inside(inp, out):
        return (
            f"holds {inp.label()}, an input, and is replaced whole; name a folder that holds "
            "no input"
        )
    return None


def _against_output(out: _Entry, earlier: _Entry) -> str | None:
    if _same(out, earlier):
        return f"is also {earlier.name}, another output of this run; name another {out.kind()}"
    if earlier.folder and _inside(out, earlier):
        return (
            f"is inside {earlier.label()}, an output folder this run replaces whole; name a "
            "path outside it"
        )
    if out.folder and _inside(earlier, out):
        return (
            f"holds {earlier.label()}, another output of this run, and is replaced whole; name "
            "a folder that holds no other output"
        )
    return None


def path_collisions(
    inputs: NamedPaths, outputs: NamedPaths, *, folders: NamedPaths = ()
) -> list[Problem]:
    """Every way the `outputs` (files written) and `folders` (output folders replaced whole) of
    one run collide with its `inputs` or with each other, located by the output's option and
    path; empty when all are apart. Each argument maps an option's name to its path (None
    when not given), or lists (name, path) pairs when one option names several paths."""
    ins = _entries(inputs, folder=None)
    outs = _entries(outputs, folder=False) + _entries(folders, folder=True)
    problems = []
    for i, out in enumerate(outs):
        where = f"{out.name} {out.path}"
        if not out.folder and out.path.is_dir():  # found now, not after the work is done
            problems.append(Problem(where, "is a folder; name a file", OUTPUT_IS_FOLDER))
        for inp in ins:
            if (message := _against_input(out, inp)) is not None:
                problems.append(Problem(where, message, PATH_COLLISION))
        for earlier in outs[:i]:
            if (message := _against_output(out, earlier)) is not None:
                problems.append(Problem(where, message, PATH_COLLISION))
    return problems


def require_distinct_paths(
    inputs: NamedPaths, outputs: NamedPaths, *, folders: NamedPaths = ()
) -> None:
    """Raise `ProblemsError` with every `path_collisions` problem, if there are any."""
    if found := path_collisions(inputs, outputs, folders=folders):
        raise ProblemsError(found, summary=SUMMARY)
