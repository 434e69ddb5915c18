from __future__ import annotations

import pytest

from eventgold.annotate.duplicates import DUPLICATE_INPUT, later_copies, remove_late_duplicates
from eventgold.annotate.labelstudio.convert import TaskKey, to_annotation
from eventgold.annotate.labelstudio.tasks import iter_task_keys
from eventgold.annotate.push import push

from .test_push import SCHEMA, _import_again, annotated, article, run


def test_later_copies_are_the_tasks_after_each_documents_first():
    keys = [
        TaskKey(3, "a", "h"),
        TaskKey(4, "b", "h"),  # b's first task is 1 (given)
        TaskKey(5, "a", "h"),
        TaskKey(6, "b", "h", annotations=2),  # annotated after its import: kept
        TaskKey(7, "c", "h", annotations=1),
        TaskKey(8, "c", "h", annotations=1),  # only the one imported with it: a copy
    ]
    first = {"b": 1}
    extra, kept = later_copies(keys, first=first, inline_annotations={"c": 1})
    assert extra == [4, 5, 8]
    assert first == {"b": 1, "a": 3, "c": 7}
    assert [(str(p), p.code) for p in kept] == [
        (
            "task 6: doc_id 'b' has an earlier task too, and this one has 2 annotation(s) not "
            "imported with it; kept: remove one of the two in Label Studio",
            DUPLICATE_INPUT,
        )
    ]


@pytest.mark.labelstudio
def test_late_copies_of_known_documents_are_deleted(ls_session, project_title):
    docs = [article(i) for i in range(3)]
    report = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA))
    before = {k.doc_id: k.task_id for k in iter_task_keys(ls_session, report.project_id)}
    copies = _import_again(ls_session, report.project_id, docs[:2])
    removed, kept = remove_late_duplicates(
        ls_session,
        report.project_id,
        known=[d.id for d in docs],
        after_id=max(before.values()),
        inline_annotations={},
    )
    assert (removed, kept) == (2, [])
    after = {k.task_id: k.doc_id for k in iter_task_keys(ls_session, report.project_id)}
    assert after == {task_id: doc_id for doc_id, task_id in before.items()}
    assert not set(copies) & set(after)


@pytest.mark.labelstudio
def test_a_duplicate_with_annotations_of_its_own_is_kept_and_reported(ls_session, project_title):
    docs = [article(i) for i in range(2)]
    report = run(push(ls_session, project_title=project_title, documents=docs, schema=SCHEMA))
    (dup,) = _import_again(ls_session, report.project_id, docs[:1])
    ls_session.client.annotations.create(id=dup, result=to_annotation(annotated(docs[0]))["result"])
    removed, kept = remove_late_duplicates(
        ls_session, report.project_id, known=[], after_id=0, inline_annotations={}
    )
    assert removed == 0 and [p.code for p in kept] == [DUPLICATE_INPUT]
    assert str(kept[0]) == (
        f"task {dup}: doc_id '{docs[0].id}' has an earlier task too, and this one has 1 "
        "annotation(s) not imported with it; kept: remove one of the two in Label Studio"
    )
    assert dup in {k.task_id for k in iter_task_keys(ls_session, report.project_id)}
