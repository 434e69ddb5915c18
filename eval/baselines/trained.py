"""The trained baseline: a spaCy NER pipeline plus a scikit-learn relation classifier.

Both are trained in-process on the CPU from gold documents, with a fixed seed, in seconds.
Entities: ``spacy.blank("en")`` + the default ``ner`` component (its own small tok2vec), trained
on the documents' sentences so examples stay short. Relations: every ordered entity pair whose
labels a schema relation allows, within `MAX_PAIR_DISTANCE` tokens, is a candidate; a logistic
regression over sparse features (relation and endpoint labels, direction, token distance,
same sentence, words and trigger words between) says yes or no.

A model folder holds ``ner/`` (``nlp.to_disk``), ``relations.joblib`` and ``meta.json`` (schema
name and version, relation types, training document ids, seed). Evaluate with
`cross_validate`, which never scores a document with a model that saw it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import joblib
import spacy
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import filter_spans, fix_random_seed, minibatch

from eventgold.atomic import atomic_dir, replaced_folder_problems, write_text_atomic
from eventgold.documents import Document, Entity, Relation, prediction_meta
from eventgold.eval.baselines.rules import load_gazetteer, sentence_ids
from eventgold.problems import Problem, ProblemsError, allowed
from eventgold.progress import Progress, Steps, drain
from eventgold.schema import Schema

MODEL_KIND = "eventgold-trained-baseline"
DEFAULT_EPOCHS = 20
MAX_PAIR_DISTANCE = 60  # tokens; farther pairs are never candidates
_MAX_BETWEEN = 12  # words between a pair used as features (first and last halves)
_BATCH = 8
_DROPOUT = 0.2


@dataclass(frozen=True, slots=True)
class RelationType:
    label: str
    head: tuple[str, ...]
    tail: tuple[str, ...]


@dataclass(frozen=True)
class TrainedModel:
    """A trained extractor: `predict(doc)` returns `doc` with predicted annotations."""

    nlp: Language
    relations: Pipeline
    relation_types: tuple[RelationType, ...]
    trigger_words: Mapping[str, str]  # lower-cased word -> relation role ("killed", ...)
    meta: Mapping[str, Any]
    path: str = ""

    @property
    def name(self) -> str:
        return "trained"

    @property
    def trained_on(self) -> tuple[str, ...]:
        return tuple(self.meta["trained_on"])

    def predict(self, doc: Document) -> Document:
        entities = self._entities(doc.text)
        relations = predict_relations(self, doc.text, entities)
        model = {"name": self.name, "path": self.path, "trained_on": list(self.trained_on)}
        return replace(
            doc,
            meta=prediction_meta(doc, model),
            entities=tuple(entities),
            relations=tuple(relations),
        )

    def _entities(self, text: str) -> list[Entity]:
        segments = _segments(self.nlp, text)
        found: list[Entity] = []
        for (offset, _), sdoc in zip(segments, self.nlp.pipe(s for _, s in segments), strict=True):
            for ent in sdoc.ents:
                start, end = offset + ent.start_char, offset + ent.end_char
                found.append(Entity(f"e{len(found)}", start, end, ent.label_, text[start:end]))
        return found


def _segments(nlp: Language, text: str) -> list[tuple[int, str]]:
    """Sentences (see `sentence_ids`) with their offsets: short NER examples train better
    than whole paragraphs (measured: entity F1 0.25 -> 0.35 in leave-one-out on the gold)."""
    sdoc = nlp.make_doc(text)
    current = -1
    bounds: list[list[int]] = []
    for tok, sid in zip(sdoc, sentence_ids(sdoc), strict=True):
        if tok.is_space:
            continue
        if sid != current:
            bounds.append([tok.idx, tok.idx + len(tok.text)])
            current = sid
        else:
            bounds[-1][1] = tok.idx + len(tok.text)
    return [(start, text[start:end]) for start, end in bounds]


def _examples(nlp: Language, docs: Sequence[Document]) -> tuple[list[Example], int]:
    """NER examples, one per sentence, and the number of gold spans that could not be used
    (across a sentence break, or overlapping after alignment to tokens)."""
    examples: list[Example] = []
    used = 0
    for doc in docs:
        for offset, sentence in _segments(nlp, doc.text):
            ref = nlp.make_doc(sentence)
            spans = [
                ref.char_span(e.start - offset, e.end - offset, e.label, alignment_mode="expand")
                for e in doc.entities
                if offset <= e.start and e.end <= offset + len(sentence)
            ]
            ref.ents = filter_spans([span for span in spans if span is not None])
            used += len(ref.ents)
            examples.append(Example(nlp.make_doc(sentence), ref))
    return examples, sum(len(d.entities) for d in docs) - used


def _pair_features(
    sdoc: Doc,
    sent: Sequence[int],
    bounds: Mapping[str, tuple[int, int]],
    rtype: RelationType,
    head: Entity,
    tail: Entity,
    trigger_words: Mapping[str, str],
) -> dict[str, float]:
    r = rtype.label
    (h0, h1), (t0, t1) = bounds[head.id], bounds[tail.id]
    first_end, second_start = (h1, t0) if h0 <= t0 else (t1, h0)
    between = [tok.lower_ for tok in sdoc[first_end:second_start] if not tok.is_space]
    distance = max(0, second_start - first_end)
    bucket = next(b for b in (0, 1, 2, 4, 8, 16, 32, 10**9) if distance <= b)
    half = _MAX_BETWEEN // 2
    words = between if len(between) <= _MAX_BETWEEN else between[:half] + between[-half:]
    n_between = sum(first_end <= b0 and b1 <= second_start for b0, b1 in bounds.values())
    feats: dict[str, float] = {
        f"rel={r}": 1.0,
        f"pair={r}|{head.label}|{tail.label}": 1.0,
        f"dir={r}|{'head-first' if h0 <= t0 else 'tail-first'}": 1.0,
        f"dist={r}|{bucket}": 1.0,
        f"same_sent={r}|{sent[h0] == sent[t0]}": 1.0,
        f"ents_between={r}|{min(n_between, 3)}": 1.0,
        f"head_word={r}|{head.text.lower()}": 1.0,
    }
    for w in words:
        feats[f"w={r}|{w}"] = 1.0
        if w in trigger_words:
            feats[f"trig={r}|{trigger_words[w]}"] = 1.0
    return feats


def _candidates(
    text: str, nlp: Language, entities: Sequence[Entity], types: Sequence[RelationType]
) -> Iterator[tuple[RelationType, Entity, Entity, Doc, list[int], dict[str, tuple[int, int]]]]:
    sdoc = nlp.make_doc(text)
    sent = sentence_ids(sdoc)
    bounds: dict[str, tuple[int, int]] = {}
    for e in entities:
        span = sdoc.char_span(e.start, e.end, alignment_mode="expand")
        if span is not None and len(span):
            bounds[e.id] = (span.start, span.end)
    placed = [e for e in entities if e.id in bounds]
    for rtype in types:
        for head in placed:
            if head.label not in rtype.head:
                continue
            for tail in placed:
                if tail.id == head.id or tail.label not in rtype.tail:
                    continue
                (h0, h1), (t0, t1) = bounds[head.id], bounds[tail.id]
                if max(t0 - h1, h0 - t1) <= MAX_PAIR_DISTANCE:
                    yield rtype, head, tail, sdoc, sent, bounds


def predict_relations(model: TrainedModel, text: str, entities: Sequence[Entity]) -> list[Relation]:
    """Relations among `entities` that the model's classifier accepts."""
    cands = list(_candidates(text, model.nlp, entities, model.relation_types))
    if not cands:
        return []
    feats = [
        _pair_features(sdoc, sent, bounds, rtype, h, t, model.trigger_words)
        for rtype, h, t, sdoc, sent, bounds in cands
    ]
    yes = model.relations.predict(feats)
    return [
        Relation(head=h.id, tail=t.id, label=rtype.label)
        for (rtype, h, t, *_), y in zip(cands, yes, strict=True)
        if y
    ]


