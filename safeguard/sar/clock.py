"""The subject access clock: one calendar month from receipt, extendable by up to two more, stopped while the school
awaits clarification or proof of identity. Plain values, no database: the pages, the service and the tests use it."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

MAX_MONTHS = 3


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later; when that month is shorter, its last day (received on 31
    January: due on 28 or 29 February, as the ICO counts)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(received_on: date, months: int, stopped_days: int, stopped_on: date | None, today: date) -> date:
    """When the response is due: ``months`` after receipt, plus every day the clock was stopped (a stop under way
    counts up to ``today``)."""
    running_stop = (today - stopped_on).days if stopped_on is not None and today > stopped_on else 0
    return add_months(received_on, months) + timedelta(days=stopped_days + running_stop)


def days_left(due: date, today: date) -> int:
    """Days until the due date (negative when overdue)."""
    return (due - today).days
