"""API tokens and the answers kept for idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow


class ApiToken(Model):
    """A school's token for one system (the MIS broker, the monitoring software), with the scopes it was given.

    The token itself is shown once, when it is made; only its SHA-256 is kept, so a copy of the database cannot be
    used to call the API.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_school_id_created_at", "school_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # What the token is for, as the administrator named it ("Wonde", "Smoothwall").
    name: Mapped[str] = mapped_column(String(120))
    # The SHA-256 (hex) of the whole token: what a request's token is looked up by.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, shown on the page so that a token in a system's settings can be told apart.
    prefix: Mapped[str] = mapped_column(String(16))
    # The scopes granted, separated by spaces (see api/scopes.py).
    scopes: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def scope_list(self) -> list[str]:
        """The scopes granted, in the order they were written."""
        return self.scopes.split()


class IdempotentAnswer(Model):
    """The first answer to a write sent with an ``Idempotency-Key``, kept per token: the same key and body get it
    again; the same key with another body is refused."""

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the method, the path and the body, as sent.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
