"""The pupil model."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint, and_, func, text
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model, db
from safeguard.core.sqltypes import UTCDateTime, utcnow

# Flags a DSL needs to see at a glance, with the label shown on screen and in exports.
PUPIL_FLAGS = {
    "child_protection_plan": "Child protection plan",
    "child_in_need": "Child in need",
    "looked_after": "Looked-after child",
    "previously_looked_after": "Previously looked-after child",
    "send": "SEND",
}


# A transfer sent whose receipt the receiving school's DSL has not yet confirmed.
AWAITING_RECEIPT = "transfer_sent_at IS NOT NULL AND transfer_confirmed_at IS NULL"


class Pupil(Model):
    """A child on the school's roll, now or in the past. Never deleted: a pupil who leaves is marked as left."""

    __tablename__ = "pupils"
    __table_args__ = (
        UniqueConstraint("school_id", "upn"),
        Index("ix_pupils_school_id_last_name", "school_id", "legal_last_name", "legal_first_name"),
        Index(
            "ix_pupils_transfer_awaiting_receipt",
            "school_id",
            "transfer_sent_at",
            postgresql_where=text(AWAITING_RECEIPT),
            sqlite_where=text(AWAITING_RECEIPT),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # Unique pupil number: 13 characters in England, unique within the school here.
    upn: Mapped[str] = mapped_column(String(20))
    legal_first_name: Mapped[str] = mapped_column(String(100))
    legal_last_name: Mapped[str] = mapped_column(String(100))
    # The name the child goes by, if different from the legal first name.
    preferred_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    year_group: Mapped[str] = mapped_column(String(20), default="")
    class_name: Mapped[str] = mapped_column(String(40), default="")
    child_protection_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    child_in_need: Mapped[bool] = mapped_column(Boolean, default=False)
    looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    previously_looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    send: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the child leaves; the record stays.
    left_on: Mapped[date | None] = mapped_column(Date)
    destination_school: Mapped[str | None] = mapped_column(String(200))
    # The safeguarding file's transfer to the next school: to whom, how, when sent, when receipt was confirmed.
    transfer_to: Mapped[str | None] = mapped_column(String(200))
    transfer_method: Mapped[str | None] = mapped_column(String(200))
    transfer_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    transfer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str:
        """Legal first and last name."""
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def display_name(self) -> str:
        """The name to show staff: preferred name (with the legal name when it differs) and surname."""
        return display_name(self.legal_first_name, self.legal_last_name, self.preferred_name)

    @property
    def flag_labels(self) -> list[str]:
        """Labels of the flags set on this pupil."""
        return [label for key, label in PUPIL_FLAGS.items() if getattr(self, key)]

    @property
    def has_left(self) -> bool:
        """Whether the pupil has left the school."""
        return self.left_on is not None

    def __repr__(self) -> str:
        return f"<Pupil {self.id} {self.upn}>"


# The same condition for queries (the transfers page, the queue's notice of late transfers), so that both match the
# partial index above.
awaiting_receipt = and_(Pupil.transfer_sent_at.is_not(None), Pupil.transfer_confirmed_at.is_(None))


def pupil_search(school_id: int, text: str, limit: int = 10):
    """Select the school's pupils whose name or UPN starts with ``text`` (for type-ahead)."""
    term = (text or "").strip().lower()
    like = f"{term}%"
    return (
        db.select(Pupil)
        .where(
            Pupil.school_id == school_id,
            (func.lower(Pupil.legal_last_name).like(like))
            | (func.lower(Pupil.legal_first_name).like(like))
            | (func.lower(Pupil.preferred_name).like(like))
            | (func.lower(Pupil.upn).like(like))
            | (func.lower(Pupil.legal_first_name + " " + Pupil.legal_last_name).like(like)),
        )
        .order_by(Pupil.left_on.is_not(None), Pupil.legal_last_name, Pupil.legal_first_name)
        .limit(limit)
    )


def display_name(legal_first_name: str, legal_last_name: str, preferred_name: str | None) -> str:
    """A pupil's name as staff see it, from its parts (for queries that read columns rather than pupils)."""
    if preferred_name and preferred_name != legal_first_name:
        return f"{preferred_name} {legal_last_name} ({legal_first_name})"
    return f"{legal_first_name} {legal_last_name}"
