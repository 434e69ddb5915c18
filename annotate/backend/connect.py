"""Connecting a running backend to a Label Studio project (the SDK's ``ml.create``).

Label Studio checks the backend when it is added (``/health``, then ``/setup``) and adds a
webhook ``<backend>/webhook`` for every project event, which is how the backend learns. The
project is then set to show predictions when a task opens (``show_collab_predictions``, and
``model_version`` set to the backend's title, so that Label Studio asks the backend for a
prediction of the current model version whenever a task without one opens).

Label Studio 1.23.2 refuses a backend on a local or private address (127.0.0.1, 10.x, ...)
unless the server runs with ``ML_BLOCK_LOCAL_IP=false``, and it silently makes no webhook to such
an address unless ``SSRF_PROTECTION_ENABLED=false``; both refusals are reported with that fix.
Connecting again updates the existing connection instead of adding a second one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from label_studio_sdk.core.api_error import ApiError

from eventgold.annotate.labelstudio.connection import Session, masked_url
from eventgold.annotate.labelstudio.project import require_project
from eventgold.problems import Problem, ProblemsError

DEFAULT_TITLE = "eventgold"
LOCAL_ADDRESS_HINT = (
    "Label Studio refuses ML backends on local or private addresses by default: start it with "
    "ML_BLOCK_LOCAL_IP=false (and SSRF_PROTECTION_ENABLED=false for the learning webhook), "
    "e.g. `ML_BLOCK_LOCAL_IP=false SSRF_PROTECTION_ENABLED=false eventgold serve`"
)
CONNECTED = "CO"  # MLBackendState.CONNECTED
DISCONNECTED = "DI"
# Label Studio 1.23.2's MLBackendState codes, as its UI names them.
BACKEND_STATES = {
    CONNECTED: "connected",
    DISCONNECTED: "disconnected",
    "ER": "error",
    "TR": "training",
    "PR": "predicting",
}


@dataclass(frozen=True, slots=True)
class ConnectReport:
    project_id: int
    backend_id: int
    created: bool  # False: an existing connection to the same URL was updated
    model_version: str
    interactive: bool
    webhook: bool  # Label Studio will post annotation events to <url>/webhook
    webhook_problem: str = ""  # why there is no webhook, if there is none


def find_backend(session: Session, project_id: int, url: str) -> int | None:
    """The id of the project's ML backend at `url`, if it has one."""
    backends = session.call(
        "listing ML backends", lambda: session.client.ml.list(project=project_id)
    )
    wanted = url.rstrip("/")
    return next((b.id for b in backends if (b.url or "").rstrip("/") == wanted), None)


def _refused(exc: ApiError, url: str, project: str) -> ProblemsError:
    reason = label_studio_reason(exc.body)
    if "health check failed" in reason:
        refused = "connection refused" if "connection refused" in reason.lower() else "no answer"
        why = (
            f"Label Studio cannot reach the backend at {url} ({refused} on /health); start it "
            "with `eventgold backend serve`, and give --url as the Label Studio server reaches it"
        )
    else:
        # "URL resolves to a reserved network address (block: 127.0.0.0/8)", or "The provided
        # URL was not allowed ... local or private network addresses"
        local = "block" in reason.lower() or "not allowed" in reason
        why = f"Label Studio refused the backend {url}: {reason[:300]}" + (
            f"; {LOCAL_ADDRESS_HINT}" if local else ""
        )
    return ProblemsError([Problem(f"project {project!r}", why)], summary=f"cannot connect {url}")


def label_studio_reason(body: object) -> str:
    """The message of a Label Studio error body (its validation errors, else its detail),
    without the HTML links it carries; not the request id or the version."""
    if isinstance(body, dict):
        errors = body.get("validation_errors")
        if isinstance(errors, dict) and errors:
            found = [m for ms in errors.values() for m in (ms if isinstance(ms, list) else [ms])]
            text = " ".join(str(m) for m in found)
        else:
            text = str(body.get("detail") or body)
    else:
        text = str(body)
    return re.sub(r"<[^>]*>", "", text)


def _require_backend_url(url: str, project: str) -> None:
    """Refuse, before any request, what is not an http(s) address, or holds a user name or
    password (Label Studio would store it, and messages would show it)."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname and "@" not in parts.netloc:
        return
    shown = masked_url(url)
    why = (
        "holds a user name or password; give it without them"
        if "@" in parts.netloc
        else "give the backend's address as the Label Studio server reaches it, such as "
        "http://127.0.0.1:9090"
    )
    raise ProblemsError(
        [Problem("--url", f"not a backend URL: {shown!r}; {why}")],
        summary=f"cannot connect a backend to project {project!r}",
    )


def _ensure_webhook(session: Session, project_id: int, url: str) -> tuple[bool, str]:
    """Whether the backend's webhook exists (added when missing); else why it cannot be."""
    hook = url.rstrip("/") + "/webhook"
    hooks = session.call(
        "listing webhooks", lambda: session.client.webhooks.list(project=project_id)
    )
    if any(h.url == hook for h in hooks):
        return True, ""
    try:
        session.call(
            "adding the learning webhook",
            lambda: session.client.webhooks.create(
                project=project_id, url=hook, send_payload=True, send_for_all_actions=True
            ),
        )
    except ApiError as exc:
        reason = label_studio_reason(exc.body)[:200]
        return False, f"Label Studio refused the webhook {hook}: {reason}; {LOCAL_ADDRESS_HINT}"
    return True, ""


def connect_backend(
    session: Session,
    *,
    project_title: str,
    url: str,
    interactive: bool = False,
    title: str = DEFAULT_TITLE,
) -> ConnectReport:
    """Add the backend at `url` to the project (or update it), and show its predictions."""
    _require_backend_url(url, project_title)
    project = require_project(session, project_title)
    url = url.rstrip("/")
    existing = find_backend(session, project.id, url)
    try:
        if existing is None:
            backend = session.call(
                "adding the ML backend",
                lambda: session.client.ml.create(
                    project=project.id, url=url, is_interactive=interactive, title=title
                ),
            )
        else:
            backend = session.call(
                "updating the ML backend",
                # Label Studio 1.23.2 answers HTTP 500 to an update that does not name the
                # project (its check calls /setup without one).
                lambda: session.client.ml.update(
                    id=existing,
                    project=project.id,
                    url=url,
                    is_interactive=interactive,
                    title=title,
                ),
            )
    except ApiError as exc:
        raise _refused(exc, url, project_title) from None
    if backend.state != CONNECTED:
        raise ProblemsError(
            [
                Problem(
                    f"project {project_title!r}",
                    f"Label Studio added the backend {url} but cannot use it (Label Studio "
                    f"says: {BACKEND_STATES.get(backend.state or '', backend.state)}): "
                    f"{backend.error_message or 'no answer to /health'}",
                )
            ],
            summary=f"backend {url} is not usable",
        )
    session.call(
        "showing predictions when a task opens",
        lambda: session.client.projects.update(
            id=project.id, show_collab_predictions=True, model_version=title
        ),
    )
    webhook, why = _ensure_webhook(session, project.id, url)
    return ConnectReport(
        project_id=project.id,
        backend_id=backend.id,
        created=existing is None,
        model_version=backend.model_version or "",
        interactive=interactive,
        webhook=webhook,
        webhook_problem=why,
    )
