"""The annotation schema: loaded once from `schemas/*.yaml`, the source of every label set.

`load_schema` refuses a broken file with every problem listed and located; everything else
(the Label Studio labeling config in `annotate.labelstudio.config`, the dataset features, the
label sets used by validation and evaluation) is derived from the `Schema` object.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from eventgold.problems import Problem, ProblemsError, allowed
from eventgold.schema_events import EventSpec, check_events_data, events_from_data
from eventgold.strict_yaml import decode_problem, load_yaml, syntax_problem


def _shipped_schemas() -> Path:
    # The package `eventgold.schemas` is schemas/ in a clone and eventgold/schemas/ when
    # installed: asking the import system finds it in both.
    spec = importlib.util.find_spec("eventgold.schemas")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else Path(__file__).resolve().parent / "schemas"


# The shipped schema (package data), used when neither an option nor the current folder names one.
DEFAULT_SCHEMA = _shipped_schemas() / "conflict_events.yaml"


def default_schema_path() -> Path:
    """The schema a command uses when none is named: ``schemas/conflict_events.yaml`` in the
    current folder (a project's own, edited copy), else the shipped one."""
    local = Path("schemas") / DEFAULT_SCHEMA.name
    return local if local.is_file() else DEFAULT_SCHEMA


_LABEL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_VERSION_RE = re.compile(r"^\d+(?:\.\d+){0,2}$")
IOB_OUTSIDE = "O"  # the IOB2 tag outside every entity: not available as a label
_TOP_KEYS = {"name", "version", "description", "guidelines", "entities", "relations", "events"}
_ENTITY_KEYS = {"label", "description", "color", "hotkey"}
_RELATION_KEYS = {"label", "description", "head", "tail"}


@dataclass(frozen=True, slots=True)
class EntityType:
    label: str
    description: str
    color: str
    hotkey: str = ""


@dataclass(frozen=True, slots=True)
class RelationType:
    label: str
    description: str
    head: tuple[str, ...]
    tail: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Schema:
    name: str
    version: str
    description: str
    entities: tuple[EntityType, ...]
    relations: tuple[RelationType, ...]
    guidelines: str = ""
    path: str = ""
    events: EventSpec | None = None  # the optional `events:` section (annotate.schema_events)

    @property
    def entity_labels(self) -> tuple[str, ...]:
        """Entity labels in declaration order (the ClassLabel order of the dataset)."""
        return tuple(e.label for e in self.entities)

    @property
    def relation_labels(self) -> tuple[str, ...]:
        return tuple(r.label for r in self.relations)

    @property
    def iob_labels(self) -> tuple[str, ...]:
        """IOB2 tag names: ``O`` then ``B-X``, ``I-X`` for each entity label in order."""
        tags = [IOB_OUTSIDE]
        for label in self.entity_labels:
            tags += [f"B-{label}", f"I-{label}"]
        return tuple(tags)

    def relation(self, label: str) -> RelationType | None:
        return next((r for r in self.relations if r.label == label), None)

    def guidelines_path(self) -> Path | None:
        if not self.guidelines or not self.path:
            return None
        return Path(self.path).parent / self.guidelines


def _problem(path: str, where: str, message: str) -> Problem:
    return Problem(f"{path}: {where}" if where else path, message)


def _entry_problems(
    path: str, section: str, i: int, entry: Any, keys: set[str]
) -> tuple[str, str | None, list[Problem]]:
    """Location, valid label (or None) and shape problems of one entities/relations entry."""
    where = f"{section}[{i}]"
    if not isinstance(entry, dict):
        return (
            where,
            None,
            [_problem(path, where, f"must be a mapping with a 'label', got {entry!r}")],
        )
    label = entry.get("label")
    if isinstance(label, str):
        where = f"{section}[{i}] ({label})"
    found = [
        _problem(path, where, f"unknown key '{key}'; allowed: {allowed(keys)}")
        for key in sorted(set(entry) - keys)
    ]
    if not isinstance(label, str) or not _LABEL_RE.match(label):
        found.append(
            _problem(
                path,
                f"{where}.label",
                f"must be a letter then letters, digits, '_' or '-', got {label!r}",
            )
        )
        return where, None, found
    return where, label, found


def _is_one_key(hotkey: Any) -> bool:
    """One printable character that is not a space: a key an annotator can press alone."""
    text = str(hotkey) if isinstance(hotkey, str | int) and not isinstance(hotkey, bool) else ""
    return len(text) == 1 and text.isprintable() and not text.isspace()


def check_schema_data(data: Any, *, path: str = "schema") -> list[Problem]:
    """Every problem of a decoded schema mapping, each located by its key path."""
    p: list[Problem] = []
    if not isinstance(data, dict):
        return [_problem(path, "", f"a schema must be a mapping, got {type(data).__name__}")]
    for key in sorted(set(data) - _TOP_KEYS):
        p.append(_problem(path, key, f"unknown key; allowed: {allowed(_TOP_KEYS)}"))
    for key in ("name", "version"):
        if not isinstance(data.get(key), str | int | float) or data.get(key) in ("", None):
            p.append(_problem(path, key, f"required, got {data.get(key)!r:.60}"))
    # A missing or non-scalar version is reported just above: "" skips the checks below.
    raw_version = data.get("version")
    version = str(raw_version) if isinstance(raw_version, str | int | float) else ""
    if isinstance(raw_version, float):  # YAML reads 1.10 as 1.1: the digits are lost
        p.append(
            _problem(
                path,
                "version",
                f'must be quoted text such as "1.0.0": YAML read it as the number {version}, '
                "which may have lost digits (1.10 reads as 1.1)",
            )
        )
    elif version and not _VERSION_RE.match(version):
        p.append(_problem(path, "version", f"must look like 1.0.0, got {version!r}"))

    entities = data.get("entities")
    labels: list[str] = []
    folded: dict[str, str] = {}  # upper-cased label -> the label
    hotkeys: dict[str, str] = {}  # hotkey -> the label that has it
    if not isinstance(entities, list) or not entities:
        p.append(
            _problem(path, "entities", f"must be a non-empty list of labels, got {entities!r:.60}")
        )
        entities = []
    for i, ent in enumerate(entities):
        where, label, found = _entry_problems(path, "entities", i, ent, _ENTITY_KEYS)
        p += found
        if label is None or not isinstance(ent, dict):
            continue
        if label in labels:
            p.append(_problem(path, f"{where}.label", f"duplicate entity label {label!r}"))
        elif label.upper() in folded:
            other = folded[label.upper()]
            p.append(
                _problem(path, f"{where}.label", f"{label!r} differs from {other!r} only in case")
            )
        elif label == IOB_OUTSIDE:
            p.append(_problem(path, f"{where}.label", f"{label!r} is the IOB2 tag for no entity"))
        labels.append(label)
        folded.setdefault(label.upper(), label)
        color = ent.get("color")
        if color is not None and (not isinstance(color, str) or not _COLOR_RE.match(color)):
            p.append(
                _problem(path, f"{where}.color", f"must be #rgb or #rrggbb hex, got {color!r}")
            )
        hotkey = ent.get("hotkey")
        if hotkey is not None and not _is_one_key(hotkey):
            p.append(
                _problem(
                    path,
                    f"{where}.hotkey",
                    f"must be a single key (one character such as '1' or 'a'), got {hotkey!r:.60}",
                )
            )
        elif hotkey is not None and str(hotkey) in hotkeys:
            p.append(
                _problem(
                    path,
                    f"{where}.hotkey",
                    f"{str(hotkey)!r} is already the hotkey of {hotkeys[str(hotkey)]}; "
                    "each label needs its own",
                )
            )
        elif hotkey is not None:
            hotkeys[str(hotkey)] = label

    relations = data.get("relations") or []
    if not isinstance(relations, list):
        p.append(_problem(path, "relations", f"must be a list, got {relations!r:.60}"))
        relations = []
    rel_labels: list[str] = []
    for i, rel in enumerate(relations):
        where, label, found = _entry_problems(path, "relations", i, rel, _RELATION_KEYS)
        p += found
        if not isinstance(rel, dict):
            continue
        # A bad label is already reported; the head and tail are still checked below.
        if label is not None and label in rel_labels:
            p.append(_problem(path, f"{where}.label", f"duplicate relation label {label!r}"))
        elif label is not None and label in labels:
            p.append(_problem(path, f"{where}.label", f"{label!r} is already an entity label"))
        elif label is not None:
            rel_labels.append(label)
        for end in ("head", "tail"):
            names = rel.get(end)
            if isinstance(names, str):
                names = [names]
            if not isinstance(names, list) or not names:
                p.append(
                    _problem(
                        path,
                        f"{where}.{end}",
                        f"must list one or more entity labels ({allowed(labels)}), got {names!r}",
                    )
                )
                continue
            for name in names:
                if name not in labels:
                    p.append(
                        _problem(
                            path,
                            f"{where}.{end}",
                            f"unknown entity label {name!r}; allowed: {allowed(labels)}",
                        )
                    )
    if data.get("events") is not None:
        p += check_events_data(data["events"], labels=labels, relations=relations, path=path)
    return p


def schema_from_data(data: dict[str, Any], *, path: str = "") -> Schema:
    """Build a `Schema` from a mapping already checked by `check_schema_data`."""

    def names(value: Any) -> tuple[str, ...]:
        return (value,) if isinstance(value, str) else tuple(value)

    return Schema(
        name=str(data["name"]),
        version=str(data["version"]),
        description=str(data.get("description") or ""),
        guidelines=str(data.get("guidelines") or ""),
        path=path,
        entities=tuple(
            EntityType(
                label=e["label"],
                description=str(e.get("description") or ""),
                color=str(e.get("color") or "#888888"),
                hotkey=str(e.get("hotkey") or ""),
            )
            for e in data["entities"]
        ),
        relations=tuple(
            RelationType(
                label=r["label"],
                description=str(r.get("description") or ""),
                head=names(r["head"]),
                tail=names(r["tail"]),
            )
            for r in data.get("relations") or []
        ),
        events=events_from_data(data.get("events")),
    )


def check_schema_file(path: Path) -> tuple[Schema | None, list[Problem]]:
    """Load a schema file; return it with no problems, or None with every problem located."""
    path = Path(path)
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(where, f"cannot read schema file: {exc.strerror}")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [decode_problem(exc, raw, where)]
    try:
        data, duplicates = load_yaml(text, where=where)
    except yaml.YAMLError as exc:
        return None, [syntax_problem(exc, where, text)]
    problems = duplicates + check_schema_data(data, path=where)
    if problems:
        return None, problems
    return schema_from_data(data, path=str(path)), []


def schema_warnings(schema: Schema) -> list[Problem]:
    """What is usable but probably a mistake: a guidelines file that is not there (push would
    leave the project's instructions empty, and the dataset card would link nowhere)."""
    found = schema.guidelines_path()
    if schema.guidelines and (found is None or not found.is_file()):
        return [
            Problem(
                f"{schema.path or 'schema'}: guidelines",
                f"file {schema.guidelines!r} not found (looked for {found}); the project's "
                "instructions will be empty",
            )
        ]
    return []


def load_schema(path: Path | None = None) -> Schema:
    """Load and check a schema (the shipped default if `path` is None); raise on any problem."""
    path = Path(path) if path is not None else DEFAULT_SCHEMA
    schema, problems = check_schema_file(path)
    if schema is None:
        raise ProblemsError(problems, summary=f"schema {path} has {len(problems)} problem(s)")
    return schema


def schema_fingerprint(schema: Schema) -> str:
    """What the schema says, hashed (not where it was read from): a re-pull under another
    schema is a full one (`annotate.repull`), and a gold written under another is not patched
    (`dataset.patch`)."""
    return hashlib.sha256(repr(replace(schema, path="")).encode("utf-8")).hexdigest()


def describe(schema: Schema) -> list[tuple[str, str, str]]:
    """Rows ``(kind, label, detail)`` for display by `eventgold schema show`."""
    rows = [("entity", e.label, e.description) for e in schema.entities]
    rows += [
        ("relation", r.label, f"{'|'.join(r.head)} -> {'|'.join(r.tail)}: {r.description}")
        for r in schema.relations
    ]
    return rows
