"""Finding an extractor by name, folder or ``module:function``, and running it over documents.

`load_extractor(spec, schema=...)` resolves, in this order:

- a registered name (`EXTRACTORS`): ``rules`` is the rule baseline;
- an existing folder: a model saved by ``eventgold train`` (`trained.load_model`);
- a ``.yaml`` file: a gazetteer for the rule baseline (a copy of the shipped one, its labels
  mapped to an edited schema);
- ``package.module:function``: a user callable, imported, wrapped by `CallableExtractor`.

The callable contract: ``function(text: str) -> dict`` with

    {"entities": [{"start": int, "end": int, "label": str}     # offsets: code points, end excl.
                  or {"label": str, "text": str}, ...],         # located in the text, see below
     "relations": [{"head": int | str, "tail": int | str, "label": str}, ...]}

An entity given by ``text`` is placed as in prediction files (`eval.align.Placer`): in
reading order, at the first occurrence at or after the previous mention's start that is not
held under its label yet. An entity may carry an ``"id"``; otherwise it is
``e<index>``. A relation's ``head``/``tail`` is an index into ``entities`` (int) or an entity id
(str). ``relations`` may be omitted. A malformed answer raises `ProblemsError` with every
problem located; labels are then checked against the schema like any prediction.

Every extractor has ``predict(doc: Document) -> Document``: same id, text and title, predicted
entities and relations, and ``meta["model"]`` saying which model made them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from eventgold.documents import Document, Entity, Relation, prediction_meta
from eventgold.eval.align import Placer
from eventgold.eval.baselines.rules import build_rule_extractor, load_gazetteer
from eventgold.eval.baselines.trained import check_model_schema, load_model
from eventgold.problems import Problem, ProblemsError, allowed, join
from eventgold.schema import Schema
from eventgold.validate import (
    PREDICTION_RULES,
    unknown_entity_label,
    validate_document,
)


class Extractor(Protocol):
    @property
    def name(self) -> str: ...

    def predict(self, doc: Document) -> Document: ...


# Built-in extractors by name; each factory gets the schema so it can check its labels.
EXTRACTORS: dict[str, Callable[[Schema], Extractor]] = {
    "rules": lambda schema: build_rule_extractor(schema),
}


def _int_field(raw: Mapping[str, Any], key: str, where: str, problems: list[Problem]) -> int | None:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(Problem(where, f"'{key}' must be an int, got {value!r:.60}"))
        return None
    return value


def _entities(
    text: str, raw_entities: Any, where: str
) -> tuple[list[Entity | None], list[Problem]]:
    """One entry per entity of the answer, in its order (None where it has a problem), so
    that relation endpoints given as indexes keep pointing at the right entity."""
    problems: list[Problem] = []
    if not isinstance(raw_entities, list):
        return [], [Problem(where, f"'entities' must be a list, got {type(raw_entities).__name__}")]
    entities: list[Entity | None] = []
    placer = Placer(text, raw_entities)
    for i, raw in enumerate(raw_entities):
        ew = join(where, f"entity {i}")
        if not isinstance(raw, dict) or not isinstance(raw.get("label"), str):
            problems.append(
                Problem(ew, f"must be an object with a 'label' string, got {raw!r:.80}")
            )
            entities.append(None)
            continue
        eid = raw.get("id", f"e{i}")
        if "start" in raw or "end" in raw:
            found: list[Problem] = []
            start = _int_field(raw, "start", ew, found)
            end = _int_field(raw, "end", ew, found)
            problems += found
            if start is None or end is None:
                entities.append(None)
                continue
        elif isinstance(raw.get("text"), str) and raw["text"].strip():
            span = placer.place(raw["text"], raw["label"])
            if span is None:
                problems.append(Problem(ew, f"text {raw['text']!r:.60} not found in the document"))
                entities.append(None)
                continue
            start, end, _ = span
        else:
            problems.append(Problem(ew, "needs 'start' and 'end' offsets, or a non-empty 'text'"))
            entities.append(None)
            continue
        entities.append(Entity(str(eid), start, end, raw["label"], text[start:end]))
    return entities, problems


def _label_problems(raw_entities: Any, where: str, schema: Schema) -> list[Problem]:
    """Entity labels of a callable's answer that `schema` does not have."""
    if not isinstance(raw_entities, list):
        return []
    labels = set(schema.entity_labels)
    return [
        unknown_entity_label(join(where, f"entity {i}"), raw["label"], schema)
        for i, raw in enumerate(raw_entities)
        if isinstance(raw, dict)
        and isinstance(raw.get("label"), str)
        and raw["label"] not in labels
    ]


