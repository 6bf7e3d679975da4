"""Every statement of the trusts: the trust of a school, its schools, the dashboard's numbers, access grants, and
concerns linked across schools. Rows are decoded by name.

The dashboard's statements read every school of the trust at once (``school_id IN (...)``, grouped by school), never
one statement per school, and never a child's name or a concern's words: counts and times only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, func, insert, literal_column, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from safeguard.auth.models import Role, User, holds_role
from safeguard.concerns.models import Concern, ConcernEvent, FollowUp
from safeguard.concerns.rules import acknowledgement_overdue, follow_up_overdue
from safeguard.concerns.states import EventKind, Status
from safeguard.core.extensions import db
from safeguard.core.statements import transaction_connection
from safeguard.pupils.models import Pupil, awaiting_receipt
from safeguard.schools.models import School
from safeguard.trusts.models import GrantStatus, Trust, TrustAccessGrant, TrustConcernLink, TrustSchool


@dataclass(frozen=True)
class TrustSchoolRow:
    """A school of a trust."""

    id: int
    code: str
    name: str
    timezone: str


def trust_of(school_id: int) -> Trust | None:
    """The trust ``school_id`` belongs to, or ``None``."""
    return db.session.scalar(
        select(Trust).join(TrustSchool, TrustSchool.trust_id == Trust.id).where(TrustSchool.school_id == school_id)
    )


def trust_named(name: str) -> Trust | None:
    """A trust by its name, or ``None``."""
    return db.session.scalar(select(Trust).where(Trust.name == name))


def schools_of_trust(trust_id: int) -> list[TrustSchoolRow]:
    """The trust's schools, in name order."""
    rows = db.session.execute(
        select(School.id, School.code, School.name, School.timezone)
        .join(TrustSchool, TrustSchool.school_id == School.id)
        .where(TrustSchool.trust_id == trust_id)
        .order_by(func.lower(School.name), School.id)
    )
    return [TrustSchoolRow(**row._mapping) for row in rows]


def add_trust(name: str, now: datetime) -> int:
    """Add a trust; its id."""
    statement = insert(Trust).values(name=name, created_at=now).returning(Trust.id)
    return int(transaction_connection().execute(statement).scalar_one())


def set_trust(school_id: int, trust_id: int | None) -> None:
    """Put a school in a trust (or in none), out of any trust it was in."""
    connection = transaction_connection()
    connection.execute(TrustSchool.__table__.delete().where(TrustSchool.school_id == school_id))
    if trust_id is not None:
        connection.execute(insert(TrustSchool).values(school_id=school_id, trust_id=trust_id))


# ---------------------------------------------------------------------------------------------------------------
# The dashboard's numbers


class minutes_between(FunctionElement[float]):
    """The minutes from the first timestamp to the second (``NULL`` if either is), computed by the database: the
    dashboard reads thousands of times to acknowledge, and reading each timestamp into Python cost more than the
    statement."""

    type = Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between, "postgresql")
