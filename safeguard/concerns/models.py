"""Concerns, the pupils they are about, their append-only events, attachments and follow-ups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from safeguard.auth.models import User
from safeguard.concerns.rules import acknowledgement_overdue
from safeguard.concerns.states import EventKind as EventKind
from safeguard.concerns.states import Part, Status
from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow
from safeguard.pupils.models import Pupil

# Integer on SQLite (so that it autoincrements), BIGINT on PostgreSQL: events run to millions.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Concern(Model):
    """A concern about one or more children. The original account is never edited; addenda are events."""

    __tablename__ = "concerns"
    __table_args__ = (
        UniqueConstraint("school_id", "reference"),
        # The queue: a school's concerns by status and age.
        Index("ix_concerns_school_id_status_logged_at", "school_id", "status", "logged_at"),
        # A school's concerns by when they were logged, holding when each was acknowledged: the trust dashboard's
        # counts and times to acknowledge come from the index alone (migration 0022; on SQLite, a key column).
        Index(
            "ix_concerns_school_id_logged_at_acknowledged",
            "school_id",
            "logged_at",
            postgresql_include=["acknowledged_at"],
        ),
        Index("ix_concerns_school_id_reporter_id", "school_id", "reporter_id", "logged_at"),
        Index("ix_concerns_school_id_assignee_id", "school_id", "assignee_id"),
        # The queue's first page: open concerns only (a small part of a school's history), holding every column
        # the queue sorts by, so the page's order comes from the index alone.
        Index(
            "ix_concerns_open_queue",
            "school_id",
            "logged_at",
            "id",
            "status",
            "urgent",
            "ack_due_at",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        # The queue's first two tiers: new concerns (not yet acknowledged), urgent ones apart, each in the queue's
        # order, so that neither tier is found by reading every open concern.
        Index(
            "ix_concerns_new_queue",
            "school_id",
            "urgent",
            "logged_at",
            "id",
            "ack_due_at",
            postgresql_where=text("status = 'new'"),
            sqlite_where=text("status = 'new'"),
        ),
        # The queue's counts by status of open concerns: two narrow columns in status order, so that PostgreSQL
        # counts them in one ordered pass (half the time of the wide open-concerns index and a hash of its rows).
        Index(
            "ix_concerns_open_status",
            "school_id",
            "status",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        # The same counts for a person: with the access level and the id (the access condition looks a grant up by
        # it), so that a DSL's counts (standard concerns, and the restricted ones they are named on) still come from
        # the index alone. SQLite keeps the id (the rowid) in every index already.
        Index(
            "ix_concerns_open_status_access",
            "school_id",
            "status",
            "access_level",
            postgresql_include=["id"],
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        # The "Closed" tab's count, likewise: closed concerns grow with a school's history, and without this index
        # each was read from the table.
        Index(
            "ix_concerns_closed_access",
            "school_id",
            "access_level",
            postgresql_include=["id"],
            postgresql_where=text("status = 'closed'"),
            sqlite_where=text("status = 'closed'"),
        ),
        # The restricted and sealed concerns of a school, counted (never named) on the trust dashboard.
        Index(
            "ix_concerns_restricted",
            "school_id",
            postgresql_where=text("access_level <> 'standard'"),
            sqlite_where=text("access_level <> 'standard'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # OAK-2026-0042: the school's code, the year it was logged, a sequence within the school and year.
    reference: Mapped[str] = mapped_column(String(24))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # When it happened (or was seen or disclosed), as the reporter gives it.
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    location: Mapped[str] = mapped_column(String(200), default="")
    # The reporter's factual account, with the child's words in quotes. Never changed after saving.
    account: Mapped[str] = mapped_column(Text)
    already_done: Mapped[str] = mapped_column(Text, default="")
    # "A child is in immediate danger or at risk of significant harm" was chosen, or a category is urgent.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    immediate_danger: Mapped[bool] = mapped_column(Boolean, default=False)
    # The vocabulary version in force when logged; category ids are read against it.
    vocabulary_version: Mapped[str] = mapped_column(String(20))
    # Why the reporter kept words the terminology checker asked them to avoid (for example, quoting a statute).
    wording_kept_reason: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=Status.NEW.value)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    level_of_need: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str | None] = mapped_column(String(200))
    outcome_rationale: Mapped[str | None] = mapped_column(Text)
    # Acknowledgement is due by this time (15 minutes when urgent, one school day otherwise, per school).
    ack_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when the escalation alert for a missed acknowledgement went out, so that it goes out once.
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when an urgent concern still not acknowledged after its escalation went one step further (the school's
    # onward contact, outside the school), so that it goes once.
    onward_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Optimistic locking: every change moves it on, and a change made from an older version is refused (see
    # safeguard.concerns.store.update_concern), so two DSLs saving at once cannot overwrite each other.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Who may see it (an AccessLevel value: standard, restricted, sealed); see safeguard.access.
    access_level: Mapped[str] = mapped_column(String(12), default="standard", server_default="standard")

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id], lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    pupil_links: Mapped[list[ConcernPupil]] = relationship(
        back_populates="concern", lazy="selectin", order_by="ConcernPupil.position"
    )
    category_links: Mapped[list[ConcernCategory]] = relationship(
        back_populates="concern", lazy="selectin", order_by="ConcernCategory.position"
    )

    @property
    def status_enum(self) -> Status:
        """The status as an enum."""
        return Status(self.status)

    @property
    def category_ids(self) -> list[str]:
        """The vocabulary ids of the concern's categories."""
        return [link.category_id for link in self.category_links]

    def is_overdue(self, now: datetime) -> bool:
        """Whether acknowledgement is late (the rule in :func:`safeguard.concerns.rules.acknowledgement_overdue`)."""
        return bool(acknowledgement_overdue(self.status, self.ack_due_at, now))

    def __repr__(self) -> str:
        return f"<Concern {self.reference}>"


