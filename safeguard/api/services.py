"""The API's rules: tokens (made, shown once, kept hashed, expiring, revoked, each use audited) and idempotency keys."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from safeguard.api import store
from safeguard.api.problems import FieldProblem, Problem
from safeguard.api.scopes import Scope
from safeguard.audit import services as audit
from safeguard.auth.models import User
from safeguard.core.sqltypes import utcnow
from safeguard.schools.models import School

# Every token starts with this, so that a secret scanner (or a person) can tell one in a file or a log.
TOKEN_PREFIX = "sgapi_"  # noqa: S105 (a prefix, not a secret)
DEFAULT_DAYS = 365
MAX_DAYS = 3 * 365
_BEARER = re.compile(r"^Bearer ([A-Za-z0-9_\-]{20,100})$")
# An idempotency key: printable ASCII, at most 200 characters (a UUID fits easily).
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


class TokenError(ValueError):
    """A token cannot be made as asked; the message is fit to show beside ``field``."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def token_hash(token: str) -> str:
    """The SHA-256 of a token (hex), as it is stored and looked up."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A token just made: the only moment its text exists outside the system that will use it."""

    id: int
    token: str
    expires_at: datetime


def create_token(
    school: School, name: str, scopes: Sequence[Scope], days: int, actor: User | None, now: datetime | None = None
) -> NewToken:
    """Make a token for ``school`` with ``scopes``, valid for ``days``; its text is returned once and kept hashed."""
    name = (name or "").strip()
    if not name:
        raise TokenError("Name the system the token is for.", field="name")
    if len(name) > 120:
        raise TokenError("The name can be at most 120 characters.", field="name")
    if not scopes:
        raise TokenError("Choose at least one scope.", field="scopes")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"A token lasts from 1 to {MAX_DAYS} days.", field="days")
    now = now or utcnow()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=days)
    token_id = store.insert_token(
        {
            "school_id": school.id,
            "name": name,
            "token_hash": token_hash(token),
            "prefix": token[: len(TOKEN_PREFIX) + 4],
            "scopes": " ".join(scope.value for scope in scopes),
            "created_at": now,
            "created_by_id": actor.id if actor else None,
            "expires_at": expires_at,
        }
    )
    audit.record(
        "api.token_created",
        f"API token made for {name} ({', '.join(s.value for s in scopes)}), valid for {days} days",
        school_id=school.id,
        actor_id=actor.id if actor else None,
        subject_type="api_token",
        subject_id=token_id,
        detail={"scopes": [s.value for s in scopes], "days": days},
    )
    return NewToken(token_id, token, expires_at)


def revoke_token(school: School, token_id: int, actor: User, now: datetime | None = None) -> bool:
    """Revoke one of the school's tokens at once; return whether it was still in force."""
    revoked = store.revoke(school.id, token_id, actor.id, now or utcnow())
    if revoked:
        audit.record(
            "api.token_revoked",
            "API token revoked",
            school_id=school.id,
            actor_id=actor.id,
            subject_type="api_token",
            subject_id=token_id,
        )
    return revoked


def authenticate(authorization: str | None, scope: Scope, now: datetime | None = None) -> store.TokenRow:
    """The token a request is made with, if it is in force and holds ``scope``; a :class:`Problem` otherwise (401
    without a valid token, 403 without the scope)."""
    challenge = {"WWW-Authenticate": 'Bearer realm="safeguard"'}
    match = _BEARER.match(authorization or "")
    if match is None:
        raise Problem(401, "Send the school's API token as 'Authorization: Bearer <token>'.", headers=challenge)
    token = store.token_by_hash(token_hash(match.group(1)))
    now = now or utcnow()
    if token is None:
        raise Problem(401, "This API token is not known.", headers=challenge)
    refused = None
    if token.revoked_at is not None:
        refused = Problem(401, "This API token was revoked by the school.", headers=challenge)
    elif token.expires_at <= now:
        refused = Problem(
            401, "This API token has expired: ask the school's administrator for a new one.", headers=challenge
        )
    elif scope.value not in token.scopes:
        refused = Problem(403, f"This token does not have the scope {scope.value}.", kind="insufficient-scope")
    if refused is not None:
        # A known token refused is still a use of it, audited like any other (see api.views.audit_token_use).
        refused.token = token
        raise refused
    return token


def record_use(token: store.TokenRow, method: str, path: str, status: int, now: datetime | None = None) -> None:
    """Audit a use of the token (kept even when the request is refused and rolled back)."""
    store.mark_used(token.id, now or utcnow())
    audit.record_read(
        "api.token_used",
        f"API token used: {method} {path} answered {status}",
        school_id=token.school_id,
        actor_id=None,
        subject_type="api_token",
        subject_id=token.id,
        detail={"method": method, "path": path, "status": status},
    )


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests with one idempotency key the same request."""
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str | None) -> str | None:
    """The ``Idempotency-Key`` header's value, or ``None`` when none was sent; a 422 for a key not of the form."""
    if key is None:
        return None
    if not _KEY.match(key):
        raise Problem(
            422,
            "The Idempotency-Key header must be 1 to 200 printable ASCII characters (a UUID, for example).",
            errors=[FieldProblem("header:Idempotency-Key", "not 1 to 200 printable ASCII characters")],
        )
    return key


def earlier_answer(token_id: int, key: str, print_: str) -> store.Kept | None:
    """The first answer to this key when the request is the same one again; a 409 when the key was used for another
    request; ``None`` when the key is new."""
    kept = store.kept_answer(token_id, key)
    if kept is None:
        return None
    if kept.fingerprint != print_:
        raise Problem(
            409,
            "This Idempotency-Key was used for a different request: use a new key for each new request.",
            kind="idempotency-key-reused",
        )
    return kept


def keep_answer(token_id: int, key: str, print_: str, status: int, body: dict[str, Any]) -> None:
    """Keep the first answer to ``key``; a 409 when a request with the same key was answered meanwhile (sent at the
    same time): this one then changes nothing, and sending it again gets the first answer."""
    kept = store.keep_answer(
        {
            "token_id": token_id,
            "key": key,
            "fingerprint": print_,
            "status": status,
            "body": body,
            "created_at": utcnow(),
        }
    )
    if not kept:
        raise Problem(
            409,
            "A request with this Idempotency-Key was answered at the same moment: send it again to get that answer.",
            kind="idempotency-key-in-use",
        )
