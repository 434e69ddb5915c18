from __future__ import annotations

from dataclasses import dataclass

import pytest

from eventgold.annotate.backend.curve import (
    RANDOM,
    UNCERTAINTY,
    CurveProgress,
    RunPoint,
    interval,
    simulate,
    summarise,
)
from eventgold.documents import Document
from eventgold.problems import ProblemsError
from eventgold.schema import Schema


@dataclass(frozen=True)
class Parrot:
    """A 'model' that finds, in any text, the gold entities of the documents it saw."""

    seen: tuple[Document, ...]

    def predict(self, doc: Document) -> Document:
        known = [e for d in self.seen for e in d.entities if doc.text[e.start : e.end] == e.text]
        unique = {e.key: e for e in known}
        return doc.with_annotations(entities=unique.values(), relations=())


def test_simulate_trains_each_set_once_and_takes_every_document(
    gold: list[Document], schema: Schema
) -> None:
    trained: list[frozenset[str]] = []

    def train(docs, schema, *, seed, epochs):
        trained.append(frozenset(d.id for d in docs))
        return Parrot(tuple(docs))

    steps = list(simulate(gold, schema, second=Parrot(()), seeds=[0], folds=2, train=train))
    points = [p for p in steps if isinstance(p, RunPoint)]
    assert [p for p in steps if isinstance(p, CurveProgress)][-1] == CurveProgress(2, 2)
    assert len(trained) == len(set(trained))  # a set and seed is trained once
    for strategy in (UNCERTAINTY, RANDOM):
        last = [p for p in points if p.strategy == strategy and p.k == 4]
        assert len(last) == 2 and all(len(set(p.order)) == 4 for p in last)
    # Both orders start with the same document.
    firsts = {(p.held_out, p.strategy): p.order for p in points if p.k == 1}
    assert {firsts[(h, UNCERTAINTY)] == firsts[(h, RANDOM)] for h, _ in firsts} == {True}
    rows = summarise(points, resamples=50)
    assert [r.k for r in rows] == [1, 2, 3, 4] and rows[0].runs == 2
    assert rows[0].entity_gain.mean == 0.0  # same first document, same model


def test_interval_is_the_mean_and_a_percentile_interval() -> None:
    found = interval([0.0, 1.0] * 10, resamples=200)
    assert found.mean == 0.5 and 0.2 < found.low < 0.5 < found.high < 0.8
    assert interval([0.3, 0.3]).low == interval([0.3, 0.3]).high == pytest.approx(0.3)


def test_a_curve_needs_three_documents(gold: list[Document], schema: Schema) -> None:
    with pytest.raises(ProblemsError) as caught:
        list(simulate(gold[:2], schema, second=Parrot(())))
    assert (
        str(caught.value.problems[0]) == "gold: a learning curve needs at least 3 documents, got 2"
    )
