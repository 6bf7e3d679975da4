"""Every statement of the trusts: the trust of a school, its schools, the dashboard's numbers, access grants, and
concerns linked across schools. Rows are decoded by name.

The dashboard's numbers are one statement for every school of the trust (a row per school, each number read by that
school's indexes), never one statement per school, and never a child's name or a concern's words: counts and times
only.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from safeguard.auth.models import Role, User, holds_role
from safeguard.auth.permissions import Viewer
from safeguard.concerns.models import Concern, ConcernEvent, FollowUp
from safeguard.concerns.rules import acknowledgement_overdue, follow_up_overdue
from safeguard.concerns.states import EventKind, Status
from safeguard.core.extensions import db
from safeguard.core.sqltypes import UTCDateTime
from safeguard.core.statements import transaction_connection
from safeguard.notifications import store as alerts
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
    """The minutes from the first timestamp to the second (``NULL`` if either is), computed by the database as a
    floating-point number: the dashboard orders thousands of times to acknowledge, and reading each timestamp into
    Python cost more than the statement (PostgreSQL's ``date_part`` is a ``float8``; its ``extract`` is a
    ``numeric``, slower to divide and to sort)."""

    type = Float()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between, "postgresql")
def _minutes_postgresql(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(date_part('epoch', {end} - {start}) / 60.0)"


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element: minutes_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 1440.0)"


def middle_places(n: Any) -> tuple[Any, Any]:
    """The places (1 the smallest, of ``n``) whose values' mean is the median: the middle one twice when ``n`` is
    odd, the two middle ones when it is even. Whole numbers, for Python (numbers) and the database (columns)."""
    return (n - 1) // 2 + 1, n // 2 + 1


def ninetieth_place(n: Any) -> Any:
    """The place (1 the smallest, of ``n``) of the value read as the 90th percentile: the nearest rank. Written in
    whole numbers, so that the same expression gives the same place in Python (a number) and in the database (a
    column): a cast of a fraction to an integer rounds on PostgreSQL and truncates on SQLite."""
    return (9 * (n - 1) + 5) // 10 + 1


@dataclass(frozen=True)
class PeriodNumbers:
    """A school's numbers over one period: concerns logged and how many of them were acknowledged, the median and
    90th percentile of their times to acknowledge in minutes (``None`` when none was), referrals recorded."""

    logged: int
    acknowledged: int
    ack_median_minutes: float | None
    ack_p90_minutes: float | None
    referrals: int


@dataclass(frozen=True)
class SchoolNumbers:
    """A school's numbers over the two periods, and as they stand: overdue acknowledgements and follow-ups, transfers
    awaiting receipt, restricted or sealed concerns (counted, never named)."""

    school_id: int
    code: str
    name: str
    previous: PeriodNumbers
    current: PeriodNumbers
    overdue: int
    follow_ups_overdue: int
    awaiting_receipt: int
    restricted: int


@dataclass(frozen=True)
class Window:
    """The dashboard's two periods, from ``previous`` up to ``start`` (the one before) and from ``start`` up to
    ``end`` (this one), and ``now`` and ``today`` for what is overdue (the schools of one trust share a zone, so one
    date serves them all)."""

    previous: datetime
    start: datetime
    end: datetime
    now: datetime
    today: date


@dataclass(frozen=True)
class TrustNumbers:
    """The trust of the reader's school, the numbers of every school of it in name order, and the unread alerts of
    the person reading them (for the menu)."""

    trust_name: str
    schools: list[SchoolNumbers]
    unread_alerts: int


# The trust of the school the reader works in: found in the statement that reads its numbers, not in one of its own.
_READERS_TRUST = (
    select(TrustSchool.trust_id)
    .where(TrustSchool.school_id == bindparam("school_id", type_=Integer()))
    .scalar_subquery()
)
_PREVIOUS = bindparam("previous", type_=UTCDateTime())
_START = bindparam("start", type_=UTCDateTime())
_END = bindparam("end", type_=UTCDateTime())
_NOW = bindparam("now", type_=UTCDateTime())
_TODAY = bindparam("today", type_=Date())
# The two periods, by name: the one before (``previous`` up to ``start``) and this one (``start`` up to ``end``).
_PERIODS = {"previous": (_PREVIOUS, _START), "current": (_START, _END)}
# The school of the statement's row: every number is read for one school of the trust at a time, by its index.
_SCHOOL = TrustSchool.school_id
_WAIT = minutes_between(Concern.logged_at, Concern.acknowledged_at)
# The literal, not a bound value, so that the partial index of referrals (migration 0019) serves the statement.
_REFERRAL = ConcernEvent.kind == literal_column(f"'{EventKind.REFERRAL.value}'")


def _logged_in(since: Any, until: Any, *conditions: Any) -> Any:
    """The conditions of the school's concerns logged from ``since`` up to ``until`` (the covering index of migration
    0022 holds each one's logging and acknowledgement)."""
    return and_(Concern.school_id == _SCHOOL, Concern.logged_at >= since, Concern.logged_at < until, *conditions)


