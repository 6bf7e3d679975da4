"""Alerts from the school's monitoring software."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow

# As the concerns' ids: Integer on SQLite (so that it autoincrements), BIGINT on PostgreSQL.
BigId = BigInteger().with_variant(Integer, "sqlite")

# The lowest severity that enters the tray when the school has not chosen one.
DEFAULT_MIN_SEVERITY = 3
# The severity that alerts the DSL team at once, as an urgent concern does.
NOTIFY_SEVERITY = 5


class Outcome(enum.StrEnum):
    """Where an alert is: waiting in the tray, or how it ended."""

    NEW = "new"
    ATTACHED = "attached"
    FALSE_POSITIVE = "false_positive"
    NO_FURTHER_ACTION = "no_further_action"

    @property
    def label(self) -> str:
        """The outcome as the tray and the period summary name it."""
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.NEW: "Awaiting triage",
    Outcome.ATTACHED: "Attached to a concern",
    Outcome.FALSE_POSITIVE: "False positive",
    Outcome.NO_FURTHER_ACTION: "No further action",
}


class MonitoringAlert(Model):
    """One alert as the monitoring software sent it, and what the DSL team made of it. Never deleted."""

    __tablename__ = "monitoring_alerts"
    __table_args__ = (
        # The same vendor and event id is one alert: repeats are answered with the first.
        UniqueConstraint("school_id", "vendor", "event_id"),
        # The tray and the unmatched list: the school's open alerts, most severe first.
        Index("ix_monitoring_alerts_school_id_outcome_severity", "school_id", "outcome", "in_tray", "severity"),
        # The period summary's counts.
        Index("ix_monitoring_alerts_school_id_occurred_at", "school_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    vendor: Mapped[str] = mapped_column(String(60))
    # The vendor's own id for the event.
    event_id: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The username on the device, as the vendor sent it.
    username: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(120))
    # 1 (lowest) to 5 (most severe), as the vendor graded it.
    severity: Mapped[int] = mapped_column(Integer)
    # A short text the vendor captured (what was typed or searched); never an image.
    excerpt: Mapped[str] = mapped_column(Text)
    # Back to the event in the vendor's console.
    link: Mapped[str] = mapped_column(String(2000))
    # At or above the school's lowest severity for the tray when it arrived; below it is counted, not shown.
    in_tray: Mapped[bool] = mapped_column(Boolean)
    # The child the username belongs to; None until matched (by the MIS's usernames and e-mail addresses, or by hand).
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id"))
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(20), default=Outcome.NEW.value)
    # The concern it was attached to (outcome "attached").
    concern_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("concerns.id"))
    # Why it was a false positive or needed no further action, and why flagged wording was kept in it.
    reason: Mapped[str | None] = mapped_column(Text)
    wording_kept_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The token it came with.
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    # When the DSL team was alerted (severity 5).
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
