"""Every statement about body map marks: appended, never changed; read by concern and by child, decoded by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select

from safeguard.access.store import concern_visible
from safeguard.auth.models import User
from safeguard.auth.permissions import Viewer
from safeguard.bodymap.models import BodyMark
from safeguard.concerns.models import Concern
from safeguard.core.extensions import db
from safeguard.core.sqltypes import UTCDateTime
from safeguard.core.statements import transaction_connection


@dataclass(frozen=True)
class MarkRow:
    """A mark as the pages show it, with its concern's reference and the name of who recorded it."""

    id: int
    concern_id: int
    reference: str
    pupil_id: int
    event_id: int
    region_id: str
    region_label: str
    side: str | None
    view: str
    x: float
    y: float
    placed_on_outline: bool
    kind: str
    length_cm: float
    width_cm: float | None
    shape: str
    colour: str
    seen_at: datetime
    child_words: str
    recorded_by_id: int
    recorded_by: str
    recorded_at: datetime


_MARKS = (
    select(
        BodyMark.id,
        BodyMark.concern_id,
        Concern.reference,
        BodyMark.pupil_id,
        BodyMark.event_id,
        BodyMark.region_id,
        BodyMark.region_label,
        BodyMark.side,
        BodyMark.view,
        BodyMark.x,
        BodyMark.y,
        BodyMark.placed_on_outline,
        BodyMark.kind,
        BodyMark.length_cm,
        BodyMark.width_cm,
        BodyMark.shape,
        BodyMark.colour,
        BodyMark.seen_at,
        BodyMark.child_words,
        BodyMark.recorded_by_id,
        User.display_name.label("recorded_by"),
        BodyMark.recorded_at,
    )
    .join(Concern, Concern.id == BodyMark.concern_id)
    .join(User, User.id == BodyMark.recorded_by_id)
    .where(BodyMark.school_id == bindparam("school_id"), Concern.school_id == bindparam("school_id"))
)
# A concern's marks in the order they were recorded: their numbers on the concern.
_CONCERN_MARKS = _MARKS.where(BodyMark.concern_id == bindparam("concern_id")).order_by(BodyMark.id)
# A child's marks seen in a period, oldest first.
_PUPIL_MARKS = _MARKS.where(
    BodyMark.pupil_id == bindparam("pupil_id"),
    # Only the concerns the person may see (the lists' condition: safeguard.access.store).
    concern_visible(Concern.id, Concern.access_level, bindparam("school_id")),
    BodyMark.seen_at >= bindparam("start", type_=UTCDateTime()),
    BodyMark.seen_at < bindparam("end", type_=UTCDateTime()),
).order_by(BodyMark.seen_at, BodyMark.id)
_COUNT = select(func.count()).where(
    BodyMark.school_id == bindparam("school_id"), BodyMark.concern_id == bindparam("concern_id")
)
_ADD_MARKS = BodyMark.__table__.insert()


def _rows(statement: Any, values: dict[str, Any]) -> list[MarkRow]:
    return [MarkRow(**row._mapping) for row in transaction_connection().execute(statement, values)]


def concern_marks(school_id: int, concern_id: int) -> list[MarkRow]:
    """A concern's marks, in the order they were recorded."""
    return _rows(_CONCERN_MARKS, {"school_id": school_id, "concern_id": concern_id})


def pupil_marks(school_id: int, pupil_id: int, start: datetime, end: datetime, viewer: Viewer) -> list[MarkRow]:
    """The marks on a child, across their concerns that ``viewer`` may see, seen from ``start`` up to (not
    including) ``end``."""
    values = {"school_id": school_id, "pupil_id": pupil_id, "start": start, "end": end} | viewer.values()
    return _rows(_PUPIL_MARKS, values)


def marks_of_concerns(school_id: int, concern_ids: Any) -> list[MarkRow]:
    """The marks of the concerns ``concern_ids`` selects (a sub-query of their ids), each concern's in the order they
    were recorded: what a document of several concerns draws, in one statement."""
    statement = _MARKS.where(BodyMark.concern_id.in_(concern_ids)).order_by(BodyMark.concern_id, BodyMark.id)
    return _rows(statement, {"school_id": school_id})


def count_marks(school_id: int, concern_id: int) -> int:
    """How many marks a concern has."""
    return int(db.session.scalar(_COUNT, {"school_id": school_id, "concern_id": concern_id}) or 0)


def insert_marks(rows: Sequence[dict[str, Any]]) -> None:
    """Append marks (each a dictionary of the columns); they are never changed afterwards."""
    if rows:
        transaction_connection().execute(_ADD_MARKS, list(rows))
