"""The main job, end to end: corpus and hand annotations through a real Label Studio to gold.

`run_demo` pushes the corpus with the shipped annotations as annotators' submissions (the two
passes, as `annotator-1` and `annotator-2`) and the adjudicated gold as a reviewer's ground
truth, measures agreement from the project, pulls, validates and writes the gold dataset, and
compares it with the shipped `gold/`. This is also how the shipped `gold/` is made, so the
released dataset is exactly what the pipeline yields (`eventgold demo --update-gold`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow.parquet as pq

from eventgold.annotate.agree import agree, agreement_markdown, load_annotation_inputs
from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.pull import PullReport, annotations_from_project, iter_pull_to_gold
from eventgold.annotate.push import PushReport, push
from eventgold.dataset.differences import document_differences, row_differences
from eventgold.dataset.folder import CARD_FILE, DATA_DIR, DOCUMENTS_FILE, HF_DIR, REJECTS_FILE
from eventgold.documents import Document, read_documents
from eventgold.problems import ProblemsError
from eventgold.progress import Progress, Steps, drain
from eventgold.schema import Schema

DEMO_PROJECT = "eventgold gold"
REVIEWER = "reviewer"

AGREEMENT_CAVEAT = (
    "Read these figures with one caveat: the guidelines quote many examples from the five seed "
    "articles, so on those a second annotator had several decisions made in advance. The "
    "doubly annotated articles added later were annotated blind, from guidelines that quoted "
    "none of their text, and their figures alone are in `annotations/agreement/`. "
    "Disagreements and their adjudication: `annotations/adjudication.md`."
)


@dataclass(frozen=True, slots=True)
class DemoInputs:
    corpus: Path = Path("corpus/documents.jsonl")
    gold_sources: Path = Path("annotations/gold")
    passes: tuple[Path, ...] = (Path("annotations/first_pass"), Path("annotations/second_pass"))

    def missing(self) -> list[Path]:
        """The inputs not found (relative paths: the demo runs from a clone of the project)."""
        return [p for p in (self.corpus, self.gold_sources, *self.passes) if not p.exists()]


@dataclass(frozen=True, slots=True)
class DemoReport:
    push: PushReport
    pull: PullReport
    agreement_tasks: int
    out_dir: Path
    differences: tuple[str, ...]  # empty: equal to the reference gold (or none given)


def _annotation_docs(inputs: DemoInputs) -> Iterator[Document]:
    """The passes as annotators' submissions, then the gold as the reviewer's ground truth."""
    groups, problems = load_annotation_inputs(list(inputs.passes))
    if problems:
        raise ProblemsError(problems, summary="the annotation passes have problems")
    for _, docs in groups:
        yield from docs
    gold, problems = load_annotation_inputs([inputs.gold_sources])
    if problems:
        raise ProblemsError(problems, summary=f"{inputs.gold_sources} has problems")
    for _, docs in gold:
        for doc in docs:
            yield replace(doc, meta={**doc.meta, "annotator": REVIEWER, "ground_truth": True})


def run_demo(
    session: Session,
    *,
    schema: Schema,
    inputs: DemoInputs,
    out_dir: Path,
    reference: Path | None,
    project_title: str = DEMO_PROJECT,
) -> Steps[DemoReport]:
    """Push, measure agreement, pull to `out_dir`, compare with `reference`; yield steps."""
    documents = list(read_documents(inputs.corpus))
    yield Progress("push", note=f"pushing {len(documents)} documents with their annotations")
    pushed: PushReport = drain(
        push(
            session,
            project_title=project_title,
            documents=documents,
            schema=schema,
            annotations=_annotation_docs(inputs),
        )
    )
    if pushed.problems:
        raise ProblemsError(list(pushed.problems), summary="push reported problems")

    yield Progress("agree", note="measuring agreement between the annotators in Label Studio")
    groups = [
        (doc_id, [d for d in docs if not d.meta.get("ground_truth")])
        for doc_id, docs in annotations_from_project(
            session, project_title=project_title, schema=schema
        )
    ]
    report = agree(groups, schema)
    card_agreement = agreement_markdown(report).rstrip() + "\n\n" + AGREEMENT_CAVEAT + "\n"

    yield Progress("pull", note="pulling, validating and writing the gold dataset")
    steps = iter_pull_to_gold(
        session,
        project_title=project_title,
        out_dir=out_dir,
        schema=schema,
        agreement_markdown=card_agreement,
    )
    pulled: PullReport = drain(steps)

    differences: tuple[str, ...] = ()
    if reference is not None:
        yield Progress("compare", note=f"comparing with {reference}")
        differences = tuple(gold_differences(out_dir, reference))
    return DemoReport(
        push=pushed,
        pull=pulled,
        agreement_tasks=report.tasks,
        out_dir=out_dir,
        differences=differences,
    )


def gold_differences(a: Path, b: Path) -> list[str]:
    """How two gold folders differ in content; empty when they hold the same dataset.

    The records, rejects and card are compared byte for byte, the Parquet shards and the
    `save_to_disk` copy as Arrow tables (their file metadata names temporary paths). A
    difference in the data names the documents (or rows) and what differs in them. Files of
    the pull run itself (`pull.json`, `annotations.jsonl`) are allowed to differ, and so is
    `stats.json`: its event count is also in the card, and its schema hash covers more than
    the data depends on (colours, hotkeys, the code's `Schema` type).
    """
    a, b = Path(a), Path(b)
    if not b.exists():
        return [f"{b} does not exist"]
    names = (str(a), str(b))
    out: list[str] = []
    for name in (DOCUMENTS_FILE, REJECTS_FILE, CARD_FILE):
        pa, pb = a / name, b / name
        if not pa.exists() or not pb.exists():
            out.append(f"{name}: missing in {a if not pa.exists() else b}")
        elif pa.read_bytes() == pb.read_bytes():
            continue
        elif name == DOCUMENTS_FILE:  # the data: which document, and what in it
            found = document_differences(pa, pb, names) or [_first_line_difference(pa, pb)]
            out += [f"{name}: {d}" for d in found]
        else:
            out.append(f"{name}: {_first_line_difference(pa, pb)}")
    shards_a = sorted(p.name for p in (a / DATA_DIR).glob("*.parquet"))
    shards_b = sorted(p.name for p in (b / DATA_DIR).glob("*.parquet"))
    if shards_a != shards_b:
        out.append(f"{DATA_DIR}/: shards {shards_a} != {shards_b}")
    else:
        for name in shards_a:
            ta, tb = pq.read_table(a / DATA_DIR / name), pq.read_table(b / DATA_DIR / name)
            if not ta.equals(tb):
                found = row_differences(ta.to_pylist(), tb.to_pylist(), names)
                out += [f"{DATA_DIR}/{name}: {d}" for d in found or ["rows differ"]]
    import datasets  # ~1.4 s to import: loaded only when a demo compares two gold folders

    try:
        hf_a = datasets.load_from_disk(str(a / HF_DIR))
        hf_b = datasets.load_from_disk(str(b / HF_DIR))
    except FileNotFoundError as exc:
        return [*out, f"{HF_DIR}/: {exc}"]
    if sorted(hf_a) != sorted(hf_b):
        out.append(f"{HF_DIR}/: splits {sorted(hf_a)} != {sorted(hf_b)}")
    else:
        for split in sorted(hf_a):
            ta, tb = hf_a[split].data.table, hf_b[split].data.table
            if not ta.equals(tb):
                found = row_differences(ta.to_pylist(), tb.to_pylist(), names)
                out += [f"{HF_DIR}/{split}: {d}" for d in found or ["rows differ"]]
            elif hf_a[split].features != hf_b[split].features:
                out.append(f"{HF_DIR}/{split}: features differ")
    return out


def _first_line_difference(a: Path, b: Path) -> str:
    la = a.read_text(encoding="utf-8").splitlines()
    lb = b.read_text(encoding="utf-8").splitlines()
    for i, (x, y) in enumerate(zip(la, lb, strict=False), start=1):
        if x != y:
            return f"line {i} differs: {json.dumps(x[:80])} vs {json.dumps(y[:80])}"
    return f"{len(la)} lines vs {len(lb)} lines"