def _minutes_postgresql(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(extract(epoch from ({end} - {start})) / 60.0)"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 1440.0)"


@dataclass(frozen=True)
class PeriodCounts:
    """A school's concerns logged in one of the two periods, and how many of them were acknowledged."""

    logged: int
    acknowledged: int


def logged_counts(
    school_ids: Sequence[int], previous: datetime, start: datetime, end: datetime
) -> dict[tuple[int, bool], PeriodCounts]:
    """Each school's concerns logged from ``previous`` up to ``end``, by (school, whether from ``start`` on)."""
    later = (Concern.logged_at >= start).label("later")
    rows = db.session.execute(
        select(
            Concern.school_id,
            later,
            func.count().label("logged"),
            func.count(Concern.acknowledged_at).label("acknowledged"),
        )
        .where(Concern.school_id.in_(school_ids), Concern.logged_at >= previous, Concern.logged_at < end)
        .group_by(Concern.school_id, later)
    )
    return {(row.school_id, bool(row.later)): PeriodCounts(row.logged, row.acknowledged) for row in rows}


@dataclass(frozen=True)
class OrderedWait:
    """One time to acknowledge of a school's period, at its place among them (1 the shortest, of ``n``)."""

    school_id: int
    later: bool
    place: int
    n: int
    minutes: float


def ninetieth_place(n: Any) -> Any:
    """The place (1 the smallest, of ``n``) of the value read as the 90th percentile: the nearest rank. Written in
    whole numbers, so that the same expression gives the same place in Python (a number) and in the database (a
    column): a cast of a fraction to an integer rounds on PostgreSQL and truncates on SQLite."""
    return (9 * (n - 1) + 5) // 10 + 1


def middle_waits(school_ids: Sequence[int], previous: datetime, start: datetime, end: datetime) -> list[OrderedWait]:
    """The times to acknowledge (of the concerns logged in each period and acknowledged) that the median and the 90th
    percentile are read from: for each school and period, the one or two in the middle and the one at
    :func:`ninetieth_place`. The database orders them, so a year of concerns is not read into Python."""
    later = (Concern.logged_at >= start).label("later")
    wait = minutes_between(Concern.logged_at, Concern.acknowledged_at)
    partition = (Concern.school_id, later)
    ordered = (
        select(
            Concern.school_id,
            later,
            wait.label("minutes"),
            func.row_number().over(partition_by=partition, order_by=wait).label("place"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(
            Concern.school_id.in_(school_ids),
            Concern.logged_at >= previous,
            Concern.logged_at < end,
            Concern.acknowledged_at.is_not(None),
        )
        .subquery()
    )
    wanted = (
        ordered.c.place == (ordered.c.n - 1) // 2 + 1,
        ordered.c.place == ordered.c.n // 2 + 1,
        ordered.c.place == ninetieth_place(ordered.c.n),
    )
    rows = db.session.execute(
        select(ordered.c.school_id, ordered.c.later, ordered.c.place, ordered.c.n, ordered.c.minutes).where(
            or_(*wanted)
        )
    )
    return [OrderedWait(row.school_id, bool(row.later), row.place, row.n, float(row.minutes)) for row in rows]


# The literal, not a bound value, so that the partial index of referrals (migration 0019) serves the statement.
_REFERRAL = ConcernEvent.kind == literal_column(f"'{EventKind.REFERRAL.value}'")


def referral_counts(
    school_ids: Sequence[int], previous: datetime, start: datetime, end: datetime
) -> dict[tuple[int, bool], int]:
    """How many referrals or reports to agencies each school recorded in each period, by (school, later period)."""
    later = (ConcernEvent.at >= start).label("later")
    rows = db.session.execute(
        select(ConcernEvent.school_id, later, func.count().label("n"))
        .where(ConcernEvent.school_id.in_(school_ids), _REFERRAL, ConcernEvent.at >= previous, ConcernEvent.at < end)
        .group_by(ConcernEvent.school_id, later)
    )
    return {(row.school_id, bool(row.later)): row.n for row in rows}


@dataclass(frozen=True)
class NowCounts:
    """A school's numbers as they stand: overdue acknowledgements and follow-ups, transfers awaiting receipt,
    restricted or sealed concerns (counted, never named)."""

    school_id: int
    overdue: int = 0
    follow_ups_overdue: int = 0
    awaiting_receipt: int = 0
    restricted: int = 0


def now_counts(school_ids: Sequence[int], now: datetime, today: date) -> dict[int, NowCounts]:
    """Each school's :class:`NowCounts`, by the rules of :mod:`safeguard.concerns.rules` (``today`` is taken as every
    school's date: the schools of one trust share a zone)."""
    overdue = (
        select(Concern.school_id, func.count().label("n"))
        .where(
            Concern.school_id.in_(school_ids),
            acknowledgement_overdue(Concern.status, Concern.ack_due_at, now),
            # The literal, so that the partial index of new concerns serves the statement.
            Concern.status == literal_column(f"'{Status.NEW.value}'"),
        )
        .group_by(Concern.school_id)
    )
    follow_ups = (
        select(FollowUp.school_id, func.count().label("n"))
        .where(FollowUp.school_id.in_(school_ids), follow_up_overdue(FollowUp.done_at, FollowUp.due_on, today))
        .group_by(FollowUp.school_id)
    )
    transfers = (
        select(Pupil.school_id, func.count().label("n"))
        .where(Pupil.school_id.in_(school_ids), awaiting_receipt)
        .group_by(Pupil.school_id)
    )
    restricted = (
        select(Concern.school_id, func.count().label("n"))
        # The literal, so that the partial index of restricted concerns serves the statement.
        .where(Concern.school_id.in_(school_ids), Concern.access_level != literal_column("'standard'"))
        .group_by(Concern.school_id)
    )
    found: dict[str, dict[int, int]] = {}
    for name, statement in (
        ("overdue", overdue),
        ("follow_ups_overdue", follow_ups),
        ("awaiting_receipt", transfers),
        ("restricted", restricted),
    ):
        found[name] = {row.school_id: row.n for row in db.session.execute(statement)}
    return {
        school_id: NowCounts(school_id, **{name: counts.get(school_id, 0) for name, counts in found.items()})
        for school_id in school_ids
    }


# ---------------------------------------------------------------------------------------------------------------
# Access grants


@dataclass(frozen=True)
class GrantRow:
    """A trust lead's request for access to a school's records, as the lists show it."""

    id: int
    school_id: int
    school_name: str
    user_id: int
    trust_lead: str
    purpose: str
    days: int
    status: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None

    def live(self, now: datetime) -> bool:
        """Whether the grant lets the trust lead read the records at ``now``."""
        return (
            self.status == GrantStatus.GRANTED.value
            and self.starts_at is not None
            and self.ends_at is not None
            and self.starts_at <= now < self.ends_at
        )


_DECIDER = aliased(User)
_GRANTS = (
    select(
        TrustAccessGrant.id,
        TrustAccessGrant.school_id,
        School.name.label("school_name"),
        TrustAccessGrant.user_id,
        User.display_name.label("trust_lead"),
        TrustAccessGrant.purpose,
        TrustAccessGrant.days,
        TrustAccessGrant.status,
        TrustAccessGrant.requested_at,
        _DECIDER.display_name.label("decided_by"),
        TrustAccessGrant.decided_at,
        TrustAccessGrant.starts_at,
        TrustAccessGrant.ends_at,
    )
    .join(School, School.id == TrustAccessGrant.school_id)
    .join(User, User.id == TrustAccessGrant.user_id)
    .outerjoin(_DECIDER, _DECIDER.id == TrustAccessGrant.decided_by_id)
    .order_by(TrustAccessGrant.requested_at.desc(), TrustAccessGrant.id.desc())
)


def _grants(*conditions: Any) -> list[GrantRow]:
    return [GrantRow(**row._mapping) for row in db.session.execute(_GRANTS.where(*conditions).limit(200))]


def school_grants(school_id: int) -> list[GrantRow]:
    """The requests made to a school, the latest first."""
    return _grants(TrustAccessGrant.school_id == school_id)


def trust_lead_grants(trust_id: int, user_id: int) -> list[GrantRow]:
    """A trust lead's requests to the trust's schools, the latest first."""
    return _grants(TrustAccessGrant.trust_id == trust_id, TrustAccessGrant.user_id == user_id)


def grant(school_id: int, grant_id: int) -> TrustAccessGrant | None:
    """A request made to the school, or ``None`` (another school's requests do not exist here)."""
    return db.session.scalar(
        select(TrustAccessGrant).where(TrustAccessGrant.id == grant_id, TrustAccessGrant.school_id == school_id)
    )


def add_grant(values: dict[str, Any]) -> int:
    """Record a request for access; its id."""
    statement = insert(TrustAccessGrant).values(**values).returning(TrustAccessGrant.id)
    return int(transaction_connection().execute(statement).scalar_one())


def update_grant(school_id: int, grant_id: int, from_status: str, values: dict[str, Any]) -> bool:
    """Change a request of the school still in ``from_status``; whether it was (a decision made twice at once
    changes it once)."""
    statement = (
        update(TrustAccessGrant)
        .where(
            TrustAccessGrant.id == grant_id,
            TrustAccessGrant.school_id == school_id,
            TrustAccessGrant.status == from_status,
        )
        .values(**values)
    )
    changed = transaction_connection().execute(statement).rowcount == 1
    if changed:
        found = db.session.get(TrustAccessGrant, grant_id)
        if found is not None:
            db.session.refresh(found)
    return changed


def dsl_addresses(school_id: int) -> list[tuple[int, str]]:
    """The school's active DSLs: id and e-mail address (to tell them of a request)."""
    rows = db.session.execute(
        select(User.id, User.email).where(holds_role(school_id, Role.DSL), User.active.is_(True)).order_by(User.id)
    )
    return [(row.id, row.email) for row in rows]


# ---------------------------------------------------------------------------------------------------------------
# Concerns linked across schools


@dataclass(frozen=True)
class LinkRow:
    """A concern of another school of the trust linked to one of this school's."""

    concern_id: int
    other_school_id: int
    other_school_code: str
    other_concern_id: int
    other_reference: str
    reason: str
    linked_by: str
    linked_at: datetime


def concern_by_reference(school_id: int, reference: str) -> Concern | None:
    """A concern of the school by its reference (OAK-2026-0042), or ``None``."""
    return db.session.scalar(select(Concern).where(Concern.school_id == school_id, Concern.reference == reference))


def add_links(rows: list[dict[str, Any]]) -> None:
    """Record a link, once from each side."""
    transaction_connection().execute(insert(TrustConcernLink), rows)


def link_exists(concern_id: int, other_concern_id: int) -> bool:
    """Whether the two concerns are linked already."""
    found = db.session.scalar(
        select(TrustConcernLink.id).where(
            TrustConcernLink.concern_id == concern_id, TrustConcernLink.other_concern_id == other_concern_id
        )
    )
    return found is not None


def school_links(school_id: int) -> list[LinkRow]:
    """The school's concerns linked to concerns of other schools of its trust, the latest first."""
    other = aliased(Concern)
    rows = db.session.execute(
        select(
            TrustConcernLink.concern_id,
            TrustConcernLink.other_school_id,
            School.code.label("other_school_code"),
            TrustConcernLink.other_concern_id,
            other.reference.label("other_reference"),
            TrustConcernLink.reason,
            User.display_name.label("linked_by"),
            TrustConcernLink.linked_at,
        )
        .join(School, School.id == TrustConcernLink.other_school_id)
        .join(other, other.id == TrustConcernLink.other_concern_id)
        .join(User, User.id == TrustConcernLink.linked_by_id)
        .where(TrustConcernLink.school_id == school_id)
        .order_by(TrustConcernLink.linked_at.desc(), TrustConcernLink.id.desc())
        .limit(500)
    )
    return [LinkRow(**row._mapping) for row in rows]


def references(school_id: int, concern_ids: Sequence[int]) -> dict[int, str]:
    """The references of some of the school's concerns, by id."""
    if not concern_ids:
        return {}
    rows = db.session.execute(
        select(Concern.id, Concern.reference).where(Concern.school_id == school_id, Concern.id.in_(concern_ids))
    )
    return {row.id: row.reference for row in rows}
