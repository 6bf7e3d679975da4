"""Every statement about concerns about adults. Each read names the school and applies the one visibility rule
(:data:`_VISIBLE`, described in :mod:`safeguard.auth.permissions`): the adult a case is about never reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Label, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.expression import BindParameter

from safeguard.adults.models import (
    AdultConcern,
    AdultConcernAccess,
    AdultConcernChild,
    AdultConcernEntry,
    AdultSettings,
)
from safeguard.auth.models import User, UserRole
from safeguard.core.extensions import db
from safeguard.core.sqltypes import UTCDateTime, json_nested, json_objects, utc_from_json
from safeguard.core.statements import transaction_connection
from safeguard.pupils.models import Pupil, display_name
from safeguard.schools.models import School

_ME: BindParameter[int] = bindparam("me")
_SCHOOL: BindParameter[int] = bindparam("school_id")
_ROUTES: BindParameter[list[str]] = bindparam("routes", expanding=True)

_SCHOOL_DEPUTY = (
    select(AdultSettings.deputy_id).where(AdultSettings.school_id == AdultConcern.school_id).scalar_subquery()
)
# The case managers: by role (the head's cases, the chair's cases), and the deputies (the case's own, and the
# school's for the head's cases).
_MANAGES = or_(
    AdultConcern.routed_to.in_(_ROUTES),
    AdultConcern.deputy_id == _ME,
    and_(AdultConcern.routed_to == "head", _SCHOOL_DEPUTY == _ME),
)
_ADDED = exists().where(AdultConcernAccess.concern_id == AdultConcern.id, AdultConcernAccess.user_id == _ME)
_NOT_THE_SUBJECT = or_(AdultConcern.subject_user_id.is_(None), AdultConcern.subject_user_id != _ME)
# The one rule: the school's, never the subject's, and managed by or added to the person reading.
_VISIBLE = and_(AdultConcern.school_id == _SCHOOL, _NOT_THE_SUBJECT, or_(_MANAGES, _ADDED))


@dataclass(frozen=True)
class Viewer:
    """Who is reading: their school, their id, and the cases they manage by role (``auth.permissions``)."""

    school_id: int
    user_id: int
    routes: tuple[str, ...]

    def values(self, **more: Any) -> dict[str, Any]:
        """The bound values of a statement under the visibility rule."""
        return {"school_id": self.school_id, "me": self.user_id, "routes": list(self.routes), **more}


@dataclass(frozen=True)
class CaseRow:
    """A case as a list shows it."""

    id: int
    school_id: int
    reference: str
    track: str
    status: str
    routed_to: str
    subject_user_id: int | None
    subject_name: str
    subject_relation: str
    subject_role: str
    received_at: datetime
    happened_at: datetime
    lado_due_at: datetime | None
    lado_discussed_at: datetime | None
    outcome: str | None
    manages: bool
    added: bool


_CASE_COLUMNS = (
    AdultConcern.id,
    AdultConcern.school_id,
    AdultConcern.reference,
    AdultConcern.track,
    AdultConcern.status,
    AdultConcern.routed_to,
    AdultConcern.subject_user_id,
    AdultConcern.subject_name,
    AdultConcern.subject_relation,
    AdultConcern.subject_role,
    AdultConcern.received_at,
    AdultConcern.happened_at,
    AdultConcern.lado_due_at,
    AdultConcern.lado_discussed_at,
    AdultConcern.outcome,
    _MANAGES.label("manages"),
    _ADDED.label("added"),
)
_CASES = select(*_CASE_COLUMNS).where(_VISIBLE).order_by(AdultConcern.received_at.desc(), AdultConcern.id.desc())


def cases(viewer: Viewer) -> list[CaseRow]:
    """Every case ``viewer`` may see, newest first (one statement)."""
    return [CaseRow(**row._mapping) for row in db.session.execute(_CASES, viewer.values())]


@dataclass(frozen=True)
class OpenSummary:
    """The open cases a reader sees, and how many allegations are past the LADO clock."""

    open: int
    lado_overdue: int


_OPEN_SUMMARY = select(
    func.count(AdultConcern.id).label("open"),
    func.count(AdultConcern.id)
    .filter(
        AdultConcern.track == "allegation",
        AdultConcern.lado_discussed_at.is_(None),
        AdultConcern.lado_due_at <= bindparam("now", type_=UTCDateTime()),
    )
    .label("lado_overdue"),
).where(_VISIBLE, AdultConcern.status == "open")


def open_summary(viewer: Viewer, now: datetime) -> OpenSummary:
    """How many open cases ``viewer`` may see, and how many allegations among them are past the LADO clock."""
    row = db.session.execute(_OPEN_SUMMARY, viewer.values(now=now)).one()
    return OpenSummary(int(row.open or 0), int(row.lado_overdue or 0))


def child_cases_column() -> Label[Any]:
    """The cases involving a child (``pupil_id`` bound) that the viewer may see (:meth:`Viewer.values`), as a
    sub-query labelled ``adult_cases`` (decode with :func:`child_cases_of`)."""
    columns = {column.key: column for column in _CASE_COLUMNS}
    return (
        select(json_objects(**columns))
        .join(AdultConcernChild, AdultConcernChild.concern_id == AdultConcern.id)
        .where(_VISIBLE, AdultConcernChild.school_id == _SCHOOL, AdultConcernChild.pupil_id == bindparam("pupil_id"))
        .scalar_subquery()
        .label("adult_cases")
    )


_CASE_TIMES = ("received_at", "happened_at", "lado_due_at", "lado_discussed_at")


def child_cases_of(value: Any) -> list[CaseRow]:
    """The cases of a :func:`child_cases_column`, oldest first."""
    rows = []
    for row in json_nested(value) or ():
        times = {key: utc_from_json(row[key]) for key in _CASE_TIMES}
        flags = {"manages": bool(row["manages"]), "added": bool(row["added"])}
        rows.append(CaseRow(**(row | times | flags)))
    return sorted(rows, key=lambda case: (case.received_at, case.id))


@dataclass(frozen=True)
class Case:
    """One case loaded for its page or an action, with what the reader may do."""

    record: AdultConcern
    manages: bool
    added: bool

    @property
    def school_id(self) -> int:
        """The case's school."""
        return self.record.school_id

    @property
    def subject_user_id(self) -> int | None:
        """The adult's account, when they have one."""
        return self.record.subject_user_id


