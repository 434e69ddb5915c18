"""`eventgold export --gold gold/ --format jsonl|spacy|conll --out PATH`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_SCHEMA_PATH,
    SchemaOpt,
    get_schema,
    out,
    progress_bar,
    user_errors,
)
from eventgold.dataset.export import (
    EXPORTERS,
    SPLIT_FORMATS,
    export,
    export_gold_splits,
    require_export_apart,
)
from eventgold.dataset.folder import count_gold, read_gold

T = TypeVar("T")


def _tracked(items: Iterable[T], *, total: int, description: str) -> Iterator[T]:
    # Progress goes to stderr so stdout stays the one-line result.
    with progress_bar() as progress:
        yield from progress.track(items, total=total, description=description)


@app.command("export")
def export_cli(
    out_path: Annotated[Path, typer.Option("--out", "-o", help="Output file (or folder).")],
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help=f"One of: {', '.join(sorted(EXPORTERS))}."),
    ] = "jsonl",
    gold: Annotated[
        Path, typer.Option("--gold", help="Gold folder (from pull) or documents JSONL.")
    ] = Path("gold"),
    schema_path: SchemaOpt = DEFAULT_SCHEMA_PATH,
) -> None:
    """Export the gold documents as JSONL records, a spaCy DocBin or CoNLL (token TAB tag).

    conll and spacy from a gold folder: one file per split, the split's name before the
    suffix (gold.conll -> gold.train.conll, gold.validation.conll, gold.test.conll).
    spacy: PATH ending in .spacy is one DocBin file; any other PATH is a folder of DocBin
    shards (5,000 documents each) that `spacy train` reads as one corpus.
    """
    schema = get_schema(schema_path)
    if fmt in SPLIT_FORMATS and gold.is_dir():
        with user_errors(), progress_bar() as bar:
            bar.add_task(f"export {fmt} per split", total=None)
            written = export_gold_splits(gold, out_path, fmt=fmt, schema=schema)
        for path, n in written.items():
            out.print(f"{path}: {n} documents as {fmt}")
        return
    with user_errors():
        require_export_apart(gold, [out_path], fmt=fmt, schema=schema)
        total = count_gold(gold)
        docs = _tracked(read_gold(gold), total=total, description=f"export {fmt}")
        n = export(docs, out_path, fmt=fmt, schema=schema)
    out.print(f"{out_path}: {n} documents as {fmt}")
