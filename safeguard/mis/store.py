"""Every statement of the MIS sync: the school's pupils by UPN, pupils written in batches (one statement for each
kind of change), contacts replaced, siblings found by shared contacts, staff by e-mail address."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, update

from safeguard.auth.models import User
from safeguard.core.extensions import db
from safeguard.core.statements import transaction_connection
from safeguard.pupils.models import Pupil, PupilContact, display_name

_PUPILS = Pupil.__table__
_CONTACTS = PupilContact.__table__
# The columns a sync may write, as the store compares and writes them.
SYNCED = (
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "year_group",
    "class_name",
    "sen_status",
    "send",
    "looked_after",
    "previously_looked_after",
    "username",
    "email",
    "mis_id",
    "left_on",
    "destination_school",
)
_ROLL = select(Pupil.id, Pupil.upn, *(getattr(Pupil, column) for column in SYNCED)).where(
    Pupil.school_id == bindparam("school_id")
)


def pupils_by_upn(school_id: int) -> dict[str, dict[str, Any]]:
    """Every pupil of the school (on the roll or not), by UPN, with the columns a sync writes."""
    rows = db.session.execute(_ROLL, {"school_id": school_id}).mappings()
    return {row["upn"]: dict(row) for row in rows}


def insert_pupils(rows: Sequence[dict[str, Any]]) -> list[int]:
    """Add pupils (each row every column); return their ids in the rows' order."""
    if not rows:
        return []
    statement = _PUPILS.insert().returning(_PUPILS.c.id, sort_by_parameter_order=True)
    return [row.id for row in transaction_connection().execute(statement, list(rows))]


_UPDATE = (
    update(_PUPILS)
    .where(_PUPILS.c.id == bindparam("pupil_id"), _PUPILS.c.school_id == bindparam("owner_id"))
    .values({column: bindparam(column) for column in (*SYNCED, "search_key", "updated_at")})
)


def update_pupils(rows: Sequence[dict[str, Any]]) -> None:
    """Write the synced columns of pupils (each row: ``pupil_id``, ``owner_id`` (the school) and every column)."""
    if rows:
        transaction_connection().execute(_UPDATE, list(rows))


def replace_contacts(school_id: int, pupil_ids: Sequence[int], rows: Sequence[dict[str, Any]]) -> None:
    """Replace the contacts of ``pupil_ids`` with ``rows``."""
    connection = transaction_connection()
    ids = list(pupil_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        connection.execute(delete(_CONTACTS).where(_CONTACTS.c.school_id == school_id, _CONTACTS.c.pupil_id.in_(chunk)))
    if rows:
        connection.execute(_CONTACTS.insert(), list(rows))


@dataclass(frozen=True)
class ContactRow:
    """A contact of a child."""

    name: str
    relationship: str
    parental_responsibility: bool
    priority: int | None
    phone: str
    email: str


_CONTACTS_OF = (
    select(
        PupilContact.name,
        PupilContact.relationship,
        PupilContact.parental_responsibility,
        PupilContact.priority,
        PupilContact.phone,
        PupilContact.email,
    )
    .where(PupilContact.school_id == bindparam("school_id"), PupilContact.pupil_id == bindparam("pupil_id"))
    .order_by(PupilContact.priority.is_(None), PupilContact.priority, PupilContact.name)
)


def contacts(school_id: int, pupil_id: int) -> list[ContactRow]:
    """A child's contacts, contact first."""
    rows = transaction_connection().execute(_CONTACTS_OF, {"school_id": school_id, "pupil_id": pupil_id})
    return [ContactRow(r.name, r.relationship, r.parental_responsibility, r.priority, r.phone, r.email) for r in rows]


@dataclass(frozen=True)
class Sibling:
    """Another child who shares a contact with the child."""

    pupil_id: int
    name: str
    left_on: date | None


_THEIRS = PupilContact.__table__.alias("theirs")
_SIBLINGS = (
    select(Pupil.id, Pupil.legal_first_name, Pupil.legal_last_name, Pupil.preferred_name, Pupil.left_on)
    .distinct()
    .select_from(PupilContact)
    .join(
        _THEIRS,
        and_(
            _THEIRS.c.school_id == PupilContact.school_id,
            _THEIRS.c.contact_key == PupilContact.contact_key,
            _THEIRS.c.pupil_id != PupilContact.pupil_id,
        ),
    )
    .join(Pupil, and_(Pupil.id == _THEIRS.c.pupil_id, Pupil.school_id == _THEIRS.c.school_id))
    .where(PupilContact.school_id == bindparam("school_id"), PupilContact.pupil_id == bindparam("pupil_id"))
    .order_by(Pupil.legal_last_name, Pupil.legal_first_name, Pupil.id)
)


def siblings(school_id: int, pupil_id: int) -> list[Sibling]:
    """The school's other children who share a contact with the child (siblings, or children living together)."""
    rows = transaction_connection().execute(_SIBLINGS, {"school_id": school_id, "pupil_id": pupil_id})
    return [
        Sibling(r.id, display_name(r.legal_first_name, r.legal_last_name, r.preferred_name), r.left_on) for r in rows
    ]


def users_by_email(emails: Sequence[str]) -> dict[str, User]:
    """The accounts (of any school: addresses are unique across the deployment) with these addresses, by address."""
    found: dict[str, User] = {}
    unique = list(dict.fromkeys(emails))
    for start in range(0, len(unique), 500):
        query = select(User).where(User.email.in_(unique[start : start + 500]))
        found.update((user.email, user) for user in db.session.scalars(query))
    return found
