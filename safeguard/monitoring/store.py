"""Every statement about monitoring alerts: receiving one (a repeat is the first), the tray, the unmatched list, the
counts for the period summary. Rows are decoded by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from safeguard.auth.store import Team, team, team_column
from safeguard.core.extensions import db
from safeguard.core.statements import transaction_connection
from safeguard.monitoring.models import MonitoringAlert, Outcome
from safeguard.pupils.models import Pupil, display_name

_TABLE = MonitoringAlert.__table__


@dataclass(frozen=True)
class AlertStatus:
    """What the API answers about an alert: its id and where it stands."""

    id: int
    outcome: str
    in_tray: bool
    pupil_id: int | None


_STATUS = (_TABLE.c.id, _TABLE.c.outcome, _TABLE.c.in_tray, _TABLE.c.pupil_id)
# Built once for each database: a repeat (the same school, vendor and event id) adds nothing and answers no row.
_INSERT = {
    name: dialect.insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["school_id", "vendor", "event_id"])
    .returning(*_STATUS)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _status(row: Any) -> AlertStatus:
    return AlertStatus(row.id, row.outcome, row.in_tray, row.pupil_id)


def insert_alert(columns: dict[str, Any]) -> AlertStatus | None:
    """Add an alert and answer its status; ``None`` when the school has it already (the same vendor and event id),
    with no error even when two copies arrive at once."""
    connection = transaction_connection()
    row = connection.execute(_INSERT[connection.dialect.name], columns).first()
    return _status(row) if row else None


_STATUS_BY_EVENT = select(*_STATUS).where(
    MonitoringAlert.school_id == bindparam("school_id"),
    MonitoringAlert.vendor == bindparam("vendor"),
    MonitoringAlert.event_id == bindparam("event_id"),
)
_BY_ID = select(MonitoringAlert).where(
    MonitoringAlert.school_id == bindparam("school_id"), MonitoringAlert.id == bindparam("alert_id")
)


def status_by_event(school_id: int, vendor: str, event_id: str) -> AlertStatus | None:
    """The status of the school's alert with this vendor and event id, or ``None``."""
    parameters = {"school_id": school_id, "vendor": vendor, "event_id": event_id}
    row = transaction_connection().execute(_STATUS_BY_EVENT, parameters).first()
    return _status(row) if row else None


def alert(school_id: int, alert_id: int) -> MonitoringAlert | None:
    """One of the school's alerts, or ``None`` (another school's do not exist here)."""
    return db.session.scalar(_BY_ID, {"school_id": school_id, "alert_id": alert_id})


_MATCHING_PUPILS = (
    select(Pupil.id)
    .where(
        Pupil.school_id == bindparam("school_id"),
        or_(Pupil.username == bindparam("name"), Pupil.email == bindparam("name")),
    )
    .order_by(Pupil.left_on.is_not(None), Pupil.id)
    .limit(2)
)


def pupils_named(school_id: int, username: str) -> list[int]:
    """The ids of the school's pupils (at most two) whose username or e-mail address is ``username`` (lower case),
    those on the roll first."""
    return list(db.session.scalars(_MATCHING_PUPILS, {"school_id": school_id, "name": username}))


_TEAM = select(team_column(bindparam("school_id"), bindparam("today"), bindparam("now")))


def dsl_team(school_id: int, today: Any, now: datetime) -> Team:
    """The school's DSLs and heads, as a new concern is routed to them."""
    return team(db.session.execute(_TEAM, {"school_id": school_id, "today": today, "now": now}).scalar())


def update_alert(school_id: int, alert_id: int, expected_outcome: str, **values: Any) -> bool:
    """Change an alert still in ``expected_outcome``; return whether it was (another DSL may have ended it first)."""
    statement = (
        update(MonitoringAlert)
        .where(
            MonitoringAlert.school_id == school_id,
            MonitoringAlert.id == alert_id,
            MonitoringAlert.outcome == expected_outcome,
        )
        .values(**values)
    )
    changed = bool(transaction_connection().execute(statement).rowcount)
    db.session.expire_all()
    return changed


@dataclass(frozen=True)
class TrayRow:
    """An alert as the tray and the unmatched list show it."""

    id: int
    vendor: str
    category: str
    severity: int
    occurred_at: datetime
    username: str
    pupil_id: int | None
    pupil_name: str | None


