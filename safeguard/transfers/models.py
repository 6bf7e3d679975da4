"""Keys, partner schools, transfers sent and received, and the chronology of a file received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow

# How a file was sent.
SAFEGUARD = "safeguard"  # posted to the receiving school's Safeguard
LINK = "link"  # a one-time link, with a code sent separately
FILE = "file"  # a package file written by the command line, carried by the school


class SchoolKey(Model):
    """The school's Ed25519 key: the public half as the other schools register it, the private half sealed with
    the server's encryption key (``UPLOAD_ENCRYPTION_KEY``, or one derived from ``SECRET_KEY``). Made on first use."""

    __tablename__ = "school_keys"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    # The verify key, base64 (44 characters).
    public_key: Mapped[str] = mapped_column(String(64))
    # Nonce and AES-256-GCM ciphertext of the 32-byte seed, base64. Never shown, never logged.
    sealed_private_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TransferPartner(Model):
    """Another school this one sends files to or receives them from: its name, its Safeguard's address (empty for
    a school whose packages come by file only) and its public key, exchanged out of band."""

    __tablename__ = "transfer_partners"
    __table_args__ = (UniqueConstraint("school_id", "public_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(300), default="")
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SentTransfer(Model):
    """A child's file sent to the next school, and what became of it: delivered (the receiving Safeguard's signed
    receipt, or the link's download), receipt confirmed (the receiving DSL)."""

    __tablename__ = "sent_transfers"
    __table_args__ = (Index("ix_sent_transfers_school_id_sent_at", "school_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    # The package's id (32 hex digits), which the receiving school keeps to refuse a replay.
    package_id: Mapped[str] = mapped_column(String(32), unique=True)
    # safeguard | link | file
    way: Mapped[str] = mapped_column(String(10))
    to_name: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("transfer_partners.id"))
    concerns: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who confirmed receipt, as they gave their name (a link) or as the receiving Safeguard signed it.
    confirmed_by: Mapped[str] = mapped_column(String(200), default="")
    # The receiving school's signed receipt (JSON), as it came.
    receipt: Mapped[str] = mapped_column(Text, default="")
    # A one-time link: the SHA-256 of its token and of its code (neither is kept), and when it expires.
    link_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    link_code_hash: Mapped[str | None] = mapped_column(String(64))
    link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The file a link downloads (core.storage, sealed at rest), until it is downloaded or expires.
    storage_name: Mapped[str | None] = mapped_column(String(40))
    storage_sha256: Mapped[str | None] = mapped_column(String(64))


class ReceivedTransfer(Model):
    """A package received from another school: who sent it, whom it is about, and, once the DSL has imported it,
    the child it was filed under. The package itself is kept as it came (core.storage, sealed at rest)."""

    __tablename__ = "received_transfers"
    __table_args__ = (UniqueConstraint("school_id", "package_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    package_id: Mapped[str] = mapped_column(String(32))
    from_name: Mapped[str] = mapped_column(String(200))
    from_code: Mapped[str] = mapped_column(String(6))
    from_key: Mapped[str] = mapped_column(String(64))
    # Where the sending Safeguard takes the confirmation of receipt (empty: none).
    reply_to: Mapped[str] = mapped_column(String(300), default="")
    upn: Mapped[str] = mapped_column(String(20))
    child_name: Mapped[str] = mapped_column(String(200))
    concerns: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    storage_name: Mapped[str] = mapped_column(String(40))
    storage_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id"))


class TransferredConcern(Model):
    """A concern of a file received, as the sending school recorded it. Never changed (the database refuses)."""

    __tablename__ = "transferred_concerns"
    __table_args__ = (Index("ix_transferred_concerns_school_id_pupil_id", "school_id", "pupil_id", "logged_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    received_id: Mapped[int] = mapped_column(ForeignKey("received_transfers.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    position: Mapped[int] = mapped_column(Integer)
    # The sending school's reference (OAK-2026-0042).
    reference: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean)
    categories: Mapped[str] = mapped_column(Text)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reporter: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(200))
    account: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    # As the sending school held it (access.models.AccessLevel): a restricted or sealed concern is read here by the
    # lead DSL only (auth.permissions.reads_restricted_transfers).
    access_level: Mapped[str] = mapped_column(String(20), default="standard", server_default="standard")


class TransferredEntry(Model):
    """One line of a received concern's chronology, as the sending school wrote it. Never changed."""

    __tablename__ = "transferred_entries"
    __table_args__ = (Index("ix_transferred_entries_school_id_concern_id", "school_id", "concern_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int] = mapped_column(ForeignKey("transferred_concerns.id"))
    position: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text)
    # The lines printed under it, one per line.
    details: Mapped[str] = mapped_column(Text)
