"""The `--split` option of `train` and `eval` (the gold splits a command works on)."""

from __future__ import annotations

from typing import Annotated

import typer

SplitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--split",
        help="Only the gold documents of this split: train, validation or test (repeat the "
        "option or give a comma list). Default: every document.",
        show_default=False,
    ),
]
