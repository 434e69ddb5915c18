"""`eventgold users add EMAIL [--project TITLE] [--password-file F] [--show-password]`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from eventgold.annotate.annotators import add_user
from eventgold.annotate.labelstudio.connection import connect
from eventgold.cli._app import app
from eventgold.cli._common import (
    DEFAULT_HOME_PATH,
    ApiKeyOpt,
    HomeOpt,
    UrlOpt,
    out,
    user_errors,
)

users_app = typer.Typer(help="Label Studio accounts for annotators.", no_args_is_help=True)
app.add_typer(users_app, name="users")

SECRETS_DIR = "secrets"


@users_app.command("add")
def users_add_cli(
    email: Annotated[str, typer.Argument(help="The annotator's email: their login.")],
    project: Annotated[
        str | None,
        typer.Option("--project", help="Project title (exact): checked to open for the user."),
    ] = None,
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file",
            help="File whose first line is the password; else one is generated and stored in "
            "HOME/secrets/EMAIL.password (owner-only).",
        ),
    ] = None,
    show_password: Annotated[
        bool, typer.Option("--show-password", help="Print the generated password (secret).")
    ] = False,
    home: HomeOpt = DEFAULT_HOME_PATH,
    url: UrlOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """Create a Label Studio user who can log in, in the organisation (and project)."""
    with user_errors():
        session = connect(url=url, api_key=api_key, home=home)
        added = add_user(
            session,
            email=email,
            secrets_dir=home / SECRETS_DIR,
            password_file=password_file,
            project_title=project,
        )
    out.print(
        f"user {added.email} (id {added.user_id}) created in organisation "
        f"'{added.organization}'; logged in through the login page to check it"
    )
    if added.project is not None:
        out.print(
            f"  project '{added.project.title}' (id {added.project.id}) opens for them: "
            f"{added.project_url}"
        )
    if added.password_file is not None:
        out.print(f"  password: in {added.password_file} (owner-only); hand it on privately")
    else:
        out.print(f"  password: the one in {password_file}")
    if show_password and added.password_file is not None:
        out.print(f"  password: {added.password}", markup=False)
