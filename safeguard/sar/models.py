"""Subject access requests: the request and its clock, what happened to it, and every redaction made for it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class SubjectAccessRequest(Model):
    """A request for the information held about a child, by a parent, the child or someone with authority.

    Due one calendar month after receipt (``months`` 1), extendable to three with a reason; days the clock was
    stopped (awaiting clarification or identity) are added to the due date.
    """

    __tablename__ = "subject_access_requests"
    __table_args__ = (
        UniqueConstraint("school_id", "reference"),
        Index("ix_subject_access_requests_school_id_status", "school_id", "status", "received_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # SAR-OAK-2026-001
    reference: Mapped[str] = mapped_column(String(30))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    requester_name: Mapped[str] = mapped_column(String(200))
    # parent (with parental responsibility) | child | third-party (with authority: a solicitor, an advocate)
    relationship: Mapped[str] = mapped_column(String(20))
    # For a child: whether they are competent to make the request (Gillick); for a third party: their authority.
    competence_note: Mapped[str] = mapped_column(Text, default="")
    received_on: Mapped[date] = mapped_column(Date)
    # Calendar months allowed from receipt: 1, or up to 3 when extended.
    months: Mapped[int] = mapped_column(Integer, default=1)
    extension_reason: Mapped[str | None] = mapped_column(String(500))
    # Days the clock was stopped, in stops already ended; a stop under way is counted from ``stopped_on``.
    stopped_days: Mapped[int] = mapped_column(Integer, default=0)
    stopped_on: Mapped[date | None] = mapped_column(Date)
    # clarification | identity
    stopped_for: Mapped[str | None] = mapped_column(String(20))
    # open | released
    status: Mapped[str] = mapped_column(String(20), default="open")
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The export row of the released PDF (its digest and file hash, for verify-pdf).
    export_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("exports.id"))
    # Set when the lead DSL was alerted that the request is overdue, so that the alert goes once.
    overdue_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SarEvent(Model):
    """What happened to a request: logged, clock stopped and restarted, extended, released. Appended only."""

    __tablename__ = "sar_events"
    __table_args__ = (Index("ix_sar_events_request_id", "request_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("subject_access_requests.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(String(500))


class SarRedaction(Model):
    """One redaction: a span of one passage of the assembled file, why, and who made it. Withdrawn, never deleted:
    the redaction log keeps every one."""

    __tablename__ = "sar_redactions"
    __table_args__ = (Index("ix_sar_redactions_request_id", "request_id", "passage"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("subject_access_requests.id"))
    # The passage's key in the assembled file ("c12-account", "c12-event-3"); offsets in characters of its text.
    passage: Mapped[str] = mapped_column(String(60))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    # another-child | another-adult | serious-harm | other-agency | legal-privilege
    reason: Mapped[str] = mapped_column(String(20))
    made_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
