"""Retention: a school's lengthened periods, the reviews of files that came due, legal holds, and the destruction
records of disposals (each with the concerns whose content it destroyed)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")
# A review still to be decided (the partial unique index's predicate).
UNDECIDED_SQL = "status IN ('open', 'held', 'disposal_proposed')"


class RetentionPeriod(Model):
    """A school's own, longer period for a kind of record (never shorter than the schedule's: the service refuses)."""

    __tablename__ = "retention_periods"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    # A kind of record of the schedule (retention.yaml): child-file, outbox...
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    years: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RetentionReview(Model):
    """A review of a child's file that came due: open until the lead DSL keeps it for longer, holds it, or it is
    disposed of. A kept file comes due again on ``kept_until``."""

    __tablename__ = "retention_reviews"
    __table_args__ = (
        Index("ix_retention_reviews_school_id_status", "school_id", "status", "due_on"),
        # One undecided review per file: two runs of `retention review` at once cannot open the same review twice.
        Index(
            "uq_retention_reviews_undecided",
            "school_id",
            "pupil_id",
            unique=True,
            postgresql_where=text(UNDECIDED_SQL),
            sqlite_where=text(UNDECIDED_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    kind: Mapped[str] = mapped_column(String(40), default="child-file")
    due_on: Mapped[date] = mapped_column(Date)
    # The rule that gave the date ("25 years from the date of birth (IRMS)").
    basis: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # open | kept | held | disposal_proposed | disposed
    status: Mapped[str] = mapped_column(String(20), default="open")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why the file is kept for longer (required for "keep").
    reason: Mapped[str | None] = mapped_column(String(500))
    kept_until: Mapped[date | None] = mapped_column(Date)


class LegalHold(Model):
    """A hold on a child's file (an inquiry, litigation, a police request): nothing under hold can be disposed of."""

    __tablename__ = "legal_holds"
    __table_args__ = (Index("ix_legal_holds_school_id_pupil_id", "school_id", "pupil_id", "lifted_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    # inquiry | litigation | police
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    # The inquiry's, the court's or the police's own reference, if any.
    external_reference: Mapped[str] = mapped_column(String(120), default="")
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lift_reason: Mapped[str | None] = mapped_column(String(500))


class Disposal(Model):
    """A disposal of a child's file: proposed by one of the lead DSL and the head, approved by the other, and then the
    destruction record (what, whose file by a pseudonymous reference, when, who authorised). Kept for good."""

    __tablename__ = "retention_disposals"
    __table_args__ = (
        UniqueConstraint("school_id", "reference"),
        Index("ix_retention_disposals_school_id_status", "school_id", "status", "proposed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    review_id: Mapped[int] = mapped_column(BigId, ForeignKey("retention_reviews.id"))
    # The pupil row stays, with its identifying details destroyed; the reference names the file from then on.
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    # DR-OAK-2026-0001: pseudonymous, derived from nothing about the child.
    reference: Mapped[str] = mapped_column(String(30))
    # proposed | withdrawn | destroyed
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    reason: Mapped[str] = mapped_column(String(500))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What was destroyed, as counts (concerns, chronology entries, marks, attachments), and the concerns kept because
    # they are part of another child's file too.
    what: Mapped[dict] = mapped_column(JSON, default=dict)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)


class DisposedConcern(Model):
    """A concern whose content a disposal destroyed. The database allows the disposal's one change to its chronology
    entries and body map marks only for the concerns listed here (migration 0016's triggers)."""

    __tablename__ = "disposed_concerns"

    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"), primary_key=True)
    disposal_id: Mapped[int] = mapped_column(BigId, ForeignKey("retention_disposals.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