class ConcernPupil(Model):
    """A pupil's part in a concern."""

    __tablename__ = "concern_pupils"
    __table_args__ = (Index("ix_concern_pupils_school_id_pupil_id", "school_id", "pupil_id", "concern_id"),)

    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"), primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    part: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)

    concern: Mapped[Concern] = relationship(back_populates="pupil_links")
    pupil: Mapped[Pupil] = relationship(lazy="joined")

    @property
    def part_label(self) -> str:
        """The part as shown on screen."""
        return Part(self.part).label


class ConcernCategory(Model):
    """A category of the vocabulary, as it was labelled when the concern was logged."""

    __tablename__ = "concern_categories"
    __table_args__ = (Index("ix_concern_categories_school_id_category_id", "school_id", "category_id"),)

    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"), primary_key=True)
    category_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # The label in force when logged: relabelling a category in a later vocabulary never rewrites history.
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)

    concern: Mapped[Concern] = relationship(back_populates="category_links")


class ConcernEvent(Model):
    """One entry in a concern's chronology: who, when, what, before and after. Never updated or deleted."""

    __tablename__ = "concern_events"
    __table_args__ = (Index("ix_concern_events_school_id_concern_id_at", "school_id", "concern_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    # One line for the chronology, written for a social worker or inspector to read.
    summary: Mapped[str] = mapped_column(String(500))
    # Free text that belongs to the event (an addendum, a note, a rationale): recorded verbatim.
    text: Mapped[str | None] = mapped_column(Text)
    # Structured facts: before/after values, referral target and external reference, protocol answer.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # Visible to the reporter on "My concerns" (their own addenda and the acknowledgement), never DSL notes.
    visible_to_reporter: Mapped[bool] = mapped_column(Boolean, default=False)

    actor: Mapped[User | None] = relationship(lazy="joined")


class FollowUp(Model):
    """A date by which something must be chased, set on an action; overdue ones surface in the queue."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        # The open follow-ups of a school in the queue's order (soonest, then by id), so that its list of overdue
        # ones stops at the last it shows.
        Index(
            "ix_follow_ups_open_due",
            "school_id",
            "due_on",
            "id",
            postgresql_where=text("done_at IS NULL"),
            sqlite_where=text("done_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"), index=True)
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("concern_events.id"))
    due_on: Mapped[date] = mapped_column(Date)
    what: Mapped[str] = mapped_column(String(300))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ConcernLink(Model):
    """Two concerns about one incident (for example, several pupils involved)."""

    __tablename__ = "concern_links"

    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"), primary_key=True)
    related_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))


class Attachment(Model):
    """A document attached to a concern (a scanned note, a letter, a body map). Stored outside the web root."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_school_id_concern_id", "school_id", "concern_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The name the file had on the uploader's device (shown, never used as a path).
    original_name: Mapped[str] = mapped_column(String(255))
    # Sniffed from the content, not taken from the browser.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # A random name under the upload folder.
    storage_name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")

    uploaded_by: Mapped[User] = relationship(lazy="joined")


class ConcernSequence(Model):
    """The last reference number given in a school's year."""

    __tablename__ = "concern_sequences"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a chronology event."""


@event.listens_for(Session, "before_flush")
def _refuse_changing_events(session: Session, _context, _instances) -> None:
    """The chronology is append-only: refuse, before anything reaches the database, to change or delete an event.

    The database refuses too (triggers on PostgreSQL and SQLite), for anything that does not go through the ORM.
    """
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, ConcernEvent) and (instance in session.deleted or session.is_modified(instance)):
            raise AppendOnlyError("chronology events are never changed or deleted; record a new event instead")
