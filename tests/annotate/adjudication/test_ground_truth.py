"""The adjudicated gold back into Label Studio as ground truth, against a real server."""

import time
from dataclasses import replace

import pytest

from eventgold.annotate.adjudication.ground_truth import GROUND_TRUTH_DIFFERS, push_ground_truth
from eventgold.annotate.pull import pull
from eventgold.annotate.push import NO_TASK, push

from ..test_push import SCHEMA, annotated, article, run

pytestmark = pytest.mark.labelstudio


def test_ground_truth_push_wins_selection(ls_session, project_title):
    docs = [article(i) for i in range(2)]
    run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA,
             annotations=[annotated(d) for d in docs]))  # fmt: skip
    time.sleep(1.1)
    full = annotated(docs[0])
    gt = full.with_annotations(entities=full.entities[:2], relations=full.relations[:1])
    report = push_ground_truth(
        ls_session, project_title=project_title, documents=[gt, article(9)], schema=SCHEMA
    )
    assert report.created == 1 and [p.code for p in report.problems] == [NO_TASK]
    tasks = {t.doc_id: t for t in pull(ls_session, project_title=project_title, schema=SCHEMA)}
    chosen = [a for a in tasks[docs[0].id].annotations if a.meta["ground_truth"]]
    assert len(chosen) == 1 and chosen[0].relations == gt.relations
    # Again, with other entity ids: the same content, so nothing is added twice.
    renamed = gt.with_annotations(
        entities=[replace(e, id=f"x-{e.id}") for e in gt.entities],
        relations=[replace(r, head=f"x-{r.head}", tail=f"x-{r.tail}") for r in gt.relations],
    )
    again = push_ground_truth(ls_session, project_title=project_title, documents=[renamed])
    assert (again.created, again.unchanged, again.problems) == (0, 1, ())
    # Another content: reported with the task and the earlier annotation, never overwritten.
    other = gt.with_annotations(entities=gt.entities[:1], relations=[])
    clash = push_ground_truth(ls_session, project_title=project_title, documents=[other])
    assert clash.created == 0 and [p.code for p in clash.problems] == [GROUND_TRUTH_DIFFERS]
    assert f"document '{gt.id}'" in str(clash.problems[0])
    assert "already has another ground truth (annotation" in str(clash.problems[0])
    tasks = {t.doc_id: t for t in pull(ls_session, project_title=project_title, schema=SCHEMA)}
    assert sum(bool(a.meta["ground_truth"]) for a in tasks[docs[0].id].annotations) == 1
