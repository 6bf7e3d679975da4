"""Every statement of the MIS sync: the batch's pupils by UPN, pupils added and changed, contacts replaced (each one
statement for the whole batch, whatever its size), siblings found by shared contacts, staff by e-mail address."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BindParameter, Label, and_, bindparam, delete, false, insert, select, update
from sqlalchemy.sql import Delete, Insert, Select, Update

from safeguard.auth.models import User
from safeguard.core.extensions import db
from safeguard.core.sqltypes import json_nested, json_objects
from safeguard.core.statements import hold_until_commit, records, records_json, transaction_connection
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
# What a pupil's row of a batch carries (the search key is computed from the names, in Python).
_WRITTEN = (*SYNCED, "search_key")
_CONTACT_COLUMNS = ("contact_key", "name", "relationship", "parental_responsibility", "priority", "phone", "email")


def _types(table: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: table.c[name].type for name in names}


@dataclass(frozen=True)
class _Statements:
    """The sync's statements for one database: each takes the whole batch as one parameter (see
    :func:`core.statements.records`), so that a batch of 5,000 runs as many statements as a batch of 5."""

    roll: Select[Any]
    add: Insert
    change: Update
    drop_contacts: Delete
    add_contacts: Insert


def _statements(dialect: str) -> _Statements:
    upns = records("upns", _types(_PUPILS, ["upn"]), dialect)
    # Not "school_id": an insert or update reserves its columns' names for its own parameters.
    school = bindparam("school", type_=_PUPILS.c.school_id.type)
    now = bindparam("now", type_=_PUPILS.c.created_at.type)
    roll = (
        select(Pupil.id, Pupil.upn, Pupil.search_key, *(getattr(Pupil, column) for column in SYNCED))
        .join(upns, upns.c.upn == Pupil.upn)
        .where(Pupil.school_id == school)
    )
    new = records("pupil_rows", _types(_PUPILS, ["upn", *_WRITTEN]), dialect)
    add = insert(_PUPILS).from_select(
        ["school_id", "upn", *_WRITTEN, "child_protection_plan", "child_in_need", "created_at", "updated_at"],
        select(school, new.c.upn, *(new.c[name] for name in _WRITTEN), false(), false(), now, now),
    )
    changed = records("pupil_rows", {"pupil_id": _PUPILS.c.id.type, **_types(_PUPILS, _WRITTEN)}, dialect)
    change = (
        update(_PUPILS)
        .where(_PUPILS.c.school_id == school, _PUPILS.c.id == changed.c.pupil_id)
        .values({**{name: changed.c[name] for name in _WRITTEN}, "updated_at": now})
    )
    replaced = records("pupil_ids", {"pupil_id": _CONTACTS.c.pupil_id.type}, dialect)
    # Joins, never "IN (the batch)": PostgreSQL may plan that as a semi-join that reads the whole batch again for each
    # row of the table (its estimate of a batch is 100 rows, of a table just filled by a first sync a handful).
    # SQLite has no DELETE … USING, and looks each id of an IN list up in the index.
    if dialect == "postgresql":
        replacing = _CONTACTS.c.pupil_id == replaced.c.pupil_id
    else:
        replacing = _CONTACTS.c.pupil_id.in_(select(replaced.c.pupil_id))
    drop_contacts = delete(_CONTACTS).where(_CONTACTS.c.school_id == school, replacing)
    contacts = records("contact_rows", {"upn": _PUPILS.c.upn.type, **_types(_CONTACTS, _CONTACT_COLUMNS)}, dialect)
    add_contacts = insert(_CONTACTS).from_select(
        ["school_id", "pupil_id", *_CONTACT_COLUMNS],
        select(school, _PUPILS.c.id, *(contacts.c[name] for name in _CONTACT_COLUMNS))
        .select_from(contacts)
        .join(_PUPILS, and_(_PUPILS.c.school_id == school, _PUPILS.c.upn == contacts.c.upn)),
    )
    return _Statements(roll, add, change, drop_contacts, add_contacts)


_BY_DIALECT = {dialect: _statements(dialect) for dialect in ("postgresql", "sqlite")}


# One sync of a school's roll at a time. Two at once (the broker's pull and a push through the API) would both find a
# new child missing and both add them: the second then failed on the unique UPN with nothing saved. Held to the
# commit; the second waits, then finds the first's rows and updates them.
_ROLL_LOCK_NAMESPACE = 0x5AFF


def hold_roll(school_id: int) -> None:
    """Wait for any other sync of the school's pupils or staff to commit, and keep them waiting until this one does."""
    hold_until_commit(transaction_connection(), _ROLL_LOCK_NAMESPACE, school_id, "pupils")


def _run() -> tuple[Any, _Statements]:
    connection = transaction_connection()
    return connection, _BY_DIALECT[connection.dialect.name]


