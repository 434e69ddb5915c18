"""`eventgold backend serve|connect|order`: the Label Studio ML backend (docs/backend.md)."""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_HOME_PATH,
    DEFAULT_SCHEMA_PATH,
    ApiKeyOpt,
    HomeOpt,
    SchemaOpt,
    UrlOpt,
    get_schema,
    open_session,
    out,
    progress_bar,
    user_errors,
)

backend_app = typer.Typer(
    help="An ML backend for Label Studio: pre-annotates, learns from submissions, orders work.",
    no_args_is_help=True,
)
app.add_typer(backend_app, name="backend")

ProjectOpt = Annotated[str, typer.Option("--project", "-p", help="Label Studio project title.")]
LabelStudioUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--label-studio",
        help="Label Studio URL (else LABEL_STUDIO_URL, else the server of --home).",
    ),
]


@backend_app.command("serve")
def serve_cli(
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            help="What `eventgold predict` accepts: 'rules', a folder from `eventgold train`, a "
            "gazetteer .yaml, or module:function.",
        ),
    ],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 9090,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    compare: Annotated[
        str | None,
        typer.Option(
            help="Second model, for the scores only (default: the rules beside a trained model)."
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Learn from this project's submissions."),
    ] = None,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    home: HomeOpt = DEFAULT_HOME_PATH,
    every: Annotated[
        int, typer.Option(min=1, help="Retrain after this many valid submitted annotations.")
    ] = 5,
    epochs: Annotated[int, typer.Option(min=1, help="NER training epochs.")] = 20,
    seed: Annotated[int, typer.Option(help="Training seed.")] = 0,
    reorder: Annotated[
        bool,
        typer.Option("--reorder", help="After each training, score every task again (order)."),
    ] = False,
    schema: SchemaOpt = DEFAULT_SCHEMA_PATH,
) -> None:
    """Serve the ML backend protocol until Ctrl-C; with --project, learn from submissions."""
    from eventgold.annotate.backend.build import build_backend
    from eventgold.annotate.backend.learning import LearningConfig
    from eventgold.annotate.backend.serving import serve
    from eventgold.annotate.labelstudio.connection import connect
    from eventgold.annotate.labelstudio.project import require_project
    from eventgold.annotate.labelstudio.server import require_free_port

    with user_errors():
        require_free_port(host, port)  # before loading a model and announcing the address
    the_schema = get_schema(schema)
    if str(Path.cwd()) not in sys.path:  # module:function from the current folder
        sys.path.insert(0, str(Path.cwd()))
    learning = None
    if project is not None:
        with open_session(url, api_key, home) as session, user_errors():
            require_project(session, project)  # now, not at the first training
        learning = LearningConfig(
            connect=functools.partial(connect, url=url, api_key=api_key, home=home),
            project_title=project,
            every=every,
            seed=seed,
            epochs=epochs,
            reorder=reorder,
        )
    with user_errors():
        backend = build_backend(model, schema=the_schema, compare=compare, learning=learning)
    models = backend.holder.current
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    out.print(f"eventgold backend {models.model_version} on http://{host}:{port}")
    out.print(f"  score: {models.score_basis}")
    out.print(
        f"  learning from project {project!r} every {every} valid annotations"
        if project
        else "  not learning (give --project to learn from submissions)"
    )
    out.print("  press Ctrl+C to stop")
    serve(backend, host=host, port=port)


@backend_app.command("connect")
def connect_cli(
    project: ProjectOpt,
    url: Annotated[
        str, typer.Option("--url", help="The backend's URL, as Label Studio reaches it.")
    ],
    interactive: Annotated[
        bool, typer.Option("--interactive", help="Use it for Auto-Annotation suggestions too.")
    ] = False,
    title: Annotated[str, typer.Option(help="The backend's name in Label Studio.")] = "eventgold",
    label_studio: LabelStudioUrlOpt = None,
    api_key: ApiKeyOpt = None,
    home: HomeOpt = DEFAULT_HOME_PATH,
) -> None:
    """Connect a running backend to a project, and show its predictions when a task opens."""
    from eventgold.annotate.backend.connect import connect_backend

    with open_session(label_studio, api_key, home) as session, user_errors():
        report = connect_backend(
            session, project_title=project, url=url, interactive=interactive, title=title
        )
    verb = "connected" if report.created else "updated"
    out.print(
        f"{verb} {url} to project {project!r} (backend {report.backend_id}, model "
        f"{report.model_version}{', interactive' if report.interactive else ''})"
    )
    out.print("  predictions show when a task opens")
    if report.webhook:
        out.print(f"  submissions are posted to {url.rstrip('/')}/webhook (learning)")
    else:
        out.print(f"  warning: no learning webhook: {report.webhook_problem}")


@backend_app.command("order")
def order_cli(
    project: ProjectOpt,
    view: Annotated[
        str, typer.Option(help="Title of the Data Manager tab.")
    ] = "Most uncertain first",
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
    home: HomeOpt = DEFAULT_HOME_PATH,
) -> None:
    """Score every task with the connected backend and put the most uncertain first."""
    from eventgold.annotate.backend.ordering import order

    with open_session(url, api_key, home) as session, user_errors():
        steps = order(session, project_title=project, view_title=view)
        with progress_bar() as bar:
            task = bar.add_task("retrieving predictions", total=None)
            while True:
                try:
                    step = next(steps)
                except StopIteration as stop:
                    report = stop.value
                    break
                bar.update(task, completed=step.done, total=step.total)
    median = "-" if report.median is None else f"{report.median:.3f}"
    lowest = "-" if report.lowest is None else f"{report.lowest:.3f}"
    out.print(
        f"project {project!r}: {report.scored} of {report.tasks} tasks scored by "
        f"{report.model_version} (lowest {lowest}, median {median})"
    )
    out.print("  labeling stream: uncertainty sampling, lowest score first")
    out.print(f"  tab {'created' if report.view_created else 'updated'}: {report.tab_url}")
