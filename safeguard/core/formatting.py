"""Template filters for showing times and values the way a school reads them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, has_request_context, request
from flask_login import current_user

DEFAULT_ZONE = "Europe/London"


def school_zone() -> ZoneInfo:
    """The signed-in user's school time zone (UK time when nobody is signed in)."""
    # Kept for the request: a queue page formats a hundred times, and each lookup through the current_user proxy
    # costs more than the formatting itself (measured by the benchmark's profile of the queue).
    in_request = has_request_context()
    cached = getattr(request, "_school_zone", None) if in_request else None
    if cached is not None:
        return cached
    name = DEFAULT_ZONE
    if current_user and current_user.is_authenticated:
        name = current_user.school.timezone or DEFAULT_ZONE
    zone = ZoneInfo(name)
    if in_request:
        request._school_zone = zone
    return zone


_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Two-digit numbers looked up rather than formatted: a format spec such as ``:02d`` costs as much as the rest of
# the line, and a child's chronology formats about 750 times.
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(62))


def format_local(local: datetime) -> str:
    """A time already in the school's zone as the school reads it, for example ``23 Nov 2026, 14:05``.

    Built directly rather than with ``strftime``, which was half the time of a child's chronology; the month names
    are English whatever the server's locale.
    """
    two = _TWO_DIGITS
    return f"{_date_text(local)}, {two[local.hour]}:{two[local.minute]}"


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


def register_filters(app: Flask) -> None:
    """Register the filters (and the zone they use) with the app's Jinja environment."""
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_global(school_zone, "school_zone")
    app.add_template_filter(local_date, "date")