_CASE = select(AdultConcern, _MANAGES.label("manages"), _ADDED.label("added")).where(
    _VISIBLE, AdultConcern.id == bindparam("case_id")
)


def case(viewer: Viewer, case_id: int) -> Case | None:
    """The case, if ``viewer`` may see it; ``None`` otherwise (missing, another school's, or about the viewer)."""
    row = db.session.execute(_CASE, viewer.values(case_id=case_id)).first()
    return None if row is None else Case(row[0], bool(row.manages), bool(row.added))


def case_for_system(school_id: int, case_id: int) -> AdultConcern | None:
    """A case by id for the worker and verification (no reader): the school's only."""
    return db.session.scalar(
        select(AdultConcern).where(AdultConcern.school_id == school_id, AdultConcern.id == case_id)
    )


@dataclass(frozen=True)
class ReportedRow:
    """What the person who raised a concern is shown: its reference and where it went."""

    id: int
    reference: str
    routed_to: str
    track: str


_REPORTED = select(AdultConcern.id, AdultConcern.reference, AdultConcern.routed_to, AdultConcern.track).where(
    AdultConcern.school_id == _SCHOOL,
    AdultConcern.id == bindparam("case_id"),
    AdultConcern.reporter_id == _ME,
    _NOT_THE_SUBJECT,
)


def reported(school_id: int, user_id: int, case_id: int) -> ReportedRow | None:
    """A case ``user_id`` raised (and is not about them), for its confirmation page."""
    row = db.session.execute(_REPORTED, {"school_id": school_id, "me": user_id, "case_id": case_id}).first()
    return None if row is None else ReportedRow(**row._mapping)