_OPEN = and_(
    MonitoringAlert.school_id == bindparam("school_id"),
    MonitoringAlert.outcome == Outcome.NEW.value,
    MonitoringAlert.in_tray.is_(True),
)
_ROWS = (
    select(
        MonitoringAlert.id,
        MonitoringAlert.vendor,
        MonitoringAlert.category,
        MonitoringAlert.severity,
        MonitoringAlert.occurred_at,
        MonitoringAlert.username,
        MonitoringAlert.pupil_id,
        Pupil.legal_first_name,
        Pupil.legal_last_name,
        Pupil.preferred_name,
    )
    .outerjoin(Pupil, and_(Pupil.id == MonitoringAlert.pupil_id, Pupil.school_id == MonitoringAlert.school_id))
    .where(_OPEN)
    # Urgent first: the most severe, then the longest waiting.
    .order_by(MonitoringAlert.severity.desc(), MonitoringAlert.occurred_at, MonitoringAlert.id)
    .limit(bindparam("limit"))
)
_TRAY = _ROWS.where(MonitoringAlert.pupil_id.is_not(None))
_UNMATCHED = _ROWS.where(MonitoringAlert.pupil_id.is_(None))


@dataclass(frozen=True)
class TrayCounts:
    """How many alerts wait in the tray and the unmatched list, and how many arrived below the school's severity."""

    tray: int
    unmatched: int
    below: int


_COUNTS = select(
    func.count().filter(_OPEN, MonitoringAlert.pupil_id.is_not(None)).label("tray"),
    func.count().filter(_OPEN, MonitoringAlert.pupil_id.is_(None)).label("unmatched"),
    func.count().filter(MonitoringAlert.in_tray.is_(False)).label("below"),
).where(MonitoringAlert.school_id == bindparam("school_id"))


def _decode(rows: Any) -> list[TrayRow]:
    return [
        TrayRow(
            row.id,
            row.vendor,
            row.category,
            row.severity,
            row.occurred_at,
            row.username,
            row.pupil_id,
            display_name(row.legal_first_name, row.legal_last_name, row.preferred_name) if row.pupil_id else None,
        )
        for row in rows
    ]


def tray(school_id: int, limit: int = 200) -> list[TrayRow]:
    """The school's alerts waiting for the DSL team, matched to a pupil, urgent first."""
    return _decode(db.session.execute(_TRAY, {"school_id": school_id, "limit": limit}))


def unmatched(school_id: int, limit: int = 200) -> list[TrayRow]:
    """The school's waiting alerts whose username matched no pupil, urgent first."""
    return _decode(db.session.execute(_UNMATCHED, {"school_id": school_id, "limit": limit}))


def counts(school_id: int) -> TrayCounts:
    """How many alerts wait in each list, and how many were counted below the school's severity."""
    row = db.session.execute(_COUNTS, {"school_id": school_id}).one()
    return TrayCounts(row.tray, row.unmatched, row.below)


@dataclass(frozen=True)
class Tally:
    """How many alerts of one kind arrived over a period."""

    vendor: str
    category: str
    severity: int
    outcome: str
    in_tray: bool
    count: int


_TALLY = (
    select(
        MonitoringAlert.vendor,
        MonitoringAlert.category,
        MonitoringAlert.severity,
        MonitoringAlert.outcome,
        MonitoringAlert.in_tray,
        func.count().label("alerts"),
    )
    .where(
        MonitoringAlert.school_id == bindparam("school_id"),
        MonitoringAlert.occurred_at >= bindparam("start"),
        MonitoringAlert.occurred_at < bindparam("end"),
    )
    .group_by(
        MonitoringAlert.vendor,
        MonitoringAlert.category,
        MonitoringAlert.severity,
        MonitoringAlert.outcome,
        MonitoringAlert.in_tray,
    )
)


def tally(school_id: int, start: datetime, end: datetime) -> list[Tally]:
    """The school's alerts that occurred from ``start`` to before ``end``, counted by vendor, category, severity,
    outcome and whether they entered the tray."""
    rows = db.session.execute(_TALLY, {"school_id": school_id, "start": start, "end": end})
    return [Tally(r.vendor, r.category, r.severity, r.outcome, r.in_tray, r.alerts) for r in rows]