def _trigger_words() -> dict[str, str]:
    """Single-word trigger phrases of the shipped gazetteer, as relation-classifier features."""
    gaz = load_gazetteer()
    words = {w.lower(): role for role, items in gaz.triggers.items() for w in items if " " not in w}
    words.update({w: "condemns" for w in gaz.words["evaluation_words"]})
    return words


def _check_documents(documents: Sequence[Document], schema: Schema) -> None:
    problems: list[Problem] = []
    if not documents:
        problems.append(Problem("training data", "no gold documents to train on"))
    for doc in documents:
        for i, e in enumerate(doc.entities):
            if e.label not in schema.entity_labels:
                problems.append(
                    Problem(
                        f"document '{doc.id}' / entity {i} ({e.id})",
                        f"label '{e.label}' is not in schema '{schema.name}'; "
                        f"allowed: {allowed(schema.entity_labels)}",
                    )
                )
    if problems:
        raise ProblemsError(problems, summary="cannot train on these documents")


def fit_steps(
    documents: Sequence[Document], schema: Schema, *, seed: int = 0, epochs: int = DEFAULT_EPOCHS
) -> Steps[TrainedModel]:
    """Train in memory, yielding progress ("entities" per epoch, then "relations"); returns
    the `TrainedModel`."""
    documents = list(documents)
    _check_documents(documents, schema)
    fix_random_seed(seed)
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("ner")
    for label in schema.entity_labels:
        ner.add_label(label)
    examples, dropped = _examples(nlp, documents)
    optimizer = nlp.initialize(lambda: examples)
    shuffler = random.Random(seed)
    total = epochs + 1
    for epoch in range(epochs):
        shuffler.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=_BATCH):
            nlp.update(batch, drop=_DROPOUT, sgd=optimizer, losses=losses)
        yield Progress("entities", epoch + 1, total, f"loss {losses.get('ner', 0.0):.3f}")

    types = tuple(RelationType(r.label, r.head, r.tail) for r in schema.relations)
    triggers = _trigger_words()
    feats: list[dict[str, float]] = []
    ys: list[bool] = []
    for doc in documents:
        gold = {(r.label, r.head, r.tail) for r in doc.relations}
        for rtype, h, t, sdoc, sent, bounds in _candidates(doc.text, nlp, doc.entities, types):
            feats.append(_pair_features(sdoc, sent, bounds, rtype, h, t, triggers))
            ys.append((rtype.label, h.id, t.id) in gold)
    # With no positive (or no negative) pair there is nothing to learn: always say the one class.
    classifier = (
        LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000, random_state=seed)
        if len(set(ys)) == 2
        else DummyClassifier(strategy="constant", constant=bool(ys and ys[0]))
    )
    relations = make_pipeline(DictVectorizer(), classifier)
    relations.fit(feats or [{"rel=none": 1.0}], ys or [False])
    n_gold_rel = sum(len(d.relations) for d in documents)
    meta = {
        "kind": MODEL_KIND,
        "schema": {"name": schema.name, "version": schema.version},
        "entity_labels": list(schema.entity_labels),
        "relation_types": [{"label": t.label, "head": t.head, "tail": t.tail} for t in types],
        "trigger_words": triggers,
        "trained_on": [d.id for d in documents],
        "seed": seed,
        "epochs": epochs,
        "stats": {
            "ner_examples": len(examples),
            "gold_entities": sum(len(d.entities) for d in documents),
            "unaligned_entities": dropped,
            "gold_relations": n_gold_rel,
            "relation_candidates": len(ys),
            "positive_candidates": sum(ys),
        },
    }
    yield Progress("relations", total, total)
    return TrainedModel(
        nlp=nlp, relations=relations, relation_types=types, trigger_words=triggers, meta=meta
    )