def pupils_by_upn(school_id: int, upns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The school's pupils (on the roll or not) with these UPNs, by UPN, with their search key and the columns a
    sync writes."""
    if not upns:
        return {}
    connection, statements = _run()
    parameters = {"school": school_id, "upns": records_json({"upn": upn} for upn in upns)}
    return {row["upn"]: dict(row) for row in connection.execute(statements.roll, parameters).mappings()}


def insert_pupils(school_id: int, now: datetime, rows: Sequence[dict[str, Any]]) -> None:
    """Add pupils (each row: ``upn``, the search key and every synced column)."""
    if rows:
        connection, statements = _run()
        connection.execute(statements.add, {"school": school_id, "now": now, "pupil_rows": records_json(rows)})


def update_pupils(school_id: int, now: datetime, rows: Sequence[dict[str, Any]]) -> None:
    """Write the synced columns of the school's pupils (each row: ``pupil_id``, the search key and every synced
    column)."""
    if rows:
        connection, statements = _run()
        connection.execute(statements.change, {"school": school_id, "now": now, "pupil_rows": records_json(rows)})


def replace_contacts(school_id: int, pupil_ids: Sequence[int], rows: Sequence[dict[str, Any]]) -> None:
    """Remove the contacts of ``pupil_ids``, then add ``rows`` (each a contact, with its pupil's ``upn``)."""
    connection, statements = _run()
    if pupil_ids:
        ids = records_json({"pupil_id": pupil_id} for pupil_id in pupil_ids)
        connection.execute(statements.drop_contacts, {"school": school_id, "pupil_ids": ids})
    if rows:
        connection.execute(statements.add_contacts, {"school": school_id, "contact_rows": records_json(rows)})


@dataclass(frozen=True)
class ContactRow:
    """A contact of a child."""

    name: str
    relationship: str
    parental_responsibility: bool
    priority: int | None
    phone: str
    email: str


_CHILD: BindParameter[int] = bindparam("pupil_id")
_CHILDS_SCHOOL: BindParameter[int] = bindparam("school_id")


def contacts_column() -> Label[Any]:
    """A child's contacts (``school_id``, ``pupil_id`` bound), as a sub-query labelled ``contacts`` (decode with
    :func:`contacts_of`)."""
    return (
        select(
            json_objects(
                name=PupilContact.name,
                relationship=PupilContact.relationship,
                parental_responsibility=PupilContact.parental_responsibility,
                priority=PupilContact.priority,
                phone=PupilContact.phone,
                email=PupilContact.email,
            )
        )
        .where(PupilContact.school_id == _CHILDS_SCHOOL, PupilContact.pupil_id == _CHILD)
        .scalar_subquery()
        .label("contacts")
    )


def contacts_of(value: Any) -> list[ContactRow]:
    """The contacts of a :func:`contacts_column`, contact first (by priority, those without one last, then name)."""
    rows = [
        ContactRow(
            r["name"], r["relationship"], bool(r["parental_responsibility"]), r["priority"], r["phone"], r["email"]
        )
        for r in json_nested(value) or ()
    ]
    return sorted(rows, key=lambda c: (c.priority is None, c.priority or 0, c.name))


_CHILDS_CONTACTS = select(contacts_column())


def contacts(school_id: int, pupil_id: int) -> list[ContactRow]:
    """A child's contacts, contact first (a child's page reads them with the rest of its lists)."""
    return contacts_of(
        transaction_connection().execute(_CHILDS_CONTACTS, {"school_id": school_id, "pupil_id": pupil_id}).scalar()
    )


@dataclass(frozen=True)
class Sibling:
    """Another child who shares a contact with the child."""

    pupil_id: int
    name: str
    left_on: date | None


_THEIRS = PupilContact.__table__.alias("theirs")


def siblings_column() -> Label[Any]:
    """The school's other children who share a contact with the child (``school_id``, ``pupil_id`` bound: siblings,
    or children living together), as a sub-query labelled ``siblings`` (decode with :func:`siblings_of`)."""
    sharing = (
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
        .where(PupilContact.school_id == _CHILDS_SCHOOL, PupilContact.pupil_id == _CHILD)
        .subquery()
    )
    columns = json_objects(
        id=sharing.c.id,
        first=sharing.c.legal_first_name,
        last=sharing.c.legal_last_name,
        preferred=sharing.c.preferred_name,
        left_on=sharing.c.left_on,
    )
    return select(columns).scalar_subquery().label("siblings")


def siblings_of(value: Any) -> list[Sibling]:
    """The children of a :func:`siblings_column`, by legal surname, first name and id."""
    rows = sorted(json_nested(value) or (), key=lambda r: (r["last"], r["first"], r["id"]))
    return [
        Sibling(
            r["id"],
            display_name(r["first"], r["last"], r["preferred"]),
            date.fromisoformat(r["left_on"][:10]) if r["left_on"] else None,
        )
        for r in rows
    ]


_CHILDS_SIBLINGS = select(siblings_column())


def siblings(school_id: int, pupil_id: int) -> list[Sibling]:
    """The school's other children who share a contact with the child (a child's page reads them with the rest)."""
    return siblings_of(
        transaction_connection().execute(_CHILDS_SIBLINGS, {"school_id": school_id, "pupil_id": pupil_id}).scalar()
    )


def users_by_email(emails: Sequence[str]) -> dict[str, User]:
    """The accounts (of any school: addresses are unique across the deployment) with these addresses, by address."""
    found: dict[str, User] = {}
    unique = list(dict.fromkeys(emails))
    for start in range(0, len(unique), 500):
        query = select(User).where(User.email.in_(unique[start : start + 500]))
        found.update((user.email, user) for user in db.session.scalars(query))
    return found
