"""The audit table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow


class AuditEvent(Model):
    """One audited event. Rows are only ever added; each holds a hash over its content and the previous row's hash.

    The chain is kept per school (``school_id`` NULL for deployment-wide events such as a failed sign-in for an
    unknown address), so that a school's log can be verified, exported or sharded on its own.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_audit_events_school_id_at", "school_id", "at"),
        Index("ix_audit_events_subject", "school_id", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # The chain this row belongs to: the school's id, or 0 for deployment-wide events.
    chain: Mapped[int] = mapped_column(Integer)
    # Position in the chain, from 1; unique with the chain, so two writers can never fork it silently.
    seq: Mapped[int] = mapped_column(Integer)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A dotted name such as ``auth.sign_in`` or ``concern.viewed``.
    kind: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    summary: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # Where the request came from; kept for investigating misuse.
    ip_address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class RecordLink(Model):
    """One record sealed in its school's records chain: a concern's original account and facts (``concern``), a
    chronology entry (``event``), or the disposal of a concern's content (``disposal``). Rows are only ever added.

    ``content_hash`` is the SHA-256 of the record's content as it was written (see :mod:`safeguard.audit.records`);
    ``hash`` covers the link itself and the previous link's hash, so a record edited, removed or slipped in breaks the
    chain, and the chain's head is anchored outside the database (:mod:`safeguard.audit.anchors`).
    """

    __tablename__ = "record_links"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_record_links_record", "chain", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # The school's id: one chain per school.
    chain: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # concern | event | disposal
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