def fit(
    documents: Sequence[Document], schema: Schema, *, seed: int = 0, epochs: int = DEFAULT_EPOCHS
) -> TrainedModel:
    """Train in memory and return the model (see `fit_steps` for progress)."""
    return drain(fit_steps(documents, schema, seed=seed, epochs=epochs))


MODEL_TARGET = "model-target"
MODEL_ENTRIES = frozenset({"ner", "relations.joblib", "meta.json"})  # what a model folder holds


def model_target_problems(out_dir: Path) -> list[Problem]:
    """Why `out_dir` cannot be (re)written as a model folder: empty if it is new, empty, or an
    earlier model. Anything else would be lost, since the folder is replaced whole."""
    return replaced_folder_problems(
        Path(out_dir),
        what="model folder",
        owned=MODEL_ENTRIES.__contains__,
        holds=allowed(MODEL_ENTRIES),
        code=MODEL_TARGET,
    )


def require_model_target(out_dir: Path) -> None:
    """Raise `ProblemsError` with `model_target_problems`, if there are any."""
    if found := model_target_problems(out_dir):
        raise ProblemsError(found, summary=f"cannot write the model to {out_dir}")


def save_model(model: TrainedModel, out_dir: Path) -> Path:
    """Write the model folder atomically: ``ner/``, ``relations.joblib``, ``meta.json``.
    A folder that holds anything else is refused (`model_target_problems`)."""
    out_dir = Path(out_dir)
    require_model_target(out_dir)
    with atomic_dir(out_dir) as stage:
        model.nlp.to_disk(stage / "ner")
        joblib.dump(model.relations, stage / "relations.joblib")
        write_text_atomic(stage / "meta.json", json.dumps(model.meta, indent=2, ensure_ascii=False))
    return out_dir


