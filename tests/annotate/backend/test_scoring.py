from __future__ import annotations

from dataclasses import replace

from eventgold.annotate.backend.scoring import agreement, score_prediction
from eventgold.documents import Document, Entity, Relation

A = Document(
    id="d",
    text="Taliban gunmen attacked Kabul.",
    entities=(
        Entity("a", 0, 7, "ATTACKER", "Taliban"),
        Entity("b", 15, 23, "ATTACK", "attacked"),
        Entity("c", 24, 29, "LOCATION", "Kabul"),
    ),
    relations=(Relation("a", "b", "KILLED"),),
)


def test_agreement_is_dice_over_entities_and_relations() -> None:
    assert agreement(A, A) == 1.0
    # Other ids, same spans: still full agreement (ids never matter).
    renamed = replace(
        A,
        entities=tuple(replace(e, id=e.id * 2) for e in A.entities),
        relations=(Relation("aa", "bb", "KILLED"),),
    )
    assert agreement(A, renamed) == 1.0
    # The second finds one entity of three and no relation: 2 * 1 / (4 + 1).
    one = replace(A, entities=A.entities[:1], relations=())
    assert agreement(A, one) == 0.4
    empty = A.without_annotations()
    assert agreement(empty, empty) == 1.0 and agreement(A, empty) == 0.0


def test_region_scores_exact_overlap_and_missing() -> None:
    second = replace(
        A,
        entities=(
            Entity("x", 0, 7, "ATTACKER", "Taliban"),  # same
            Entity("y", 15, 21, "ATTACK", "attack"),  # overlapping, same label
        ),
        relations=(),
    )
    scored = score_prediction(A, second)
    assert scored.region_scores == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert scored.score == 2 * 1 / (4 + 2)


def test_without_a_second_model_every_score_is_one() -> None:
    scored = score_prediction(A, None)
    assert scored.score == 1.0 and set(scored.region_scores.values()) == {1.0}