# ---------------------------------------------------------------------------------------------------------------
# A case's own lists


@dataclass(frozen=True)
class EntryRow:
    """One entry of a case's chronology."""

    id: int
    at: datetime
    kind: str
    summary: str
    detail: dict[str, Any]
    actor: str | None


_ENTRIES = (
    select(
        AdultConcernEntry.id,
        AdultConcernEntry.at,
        AdultConcernEntry.kind,
        AdultConcernEntry.summary,
        AdultConcernEntry.detail,
        User.display_name.label("actor"),
    )
    .outerjoin(User, User.id == AdultConcernEntry.actor_id)
    .where(AdultConcernEntry.school_id == _SCHOOL, AdultConcernEntry.concern_id == bindparam("case_id"))
    .order_by(AdultConcernEntry.at, AdultConcernEntry.id)
)


def entries(school_id: int, case_id: int) -> list[EntryRow]:
    """A case's chronology, oldest first."""
    return [EntryRow(**r._mapping) for r in db.session.execute(_ENTRIES, {"school_id": school_id, "case_id": case_id})]


@dataclass(frozen=True)
class ChildRow:
    """A child involved in a case."""

    id: int
    legal_first_name: str
    legal_last_name: str
    preferred_name: str | None
    year_group: str
    class_name: str

    @property
    def name(self) -> str:
        """The child's name as staff see it."""
        return display_name(self.legal_first_name, self.legal_last_name, self.preferred_name)


_CHILDREN = (
    select(
        Pupil.id,
        Pupil.legal_first_name,
        Pupil.legal_last_name,
        Pupil.preferred_name,
        Pupil.year_group,
        Pupil.class_name,
    )
    .join(AdultConcernChild, AdultConcernChild.pupil_id == Pupil.id)
    .where(
        AdultConcernChild.school_id == _SCHOOL,
        Pupil.school_id == _SCHOOL,
        AdultConcernChild.concern_id == bindparam("case_id"),
    )
    .order_by(Pupil.legal_last_name, Pupil.id)
)


def children(school_id: int, case_id: int) -> list[ChildRow]:
    """The children involved in a case."""
    values = {"school_id": school_id, "case_id": case_id}
    return [ChildRow(**r._mapping) for r in db.session.execute(_CHILDREN, values)]


_ROLL = (
    select(
        Pupil.id,
        Pupil.legal_first_name,
        Pupil.legal_last_name,
        Pupil.preferred_name,
        Pupil.year_group,
        Pupil.class_name,
    )
    .where(Pupil.school_id == _SCHOOL, Pupil.left_on.is_(None))
    .order_by(Pupil.legal_last_name, Pupil.legal_first_name, Pupil.id)
)


def roll(school_id: int) -> list[ChildRow]:
    """The children on the school's roll, by surname: those a concern about an adult may involve."""
    return [ChildRow(**r._mapping) for r in db.session.execute(_ROLL, {"school_id": school_id})]


@dataclass(frozen=True)
class PersonRow:
    """An account, as a list of people shows it."""

    id: int
    name: str


_Added = aliased(User)
_ACCESS = (
    select(_Added.id, _Added.display_name.label("name"))
    .join(AdultConcernAccess, AdultConcernAccess.user_id == _Added.id)
    .where(AdultConcernAccess.school_id == _SCHOOL, AdultConcernAccess.concern_id == bindparam("case_id"))
    .order_by(func.lower(_Added.display_name))
)


def added_people(school_id: int, case_id: int) -> list[PersonRow]:
    """The people a case manager added to a case."""
    values = {"school_id": school_id, "case_id": case_id}
    return [PersonRow(**r._mapping) for r in db.session.execute(_ACCESS, values)]


