"""Template filters for showing times and values the way a school reads them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from flask_login import current_user

from safeguard.core.names import fold
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


class Excerpt(NamedTuple):
    """A short passage of a longer text around the first word found: the words before it, the word, the words
    after it; ``cut_before``/``cut_after`` say whether text was left out there (shown as "…")."""

    before: str
    found: str
    after: str
    cut_before: bool
    cut_after: bool


_WORD = re.compile(r"\w+")


def excerpt(text: str, wanted: Sequence[str], room: int = 200) -> Excerpt:
    """The passage of ``text`` around the first word that begins like one of ``wanted`` (folded words, see
    :func:`safeguard.core.names.fold`; a word's last letters are not required, so "bruises" finds "bruised"), cut
    at whole words to about ``room`` characters; the start of the text when no word is found."""
    stems = [word[: max(4, len(word) - 3)] if len(word) > 4 else word for word in wanted]
    for match in _WORD.finditer(text):
        if any(fold(match.group()).startswith(stem) for stem in stems):
            start, end = match.span()
            break
    else:
        start = end = 0
    left = max(0, start - room // 3)
    if left > 0:
        space = text.rfind(" ", 0, left + 1)
        left = space + 1 if space >= 0 and space < start else left
    right = min(len(text), end + room - (start - left))
    if right < len(text):
        space = text.find(" ", right)
        right = space if space != -1 else len(text)
    return Excerpt(text[left:start], text[start:end], text[end:right], left > 0, right < len(text))


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (for a stylesheet's ``content``): quotes, backslashes and control characters
    escaped, so that no text a school enters can end the string or the rule."""
    escaped = "".join(
        f"\\{ord(character):x} " if ord(character) < 0x20 or character in '"\\<>' else character for character in text
    )
    return f'"{escaped}"'


def centimetres(value: float | None) -> str:
    """A size as the record writes it: ``3 cm``, ``2.5 cm`` (no trailing zeros); an empty string for none."""
    if value is None:
        return ""
    return f"{value:.1f}".rstrip("0").rstrip(".") + " cm"


def minutes_text(value: float | None) -> str:
    """A time to acknowledge as people say it: "35 minutes", "2.5 hours", "3.1 days"; "—" for none."""
    if value is None:
        return "—"
    if value < 120:
        return f"{value:.0f} minutes"
    if value < 48 * 60:
        return f"{value / 60:.1f} hours"
    return f"{value / (24 * 60):.1f} days"


def chart_value_text(value: float | None, *, minutes: bool = False) -> str:
    """A number as a chart writes it beside its bar: a time to acknowledge as :func:`minutes_text` says it, anything
    else as a whole count (0 for none)."""
    return minutes_text(value) if minutes else str(int(value or 0))


def chart_scale(values: Iterable[float | None]) -> float:
    """What a chart's bars are measured against: its largest value, or 1 when every value is none or 0 (so that an
    empty chart draws no bar rather than dividing by zero)."""
    return max((value or 0 for value in values), default=0) or 1
