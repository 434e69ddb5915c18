"""Connecting to a Label Studio server, with errors a user can act on.

Where the URL and key come from, first found wins: explicit arguments (`--url`/`--api-key`),
the `LABEL_STUDIO_URL` / `LABEL_STUDIO_API_KEY` environment, then the local server started by
`eventgold serve` in this working directory. Both legacy tokens and personal access tokens
(JWT refresh tokens) work: the SDK tells them apart. The key is never put in a message.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import httpx
from label_studio_sdk.core.api_error import ApiError

if TYPE_CHECKING:  # the client module takes 1.5 s to import: only commands that connect pay
    from label_studio_sdk import LabelStudio

from eventgold.annotate.labelstudio.server import (
    DEFAULT_HOME,
    Home,
    ServerError,
    home_option,
    load_credentials,
    read_state,
)

T = TypeVar("T")

URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"


class ConnectionProblem(RuntimeError):
    """Label Studio is unreachable, rejected the key, or kept failing; one line says which."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    api_key: str
    origin: str  # where the settings came from, for messages ("--url", "environment", ...)

    def __repr__(self) -> str:
        return f"Target(url={self.url!r}, api_key=***, origin={self.origin!r})"


_USERINFO = re.compile(r"//[^/?#]*@")


def masked_url(url: str) -> str:
    """`url` with any user name and password replaced by ``***``, for messages."""
    return _USERINFO.sub("//***@", url, count=1)


def resolve(*, url: str | None, api_key: str | None, home: Path = DEFAULT_HOME) -> Target:
    """Find the server and key to use, or explain what is missing."""
    if url or api_key:
        origin = "command line"
    elif os.environ.get(URL_ENV) or os.environ.get(KEY_ENV):
        origin = "environment"
    else:
        origin = "local server"
    url = url or os.environ.get(URL_ENV) or ""
    api_key = api_key or os.environ.get(KEY_ENV) or ""
    local = Home(Path(home))
    if not url or not api_key:
        try:
            creds = load_credentials(local.credentials)
            state = read_state(local) if creds is not None else None
        except ServerError as exc:
            raise ConnectionProblem(str(exc)) from None
        if creds is not None and state is not None:
            local_url = str(state["url"])
            # The local admin token goes to the local server only, never to a URL given for
            # another one (it would hand that server the key).
            if not url or url.rstrip("/") == local_url.rstrip("/"):
                url = url or local_url
                api_key = api_key or creds.token
                origin = origin if origin != "local server" else f"local server in {local.root}"
    if not url:
        raise ConnectionProblem(
            f"no Label Studio to talk to: pass --url and --api-key, set {URL_ENV} and {KEY_ENV}, "
            f"or start the local one with `eventgold serve{home_option(local)}` (none was "
            f"started from {local.root})"
        )
    url = url.strip()
    shown = masked_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise ConnectionProblem(f"not a valid URL: {shown!r} ({origin}): {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConnectionProblem(
            f"not a Label Studio URL: {shown!r} ({origin}); give the server's address, such as "
            "http://127.0.0.1:8080"
        )
    if "@" in parts.netloc:
        # Every later message names the URL; a password in it would be printed with them.
        raise ConnectionProblem(
            f"the Label Studio URL {shown!r} ({origin}) holds a user name or password; give it "
            "without them: eventgold signs in with the API key (--api-key)"
        )
    if not api_key:
        raise ConnectionProblem(
            f"no API key for {url}: pass --api-key or set {KEY_ENV} (Label Studio: Account & "
            "Settings > Access Token)"
        )
    return Target(url=url.rstrip("/"), api_key=api_key, origin=origin)


