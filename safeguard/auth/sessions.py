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
from typing import Any

from flask import flash

from safeguard.audit import services as audit
from safeguard.auth import store
from safeguard.auth.models import Role, User
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


# ---------------------------------------------------------------------------------------------------------------
# The school a session works in (an account may hold roles in several schools of the deployment)


def working_in(row: Any, token: str) -> User:
    """The signed-in person of a row of :data:`~safeguard.auth.store.SIGNED_IN`, working in their session's school
    with their roles there. A school they may no longer work in (a membership removed, a trust lead's access ended)
    sends them back to their own school, and they are told."""
    user: User = row.User
    school = row.School
    if school.id == user.school_id:
        user.work_in(school, store.roles_of(row.own_roles))
        return user
    roles = store.roles_of(row.member_roles)
    if row.trust_access:
        user.work_in(school, roles | {Role.TRUST_LEAD}, trust_access=True)
        return user
    if roles:
        user.work_in(school, roles)
        return user
    store.set_session_school(token_hash(token), user.school_id)
    flash(f"You can no longer work in {school.name}: you are back in your own school.", "info")
    user.work_in(user.school, store.roles_of(row.own_roles))
    return user


def schools(user: User) -> list[store.SchoolChoice]:
    """The schools ``user`` may work in now, in name order."""
    return store.schools_of(user.id, user.home_school_id, utcnow())


def switch_school(user: User, token: str, school_id: int) -> store.SchoolChoice | None:
    """Work in another school from the next request on; ``None`` if ``user`` may not work there. Audited in the
    chains of both schools: the one left, and the one entered."""
    choice = next((c for c in schools(user) if c.id == school_id), None)
    if choice is None:
        return None
    left = user.school_id
    store.set_session_school(token_hash(token), choice.id)
    detail = {"from_school_id": left, "to_school_id": choice.id, "trust_access": choice.trust_access}
    if left != choice.id:
        audit.record(
            "auth.school_left",
            f"Switched to another school ({choice.code})",
            school_id=left,
            actor_id=user.id,
            subject_type="user",
            subject_id=user.id,
            detail=detail,
        )
    summary = "Started working in this school" + (" (trust lead's granted access)" if choice.trust_access else "")
    audit.record(
        "auth.school_entered",
        summary,
        school_id=choice.id,
        actor_id=user.id,
        subject_type="user",
        subject_id=user.id,
        detail=detail,
    )
    return choice
