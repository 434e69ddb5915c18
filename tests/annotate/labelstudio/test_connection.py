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
