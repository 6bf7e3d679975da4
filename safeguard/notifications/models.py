"""In-app notifications and the transactional e-mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class Notification(Model):
    """An alert shown to one person in the app until they read it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    concern_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("concerns.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Written without a child's name: the page it links to shows the rest to those allowed to see it.
    message: Mapped[str] = mapped_column(String(300))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where the alert leads when it is not about a concern (a severity 5 monitoring alert in the tray).
    link: Mapped[str | None] = mapped_column(String(300))


class OutboxMessage(Model):
    """An e-mail written in the same transaction as the change it reports, delivered later by the worker.

    If the mail server is down the row stays here and is retried with back-off: nothing is lost.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    # Never a child's name or the account: e-mail is not a secure channel.
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # After too many failures the message is parked (and the DSLs still have the in-app alert).
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    # The worker delivering the message and until when it may: other workers leave the message alone until then
    # (so no one gets it twice), and take it up afterwards if that worker stopped before recording the outcome.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WorkerHeartbeat(Model):
    """When the notification and escalation worker last finished a pass (one row per worker name).

    Without it nobody would know that alerts and escalations had stopped: the banners, ``/health`` and the safety
    check read it.
    """

    __tablename__ = "worker_heartbeats"

    # "notify": the worker of `flask --app safeguard notify` (a deployment may name others later).
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
