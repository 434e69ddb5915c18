"""`eventgold train --gold FILE_OR_DIR --out DIR [--cv K --predictions-out FILE]`."""

from __future__ import annotations

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
    run_steps,
    schema_file,
    user_errors,
)
from eventgold.cli._splits import SplitOpt
from eventgold.documents import write_documents
from eventgold.paths import require_distinct_paths

# Mirrors trained.DEFAULT_EPOCHS; that module is imported only when the command runs.
DEFAULT_EPOCHS = 20


@app.command("train")
def train_cli(
    gold: Annotated[
        Path,
        typer.Option(
            help="Gold: a JSONL file, a folder with documents.jsonl, or a folder of *.json."
        ),
    ],
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Model folder to write (replaced whole).")
    ] = None,
    cv: Annotated[
        int,
        typer.Option(
            "--cv",
            help="K-fold cross-validation over documents (K = number of documents: "
            "leave-one-out); 0 skips it.",
        ),
    ] = 0,
    predictions_out: Annotated[
        Path | None,
        typer.Option("--predictions-out", help="JSONL for the out-of-fold predictions of --cv."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same model).")] = 0,
    epochs: Annotated[int, typer.Option(min=1, help="NER training epochs.")] = DEFAULT_EPOCHS,
    schema: SchemaOpt = DEFAULT_SCHEMA_PATH,
    split: SplitOpt = None,
) -> None:
    """Train the spaCy NER + relation-classifier baseline on gold; optionally cross-validate."""
    if out_dir is None and not cv:
        fail("nothing to do: give --out DIR to train a model, --cv K to cross-validate, or both")
    if cv and predictions_out is None:
        fail("--cv needs --predictions-out FILE for the out-of-fold predictions")
    if predictions_out is not None and not cv:
        fail("--predictions-out needs --cv K (the predictions are the out-of-fold ones)")
    with user_errors():
        require_distinct_paths(
            {"--gold": gold, "--schema": schema_file(schema)},
            {"--predictions-out": predictions_out},
            folders={"--out": out_dir},
        )
    # Imported here: spaCy and scikit-learn take seconds to import; other commands skip that.
    from eventgold.dataset.membership import gold_splits, parse_splits, select_splits
    from eventgold.eval.baselines.gold import load_gold
    from eventgold.eval.baselines.trained import (
        cross_validate_steps,
        fit_steps,
        require_model_target,
        save_model,
    )

    the_schema = get_schema(schema)
    with user_errors():
        if out_dir is not None:
            require_model_target(out_dir)  # before training, not after it
        splits = parse_splits(split or ())
        docs = load_gold(gold, schema=the_schema)
        if splits:
            assignment = gold_splits(gold, docs)
            docs = select_splits(docs, splits, assignment, gold=str(gold))
        if cv:
            steps = cross_validate_steps(docs, the_schema, k=cv, seed=seed, epochs=epochs)
            predicted = run_steps(steps, {"fold": f"{cv}-fold cross-validation"})
            n = write_documents(predictions_out, predicted)
            out.print(f"{predictions_out}: out-of-fold predictions for {n} documents ({cv} folds)")
        if out_dir is not None:
            steps = fit_steps(docs, the_schema, seed=seed, epochs=epochs)
            model = run_steps(steps, {"entities": "training", "relations": "training"})
            save_model(model, out_dir)
            stats = model.meta["stats"]
            out.print(
                f"{out_dir}: model trained on {len(docs)} documents "
                f"({stats['gold_entities']} entities, {stats['gold_relations']} relations)"
            )
