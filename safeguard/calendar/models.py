"""A school's terms and closure days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow

TERM = "term"
CLOSURE = "closure"


class CalendarPeriod(Model):
    """A term (the days the school is open, weekdays only) or a closure (a half-term week, an INSET day, a bank
    holiday, a snow day) of one school, first and last day included."""

    __tablename__ = "calendar_periods"
    __table_args__ = (
        CheckConstraint("kind IN ('term', 'closure')", name="kind"),
        CheckConstraint("first_day <= last_day", name="order"),
        Index("ix_calendar_periods_school_id_first_day", "school_id", "first_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # "term" or "closure".
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    # How it was entered: "page" (by an administrator) or "ics" (imported from an iCalendar file).
    source: Mapped[str] = mapped_column(String(10), default="page")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
