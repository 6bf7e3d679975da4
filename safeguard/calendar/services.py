"""The rules of the school calendar: what a term or a closure must say, and reading an iCalendar file.

The clocks ask :func:`calendar` for the school's calendar and count with ``core.schooldays``; without terms entered,
every weekday counts, and the pages say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from safeguard.audit import services as audit
from safeguard.calendar import store
from safeguard.calendar.models import CLOSURE, TERM
from safeguard.core.schooldays import Calendar

NAME_LENGTH = 120
# The longest period a school may enter at once: a term is at most a few months, a closure a few weeks.
LONGEST = {TERM: timedelta(days=200), CLOSURE: timedelta(days=90)}
MAX_ICS_BYTES = 512 * 1024
MAX_ICS_EVENTS = 500
# How an event of an iCalendar file is read: a closure by these words, a term by "term" alone.
_CLOSURE_WORDS = re.compile(
    r"holiday|half[\s-]*term|closed|closure|inset|training day|staff day|bank|break|christmas|easter|non[\s-]*pupil",
    re.IGNORECASE,
)
_TERM_WORD = re.compile(r"\bterm\b", re.IGNORECASE)


class CalendarError(ValueError):
    """A period or a file breaks a rule; the message is fit to show, ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def calendar(school_id: int) -> Calendar:
    """The school's calendar, for the clocks."""
    return store.calendar(school_id)


def _checked(kind: str, name: str, first: date, last: date) -> tuple[str, str, date, date]:
    name = " ".join((name or "").split())[:NAME_LENGTH]
    if kind not in (TERM, CLOSURE):
        raise CalendarError("Choose a term or a closure.", "kind")
    if not name:
        raise CalendarError("Give it a name (for example: Autumn term, or October half-term).", "name")
    if last < first:
        raise CalendarError("The last day is before the first day.", "last_day")
    if last - first > LONGEST[kind]:
        days = LONGEST[kind].days
        raise CalendarError(f"A {kind} is at most {days} days long: check the dates.", "last_day")
    return kind, name, first, last


def add_period(school_id: int, actor_id: int | None, kind: str, name: str, first: date, last: date) -> None:
    """Add a term or a closure entered on the page."""
    row = _checked(kind, name, first, last)
    store.add_periods(school_id, [row], "page")
    audit.record(
        "calendar.changed",
        f"{kind.capitalize()} added to the school calendar: {row[1]} ({first.isoformat()} to {last.isoformat()})",
        school_id=school_id,
        actor_id=actor_id,
    )


def remove_period(school_id: int, actor_id: int | None, period_id: int) -> None:
    """Remove a term or a closure."""
    if not store.remove_period(school_id, period_id):
        raise CalendarError("That date is no longer in the calendar.")
    audit.record("calendar.changed", "Removed a date from the school calendar", school_id=school_id, actor_id=actor_id)


@dataclass(frozen=True)
class Imported:
    """What an import found: terms, closures, and the events it left out (neither)."""

    terms: int
    closures: int
    ignored: tuple[str, ...]


def _as_day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def _event_period(event: object) -> tuple[str, str, date, date] | str:
    """The period an event describes, or the event's name when it describes none."""
    summary = str(event.get("SUMMARY", "") or "").strip()  # type: ignore[attr-defined]
    start = event.get("DTSTART")  # type: ignore[attr-defined]
    end = event.get("DTEND")  # type: ignore[attr-defined]
    first = _as_day(start.dt) if start is not None else None
    if first is None:
        return summary or "(no name)"
    last = first
    if end is not None and (end_day := _as_day(end.dt)) is not None:
        # An all-day event ends the day before its DTEND (RFC 5545); one with times ends on its last day.
        last = end_day - timedelta(days=1) if not isinstance(end.dt, datetime) and end_day > first else end_day
    if _CLOSURE_WORDS.search(summary):
        kind = CLOSURE
    elif _TERM_WORD.search(summary):
        kind = TERM
    else:
        return summary or "(no name)"
    return kind, summary, first, last


def parse_ics(data: bytes) -> tuple[list[tuple[str, str, date, date]], list[str]]:
    """The terms and closures of an iCalendar file, and the names of the events that are neither."""
    import icalendar

    if len(data) > MAX_ICS_BYTES:
        raise CalendarError("That file is too large for a school calendar (at most 512 KB).", "ics")
    try:
        parsed = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise CalendarError("That file is not an iCalendar (.ics) file.", "ics") from error
    events = parsed.walk("VEVENT") if hasattr(parsed, "walk") else []
    if len(events) > MAX_ICS_EVENTS:
        raise CalendarError(f"That file has more than {MAX_ICS_EVENTS} events.", "ics")
    rows, ignored = [], []
    for event in events:
        found = _event_period(event)
        if isinstance(found, str):
            ignored.append(found)
            continue
        try:
            rows.append(_checked(*found))
        except CalendarError as error:
            raise CalendarError(f"{found[1]}: {error}", "ics") from error
    if not rows:
        raise CalendarError(
            "No term or closure was found in that file: events named with 'term', 'holiday', 'half-term', "
            "'INSET' or 'closed' are read.",
            "ics",
        )
    return rows, ignored


def import_ics(school_id: int, actor_id: int | None, data: bytes) -> Imported:
    """Replace what an earlier import brought with the terms and closures of an iCalendar file."""
    rows, ignored = parse_ics(data)
    store.remove_imported(school_id)
    store.add_periods(school_id, rows, "ics")
    result = Imported(
        terms=sum(1 for r in rows if r[0] == TERM),
        closures=sum(1 for r in rows if r[0] == CLOSURE),
        ignored=tuple(ignored[:20]),
    )
    audit.record(
        "calendar.imported",
        f"School calendar imported: {result.terms} terms, {result.closures} closures",
        school_id=school_id,
        actor_id=actor_id,
    )
    return result
