"""Resolving the server to talk to: a URL's user name and password never reach a message."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from eventgold.annotate.labelstudio.connection import ConnectionProblem, masked_url, resolve
from eventgold.cli import app


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:PASSW0RD@127.0.0.1:9", "http://***@127.0.0.1:9"),
        ("https://TOKEN@example.org/x?a=b@c", "https://***@example.org/x?a=b@c"),
        ("http://u:p@ss@host:1", "http://***@host:1"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_masked_url_hides_the_user_name_and_password(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_a_url_with_a_password_is_refused_without_showing_it() -> None:
    with pytest.raises(ConnectionProblem) as caught:
        resolve(url="http://user:PASSW0RD@127.0.0.1:9", api_key="SECRETKEY123")
    assert str(caught.value) == (
        "the Label Studio URL 'http://***@127.0.0.1:9' (command line) holds a user name or "
        "password; give it without them: eventgold signs in with the API key (--api-key)"
    )
    with pytest.raises(ConnectionProblem) as caught:
        resolve(url="ftp://user:PASSW0RD@127.0.0.1:9", api_key="k")
    assert "PASSW0RD" not in str(caught.value) and "'ftp://***@127.0.0.1:9'" in str(caught.value)


def test_the_cli_never_prints_a_password_given_in_the_url() -> None:
    args = ["agree", "--project", "X", "--url", "http://user:PASSW0RD@127.0.0.1:9"]
    result = CliRunner().invoke(app, [*args, "--api-key", "SECRETKEY123"])
    assert result.exit_code == 1 and "holds a user name or password" in result.output
    assert "PASSW0RD" not in result.output and "SECRETKEY123" not in result.output


def test_an_ml_backend_given_for_label_studio_is_named_as_not_label_studio() -> None:
    """The backend (port 9090) for Label Studio (8080): both answer /health. The message told
    the user to drop a path the URL did not have."""
    from eventgold.annotate.backend.app import Backend
    from eventgold.annotate.backend.models import ModelHolder, load_models
    from eventgold.annotate.backend.serving import running
    from eventgold.annotate.labelstudio.connection import connect
    from eventgold.annotate.labelstudio.server import free_port
    from eventgold.schema import load_schema

    schema = load_schema()
    backend = Backend(holder=ModelHolder(load_models("rules", schema=schema)), schema=schema)
    with running(backend, port=free_port()) as url, pytest.raises(ConnectionProblem) as caught:
        connect(url=url, api_key="SECRETKEY123")
    assert str(caught.value) == (
        f"{url} (command line) is not a Label Studio server: it answered /health but not Label "
        "Studio's API (HTTP 404 on /api/current-user/whoami); an ML backend (`eventgold backend "
        "serve`) or another web server on that port answers so: give Label Studio's address"
    )
    assert "SECRETKEY123" not in str(caught.value)


def test_a_key_check_answered_with_a_page_is_not_called_a_failed_key_check() -> None:
    """A web server that answers every path with a page (HTTP 200): the SDK's error carries the
    status it got, and the message said `failed the key check: HTTP 200`."""
    from label_studio_sdk.core.api_error import ApiError

    from eventgold.annotate.labelstudio.connection import Target, key_check_problem

    target = Target(url="http://127.0.0.1:9", api_key="SECRETKEY123", origin="command line")
    page = ApiError(status_code=200, headers={}, body="<html><body>hello</body></html>")
    assert str(key_check_problem(target, page)).startswith(
        "http://127.0.0.1:9 (command line) is not a Label Studio server: it answered /health but "
        "not Label Studio's API (HTTP 200 on /api/current-user/whoami)"
    )
    revoked = ApiError(status_code=401, headers={}, body=None)
    assert str(key_check_problem(target, revoked)) == (
        "Label Studio at http://127.0.0.1:9 rejected the API key (command line; HTTP 401): it is "
        "wrong, expired or revoked"
    )
