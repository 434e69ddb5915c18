"""Does uncertainty order pay? The trained model's F1 after k annotated documents, by order.

A simulation on gold: each gold document in turn is held out (up to `folds` of them); the
others are the pool an annotator would label, one document at a time, in one of two orders:

- ``random``: a seeded shuffle of the pool;
- ``uncertainty``: the same first document, then always the pool document the backend would
  put first: the lowest score (`scoring.agreement` of the model trained so far with the rules).

After each k, the baseline is trained on the k documents (`trained.fit`; the same set and seed
give the same model, so it is trained once) and scored on the held-out document: strict entity
F1 (label and span) and strict relation F1, micro over the document (`eval.counts.PRF`). Each
(held-out document, seed) is one run; the curve is the mean over runs with a 95% percentile
bootstrap interval over runs, and the paired difference uncertainty − random with its interval.

Caveat: the rules were written from the shipped articles, so on them "disagreeing with the
rules" is close to "being wrong", which flatters uncertainty order; rerun on new gold.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from eventgold.annotate.backend.scoring import agreement, entity_keys, relation_keys
from eventgold.documents import Document
from eventgold.eval.baselines.registry import Extractor
from eventgold.eval.baselines.trained import TrainedModel, fit
from eventgold.eval.counts import PRF
from eventgold.problems import Problem, ProblemsError
from eventgold.schema import Schema

RANDOM, UNCERTAINTY = "random", "uncertainty"
STRATEGIES = (UNCERTAINTY, RANDOM)


@dataclass(frozen=True, slots=True)
class RunPoint:
    """One run's scores after k documents in one order."""

    strategy: str
    held_out: str
    seed: int
    k: int
    order: tuple[str, ...]  # the documents trained on, in the order they were taken
    entity_f1: float
    relation_f1: float


@dataclass(frozen=True, slots=True)
class Interval:
    mean: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class CurveRow:
    k: int
    runs: int
    entity: dict[str, Interval]  # by strategy
    relation: dict[str, Interval]
    entity_gain: Interval  # uncertainty − random, paired by run
    relation_gain: Interval


@dataclass(frozen=True, slots=True)
class CurveProgress:
    done: int  # runs finished
    total: int


def interval(values: Sequence[float], *, resamples: int = 1000, seed: int = 0) -> Interval:
    """Mean and 95% percentile bootstrap interval of `values`."""
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    return Interval(
        mean=statistics.fmean(values),
        low=means[int(0.025 * (resamples - 1))],
        high=means[int(0.975 * (resamples - 1))],
    )


def _f1s(model: TrainedModel, gold: Document) -> tuple[float, float]:
    pred = model.predict(gold.without_annotations())
    entities = PRF.from_sets(entity_keys(gold), entity_keys(pred))
    relations = PRF.from_sets(relation_keys(gold), relation_keys(pred))
    return entities.f1, relations.f1


class _Models:
    """Trained models by (document set, seed): each set is trained once."""

    def __init__(self, schema: Schema, epochs: int, train: Callable[..., TrainedModel]) -> None:
        self._schema, self._epochs, self._train = schema, epochs, train
        self._cache: dict[tuple[frozenset[str], int], TrainedModel] = {}

    def get(self, docs: Sequence[Document], seed: int) -> TrainedModel:
        key = (frozenset(d.id for d in docs), seed)
        if key not in self._cache:
            ordered = sorted(docs, key=lambda d: d.id)  # the set, not its order, makes the model
            self._cache[key] = self._train(ordered, self._schema, seed=seed, epochs=self._epochs)
        return self._cache[key]


def _uncertainty_order(
    pool: Sequence[Document], first: Document, seed: int, models: _Models, second: Extractor
) -> list[Document]:
    taken = [first]
    left = [d for d in pool if d.id != first.id]
    while left:
        model = models.get(taken, seed)

        def score(doc: Document, model: TrainedModel = model) -> tuple[float, str]:
            text = doc.without_annotations()
            return agreement(model.predict(text), second.predict(text)), doc.id

        nxt = min(left, key=score)
        taken.append(nxt)
        left.remove(nxt)
    return taken


def simulate(
    gold: Sequence[Document],
    schema: Schema,
    *,
    second: Extractor,
    seeds: Sequence[int] = (0, 1, 2),
    folds: int | None = None,
    epochs: int = 5,
    train: Callable[..., TrainedModel] = fit,
) -> Iterator[RunPoint | CurveProgress]:
    """Every run's points, and progress after each run (see the module docstring)."""
    docs = sorted(gold, key=lambda d: d.id)
    if len(docs) < 3:
        raise ProblemsError(
            [Problem("gold", f"a learning curve needs at least 3 documents, got {len(docs)}")]
        )
    held = docs[: folds or len(docs)]
    models = _Models(schema, epochs, train)
    total = len(held) * len(seeds)
    done = 0
    for test in held:
        pool = [d for d in docs if d.id != test.id]
        for seed in seeds:
            shuffled = list(pool)
            random.Random(f"{seed}/{test.id}").shuffle(shuffled)
            orders = {
                RANDOM: shuffled,
                UNCERTAINTY: _uncertainty_order(pool, shuffled[0], seed, models, second),
            }
            for strategy, taken in orders.items():
                for k in range(1, len(taken) + 1):
                    ent, rel = _f1s(models.get(taken[:k], seed), test)
                    order = tuple(d.id for d in taken[:k])
                    yield RunPoint(strategy, test.id, seed, k, order, ent, rel)
            done += 1
            yield CurveProgress(done, total)


def summarise(points: Sequence[RunPoint], *, resamples: int = 1000) -> list[CurveRow]:
    """Mean and interval per k and strategy, and the paired gain of uncertainty order."""
    rows: list[CurveRow] = []
    for k in sorted({p.k for p in points}):
        at = {(p.strategy, p.held_out, p.seed): p for p in points if p.k == k}
        runs = sorted({(h, s) for _, h, s in at})
        entity: dict[str, Interval] = {}
        relation: dict[str, Interval] = {}
        for strategy in STRATEGIES:
            entity[strategy] = interval(
                [at[(strategy, h, s)].entity_f1 for h, s in runs], resamples=resamples
            )
            relation[strategy] = interval(
                [at[(strategy, h, s)].relation_f1 for h, s in runs], resamples=resamples
            )

        gains = [
            _gain(at, runs, field, resamples=resamples) for field in ("entity_f1", "relation_f1")
        ]
        rows.append(CurveRow(k, len(runs), entity, relation, *gains))
    return rows


def _gain(
    at: dict[tuple[str, str, int], RunPoint],
    runs: Sequence[tuple[str, int]],
    field: str,
    *,
    resamples: int,
) -> Interval:
    """Uncertainty − random of `field`, paired by run."""
    return interval(
        [
            getattr(at[(UNCERTAINTY, h, s)], field) - getattr(at[(RANDOM, h, s)], field)
            for h, s in runs
        ],
        resamples=resamples,
    )
