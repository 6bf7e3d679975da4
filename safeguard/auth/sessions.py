"""Signed-in sessions: started when a person signs in, checked on every request, ended by signing out and by every
change that must sign a person out everywhere (see :class:`~safeguard.auth.models.SignInSession`).

The session cookie carries a random token (``session["sid"]``); the server keeps only its SHA-256. The check costs
no statement of its own: the signed-in person is loaded only with a live session (``store.live_session_of``).
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from safeguard.audit import services as audit
from safeguard.auth import store
from safeguard.auth.models import User
from safeguard.core.sqltypes import utcnow

# The key of the session's token in the (signed) session cookie.
TOKEN_KEY = "sid"  # noqa: S105 (the name of a key, not a secret)


class Ended(enum.StrEnum):
    """Why a session ended, as kept on its row."""

    SIGNED_OUT = "signed out"
    PASSWORD_CHANGED = "password changed"  # noqa: S105 (a reason, not a secret)
    PASSWORD_RESET = "password reset"  # noqa: S105 (a reason, not a secret)
    SECOND_FACTOR_RESET = "second factor reset"
    DEACTIVATED = "deactivated"
    BY_PERSON = "ended by the person"
    BY_ADMINISTRATOR = "ended by an administrator"
    IDLE = "idle"


# Browsers and systems a person would recognise, in the order a user-agent string is best read (Edge and Opera also
# say "Chrome"; Chrome also says "Safari"; Android also says "Linux").
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


@dataclass(frozen=True)
class LiveSession:
    """A signed-in browser, as the person's list shows it."""

    id: int
    browser: str
    ip_address: str | None
    started_at: datetime
    last_seen_at: datetime
    current: bool


def token_hash(token: str) -> str:
    """What the server keeps of a session's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def browser_name(user_agent: str) -> str:
    """A browser as a person recognises it ("Firefox on Windows"), from its user-agent string; only for display."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or _UNPRINTABLE.sub("", user_agent)[:60] or "Unknown browser"


def start(user: User, user_agent: str, ip_address: str | None) -> str:
    """Record a new signed-in session for ``user``; the token to keep in the session cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    store.insert_session(
        {
            "token_hash": token_hash(token),
            "user_id": user.id,
            "school_id": user.school_id,
            "started_at": now,
            "last_seen_at": now,
            "browser": browser_name(user_agent or "")[:120],
            "ip_address": (ip_address or None) and ip_address[:45],
        }
    )
    return token


def end_current(user_id: int, token: str | None, reason: Ended) -> None:
    """End the session with ``token`` (signing out, or signed out after inactivity)."""
    if token:
        store.end_session_by_hash(user_id, token_hash(token), utcnow(), reason)


def end_all(user: User, reason: Ended) -> int:
    """End every session of ``user``, in every browser; how many were live. Called by the services that must sign a
    person out everywhere (a password change or reset, a second-factor reset, deactivation)."""
    return store.end_sessions(user.id, utcnow(), reason)


def end_everywhere(user: User, *, actor: User) -> int:
    """An administrator signs ``user`` out of every browser (a lost phone, a shared computer); audited."""
    ended = end_all(user, Ended.BY_ADMINISTRATOR)
    audit.record_about_user(
        "auth.sessions_ended", "Signed out everywhere by an administrator", user, actor=actor, detail={"ended": ended}
    )
    return ended


def end_own(user: User, session_id: int) -> bool:
    """The person ends one of their own sessions (another browser); whether one was ended. Audited."""
    ended = store.end_session_by_id(user.id, session_id, utcnow(), Ended.BY_PERSON) > 0
    if ended:
        audit.record_about_user("auth.session_ended", "Signed out another browser", user)
    return ended


def end_others(user: User, token: str) -> int:
    """The person signs out every browser but this one; how many were ended. Audited."""
    ended = store.end_other_sessions(user.id, token_hash(token), utcnow(), Ended.BY_PERSON)
    if ended:
        audit.record_about_user("auth.sessions_ended", "Signed out every other browser", user, detail={"ended": ended})
    return ended


def live(user: User, token: str | None, *, idle: timedelta, lifetime: timedelta) -> list[LiveSession]:
    """The person's live sessions, the most recently active first, with the one of ``token`` marked as current.

    Sessions idle for longer than ``idle`` (and a minute, as activity is recorded once a minute) or started longer
    than ``lifetime`` ago have already ended in their browser and are not listed: the app's ``IDLE_TIMEOUT`` and
    ``PERMANENT_SESSION_LIFETIME``, which the caller passes.
    """
    now = utcnow()
    current = token_hash(token) if token else None
    rows = store.live_sessions(user.id, now - idle - timedelta(minutes=1), now - lifetime)
    return [
        LiveSession(row.id, row.browser, row.ip_address, row.started_at, row.last_seen_at, row.token_hash == current)
        for row in rows
    ]


def touch(token: str | None) -> None:
    """Record activity on the session with ``token`` (at most once a minute: see ``enforce_idle_timeout``)."""
    if token:
        store.touch_session(token_hash(token), utcnow())