@dataclass(frozen=True, slots=True)
class Retry:
    """Bounded retries with exponential backoff and jitter for transient failures."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delays(self) -> Iterator[float]:
        for i in range(self.attempts - 1):
            yield min(self.max_delay, self.base_delay * 2**i) * (0.5 + random.random() / 2)


DEFAULT_RETRY = Retry()


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, ApiError):
        return exc.status_code is None or exc.status_code >= 500 or exc.status_code == 429
    if isinstance(exc, httpx.HTTPStatusError):
        code = exc.response.status_code
        return code >= 500 or code == 429
    return False


class Backoff:
    """The one retry policy of eventgold, for one operation: after a transient failure, wait
    (`Retry.delays`) and let the caller try again; otherwise, or once the attempts are spent,
    raise. Callers whose retry must first look at what a failed attempt committed (push's
    imports) or that stream (the export) keep their own loop and call `wait_or_raise`."""

    def __init__(self, retry: Retry, *, what: str, url: str, hint: str = "") -> None:
        self.retry, self.what, self.url, self.hint = retry, what, url, hint
        self._delays = retry.delays()

    def wait_or_raise(self, exc: Exception) -> None:
        """Sleep before the next attempt; re-raise `exc` if it is not transient, and raise one
        clear `ConnectionProblem` (with the hint) when no attempt is left."""
        if not is_transient(exc):
            raise exc
        delay = next(self._delays, None)
        if delay is None:
            hint = f"; {self.hint}" if self.hint else ""
            raise ConnectionProblem(
                f"{self.what} failed {self.retry.attempts} times against {self.url}: "
                f"{describe_error(exc)}{hint}"
            ) from exc
        time.sleep(delay)


def with_retry(call: Callable[[], T], *, what: str, url: str, retry: Retry = DEFAULT_RETRY) -> T:
    """Run `call`, retrying transient failures (`Backoff`); then raise one `ConnectionProblem`."""
    backoff = Backoff(retry, what=what, url=url)
    while True:
        try:
            return call()
        except Exception as exc:
            backoff.wait_or_raise(exc)


def describe_error(exc: BaseException) -> str:
    """A short, secret-free description of an HTTP failure."""
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "ssl" in text or "tls" in text:
            return "the TLS handshake failed (an https:// URL for a plain http:// server?)"
        if "name or service not known" in text or "name resolution" in text or "nodename" in text:
            return "host name not found"
        return "connection refused or host unreachable"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, ApiError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


@dataclass(frozen=True, slots=True)
class Session:
    """A checked connection: the SDK client, and the HTTP client under it for the raw calls
    the SDK makes slow (bulk import, chunked export). One client, one connection pool: a new
    client costs ~50 ms of CA-bundle loading, even for plain HTTP."""

    target: Target
    client: LabelStudio
    http: httpx.Client
    timeout: float
    retry: Retry

    @property
    def url(self) -> str:
        return self.target.url

    def headers(self) -> dict[str, str]:
        # The SDK knows how to turn a personal access token into a bearer token; reuse it.
        return dict(self.client._client_wrapper.get_headers())

    def call(self, what: str, fn: Callable[[], T]) -> T:
        return with_retry(fn, what=what, url=self.url, retry=self.retry)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    *,
    url: str | None = None,
    api_key: str | None = None,
    home: Path = DEFAULT_HOME,
    timeout: float = 60.0,
    retry: Retry = DEFAULT_RETRY,
) -> Session:
    """Resolve, connect and check the key with one cheap authenticated request."""
    target = resolve(url=url, api_key=api_key, home=home)
    http = httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        return _checked(target, http, timeout=timeout, retry=retry)
    except BaseException:
        http.close()
        raise


def _checked(target: Target, http: httpx.Client, *, timeout: float, retry: Retry) -> Session:
    try:
        resp = with_retry(
            lambda: http.get(f"{target.url}/health", timeout=min(timeout, 10.0)),
            what="health check",
            url=target.url,
            retry=Retry(attempts=2, base_delay=0.5),
        )
    except ConnectionProblem as exc:
        why = describe_error(exc.__cause__ or exc)
        running = why.startswith("connection refused") or why == "timed out"
        hint = "; is it running? (`eventgold serve` starts one)" if running else ""
        raise ConnectionProblem(
            f"cannot reach Label Studio at {target.url} ({target.origin}): {why}{hint}"
        ) from None
    except httpx.InvalidURL:
        raise ConnectionProblem(f"not a valid URL: {target.url!r}") from None
    if resp.status_code != 200:
        raise ConnectionProblem(
            f"{target.url} answered HTTP {resp.status_code} on /health: is this a Label Studio "
            "server?"
        )
    from label_studio_sdk import LabelStudio

    try:
        client = LabelStudio(
            base_url=target.url, api_key=target.api_key, timeout=timeout, httpx_client=http
        )
        session = Session(target=target, client=client, http=http, timeout=timeout, retry=retry)
        user = session.call("checking the API key", lambda: client.users.whoami())
        if getattr(user, "id", None) is None:  # /health and /api answered, but not as LS does
            raise ConnectionProblem(
                f"{target.url} ({target.origin}) answered the key check without a user: is it "
                "a Label Studio server?"
            )
    except ApiError as exc:
        raise key_check_problem(target, exc) from None
    except Exception as exc:
        if isinstance(exc, ConnectionProblem):
            raise
        raise ConnectionProblem(
            f"Label Studio at {target.url} rejected the API key ({target.origin}): "
            f"{describe_error(exc)}"
        ) from None
    return session


WHOAMI = "/api/current-user/whoami"


def key_check_problem(target: Target, exc: ApiError) -> ConnectionProblem:
    """What a failed key check (`WHOAMI`, after /health answered) says about the server."""
    where = f"{target.url} ({target.origin})"
    status = exc.status_code
    if status in (401, 403):
        return ConnectionProblem(
            f"Label Studio at {target.url} rejected the API key ({target.origin}; HTTP "
            f"{status}): it is wrong, expired or revoked"
        )
    if status == 404 and urlsplit(target.url).path.strip("/"):
        # /health answered (Label Studio's pages answer any path), the API did not.
        return ConnectionProblem(
            f"{where} has no Label Studio API (HTTP 404 on {WHOAMI}): give the server's root "
            "URL, without a path"
        )
    if status == 404 or (status is not None and 200 <= status < 300):
        # A 2xx here is a body the SDK could not read as JSON (an HTML page, a proxy's answer).
        return ConnectionProblem(
            f"{where} is not a Label Studio server: it answered /health but not Label Studio's "
            f"API (HTTP {status} on {WHOAMI}); an ML backend (`eventgold backend serve`) or "
            "another web server on that port answers so: give Label Studio's address"
        )
    return ConnectionProblem(f"Label Studio at {target.url} failed the key check: HTTP {status}")
