"""How a ground truth that `adjudicate --push` wrote is recognised, so it is never an input.

Pushed ground truths are completed by one dedicated Label Studio user, `ADJUDICATOR`
(``eventgold-adjudicator@eventgold.invalid``: a reserved domain, so no person signs in as it),
and marked ground truth. An annotation with both marks is the output of adjudication, not an
annotator's vote: agreement and adjudication leave it out (`annotate.sources`), so a re-run
gives the same result, and no annotator's own annotation is taken for it. Pull keeps it (its
selection rule prefers ground truth), so the adjudicated gold is what pull writes.
"""

from __future__ import annotations

from eventgold.documents import Document

ADJUDICATOR = "eventgold-adjudicator"


def is_adjudicated(doc: Document) -> bool:
    """Whether `doc` is a ground truth `push_ground_truth` wrote (both marks present)."""
    return doc.meta.get("annotator") == ADJUDICATOR and doc.meta.get("ground_truth") is True
