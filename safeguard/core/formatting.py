"""Template filters for showing times and values the way a school reads them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from flask_login import current_user

from safeguard.core.sqltypes import utcnow

DEFAULT_ZONE = "Europe/London"


def school_zone() -> ZoneInfo:
    """The signed-in user's school time zone (UK time when nobody is signed in)."""
    # Kept for the request: a list formats many times, and looking the school up through the current_user proxy
    # each time would cost more than the formatting.
    in_request = has_request_context()
    if in_request and "school_zone" in g:
        kept: ZoneInfo = g.school_zone
        return kept
    signed_in = in_request and current_user and current_user.is_authenticated
    zone = zone_named(current_user.school.timezone if signed_in else None)
    if in_request:
        g.school_zone = zone
    return zone


_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Two-digit numbers looked up rather than formatted: a child's chronology writes hundreds of times, and a format
# spec such as ``:02d`` costs as much as the rest of the line (docs/performance.md).
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(62))


def format_local(local: datetime) -> str:
    """A time already in the school's zone as the school reads it, for example ``23 Nov 2026, 14:05``.

    Built directly rather than with ``strftime`` (a long chronology writes hundreds); the month names are English
    whatever the server's locale.
    """
    two = _TWO_DIGITS
    return f"{_date_text(local)}, {two[local.hour]}:{two[local.minute]}"


def shorten(text: str, limit: int) -> str:
    """``text`` whole when it fits in ``limit`` characters; otherwise cut after the last whole word that fits, with
    "…" to say it was cut (a single word longer than the room is cut where it must be). For one-line summaries of
    what is recorded in full elsewhere: a recorded sentence is never cut without saying so.
    """
    if len(text) <= limit:
        return text
    kept = text[: limit - 1]
    if not text[limit - 1].isspace():
        word_start = kept.rfind(" ")
        if word_start > 0:
            kept = kept[:word_start]
    return kept.rstrip(" ,;:") + "…"


def format_date(day: date) -> str:
    """A date as the school reads it, for example ``23 Nov 2026`` (in text written into a record, too)."""
    return _date_text(day)


def zone_named(name: str | None) -> ZoneInfo:
    """A school's time zone by its name (UK time when it has none)."""
    return ZoneInfo(name or DEFAULT_ZONE)


def local_today(zone: ZoneInfo, now: datetime | None = None) -> date:
    """Today's date in a school's zone: what "today" means for its deadlines and follow-ups."""
    return (now or utcnow()).astimezone(zone).date()


def _date_text(day: date) -> str:
    """``23 Nov 2026``: English month names whatever the server's locale, and no strftime (lists of dates)."""
    return f"{_TWO_DIGITS[day.day]} {_MONTHS[day.month]} {day.year}"


def local_datetime(value: datetime | None, fmt: str | None = None, zone: ZoneInfo | None = None) -> str:
    """Format an aware UTC time in the school's zone, for example ``23 Nov 2026, 14:05``.

    :param fmt: a ``strftime`` format instead of the usual one.
    :param zone: the school's zone, for a list of hundreds of times: looked up once by the template
        (``school_zone()``) instead of through the request for every line.
    """
    if value is None:
        return ""
    local = value.astimezone(zone or school_zone())
    if fmt is not None:
        return local.strftime(fmt)
    return format_local(local)


def local_date(value: date | datetime | None, fmt: str | None = None) -> str:
    """Format a date, for example ``23 Nov 2026`` (a time is first put in the school's zone).

    :param fmt: a ``strftime`` format instead of the usual one.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(school_zone())
    if fmt is not None:
        return value.strftime(fmt)
    return _date_text(value)


def centimetres(value: float | None) -> str:
    """A size as the record writes it: ``3 cm``, ``2.5 cm`` (no trailing zeros); an empty string for none."""
    if value is None:
        return ""
    return f"{value:.1f}".rstrip("0").rstrip(".") + " cm"