def _endpoint(
    end: str, value: Any, entities: list[Entity | None], ids: set[str]
) -> tuple[str | None, str]:
    """The entity id that endpoint `end` names (an entity index or id), or None and why not."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(entities):
        found = entities[value]
        if found is None:
            return None, f"{end} is entity {value}, which has a problem of its own (above)"
        return found.id, ""
    if isinstance(value, str) and value in ids:
        return value, ""
    indexes = f"0 to {len(entities) - 1}" if entities else "there are no entities"
    return None, (
        f"{end} {value!r:.40} is neither an entity index ({indexes}) nor an entity id "
        f"({allowed(ids)})"
    )


def output_to_document(
    doc: Document, output: Any, *, model: str, schema: Schema | None = None
) -> Document:
    """Turn a callable's answer (see the module docstring) into a predicted `Document`.

    A malformed answer raises with every problem; given `schema`, entity labels not in it
    are among them (otherwise the schema check after would name them only once these are
    fixed)."""
    where = f"model '{model}' / document '{doc.id}'"
    if not isinstance(output, Mapping):
        raise ProblemsError(
            [Problem(where, f"must return a dict with 'entities', got {type(output).__name__}")]
        )
    entities, problems = _entities(doc.text, output.get("entities", []), where)
    raw_relations = output.get("relations", [])
    if not isinstance(raw_relations, list):
        problems.append(Problem(where, f"'relations' must be a list, got {raw_relations!r:.60}"))
        raw_relations = []
    ids = {e.id for e in entities if e is not None}
    relations: list[Relation] = []
    for i, raw in enumerate(raw_relations):
        rw = join(where, f"relation {i}")
        if not isinstance(raw, dict) or not isinstance(raw.get("label"), str):
            problems.append(
                Problem(rw, f"must be an object with a 'label' string, got {raw!r:.80}")
            )
            continue
        (head, why_head), (tail, why_tail) = (
            _endpoint(end, raw.get(end), entities, ids) for end in ("head", "tail")
        )
        problems += [Problem(rw, why) for why in (why_head, why_tail) if why]
        if head is not None and tail is not None:
            relations.append(Relation(head, tail, raw["label"]))
    if problems:
        if schema is not None:
            problems += _label_problems(output.get("entities"), where, schema)
        raise ProblemsError(problems, summary=f"model '{model}' returned a malformed answer")
    return replace(
        doc,
        meta=prediction_meta(doc, {"name": model}),
        entities=tuple(e for e in entities if e is not None),
        relations=tuple(relations),
    )


@dataclass(frozen=True)
class CallableExtractor:
    """Wraps a user function ``text -> {"entities": [...], "relations": [...]}``."""

    spec: str
    function: Callable[[str], Any]
    schema: Schema | None = None  # to name unknown labels along with other problems

    @property
    def name(self) -> str:
        return self.spec

    def predict(self, doc: Document) -> Document:
        try:
            output = self.function(doc.text)
        except Exception as exc:  # the user's code: say where it failed, not a traceback
            raise ProblemsError(
                [
                    Problem(
                        f"model '{self.spec}' / document '{doc.id}'",
                        f"raised {type(exc).__name__}: {exc}",
                    )
                ],
                summary=f"model '{self.spec}' failed",
            ) from exc
        return output_to_document(doc, output, model=self.spec, schema=self.schema)


def load_callable(spec: str, *, schema: Schema | None = None) -> CallableExtractor:
    """Import ``module:function`` (the module must be importable: on PYTHONPATH, or, from
    the CLI, in the current folder)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ProblemsError([Problem(spec, "expected module:function, e.g. mypkg.models:extract")])
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ProblemsError(
            [Problem(spec, f"cannot import module '{module_name}': {exc}")]
        ) from exc
    function = getattr(module, attr, None)
    if not callable(function):
        raise ProblemsError(
            [
                Problem(
                    spec, f"module '{module_name}' has no callable '{attr}', got {function!r:.40}"
                )
            ]
        )
    return CallableExtractor(spec=spec, function=function, schema=schema)


def _by_name(spec: str, schema: Schema) -> Extractor | None:
    factory = EXTRACTORS.get(spec)
    return None if factory is None else factory(schema)


def _by_folder(spec: str, schema: Schema) -> Extractor | None:
    if not Path(spec).is_dir():
        return None
    model = load_model(Path(spec))
    problems = check_model_schema(model, schema)
    if problems:
        raise ProblemsError(problems, summary=f"model {spec} does not fit schema '{schema.name}'")
    return model


def _by_gazetteer(spec: str, schema: Schema) -> Extractor | None:
    """A gazetteer file: the rule baseline with its phrases and role -> label map."""
    path = Path(spec)
    if path.suffix not in (".yaml", ".yml") or not path.is_file():
        return None
    return build_rule_extractor(schema, gazetteer=load_gazetteer(path))


def _by_callable(spec: str, schema: Schema) -> Extractor | None:
    if ":" not in spec or Path(spec).exists():
        return None
    return load_callable(spec, schema=schema)


# Tried in order: the first resolver that recognises the spec builds the extractor.
_RESOLVERS = (_by_name, _by_folder, _by_gazetteer, _by_callable)


def load_extractor(name_or_path: str, *, schema: Schema) -> Extractor:
    """The extractor named by `name_or_path` (see the module docstring for the forms)."""
    for resolve in _RESOLVERS:
        extractor = resolve(str(name_or_path), schema)
        if extractor is not None:
            return extractor
    raise ProblemsError(
        [
            Problem(
                str(name_or_path),
                f"unknown model; use a registered name ({allowed(EXTRACTORS)}), a folder "
                "written by 'eventgold train' (with meta.json), a gazetteer .yaml for the "
                "rules, or module:function",
            )
        ]
    )


@dataclass(frozen=True, slots=True)
class Prediction:
    """One predicted document and its problems against the schema (empty when valid)."""

    document: Document
    problems: tuple[Problem, ...]


def predict_documents(
    extractor: Extractor, documents: Iterable[Document], *, schema: Schema
) -> Iterator[Prediction]:
    """Predict each document (gold annotations removed first) and check it against the schema."""
    for doc in documents:
        predicted = extractor.predict(doc.without_annotations())
        problems = validate_document(predicted, schema, rules=PREDICTION_RULES)
        yield Prediction(predicted, tuple(problems))
