"""Every statement about the school calendar, decoded by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, delete, insert, select

from safeguard.calendar.models import CLOSURE, TERM, CalendarPeriod
from safeguard.core.extensions import db
from safeguard.core.schooldays import Calendar, Term, calendar_of
from safeguard.core.statements import transaction_connection


@dataclass(frozen=True)
class PeriodRow:
    """A term or a closure as the page lists it."""

    id: int
    kind: str
    name: str
    first_day: date
    last_day: date
    source: str


_PERIODS = (
    select(
        CalendarPeriod.id,
        CalendarPeriod.kind,
        CalendarPeriod.name,
        CalendarPeriod.first_day,
        CalendarPeriod.last_day,
        CalendarPeriod.source,
    )
    .where(CalendarPeriod.school_id == bindparam("school_id"))
    .order_by(CalendarPeriod.first_day, CalendarPeriod.kind.desc(), CalendarPeriod.id)
)
_DELETE = delete(CalendarPeriod).where(
    CalendarPeriod.school_id == bindparam("school_id"), CalendarPeriod.id == bindparam("period_id")
)
_DELETE_IMPORTED = delete(CalendarPeriod).where(
    CalendarPeriod.school_id == bindparam("school_id"), CalendarPeriod.source == "ics"
)
_SCHOOLS_WITH_TERMS = select(CalendarPeriod.school_id).where(CalendarPeriod.kind == TERM).distinct()


def periods(school_id: int) -> list[PeriodRow]:
    """The school's terms and closures, in date order."""
    return [PeriodRow(**row._mapping) for row in db.session.execute(_PERIODS, {"school_id": school_id})]


def calendar(school_id: int) -> Calendar:
    """The school's calendar for the clocks (empty: every weekday counts)."""
    return as_calendar(periods(school_id))


def as_calendar(rows: list[PeriodRow]) -> Calendar:
    """A calendar from the rows of :func:`periods`."""
    return calendar_of(
        (Term(r.name, r.first_day, r.last_day) for r in rows if r.kind == TERM),
        ((r.first_day, r.last_day) for r in rows if r.kind == CLOSURE),
    )


def add_periods(school_id: int, rows: list[tuple[str, str, date, date]], source: str) -> None:
    """Add (kind, name, first day, last day) periods to the school's calendar."""
    if rows:
        transaction_connection().execute(
            insert(CalendarPeriod),
            [
                {"school_id": school_id, "kind": k, "name": n, "first_day": f, "last_day": la, "source": source}
                for k, n, f, la in rows
            ],
        )


def remove_period(school_id: int, period_id: int) -> bool:
    """Remove one of the school's periods; whether there was one."""
    result = transaction_connection().execute(_DELETE, {"school_id": school_id, "period_id": period_id})
    return bool(result.rowcount)


def remove_imported(school_id: int) -> None:
    """Remove what an earlier import brought (an import replaces it)."""
    transaction_connection().execute(_DELETE_IMPORTED, {"school_id": school_id})


def schools_with_terms() -> set[int]:
    """The schools that have entered at least one term."""
    return set(db.session.scalars(_SCHOOLS_WITH_TERMS))