def _count(entity: Any, *conditions: Any) -> Any:
    """How many rows of ``entity`` meet ``conditions``, for the statement's school."""
    return select(func.count()).select_from(entity).where(*conditions).correlate(TrustSchool).scalar_subquery()


def _period_postgresql(name: str, since: Any, until: Any) -> tuple[list[Any], dict[str, Any]]:
    """The period's counts and times to acknowledge for the row's school, in one pass over its index entries (a
    lateral sub-query): the concerns counted, and the times to acknowledge in order as an array, which the median's
    and the 90th percentile's places index (an array counts from 1, as the places do)."""
    period = (
        select(
            func.count().label("logged"),
            func.count(Concern.acknowledged_at).label("acknowledged"),
            func.array_agg(postgresql.aggregate_order_by(_WAIT, _WAIT))
            .filter(Concern.acknowledged_at.is_not(None))
            .label("minutes"),
        )
        .where(_logged_in(since, until))
        .lateral(f"{name}_period")
    )
    n, minutes = period.c.acknowledged, period.c.minutes
    lower, upper = middle_places(n)
    return [period], {
        "logged": period.c.logged,
        "acknowledged": n,
        "ack_median_minutes": (minutes[lower] + minutes[upper]) / 2.0,
        "ack_p90_minutes": minutes[ninetieth_place(n)],
    }


def _at_places(since: Any, until: Any, wanted: Any, value: Any) -> Any:
    """The school's period's times to acknowledge in order, numbered (``place``, of ``n``); ``value`` of those at the
    places ``wanted(place, n)`` picks. SQLite has no arrays: a window function numbers the times."""
    ordered = (
        select(
            _WAIT.label("minutes"),
            func.row_number().over(order_by=_WAIT).label("place"),
            func.count().over().label("n"),
        )
        .where(_logged_in(since, until, Concern.acknowledged_at.is_not(None)))
        .correlate(TrustSchool)
        .subquery()
    )
    return select(value(ordered.c.minutes)).where(wanted(ordered.c.place, ordered.c.n)).scalar_subquery()


def _period_sqlite(name: str, since: Any, until: Any) -> tuple[list[Any], dict[str, Any]]:
    """The period's counts and times to acknowledge for the row's school, as sub-queries of the row (SQLite has no
    lateral sub-query): the counts, and the median and the 90th percentile each read at its places."""
    return [], {
        "logged": _count(Concern, _logged_in(since, until)),
        "acknowledged": _count(Concern, _logged_in(since, until, Concern.acknowledged_at.is_not(None))),
        "ack_median_minutes": _at_places(
            since,
            until,
            lambda place, n: place.in_(middle_places(n)),
            lambda minutes: (func.min(minutes) + func.max(minutes)) / 2.0,
        ),
        "ack_p90_minutes": _at_places(since, until, lambda place, n: place == ninetieth_place(n), func.max),
    }


