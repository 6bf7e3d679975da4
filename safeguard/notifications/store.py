"""Statements about alerts that other pages read: the signed-in person's unread count, the worker's heartbeat and
the state of the e-mail outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Label, Select, and_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from safeguard.access.store import concern_id_visible
from safeguard.core.extensions import db
from safeguard.core.sqltypes import UTCDateTime
from safeguard.core.statements import transaction_connection
from safeguard.notifications.models import Notification, OutboxMessage, WorkerHeartbeat

# An alert is unread until its person opens the concern it is about: the one definition, for every count. An alert
# about a concern its person may no longer see (restricted since) is not shown or counted: the lists' condition
# (safeguard.access.store), bound with ``Viewer.values()`` of the alert's person.
UNREAD = and_(
    Notification.read_at.is_(None),
    or_(Notification.concern_id.is_(None), concern_id_visible(Notification.concern_id, Notification.school_id)),
)


# The menu shows up to 99 unread alerts and "99+" beyond, so they are counted only that far. Alerts stay unread until
# their person opens the concern, and those of concerns a colleague dealt with pile up for years; each one counted
# is checked against who may see its concern, and the count is on every page (1,826 unread alerts: 5 ms a page).
MOST_UNREAD_COUNTED = 100


def unread_count(user_id: BindParameter[Any], *conditions: ColumnElement[bool]) -> Select[Any]:
    """How many unread alerts a person has (of those meeting ``conditions``), up to :data:`MOST_UNREAD_COUNTED`."""
    counted = (
        select(Notification.id).where(Notification.user_id == user_id, UNREAD, *conditions).limit(MOST_UNREAD_COUNTED)
    )
    return select(func.count()).select_from(counted.subquery())


def unread_count_column(user_id: BindParameter[Any]) -> Label[Any]:
    """How many unread alerts a person has (up to :data:`MOST_UNREAD_COUNTED`), as a sub-query labelled ``unread``."""
    return unread_count(user_id).scalar_subquery().label("unread")


# ---------------------------------------------------------------------------------------------------------------
# The worker's heartbeat

# The worker of `flask --app safeguard notify`.
WORKER = "notify"
_HEARTBEATS = WorkerHeartbeat.__table__
_LAST_BEAT = select(_HEARTBEATS.c.beat_at).where(_HEARTBEATS.c.name == WORKER)


def beat(now: datetime) -> None:
    """Record that the worker finished a pass at ``now`` (one row, written over at each pass)."""
    connection = transaction_connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_HEARTBEATS).values(name=WORKER, beat_at=now)
    connection.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"beat_at": now}))


def last_beat_column() -> Label[Any]:
    """When the worker last finished a pass, as a sub-query labelled ``last_beat`` (``None``: never)."""
    return _LAST_BEAT.scalar_subquery().label("last_beat")


def last_beat() -> datetime | None:
    """When the worker last finished a pass; ``None`` if it never has.

    Read on a connection of its own, outside any transaction: the worker writes the beat, never the request, so
    the request's transaction adds nothing to it. On PostgreSQL a transaction is two more round trips (``BEGIN`` and
    ``COMMIT``), and the health check, which reads nothing else, then costs one round trip instead of three.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.scalar(_LAST_BEAT)


# ---------------------------------------------------------------------------------------------------------------
# The outbox, as the safety check sees it


@dataclass(frozen=True)
class MailState:
    """The outbox of one school: the last e-mail delivered, and the messages failing (retrying, or parked after too
    many attempts) written since ``since``."""

    last_sent_at: datetime | None
    retrying: int
    parked: int
    last_error: str | None


_OUTBOX = OutboxMessage.__table__
_SINCE = bindparam("since", type_=UTCDateTime())
_FAILING = (_OUTBOX.c.sent_at.is_(None)) & (_OUTBOX.c.attempts > 0) & (_OUTBOX.c.created_at >= _SINCE)
_MAIL_STATE = select(
    func.max(_OUTBOX.c.sent_at).label("last_sent_at"),
    func.count().filter(_FAILING & _OUTBOX.c.failed_at.is_(None)).label("retrying"),
    func.count().filter(_FAILING & _OUTBOX.c.failed_at.is_not(None)).label("parked"),
).where(_OUTBOX.c.school_id == bindparam("school_id"))
_LAST_ERROR = (
    select(_OUTBOX.c.last_error)
    .where(_OUTBOX.c.school_id == bindparam("school_id"), _FAILING)
    .order_by(_OUTBOX.c.id.desc())
    .limit(1)
)


def mail_state(school_id: int, now: datetime, window: timedelta) -> MailState:
    """The school's outbox: its last delivery, and what is failing among the messages of the last ``window``."""
    values = {"school_id": school_id, "since": now - window}
    row = db.session.execute(_MAIL_STATE, values).one()
    last_error = db.session.scalar(_LAST_ERROR, values) if row.retrying or row.parked else None
    return MailState(row.last_sent_at, row.retrying, row.parked, last_error)
