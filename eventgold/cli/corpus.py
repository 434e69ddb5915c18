"""`eventgold corpus add PATH...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eventgold.annotate.corpus import DEFAULT_CORPUS, add_files
from eventgold.cli._app import corpus_app
from eventgold.cli._common import err, fail, out, user_errors


@corpus_app.command("add")
def add_cli(
    paths: Annotated[list[Path], typer.Argument(help="Text files, or folders of *.txt files.")],
    corpus: Annotated[Path, typer.Option(help="Corpus JSONL to add to.")] = DEFAULT_CORPUS,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace documents whose text changed.")
    ] = False,
) -> None:
    """Add article files (first line the title) to the corpus, idempotently."""
    with user_errors():
        report = add_files(paths, corpus=corpus, replace_changed=replace)
    out.print(
        f"{corpus}: {len(report.added)} added, {len(report.replaced)} replaced, "
        f"{len(report.unchanged)} unchanged, {report.total} documents in all"
    )
    if report.not_read:
        names = ", ".join(str(p) for p in report.not_read[:5])
        more = f" and {len(report.not_read) - 5} more" if len(report.not_read) > 5 else ""
        err.print(
            f"note: {len(report.not_read)} entr(ies) of the folders given not read (only *.txt "
            f"files are articles; subfolders are not searched): {names}{more}",
            markup=False,
        )
    for doc_id, (entities, relations) in report.dropped.items():
        err.print(
            f"warning: document '{doc_id}' held {entities} entities and {relations} relations "
            "made on its old text; they are not kept (annotate it again)",
            markup=False,
        )
    if report.problems:
        fail(f"{len(report.problems)} file(s) skipped", problems=report.problems)