@functools.cache
def _numbers_statement(dialect: str) -> Select[Any]:
    """Every number of the dashboard, one row per school of the trust: each read by the school's indexes, so that the
    statement reads the trust's periods and what is overdue, never the schools' whole history."""
    lateral: list[Any] = []
    columns: list[Any] = [Trust.name.label("trust_name"), _SCHOOL, School.code, School.name]
    for name, (since, until) in _PERIODS.items():
        joined, period = (_period_postgresql if dialect == "postgresql" else _period_sqlite)(name, since, until)
        lateral += joined
        period["referrals"] = _count(
            ConcernEvent,
            ConcernEvent.school_id == _SCHOOL,
            _REFERRAL,
            ConcernEvent.at >= since,
            ConcernEvent.at < until,
        )
        columns += [column.label(f"{name}_{key}") for key, column in period.items()]
    columns += [
        _count(
            Concern,
            Concern.school_id == _SCHOOL,
            acknowledgement_overdue(Concern.status, Concern.ack_due_at, _NOW),
            # The literal, so that the partial index of new concerns serves the statement.
            Concern.status == literal_column(f"'{Status.NEW.value}'"),
        ).label("overdue"),
        _count(
            FollowUp, FollowUp.school_id == _SCHOOL, follow_up_overdue(FollowUp.done_at, FollowUp.due_on, _TODAY)
        ).label("follow_ups_overdue"),
        _count(Pupil, Pupil.school_id == _SCHOOL, awaiting_receipt).label("awaiting_receipt"),
        # The literal, so that the partial index of restricted concerns serves the statement.
        _count(Concern, Concern.school_id == _SCHOOL, Concern.access_level != literal_column("'standard'")).label(
            "restricted"
        ),
    ]
    # The reader's unread alerts, for the menu: counted once, by the package that owns them, in the same round trip.
    columns.append(alerts.unread_count_column(bindparam("user_id", type_=Integer())))
    statement = (
        select(*columns)
        .select_from(TrustSchool)
        .join(Trust, Trust.id == TrustSchool.trust_id)
        .join(School, School.id == _SCHOOL)
    )
    for joined in lateral:
        statement = statement.join(joined, true())
    return statement.where(TrustSchool.trust_id == _READERS_TRUST).order_by(func.lower(School.name), School.id)


def _period(row: Any, name: str) -> PeriodNumbers:
    return PeriodNumbers(
        logged=row._mapping[f"{name}_logged"],
        acknowledged=row._mapping[f"{name}_acknowledged"],
        ack_median_minutes=row._mapping[f"{name}_ack_median_minutes"],
        ack_p90_minutes=row._mapping[f"{name}_ack_p90_minutes"],
        referrals=row._mapping[f"{name}_referrals"],
    )


def school_numbers(school_id: int, window: Window, reader: Viewer) -> TrustNumbers | None:
    """The trust ``school_id`` belongs to (``None`` if it is in none) and its schools in name order, with their numbers
    over the ``window``'s two periods and what is overdue at its ``now``; and the unread alerts of ``reader`` (a
    viewer at the window's ``now``). One statement for every school: no child's name, no concern's words, counts and
    times only."""
    connection = transaction_connection()
    rows = connection.execute(
        _numbers_statement(connection.dialect.name),
        {
            "school_id": school_id,
            "previous": window.previous,
            "start": window.start,
            "end": window.end,
            "now": window.now,
            "today": window.today,
            "user_id": reader.id,
        }
        | reader.values(),
    ).all()
    schools = [
        SchoolNumbers(
            school_id=row.school_id,
            code=row.code,
            name=row.name,
            previous=_period(row, "previous"),
            current=_period(row, "current"),
            overdue=row.overdue,
            follow_ups_overdue=row.follow_ups_overdue,
            awaiting_receipt=row.awaiting_receipt,
            restricted=row.restricted,
        )
        for row in rows
    ]
    if not rows:
        return None  # the school is in no trust (a trust always holds the school it was found by)
    return TrustNumbers(rows[0].trust_name, schools, rows[0].unread)


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
