"""School-day arithmetic for acknowledgement deadlines and the statutory transfer window.

A school's calendar (its terms and closure days, kept by ``safeguard.calendar``) is passed in as a
:class:`Calendar`; without one, every weekday counts as a school day, as before schools entered their dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKEND = {5, 6}  # Saturday, Sunday
# The hour a clock started on a day without school starts from, on the next school day.
SCHOOL_DAY_STARTS = 8


@dataclass(frozen=True)
class Term:
    """A school term: its name, first day and last day."""

    name: str
    first: date
    last: date


@dataclass(frozen=True)
class Calendar:
    """A school's terms and closure days (INSET days, bank holidays, a snow day), each an inclusive range.

    A school day is a weekday within a term and not closed. Days after the last term entered are counted as
    weekdays (the calendar has not been extended yet: the clock errs on the side of alerting sooner); so are days
    before the first term.
    """

    terms: tuple[Term, ...] = ()
    closures: tuple[tuple[date, date], ...] = field(default=())

    @property
    def known(self) -> bool:
        """Whether any term has been entered (otherwise every weekday counts)."""
        return bool(self.terms)

    @property
    def last_day(self) -> date | None:
        """The last day the calendar knows, or None."""
        return max((t.last for t in self.terms), default=None)

    def is_school_day(self, day: date) -> bool:
        """Whether ``day`` is a school day."""
        if day.weekday() in WEEKEND:
            return False
        if any(first <= day <= last for first, last in self.closures):
            return False
        if not self.terms or day > self.terms[-1].last or day < self.terms[0].first:
            return True
        return any(t.first <= day <= t.last for t in self.terms)


WEEKDAYS = Calendar()


def calendar_of(terms: Iterable[Term], closures: Iterable[tuple[date, date]]) -> Calendar:
    """A calendar from its terms and closures in any order."""
    return Calendar(tuple(sorted(terms, key=lambda t: t.first)), tuple(sorted(closures)))


def add_school_days(start: datetime, days: int, zone: str = "Europe/London", calendar: Calendar = WEEKDAYS) -> datetime:
    """Return ``start`` moved forward by ``days`` school days, at the same local time.

    A concern logged on Friday at 15:00 with one school day to acknowledge is due on Monday at 15:00 (or, with a
    half-term week in the calendar, on the Monday after it); one logged on a Saturday or in a holiday is treated as
    logged at 08:00 on the next school day.
    """
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    if not calendar.is_school_day(local.date()):
        while not calendar.is_school_day(local.date()):
            local = local + timedelta(days=1)
        local = local.replace(hour=SCHOOL_DAY_STARTS, minute=0, second=0, microsecond=0)
    remaining = days
    while remaining > 0:
        local = local + timedelta(days=1)
        if calendar.is_school_day(local.date()):
            remaining -= 1
    # Rebuild from the wall-clock time so a change to or from summer time keeps the local hour.
    naive = local.replace(tzinfo=None)
    return naive.replace(tzinfo=tz).astimezone(start.tzinfo)


def school_days_between(first: date, last: date, calendar: Calendar = WEEKDAYS) -> int:
    """Count the school days after ``first`` up to and including ``last``."""
    count = 0
    day = first
    while day < last:
        day += timedelta(days=1)
        if calendar.is_school_day(day):
            count += 1
    return count


def term_of(day: date, calendar: Calendar = WEEKDAYS) -> Term:
    """The school term ``day`` falls in, holidays counted with the term before them.

    With the school's calendar: the term entered that holds ``day``, running on to the day before the next term (so
    that reports of consecutive terms neither overlap nor leave a gap). Without one, or outside it, the English
    terms by whole months: autumn from 1 September to 31 December, spring from 1 January to 31 March, summer from
    1 April to 31 August.
    """
    terms = calendar.terms
    for index, term in enumerate(terms):
        following = terms[index + 1].first - timedelta(days=1) if index + 1 < len(terms) else term.last
        if term.first <= day <= max(term.last, following):
            return Term(term.name, term.first, max(term.last, following))
    if day.month >= 9:
        return Term(f"Autumn term {day.year}", date(day.year, 9, 1), date(day.year, 12, 31))
    if day.month <= 3:
        return Term(f"Spring term {day.year}", date(day.year, 1, 1), date(day.year, 3, 31))
    return Term(f"Summer term {day.year}", date(day.year, 4, 1), date(day.year, 8, 31))
