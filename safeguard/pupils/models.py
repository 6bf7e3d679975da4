"""The pupil model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.names import KEY_LENGTH, search_key
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
        # Searches read the school's keys from here, not from the table.
        Index("ix_pupils_school_id_search_key", "school_id", "search_key"),
        # Monitoring alerts find the child by username or e-mail address.
        Index("ix_pupils_school_id_username", "school_id", "username"),
        Index("ix_pupils_school_id_email", "school_id", "email"),
        Index(
            "ix_pupils_transfer_awaiting_receipt",
            "school_id",
            "transfer_sent_at",
            postgresql_where=text(AWAITING_RECEIPT),
            sqlite_where=text(AWAITING_RECEIPT),
        ),
        # The few children whose file is restricted or sealed (the lists' condition asks whether a school has any).
        Index(
            "ix_pupils_restricted_file",
            "school_id",
            "id",
            postgresql_where=text("access_level <> 'standard'"),
            sqlite_where=text("access_level <> 'standard'"),
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
    # What searches match: the names and UPN folded (no case, accents or apostrophes; see core/names.py), set from
    # them whenever the pupil is written.
    search_key: Mapped[str] = mapped_column(String(KEY_LENGTH), default="", server_default="")
    date_of_birth: Mapped[date] = mapped_column(Date)
    year_group: Mapped[str] = mapped_column(String(20), default="")
    class_name: Mapped[str] = mapped_column(String(40), default="")
    child_protection_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    child_in_need: Mapped[bool] = mapped_column(Boolean, default=False)
    looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    previously_looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    send: Mapped[bool] = mapped_column(Boolean, default=False)
    # The child's SEN status as the MIS gives it: "none", "sen_support" or "ehc_plan" (empty when not known); sets
    # ``send``.
    sen_status: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # The child's username on school devices and their school e-mail address, from the MIS: monitoring alerts are
    # matched to the child by either (stored lower case).
    username: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # The MIS's (or broker's) own id for the child.
    mis_id: Mapped[str | None] = mapped_column(String(100))
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
    # Who may see the child's whole file (an AccessLevel value; see safeguard.access): a restricted or sealed file
    # restricts every concern about the child to the file's named people.
    access_level: Mapped[str] = mapped_column(String(12), default="standard", server_default="standard")

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


class PupilContact(Model):
    """A person the MIS names as a child's contact. Children who share a contact are siblings (or live together).

    Replaced as a whole by each MIS sync of the child: the MIS is the record of contacts, not Safeguard.
    """

    __tablename__ = "pupil_contacts"
    __table_args__ = (
        Index("ix_pupil_contacts_school_id_pupil_id", "school_id", "pupil_id"),
        # Siblings: the other children with the same contact.
        Index("ix_pupil_contacts_school_id_contact_key", "school_id", "contact_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    # The MIS's id for the contact (the same person for every child they are a contact of).
    contact_key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # "Mother", "Carer", "Grandparent", as the MIS says.
    relationship: Mapped[str] = mapped_column(String(60), default="")
    parental_responsibility: Mapped[bool] = mapped_column(Boolean, default=False)
    # The order the MIS lists contacts in (1: contact first).
    priority: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")


# The same condition for queries (the transfers page, the queue's notice of late transfers), so that both match the
# partial index above.
awaiting_receipt = and_(Pupil.transfer_sent_at.is_not(None), Pupil.transfer_confirmed_at.is_(None))


@event.listens_for(Pupil, "before_insert")
@event.listens_for(Pupil, "before_update")
def _set_search_key(mapper: Any, connection: Any, pupil: Pupil) -> None:
    """Keep the search key true to the names and UPN, whoever writes the pupil (the import, the demo, a form)."""
    pupil.search_key = search_key(pupil.legal_first_name, pupil.legal_last_name, pupil.preferred_name, pupil.upn)


def name_matches(patterns: Sequence[Any]) -> ColumnElement[bool]:
    """Pupils whose search key has a word beginning with each word typed (``patterns``, from
    :func:`safeguard.core.names.search_patterns`, or bound parameters holding them)."""
    return and_(*(Pupil.search_key.like(pattern) for pattern in patterns))


def display_name(legal_first_name: str, legal_last_name: str, preferred_name: str | None) -> str:
    """A pupil's name as staff see it, from its parts (for queries that read columns rather than pupils)."""
    if preferred_name and preferred_name != legal_first_name:
        return f"{preferred_name} {legal_last_name} ({legal_first_name})"
    return f"{legal_first_name} {legal_last_name}"
