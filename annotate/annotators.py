"""Annotator accounts: `eventgold users add EMAIL` makes a Label Studio user who can log in.

Policy: the email must be new to the server (Label Studio cannot reset a password over its API,
so an existing user is left as it is); the password comes from a file the lead wrote, or is
generated (20 URL-safe characters) and stored, before the user is created, in a file readable
only by its owner (`<home>/secrets/<email>.password`), so a failure after the sign-up never
leaves an account whose password nobody has. The account is then checked the way an
annotator uses it: a log-in through the login page, and, with a project, opening it.

Label Studio Community has no per-project membership: every member of the organisation sees
every project of it. So "adding to a project" is joining the organisation (the sign-up does)
and checking that the project opens for the new user; its labeling link is returned to hand on.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from eventgold.annotate.labelstudio.accounts import (
    AccountRefused,
    logged_in,
    sign_up,
    whoami,
)
from eventgold.annotate.labelstudio.connection import Session
from eventgold.annotate.labelstudio.project import ProjectRef, require_project
from eventgold.atomic import atomic_file
from eventgold.problems import Problem, ProblemsError

BAD_EMAIL = "bad-email"
USER_EXISTS = "user-exists"
BAD_PASSWORD = "bad-password"
SIGNUP_REFUSED = "signup-refused"
LOGIN_FAILED = "login-failed"

PASSWORD_MIN, PASSWORD_MAX = 8, 128  # Label Studio's sign-up form limits
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True)
class UserAdded:
    user_id: int
    email: str
    organization: str
    project: ProjectRef | None
    project_url: str  # where the annotator starts labeling ("" without a project)
    password_file: Path | None  # the generated password's file; None when one was given
    password: str = field(repr=False)  # never logged: shown only on request

    def __repr__(self) -> str:
        return f"UserAdded(user_id={self.user_id}, email={self.email!r}, password=***)"


def password_path(secrets_dir: Path, email: str) -> Path:
    return Path(secrets_dir) / f"{email}.password"


def read_password(path: Path) -> str:
    """The password in `path` (its first line), checked against Label Studio's limits."""
    text = Path(path).read_text(encoding="utf-8")
    password = text.splitlines()[0] if text else ""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ProblemsError(
            [
                Problem(
                    str(path),
                    f"the password (first line) must have {PASSWORD_MIN} to {PASSWORD_MAX} "
                    f"characters, got {len(password)}",
                    BAD_PASSWORD,
                )
            ]
        )
    return password


def add_user(
    session: Session,
    *,
    email: str,
    secrets_dir: Path,
    password_file: Path | None = None,
    project_title: str | None = None,
) -> UserAdded:
    """Create the Label Studio user `email` who logs in with a password; see the module doc."""
    email = email.strip().lower()  # Label Studio stores emails lower-cased
    if not _EMAIL.fullmatch(email):
        raise ProblemsError(
            [Problem("EMAIL", f"not an email address: {email!r}", BAD_EMAIL)],
            summary="not an email address",
        )
    project = require_project(session, project_title) if project_title else None
    users = session.call("listing users", lambda: session.client.users.list())
    existing = next((u for u in users if (u.email or "").lower() == email), None)
    if existing is not None:
        raise ProblemsError(
            [
                Problem(
                    email,
                    f"a user with this email already exists (id {existing.id}); nothing "
                    "changed (Label Studio cannot set a password over its API: the user "
                    "changes it in Account & Settings)",
                    USER_EXISTS,
                )
            ],
            summary=f"user {email} already exists",
        )
    stored: Path | None = None
    if password_file is not None:
        password = read_password(password_file)
    else:
        password = secrets.token_urlsafe(15)
        stored = password_path(secrets_dir, email)
        Path(secrets_dir).mkdir(parents=True, exist_ok=True)
        Path(secrets_dir).chmod(0o700)
        with atomic_file(stored, private=True) as fh:
            fh.write(password + "\n")
    try:
        sign_up(session, email=email, password=password)
    except AccountRefused as exc:
        if stored is not None:
            stored.unlink(missing_ok=True)
        raise ProblemsError(
            [Problem(email, f"Label Studio refused the sign-up: {exc}", SIGNUP_REFUSED)],
            summary=f"could not create the user {email}",
        ) from None
    try:
        with logged_in(session.url, email=email, password=password) as client:
            me = whoami(client, session.url)
            opens = project is None or (
                client.get(f"{session.url}/api/projects/{project.id}/").status_code == 200
            )
    except AccountRefused as exc:
        raise ProblemsError(
            [Problem(email, f"created, but cannot log in: {exc}", LOGIN_FAILED)],
            summary=f"user {email} cannot log in",
        ) from None
    if not opens and project is not None:
        raise ProblemsError(
            [
                Problem(
                    email,
                    f"created and logged in, but project {project.title!r} (id {project.id}) "
                    "does not open for this user",
                    LOGIN_FAILED,
                )
            ]
        )
    org = me.get("active_organization_meta") or {}
    return UserAdded(
        user_id=int(me["id"]),
        email=email,
        organization=str(org.get("title") or me.get("active_organization") or ""),
        project=project,
        project_url=f"{session.url}/projects/{project.id}/data" if project else "",
        password_file=stored,
        password=password,
    )