_PEOPLE = (
    select(User.id, User.display_name.label("name"))
    .where(User.school_id == _SCHOOL, User.active.is_(True))
    .order_by(func.lower(User.display_name), User.id)
)


def school_people(school_id: int) -> list[PersonRow]:
    """The school's active accounts, by name: the adults a concern may be about, and the people to add."""
    return [PersonRow(**r._mapping) for r in db.session.execute(_PEOPLE, {"school_id": school_id})]


def person_name(school_id: int, user_id: int) -> str | None:
    """An account's name (active or not), or ``None``."""
    return db.session.scalar(select(User.display_name).where(User.school_id == school_id, User.id == user_id))


def school_person(school_id: int, user_id: int) -> User | None:
    """An active account of the school, or ``None``."""
    return db.session.scalar(select(User).where(User.school_id == school_id, User.id == user_id, User.active.is_(True)))


_ROUTE_ROLE = {"head": "head", "chair": "chair"}
_MANAGERS = (
    select(User.id, User.email)
    .where(
        User.school_id == _SCHOOL,
        User.active.is_(True),
        or_(
            exists().where(UserRole.user_id == User.id, UserRole.role == bindparam("role")),
            User.id.in_(bindparam("deputies", expanding=True)),
        ),
        User.id != bindparam("subject"),
    )
    .order_by(User.id)
)


@dataclass(frozen=True)
class Recipient:
    """Someone to tell about a case: their id and e-mail address."""

    id: int
    email: str


def case_managers(
    school_id: int, routed_to: str, deputies: list[int | None], subject_user_id: int | None
) -> list[Recipient]:
    """The active case managers of a case routed to ``routed_to``, with its deputies, never its subject."""
    values = {
        "school_id": school_id,
        "role": _ROUTE_ROLE[routed_to],
        "deputies": [d for d in deputies if d is not None],
        # No account has id 0: a case about someone without an account excludes nobody.
        "subject": subject_user_id or 0,
    }
    return [Recipient(**r._mapping) for r in db.session.execute(_MANAGERS, values)]


_HOLDS_ROLE = select(exists().where(UserRole.user_id == bindparam("user_id"), UserRole.role == bindparam("role")))


def holds_role(user_id: int, role: str) -> bool:
    """Whether the account holds ``role``."""
    return bool(db.session.scalar(_HOLDS_ROLE, {"user_id": user_id, "role": role}))


# ---------------------------------------------------------------------------------------------------------------
# Settings


def settings(school_id: int) -> AdultSettings | None:
    """The school's settings for concerns about adults, if any were saved."""
    return db.session.get(AdultSettings, school_id)


_SETTINGS = AdultSettings.__table__


def save_settings(school_id: int, values: dict[str, Any]) -> None:
    """Write the school's settings (the row is made when first needed)."""
    connection = transaction_connection()
    done = connection.execute(_SETTINGS.update().where(_SETTINGS.c.school_id == school_id).values(**values))
    if not done.rowcount:
        connection.execute(_SETTINGS.insert().values(school_id=school_id, last_number=0, **_defaults(values)))
    found = db.session.get(AdultSettings, school_id)
    if found is not None:
        db.session.refresh(found)


def _defaults(values: dict[str, Any]) -> dict[str, Any]:
    return {"lado_name": "", "lado_contact": "", **values}


def next_number(school_id: int) -> int:
    """The school's next number for a concern about an adult; the settings row stays locked to the commit."""
    connection = transaction_connection()
    number = connection.execute(
        _SETTINGS.update()
        .where(_SETTINGS.c.school_id == school_id)
        .values(last_number=_SETTINGS.c.last_number + 1)
        .returning(_SETTINGS.c.last_number)
    ).scalar()
    if number is None:
        connection.execute(_SETTINGS.insert().values(**_defaults({"school_id": school_id, "last_number": 1})))
        number = 1
    return int(number)


def school_code(school_id: int) -> str:
    """The school's code, the prefix of references."""
    return str(db.session.scalar(select(School.code).where(School.id == school_id)))


