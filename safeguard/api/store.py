"""Every statement about API tokens and idempotent answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from safeguard.api.models import ApiToken, IdempotentAnswer
from safeguard.core.extensions import db
from safeguard.core.statements import transaction_connection
from safeguard.schools.models import School


@dataclass(frozen=True)
class TokenRow:
    """A token as a request to the API needs it."""

    id: int
    school_id: int
    school_code: str
    name: str
    scopes: frozenset[str]
    expires_at: datetime
    revoked_at: datetime | None


_BY_HASH = (
    select(
        ApiToken.id,
        ApiToken.school_id,
        School.code,
        ApiToken.name,
        ApiToken.scopes,
        ApiToken.expires_at,
        ApiToken.revoked_at,
    )
    .join(School, School.id == ApiToken.school_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)
_USED = update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("now"))


def token_by_hash(token_hash: str) -> TokenRow | None:
    """The token whose SHA-256 is ``token_hash``, or ``None``."""
    row = db.session.execute(_BY_HASH, {"token_hash": token_hash}).first()
    if row is None:
        return None
    return TokenRow(
        row.id, row.school_id, row.code, row.name, frozenset(row.scopes.split()), row.expires_at, row.revoked_at
    )


def mark_used(token_id: int, now: datetime) -> None:
    """Note when the token was last used."""
    transaction_connection().execute(_USED, {"token_id": token_id, "now": now})


def insert_token(columns: dict[str, Any]) -> int:
    """Add a token; return its id."""
    table = ApiToken.__table__
    return int(transaction_connection().execute(table.insert().returning(table.c.id), columns).scalar_one())


def school_tokens(school_id: int) -> list[ApiToken]:
    """The school's tokens, newest first."""
    query = select(ApiToken).where(ApiToken.school_id == school_id).order_by(ApiToken.created_at.desc(), ApiToken.id)
    return list(db.session.scalars(query))


def token(school_id: int, token_id: int) -> ApiToken | None:
    """One of the school's tokens, or ``None``."""
    return db.session.scalar(select(ApiToken).where(ApiToken.school_id == school_id, ApiToken.id == token_id))


def revoke(school_id: int, token_id: int, by_id: int | None, now: datetime) -> bool:
    """Revoke a token not revoked yet; return whether it was."""
    statement = (
        update(ApiToken)
        .where(ApiToken.school_id == school_id, ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=by_id)
    )
    result = transaction_connection().execute(statement)
    return bool(result.rowcount)


@dataclass(frozen=True)
class Kept:
    """An answer kept for an idempotency key."""

    fingerprint: str
    status: int
    body: dict[str, Any]


_KEPT = select(IdempotentAnswer.fingerprint, IdempotentAnswer.status, IdempotentAnswer.body).where(
    IdempotentAnswer.token_id == bindparam("token_id"), IdempotentAnswer.key == bindparam("key")
)


def kept_answer(token_id: int, key: str) -> Kept | None:
    """The answer kept for the token's ``key``, or ``None``."""
    row = transaction_connection().execute(_KEPT, {"token_id": token_id, "key": key}).first()
    return Kept(row.fingerprint, row.status, row.body) if row else None


def keep_answer(columns: dict[str, Any]) -> bool:
    """Keep the first answer to a key; return ``False`` when another request kept one for it first (at the same
    time: the unique key decides, with no error)."""
    connection = transaction_connection()
    table = IdempotentAnswer.__table__
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)
    statement = insert.values(**columns).on_conflict_do_nothing(index_elements=["token_id", "key"])
    return bool(connection.execute(statement.returning(table.c.id)).first())


def school(school_id: int) -> School:
    """The token's school (it exists: a token belongs to one)."""
    found = db.session.get(School, school_id)
    if found is None:  # never: api_tokens.school_id is a foreign key
        raise LookupError("a token's school vanished")
    return found
