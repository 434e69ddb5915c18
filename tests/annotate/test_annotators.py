from __future__ import annotations

import stat
import time

import httpx
import pytest
from typer.testing import CliRunner

from eventgold.annotate.annotators import BAD_PASSWORD, USER_EXISTS, add_user
from eventgold.annotate.labelstudio.accounts import AccountRefused, logged_in, whoami
from eventgold.annotate.push import push
from eventgold.cli import app
from eventgold.documents import Document
from eventgold.problems import ProblemsError
from eventgold.progress import drain
from eventgold.schema import load_schema

from ..conftest import TEST_CREDS

pytestmark = pytest.mark.labelstudio


def _email(tag: str) -> str:
    return f"{tag}-{time.time_ns() % 10**9}@example.org"


def test_a_generated_password_is_stored_privately_and_logs_in(ls_session, project_title, tmp_path):
    drain(push(ls_session, project_title=project_title, documents=[Document("d", "Text.")],
               schema=load_schema()))  # fmt: skip
    email = _email("Ann")
    added = add_user(ls_session, email=email, secrets_dir=tmp_path / "secrets",
                     project_title=project_title)  # fmt: skip
    assert added.email == email.lower() and added.organization
    assert added.password_file == tmp_path / "secrets" / f"{email.lower()}.password"
    assert stat.S_IMODE(added.password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    assert added.password_file.read_text() == added.password + "\n"
    assert added.password not in repr(added)
    assert added.project_url.endswith(f"/projects/{added.project.id}/data")
    # A person's login: the login page, then the API as that user, in the organisation.
    with logged_in(ls_session.url, email=added.email, password=added.password) as client:
        assert whoami(client, ls_session.url)["email"] == added.email
        assert client.get(f"{ls_session.url}/api/projects/{added.project.id}/").status_code == 200
    wrong = logged_in(ls_session.url, email=added.email, password="wrong-password")
    with pytest.raises(AccountRefused, match="don't match"), wrong:
        pass
    # The admin sees the user in the organisation.
    assert added.email in {u.email for u in ls_session.client.users.list()}


def test_a_given_password_file_is_used_and_not_copied(ls_session, tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("correct horse battery\n")
    added = add_user(ls_session, email=_email("bob"), secrets_dir=tmp_path / "s", password_file=pw)
    assert added.password_file is None and not (tmp_path / "s").exists()
    with logged_in(ls_session.url, email=added.email, password="correct horse battery") as c:
        assert whoami(c, ls_session.url)["id"] == added.user_id


def test_refusals_change_nothing(ls_session, tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("abc\n")
    email = _email("carol")
    with pytest.raises(ProblemsError) as err:
        add_user(ls_session, email=email, secrets_dir=tmp_path, password_file=short)
    assert [(p.code, p.message) for p in err.value.problems] == [
        (BAD_PASSWORD, "the password (first line) must have 8 to 128 characters, got 3")
    ]
    assert email not in {u.email for u in ls_session.client.users.list()}
    with pytest.raises(ProblemsError) as err:
        add_user(ls_session, email=TEST_CREDS.username, secrets_dir=tmp_path)
    assert err.value.problems[0].code == USER_EXISTS
    assert err.value.problems[0].message.startswith("a user with this email already exists (id ")
    assert list(tmp_path.glob("*.password")) == []
    with pytest.raises(ProblemsError, match="not found"):
        add_user(ls_session, email=email, secrets_dir=tmp_path, project_title="no such project")
    assert email not in {u.email for u in ls_session.client.users.list()}


def test_users_add_cli_prints_the_path_never_the_password(ls_server, tmp_path):
    email = _email("dave")
    args = ["users", "add", email, "--home", str(tmp_path), "--url", ls_server.url,
            "--api-key", TEST_CREDS.token]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    stored = tmp_path / "secrets" / f"{email}.password"
    password = stored.read_text().strip()
    assert (
        f"user {email} (id " in result.output
        and "logged in through the login page" in result.output
    )
    assert f"password: in {stored} (owner-only)" in result.output
    assert password not in result.output and TEST_CREDS.token not in result.output
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1 and f"error: user {email} already exists" in again.output
    shown = CliRunner().invoke(app, [*args[:2], _email("erin"), *args[3:], "--show-password"])
    assert shown.exit_code == 0 and "  password: " in shown.output.splitlines()[-1]
    assert httpx.get(f"{ls_server.url}/health").status_code == 200