# ---------------------------------------------------------------------------------------------------------------
# Writes


_CASES_TABLE = AdultConcern.__table__


def insert_case(values: dict[str, Any]) -> int:
    """Add a case; return its id."""
    result = transaction_connection().execute(_CASES_TABLE.insert().values(**values))
    key = result.inserted_primary_key
    return int(key[0]) if key is not None else 0


def insert_children(school_id: int, case_id: int, pupil_ids: list[int]) -> None:
    """Link the children involved in a case."""
    if pupil_ids:
        rows = [{"school_id": school_id, "concern_id": case_id, "pupil_id": pid} for pid in pupil_ids]
        transaction_connection().execute(AdultConcernChild.__table__.insert(), rows)


def insert_entry(values: dict[str, Any]) -> None:
    """Append an entry to a case's chronology (never changed afterwards)."""
    transaction_connection().execute(AdultConcernEntry.__table__.insert().values(**values))


def insert_access(values: dict[str, Any]) -> None:
    """Add a person to a case."""
    transaction_connection().execute(AdultConcernAccess.__table__.insert().values(**values))


def delete_access(school_id: int, case_id: int, user_id: int) -> int:
    """Remove a person from a case; return how many rows went (0 or 1)."""
    table = AdultConcernAccess.__table__
    statement = table.delete().where(
        table.c.school_id == school_id, table.c.concern_id == case_id, table.c.user_id == user_id
    )
    return int(transaction_connection().execute(statement).rowcount or 0)


class StaleCase(Exception):
    """The case changed since the page was loaded: nothing was written."""


def update_case(record: AdultConcern, expected_version: int, **values: Any) -> None:
    """Change a case's columns, refusing if it is no longer at ``expected_version`` (one statement)."""
    table = _CASES_TABLE
    statement = (
        table.update()
        .where(table.c.id == record.id, table.c.school_id == record.school_id, table.c.version == expected_version)
        .values(**values, version=table.c.version + 1)
        .returning(table.c.version)
    )
    version = transaction_connection().execute(statement).scalar()
    if version is None:
        raise StaleCase()
    for name, value in values.items():
        set_committed_value(record, name, value)
    set_committed_value(record, "version", version)


# ---------------------------------------------------------------------------------------------------------------
# The LADO clock (the worker)


@dataclass(frozen=True)
class OverdueRow:
    """An allegation whose LADO discussion was due and is not recorded."""

    id: int
    school_id: int
    reference: str
    routed_to: str
    deputy_id: int | None
    school_deputy_id: int | None
    subject_user_id: int | None
    lado_due_at: datetime


_OVERDUE = (
    select(
        AdultConcern.id,
        AdultConcern.school_id,
        AdultConcern.reference,
        AdultConcern.routed_to,
        AdultConcern.deputy_id,
        _SCHOOL_DEPUTY.label("school_deputy_id"),
        AdultConcern.subject_user_id,
        AdultConcern.lado_due_at,
    )
    .where(
        AdultConcern.status == "open",
        AdultConcern.track == "allegation",
        AdultConcern.lado_due_at <= bindparam("now", type_=UTCDateTime()),
        AdultConcern.lado_discussed_at.is_(None),
        AdultConcern.lado_escalated_at.is_(None),
    )
    .order_by(AdultConcern.lado_due_at)
)


def lado_overdue(now: datetime) -> list[OverdueRow]:
    """Every school's open allegations past their LADO clock and not yet escalated."""
    return [OverdueRow(**r._mapping) for r in db.session.execute(_OVERDUE, {"now": now})]


def mark_lado_escalated(school_id: int, case_id: int, now: datetime) -> bool:
    """Note the escalation, once: ``False`` when another worker did it first."""
    table = _CASES_TABLE
    statement = (
        table.update()
        .where(table.c.id == case_id, table.c.school_id == school_id, table.c.lado_escalated_at.is_(None))
        .values(lado_escalated_at=now)
    )
    return bool(transaction_connection().execute(statement).rowcount)
