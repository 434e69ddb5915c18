"""Label Studio accounts that people log in with: signed up through the invite link, checked
by logging in through the login page.

Facts this module is built on (measured on Label Studio 1.23.2):
- the user API (`POST /api/users`, the SDK's `users.create`) has no password field: a user made
  that way cannot log in;
- the sign-up page with the organisation's invite token (`GET /api/invite`, the admin's "Add
  people" link) creates the user with the password given, adds them to the organisation and
  logs them in; it works with `LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true`, which
  `eventgold serve` sets, and on any server whose admin key we hold;
- both pages are Django forms: a CSRF cookie from a GET, then a POST with the token; success is
  a redirect (302), refusal the form again (200) with its errors in ``ul.field_errors``.
Passwords go in form bodies only, never in URLs or messages.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Iterator
from typing import Any

import httpx

from eventgold.annotate.labelstudio.connection import ConnectionProblem, Session, describe_error

SIGNUP_PATH = "user/signup/"
LOGIN_PATH = "user/login/"

_FIELD_ERRORS = re.compile(r'<ul class="field_errors">(.*?)</ul>', re.DOTALL)
_ITEM = re.compile(r"<li>(.*?)</li>", re.DOTALL)
_FORM_ERROR = re.compile(r'<p class="error">(.*?)</p>', re.DOTALL)


class AccountRefused(RuntimeError):
    """Label Studio refused a sign-up or a log-in; the message gives its reasons."""


def invite_token(session: Session) -> str:
    """The organisation's invite token (what the admin's "Add people" link carries)."""

    def get() -> str:
        resp = session.http.get(
            f"{session.url}/api/invite", headers=session.headers(), timeout=session.timeout
        )
        resp.raise_for_status()
        return str(resp.json()["token"])

    return session.call("reading the organisation's invite link", get)


def form_errors(page: str) -> list[str]:
    """The error texts a Label Studio form page shows (the form came back refused)."""
    items = [item for block in _FIELD_ERRORS.findall(page) for item in _ITEM.findall(block)]
    items += _FORM_ERROR.findall(page)
    return [html.unescape(re.sub(r"\s+", " ", item)).strip() for item in items]


def _post_form(
    client: httpx.Client, url: str, *, params: dict[str, str], fields: dict[str, str]
) -> httpx.Response:
    """GET the form (for its CSRF cookie), then POST it as a browser does."""
    client.get(url, params=params).raise_for_status()
    data = {**fields, "csrfmiddlewaretoken": client.cookies.get("csrftoken") or ""}
    return client.post(url, params=params, data=data, headers={"Referer": url})


def sign_up(session: Session, *, email: str, password: str) -> None:
    """Create a user who logs in with `email` and `password`, in the organisation."""
    token = invite_token(session)
    url = f"{session.url}/{SIGNUP_PATH}"
    try:
        with httpx.Client(timeout=session.timeout, follow_redirects=False) as client:
            resp = _post_form(
                client,
                url,
                params={"token": token},
                fields={"email": email, "password": password},
            )
    except httpx.HTTPError as exc:
        raise ConnectionProblem(
            f"signing up {email} at {session.url} failed: {describe_error(exc)}"
        ) from None
    if resp.status_code in (301, 302, 303):
        return
    reasons = form_errors(resp.text) if resp.status_code == 200 else []
    raise AccountRefused("; ".join(reasons) or f"the sign-up page answered HTTP {resp.status_code}")


@contextlib.contextmanager
def logged_in(
    url: str, *, email: str, password: str, timeout: float = 30.0
) -> Iterator[httpx.Client]:
    """An HTTP client logged in through the login page, as a person logs in."""
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            resp = _post_form(
                client,
                f"{url}/{LOGIN_PATH}",
                params={},
                fields={"email": email, "password": password},
            )
            if resp.status_code not in (301, 302, 303):
                reasons = form_errors(resp.text) if resp.status_code == 200 else []
                raise AccountRefused(
                    "; ".join(reasons) or f"the login page answered HTTP {resp.status_code}"
                )
            yield client
    except httpx.HTTPError as exc:
        raise ConnectionProblem(f"logging in to {url} failed: {describe_error(exc)}") from None


def whoami(client: httpx.Client, url: str) -> dict[str, Any]:
    """The user a logged-in client is, as the server says."""
    resp = client.get(f"{url}/api/current-user/whoami")
    resp.raise_for_status()
    return dict(resp.json())