def train(
    documents: Sequence[Document],
    schema: Schema,
    *,
    seed: int = 0,
    out_dir: Path,
    epochs: int = DEFAULT_EPOCHS,
) -> Path:
    """Train on `documents` and save the model folder at `out_dir`; return its path. The
    target is checked before training (`model_target_problems`)."""
    require_model_target(out_dir)
    return save_model(fit(documents, schema, seed=seed, epochs=epochs), out_dir)


def is_model_dir(path: Path) -> bool:
    return (Path(path) / "meta.json").is_file() and (Path(path) / "relations.joblib").is_file()


def load_model(path: Path) -> TrainedModel:
    """Load a folder written by `train`/`save_model`; raise `ProblemsError` if it is not one."""
    path = Path(path)
    if not is_model_dir(path):
        raise ProblemsError(
            [
                Problem(
                    str(path), "not a trained model folder (needs meta.json and relations.joblib)"
                )
            ]
        )
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    if meta.get("kind") != MODEL_KIND:
        raise ProblemsError(
            [Problem(f"{path}/meta.json", f"kind must be '{MODEL_KIND}', got {meta.get('kind')!r}")]
        )
    types = tuple(
        RelationType(t["label"], tuple(t["head"]), tuple(t["tail"])) for t in meta["relation_types"]
    )
    return TrainedModel(
        nlp=spacy.load(path / "ner"),
        relations=joblib.load(path / "relations.joblib"),
        relation_types=types,
        trigger_words=dict(meta["trigger_words"]),
        meta=meta,
        path=str(path),
    )


def check_model_schema(model: TrainedModel, schema: Schema) -> list[Problem]:
    """Labels the model can emit that `schema` does not have (a model trained on another schema)."""
    where = model.path or "trained model"
    problems = [
        Problem(
            where,
            f"the model emits entity label '{label}', which is not in schema '{schema.name}'; "
            f"allowed: {allowed(schema.entity_labels)}",
        )
        for label in model.meta["entity_labels"]
        if label not in schema.entity_labels
    ]
    problems += [
        Problem(
            where,
            f"the model emits relation label '{t.label}', which is not in schema "
            f"'{schema.name}'; allowed: {allowed(schema.relation_labels)}",
        )
        for t in model.relation_types
        if schema.relation(t.label) is None
    ]
    return problems


def folds(documents: Sequence[Document], *, k: int, seed: int) -> list[list[Document]]:
    """Split documents into `k` folds after a seeded shuffle (k = len(documents): leave-one-out)."""
    if not 2 <= k <= len(documents):
        raise ProblemsError(
            [
                Problem(
                    "cross-validation",
                    f"k must be between 2 and the number of documents ({len(documents)}), got {k}",
                )
            ]
        )
    order = sorted(documents, key=lambda d: d.id)
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


def cross_validate_steps(
    documents: Sequence[Document],
    schema: Schema,
    *,
    k: int,
    seed: int = 0,
    epochs: int = DEFAULT_EPOCHS,
) -> Steps[list[Document]]:
    """Train on k-1 folds and predict the held-out fold, for each fold (progress: "fold");
    returns the out-of-fold predictions of every document, in the input order."""
    parts = folds(documents, k=k, seed=seed)
    by_id: dict[str, Document] = {}
    for i, held_out in enumerate(parts):
        training = [d for j, part in enumerate(parts) if j != i for d in part]
        model = fit(training, schema, seed=seed, epochs=epochs)
        for doc in held_out:
            pred = model.predict(doc.without_annotations())
            info = {**pred.meta["model"], "fold": i, "k": k}
            by_id[doc.id] = replace(pred, meta={**pred.meta, "model": info})
        yield Progress("fold", i + 1, k)
    return [by_id[d.id] for d in documents]


def cross_validate(
    documents: Sequence[Document],
    schema: Schema,
    *,
    k: int,
    seed: int = 0,
    epochs: int = DEFAULT_EPOCHS,
) -> list[Document]:
    """Out-of-fold predictions for every document, in the input order."""
    return drain(cross_validate_steps(documents, schema, k=k, seed=seed, epochs=epochs))
