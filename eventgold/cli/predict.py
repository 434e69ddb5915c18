"""`eventgold predict --model NAME|PATH|module:function --corpus FILE --out FILE`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_SCHEMA_PATH,
    SchemaOpt,
    fail,
    get_schema,
    out,
    progress_bar,
    schema_file,
    user_errors,
)
from eventgold.documents import write_documents
from eventgold.paths import require_distinct_paths
from eventgold.problems import Problem


@app.command("predict")
def predict_cli(
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="'rules', a folder from 'eventgold train', a gazetteer .yaml for the rules "
            "(a copy of eval/baselines/gazetteer.yaml mapped to your schema), or "
            "module:function (text -> {'entities': [...], 'relations': [...]}).",
        ),
    ],
    corpus: Annotated[
        Path,
        typer.Option(
            help="Documents to predict: a JSONL file, or a folder of documents.jsonl or *.json."
        ),
    ],
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Prediction JSONL to write.")],
    schema: SchemaOpt = DEFAULT_SCHEMA_PATH,
) -> None:
    """Run an extractor over documents and write record-format predictions (atomically)."""
    # Imported here: spaCy and scikit-learn take seconds to import; other commands skip that.
    from eventgold.eval.baselines.gold import no_documents, read_document_set
    from eventgold.eval.baselines.registry import load_extractor, predict_documents

    the_schema = get_schema(schema)
    if str(Path.cwd()) not in sys.path:  # module:function from the current folder, as python -m
        sys.path.insert(0, str(Path.cwd()))
    with user_errors():
        model_path = Path(model) if Path(model).exists() else None  # a model folder, a gazetteer
        inputs = {"--corpus": corpus, "--model": model_path, "--schema": schema_file(schema)}
        require_distinct_paths(inputs, {"--out": out_path})
        extractor = load_extractor(model, schema=the_schema)
        docs, problems = read_document_set(corpus)
        if not docs and not problems:
            fail(f"{corpus}: nothing to predict", problems=[no_documents(corpus, "documents")])
        if problems:
            fail(f"{corpus}: {len(problems)} unreadable document(s)", problems=problems)
        predicted = []
        bad: list[Problem] = []
        with progress_bar() as bar:
            task = bar.add_task(f"predicting with {extractor.name}", total=len(docs))
            for prediction in predict_documents(extractor, docs, schema=the_schema):
                predicted.append(prediction.document)
                bad += prediction.problems
                bar.advance(task)
        if bad:
            fail(
                f"model '{model}' produced {len(bad)} problem(s) against schema "
                f"'{the_schema.name}'; nothing written",
                problems=bad,
            )
        n = write_documents(out_path, predicted)
    n_ents = sum(len(d.entities) for d in predicted)
    n_rels = sum(len(d.relations) for d in predicted)
    out.print(
        f"{out_path}: {n} documents, {n_ents} entities, {n_rels} relations ({extractor.name})"
    )
