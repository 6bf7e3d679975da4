"""School-day arithmetic for acknowledgement deadlines and the statutory transfer window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKEND = {5, 6}  # Saturday, Sunday


def add_school_days(start: datetime, days: int, zone: str = "Europe/London") -> datetime:
    """Return ``start`` moved forward by ``days`` school days (Monday to Friday), at the same local time.

    A concern logged on Friday at 15:00 with one school day to acknowledge is due on Monday at 15:00; one logged
    on Saturday is treated as logged on Monday morning at 08:00. School holidays are not known here: the
    deadline errs on the side of alerting sooner.
    """
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    if local.weekday() in WEEKEND:
        while local.weekday() in WEEKEND:
            local = (local + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    remaining = days
    while remaining > 0:
        local = local + timedelta(days=1)
        if local.weekday() not in WEEKEND:
            remaining -= 1
    # Rebuild from the wall-clock time so a change to or from summer time keeps the local hour.
    naive = local.replace(tzinfo=None)
    return naive.replace(tzinfo=tz).astimezone(start.tzinfo)


def school_days_between(first: date, last: date) -> int:
    """Count the school days after ``first`` up to and including ``last``."""
    count = 0
    day = first
    while day < last:
        day += timedelta(days=1)
        if day.weekday() not in WEEKEND:
            count += 1
    return count


@dataclass(frozen=True)
class Term:
    """A school term in England, as reports count it: its name, first day and last day."""

    name: str
    first: date
    last: date


def term_of(day: date) -> Term:
    """The English school term ``day`` falls in, holidays counted with the term before them: autumn from
    1 September to 31 December, spring from 1 January to 31 March, summer from 1 April to 31 August.

    Schools' own term dates differ by a few days each year and are not known here; whole months keep every day in
    exactly one term, so that reports of consecutive terms neither overlap nor leave a gap.
    """
    if day.month >= 9:
        return Term(f"Autumn term {day.year}", date(day.year, 9, 1), date(day.year, 12, 31))
    if day.month <= 3:
        return Term(f"Spring term {day.year}", date(day.year, 1, 1), date(day.year, 3, 31))
    return Term(f"Summer term {day.year}", date(day.year, 4, 1), date(day.year, 8, 31))
