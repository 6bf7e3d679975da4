"""Concerns about adults, kept in their own tables: the case, the children involved, the people added to it, its
append-only chronology, and each school's settings (deputy case manager, LADO contact, numbering)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime

# As the concerns' ids: Integer on SQLite (so that it autoincrements), BIGINT on PostgreSQL.
BigId = BigInteger().with_variant(Integer, "sqlite")


class AdultSettings(Model):
    """A school's settings for concerns about adults, changed only by a case manager (never by an administrator,
    who could otherwise give themselves access by naming themselves deputy)."""

    __tablename__ = "adult_settings"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    # The deputy case manager of the head's cases: sees and acts on them as the head does.
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The school's Local Authority Designated Officer (LADO): who, and how to reach them.
    lado_name: Mapped[str] = mapped_column(String(200), default="")
    lado_contact: Mapped[str] = mapped_column(String(300), default="")
    # The last number given to a concern about an adult (references OAK-A-2026-0001).
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class AdultConcern(Model):
    """A concern about an adult who works with children: an allegation or a low-level concern.

    The account is never edited; what happens next is recorded in the fields below and in the chronology.
    """

    __tablename__ = "adult_concerns"
    __table_args__ = (
        UniqueConstraint("school_id", "reference"),
        Index("ix_adult_concerns_school_id_status_received_at", "school_id", "status", "received_at"),
        Index("ix_adult_concerns_school_id_subject_user_id", "school_id", "subject_user_id"),
        Index("ix_adult_concerns_lado_due_at", "lado_due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    reference: Mapped[str] = mapped_column(String(30))
    # allegation | low_level (states.Track)
    track: Mapped[str] = mapped_column(String(20))
    # open | closed
    status: Mapped[str] = mapped_column(String(10), default="open")
    # Who manages it by role (states.Routed): "head", or "chair" when the adult held the head's role when it was
    # raised. Decided once, when it is raised.
    routed_to: Mapped[str] = mapped_column(String(10))
    # The adult: their account when they have one (never shown anything of the case), else a name only.
    subject_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject_name: Mapped[str] = mapped_column(String(120))
    # Their relation to the school (states.RELATIONS) and their job or role in their own words.
    subject_relation: Mapped[str] = mapped_column(String(20))
    subject_role: Mapped[str] = mapped_column(String(120), default="")
    account: Mapped[str] = mapped_column(Text)
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str] = mapped_column(String(200), default="")
    # The writer's view of the harm threshold (states.THRESHOLD).
    threshold: Mapped[str] = mapped_column(String(10))
    wording_kept_reason: Mapped[str | None] = mapped_column(Text)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A deputy case manager named for this case alone (the school's deputy is in adult_settings).
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The LADO clock: one working day from receipt to the discussion; escalated once when missed.
    lado_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lado_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lado_discussed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lado_name: Mapped[str] = mapped_column(String(200), default="")
    lado_contact: Mapped[str] = mapped_column(String(300), default="")
    lado_advice: Mapped[str] = mapped_column(Text, default="")
    lado_reference: Mapped[str] = mapped_column(String(60), default="")
    # What the LADO advised, and what happened: a strategy meeting, the police, children's social care.
    strategy_meeting: Mapped[bool] = mapped_column(Boolean, default=False)
    police: Mapped[bool] = mapped_column(Boolean, default=False)
    childrens_social_care: Mapped[bool] = mapped_column(Boolean, default=False)
    involvement: Mapped[str] = mapped_column(Text, default="")
    # Interim arrangements (states.INTERIM_MEASURES) and the reasons for them.
    interim_measure: Mapped[str | None] = mapped_column(String(20))
    interim_reason: Mapped[str] = mapped_column(Text, default="")
    interim_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The outcome: a KCSIE code (states.OUTCOMES) for an allegation, "reviewed" for a low-level concern.
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_notes: Mapped[str] = mapped_column(Text, default="")
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Referrals to the Disclosure and Barring Service and the Teaching Regulation Agency: made or not, and why.
    dbs_referral: Mapped[bool | None] = mapped_column(Boolean)
    dbs_reason: Mapped[str] = mapped_column(Text, default="")
    tra_referral: Mapped[bool | None] = mapped_column(Boolean)
    tra_reason: Mapped[str] = mapped_column(Text, default="")
    # Retention (read by the retention schedule): the adult's normal retirement date when known; the date the record
    # is kept until (an allegation: that date or ten years from the allegation, whichever is later); and whether it
    # must be removed from the adult's personnel records (a malicious allegation).
    retirement_date: Mapped[date | None] = mapped_column(Date)
    retain_until: Mapped[date | None] = mapped_column(Date)
    remove_from_personnel: Mapped[bool] = mapped_column(Boolean, default=False)
    # Raised on every change; a change made from an out-of-date page is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)


class AdultConcernChild(Model):
    """A child involved in a concern about an adult: their chronology shows that one exists, to those who may see it."""

    __tablename__ = "adult_concern_children"
    __table_args__ = (Index("ix_adult_concern_children_school_id_pupil_id", "school_id", "pupil_id"),)

    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("adult_concerns.id"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))


class AdultConcernAccess(Model):
    """Someone a case manager added to a case: they may read it (never the adult it is about)."""

    __tablename__ = "adult_concern_access"
    __table_args__ = (Index("ix_adult_concern_access_school_id_user_id", "school_id", "user_id"),)

    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("adult_concerns.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AdultConcernEntry(Model):
    """An entry of a case's chronology. Never updated or deleted (the database refuses)."""

    __tablename__ = "adult_concern_entries"
    __table_args__ = (Index("ix_adult_concern_entries_school_id_concern_id", "school_id", "concern_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("adult_concerns.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # None: the worker (an escalation).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # states.EntryKind
    kind: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
