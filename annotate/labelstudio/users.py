"""Annotator names <-> Label Studio users, so who annotated what survives the round trip.

An annotation's annotator is `meta["annotator"]` in the record format and a user id
(`completed_by`) in Label Studio. Names without an ``@`` become users with the email
``<name>@eventgold.invalid`` (a reserved, never-routable domain), and pull turns those emails
back into the bare names; real emails pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

from eventgold.annotate.labelstudio.connection import Session

DOMAIN = "eventgold.invalid"


def email_for(name: str) -> str:
    return name if "@" in name else f"{name}@{DOMAIN}"


def name_for(email: str) -> str:
    suffix = f"@{DOMAIN}"
    return email[: -len(suffix)] if email.endswith(suffix) else email


def user_names(session: Session) -> dict[int, str]:
    """User id -> annotator name, read once (exports name annotators by id only)."""
    users = session.call("listing users", lambda: session.client.users.list())
    return {
        u.id: name_for(u.email or u.username or f"user {u.id}") for u in users if u.id is not None
    }


def ensure_users(session: Session, names: Iterable[str]) -> dict[str, int]:
    """Annotator name -> user id, creating the users that do not exist yet."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    by_name = {name: uid for uid, name in user_names(session).items()}
    for name in wanted:
        if name in by_name:
            continue
        email = email_for(name)
        user = session.call(
            f"creating the user {email}",
            lambda email=email, name=name: session.client.users.create(
                username=name, email=email, first_name=name
            ),
        )
        by_name[name] = int(user.id)
    return {name: by_name[name] for name in wanted}
