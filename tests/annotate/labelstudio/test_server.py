from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eventgold.annotate.labelstudio import server as srv
from eventgold.annotate.labelstudio.connection import ConnectionProblem, connect
from eventgold.cli import app

from ...conftest import TEST_CREDS

pytestmark = pytest.mark.labelstudio


def test_health_answers_on_the_port_asked_for(ls_server):
    assert ls_server.url.startswith("http://127.0.0.1:")
    assert srv.health(ls_server.url)


def test_busy_port_is_refused_not_silently_moved(ls_server, start_ls):
    port = int(ls_server.url.rsplit(":", 1)[1])
    with pytest.raises(srv.ServerError, match=f"port {port} on 127.0.0.1 is already in use"):
        start_ls(port=port)


def test_serve_refuses_a_busy_port_before_setting_anything_up(tmp_path):
    import socket

    home = srv.Home(tmp_path / ".eventgold")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(srv.ServerError, match=f"port {port} on 127.0.0.1 is already in use"):
            srv.serve(home, host="127.0.0.1", port=port)
        args = ["serve", "--home", str(home.root), "--port", str(port)]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "is already in use" in result.output
    assert "first run" not in result.output  # nothing announced that will not happen
    assert not home.root.exists()  # no credentials made, no 30 s init run


def test_a_url_with_a_path_or_no_scheme_is_named_as_the_problem(ls_server):
    for bad in ("notaurl", "ftp://x", "127.0.0.1:8080"):
        with pytest.raises(ConnectionProblem, match=f"^not a Label Studio URL: '{bad}'"):
            connect(url=bad, api_key="k")
    with pytest.raises(ConnectionProblem) as caught:
        connect(url=f"{ls_server.url}/foo", api_key=TEST_CREDS.token)
    message = str(caught.value)
    assert message.endswith("give the server's root URL, without a path")
    assert TEST_CREDS.token not in message


def test_malformed_urls_and_a_scheme_mismatch_are_named(ls_server):
    for bad, why in (
        ("http://[::1:18500", "Invalid IPv6 URL"),
        ("http://127.0.0.1:185000", "Port out of range"),
    ):
        with pytest.raises(ConnectionProblem, match=r"^not a valid URL: '.*' \(command line\)"):
            connect(url=bad, api_key="k")
        with pytest.raises(ConnectionProblem, match=why):
            connect(url=bad, api_key="k")
    https = ls_server.url.replace("http://", "https://")
    with pytest.raises(ConnectionProblem) as caught:
        connect(url=f" {https} ", api_key="k")  # spaces around it are not part of it
    message = str(caught.value)
    assert message.startswith(f"cannot reach Label Studio at {https} (command line): ")
    assert "TLS handshake failed (an https:// URL for a plain http:// server?)" in message
    assert "is it running" not in message


def test_connect_with_token(ls_server):
    session = connect(url=ls_server.url, api_key=TEST_CREDS.token)
    assert session.client.users.whoami().email == TEST_CREDS.username


def test_wrong_key_is_one_line_without_the_key(ls_server):
    with pytest.raises(ConnectionProblem) as info:
        connect(url=ls_server.url, api_key="not-the-key-abcdef")
    message = str(info.value)
    assert "rejected the API key" in message and "HTTP 401" in message
    assert "not-the-key" not in message and "\n" not in message


def test_server_not_started_says_so():
    port = srv.free_port()
    with pytest.raises(ConnectionProblem, match=r"cannot reach Label Studio .* is it running"):
        connect(url=f"http://127.0.0.1:{port}", api_key="x")


def test_missing_settings_explain_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    with pytest.raises(ConnectionProblem, match="eventgold serve"):
        connect(home=tmp_path / "nothing-here")


def test_the_local_token_goes_to_the_local_server_only(tmp_path, monkeypatch):
    from eventgold.annotate.labelstudio.connection import resolve

    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    home = srv.Home(tmp_path / ".eventgold")
    creds = srv.Credentials.generate()
    srv.save_credentials(home.credentials, creds)
    home.state.write_text(json.dumps({"url": "http://127.0.0.1:8080", "pid": 1}))
    local = resolve(url=None, api_key=None, home=home.root)
    assert (local.url, local.api_key) == ("http://127.0.0.1:8080", creds.token)
    same = resolve(url="http://127.0.0.1:8080/", api_key=None, home=home.root)
    assert same.api_key == creds.token
    with pytest.raises(ConnectionProblem, match=r"^no API key for http://other\.example:8080") as e:
        resolve(url="http://other.example:8080", api_key=None, home=home.root)
    assert creds.token not in str(e.value)
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://other.example:8080")
    with pytest.raises(ConnectionProblem, match="no API key"):
        resolve(url=None, api_key=None, home=home.root)


def test_credentials_file_is_private_and_repr_hides_secrets(tmp_path):
    creds = srv.Credentials.generate()
    path = tmp_path / "c" / "credentials.json"
    srv.save_credentials(path, creds)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert srv.load_credentials(path) == creds
    assert creds.token not in repr(creds) and creds.password not in repr(creds)
    assert json.loads(path.read_text())["token"] == creds.token


def test_postgres_url_maps_to_label_studio_env():
    env = srv.Database("postgres://u:pw@db.local:5433/ls").env()
    assert env == {
        "DJANGO_DB": "default",
        "POSTGRE_NAME": "ls",
        "POSTGRE_USER": "u",
        "POSTGRE_PASSWORD": "pw",
        "POSTGRE_HOST": "db.local",
        "POSTGRE_PORT": "5433",
    }
    with pytest.raises(srv.ServerError, match="got scheme 'mysql'"):
        srv.Database("mysql://x").env()


def test_copy_template_refuses_to_overwrite(tmp_path: Path, ls_template: Path):
    target = tmp_path / "d"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    with pytest.raises(srv.ServerError, match="non-empty folder"):
        srv.copy_template(ls_template, target)
