"""Rules about a concern that both SQL and Python ask, each written once.

Each takes values or columns alike: given a concern's values it answers ``True`` or ``False``; given the table's
columns it gives the SQL expression. So the queue's statement, the escalation worker and the concern page ask the
same question in the same words, and a change to a rule changes all of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from safeguard.concerns.states import Status


def acknowledgement_overdue(status: Any, ack_due_at: Any, now: Any) -> Any:
    """A concern not yet acknowledged whose time to acknowledge it has passed."""
    return (status == Status.NEW.value) & (ack_due_at < now)


def follow_up_overdue(done_at: Any, due_on: Any, today: Any) -> Any:
    """A follow-up not done whose date has passed (``today`` is the school's date)."""
    return (done_at == None) & (due_on < today)  # noqa: E711 (``== None`` is also ``IS NULL`` in SQL)


def is_open(status: Any) -> Any:
    """A concern that is not closed."""
    return status != Status.CLOSED.value


def onward_escalation_due(logged_at: datetime, ack_due_at: datetime, escalated_at: datetime) -> datetime:
    """When an urgent concern still not acknowledged after its escalation goes one step beyond the school: as long
    after the escalation as the school gave for the acknowledgement itself (15 minutes by default)."""
    return escalated_at + (ack_due_at - logged_at)


def acknowledged_late(acknowledged_at: Any, ack_due_at: Any, now: Any) -> bool:
    """A concern acknowledged after its time to acknowledge it, or not yet acknowledged with that time passed (for
    counts over a period; :func:`acknowledgement_overdue` is the same question asked of a concern now)."""
    return bool((acknowledged_at if acknowledged_at is not None else now) > ack_due_at)
