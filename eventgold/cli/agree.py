"""`eventgold agree INPUT... | --project TITLE`: inter-annotator agreement."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from eventgold.annotate.agree import (
    ALL,
    ALPHA,
    KAPPA,
    MEASURE_TITLES,
    MIN_ITEMS,
    PAIR_MEASURES,
    SPAN_OVERLAP,
    SPAN_STRICT,
    AgreementReport,
    PairAgreement,
    agree,
    agreement_markdown,
)
from eventgold.annotate.sources import AnnotationSources, sources_for_agreement
from eventgold.atomic import write_text_atomic
from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_HOME_PATH,
    DEFAULT_SCHEMA_PATH,
    ApiKeyOpt,
    HomeOpt,
    SchemaOpt,
    UrlOpt,
    err,
    fail,
    get_schema,
    open_session,
    out,
    print_problems,
    schema_file,
    user_errors,
)
from eventgold.documents import Document
from eventgold.paths import require_distinct_paths
from eventgold.schema import Schema

InputsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="JSONL files or folders of .json documents (e.g. annotations/gold "
        "annotations/second_pass), grouped by document id. The annotator is meta.annotator, "
        "else the input's name.",
        show_default=False,
    ),
]
ProjectOpt = Annotated[
    str | None,
    typer.Option("--project", help="Read the annotations from this Label Studio project."),
]


def report_sources(sources: AnnotationSources) -> list[tuple[str, list[Document]]]:
    """Warn about what the sources left out, say what was read, and give the groups."""
    if sources.counts.rejected:
        print_problems(
            sources.problems,
            title=f"warning: {sources.counts.rejected} annotation(s) left out, as pull "
            "rejects them:",
        )
    elif sources.problems:
        print_problems(
            sources.problems, title=f"warning: {len(sources.problems)} input problem(s), skipped"
        )
    if sources.origin != "files" or sources.counts.adjudicated:
        err.print(f"{sources.origin}: {sources.counts.describe()}", markup=False)
    return [(key, list(docs)) for key, docs in sources.groups]


def read_groups(
    inputs: Sequence[Path] | None,
    project: str | None,
    *,
    schema: Schema,
    url: str | None = None,
    api_key: str | None = None,
    home: Path = DEFAULT_HOME_PATH,
) -> list[tuple[str, list[Document]]]:
    """`agree`'s annotations (`annotate.sources`), with what was left out reported."""
    with user_errors():
        sources = sources_for_agreement(
            inputs or (), project, schema=schema, session=lambda: open_session(url, api_key, home)
        )
    return report_sources(sources)


def _pair_table(report: AgreementReport) -> Table:
    table = Table(title=f"Agreement over {report.tasks} document(s), all labels")
    for col in ("pair", "tasks", *(MEASURE_TITLES[m] for m in PAIR_MEASURES)):
        table.add_column(col)
    pairs = (*report.pairs, report.pooled) if report.pooled else report.pairs
    for pair in pairs:
        cells = [pair.measures[m][ALL].render() for m in PAIR_MEASURES]
        table.add_row(pair.scope, str(pair.tasks), *cells)
    return table


def _label_table(report: AgreementReport, pooled: PairAgreement) -> Table:
    table = Table(title="Per label: all pairs pooled; alpha over all annotators (token-level)")
    measures = (SPAN_STRICT, SPAN_OVERLAP, KAPPA)
    for col in ("label", *(MEASURE_TITLES[m] for m in (*measures, ALPHA))):
        table.add_column(col)
    for label in pooled.measures[SPAN_STRICT]:
        cells = [pooled.measures[m][label].render() for m in measures]
        alpha = report.alpha.get(label)
        table.add_row(label, *cells, alpha.render() if alpha else "–")
    return table


@app.command("agree")
def agree_cli(
    inputs: InputsArg = None,
    project: ProjectOpt = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the full report as JSON here.")
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", help="Write the dataset-card agreement section here."),
    ] = None,
    min_items: Annotated[
        int, typer.Option(min=1, help="Warn where a figure rests on fewer items than this.")
    ] = MIN_ITEMS,
    schema_path: SchemaOpt = DEFAULT_SCHEMA_PATH,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    home: HomeOpt = DEFAULT_HOME_PATH,
) -> None:
    """Agreement between annotators: span and relation F1, token kappa and alpha."""
    with user_errors():
        require_distinct_paths(
            {str(p): p for p in inputs or ()} | {"--schema": schema_file(schema_path)},
            {"--json": json_out, "--markdown": markdown},
        )
    schema = get_schema(schema_path)
    groups = read_groups(inputs, project, schema=schema, url=url, api_key=api_key, home=home)
    with user_errors():
        report = agree(groups, schema, min_items=min_items)
    if report.problems:
        print_problems(
            list(report.problems), title="warning: annotations left out of the comparison"
        )
    if report.pooled is None:
        fail(f"no document has two or more usable annotations ({report.single} with fewer)")
    out.print(_pair_table(report))
    out.print(_label_table(report, report.pooled))
    out.print(
        f"† fewer than {report.min_items} items, or undefined. Kappa and alpha are token-level "
        f"(spaCy blank English tokens); {report.single} single-annotation document(s) skipped."
    )
    with user_errors():
        if json_out is not None:
            write_text_atomic(json_out, json.dumps(report.to_json(), indent=2, ensure_ascii=False))
            err.print(f"wrote {json_out}")
        if markdown is not None:
            write_text_atomic(markdown, agreement_markdown(report))
            err.print(f"wrote {markdown}")
