"""Every statement of subject access requests: requests, their history, redactions, and what the file lists beside
its concerns (attachments, exports, the transfer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select

from safeguard.auth.models import User
from safeguard.concerns.models import Attachment, ConcernPupil
from safeguard.core.extensions import db
from safeguard.core.statements import transaction_connection
from safeguard.exports.models import Export
from safeguard.pupils.models import Pupil
from safeguard.sar.models import SarEvent, SarRedaction, SubjectAccessRequest
from safeguard.schools.models import School


def requests(school_id: int) -> list[SubjectAccessRequest]:
    """The school's requests, open first, most recently received first."""
    statement = (
        select(SubjectAccessRequest)
        .where(SubjectAccessRequest.school_id == school_id)
        .order_by(SubjectAccessRequest.status, SubjectAccessRequest.received_on.desc(), SubjectAccessRequest.id.desc())
        .limit(200)
    )
    return list(db.session.scalars(statement))


def pupils_named(school_id: int, pupil_ids: list[int]) -> dict[int, Pupil]:
    """Pupils by id (for a list of requests: one statement)."""
    if not pupil_ids:
        return {}
    statement = select(Pupil).where(Pupil.school_id == school_id, Pupil.id.in_(pupil_ids))
    return {p.id: p for p in db.session.scalars(statement)}


def open_requests(school_id: int) -> list[SubjectAccessRequest]:
    """The school's requests not yet released."""
    statement = select(SubjectAccessRequest).where(
        SubjectAccessRequest.school_id == school_id, SubjectAccessRequest.status == "open"
    )
    return list(db.session.scalars(statement))


# Open requests whose clock runs and whose lateness nobody was told of yet: the ones that may come due.
_WATCHED = select(School).where(
    School.id.in_(
        select(SubjectAccessRequest.school_id).where(
            SubjectAccessRequest.status == "open",
            SubjectAccessRequest.overdue_alerted_at.is_(None),
            SubjectAccessRequest.stopped_on.is_(None),
        )
    )
)


def schools_watched() -> list[School]:
    """The schools with an open request that may come due (its clock running, its lateness not yet reported): what
    the worker's pass looks at, so that a deployment of many schools reads only those."""
    return list(db.session.scalars(_WATCHED))


def request(school_id: int, request_id: int) -> SubjectAccessRequest | None:
    """A request of the school, or ``None``."""
    statement = select(SubjectAccessRequest).where(
        SubjectAccessRequest.school_id == school_id, SubjectAccessRequest.id == request_id
    )
    return db.session.scalar(statement)


def pupil(school_id: int, pupil_id: int) -> Pupil | None:
    """A pupil of the school."""
    return db.session.scalar(select(Pupil).where(Pupil.school_id == school_id, Pupil.id == pupil_id))


def next_reference(school_id: int, code: str, year: int) -> str:
    """The next request's reference in the school's year: SAR-OAK-2026-001."""
    prefix = f"SAR-{code}-{year}-"
    count = db.session.scalar(
        select(func.count()).where(
            SubjectAccessRequest.school_id == school_id, SubjectAccessRequest.reference.like(prefix + "%")
        )
    )
    return f"{prefix}{int(count or 0) + 1:03d}"


def add(record: Any) -> None:
    """Add a new row (a request) and give it its id."""
    db.session.add(record)
    db.session.flush()


def add_event(school_id: int, request_id: int, actor_id: int | None, summary: str, at: datetime) -> None:
    """Append to a request's history."""
    transaction_connection().execute(
        insert(SarEvent.__table__).values(
            school_id=school_id, request_id=request_id, actor_id=actor_id, summary=summary[:500], at=at
        )
    )


@dataclass(frozen=True)
class EventRow:
    """A line of a request's history."""

    at: datetime
    actor: str | None
    summary: str


_EVENTS = (
    select(SarEvent.at, User.display_name.label("actor"), SarEvent.summary)
    .outerjoin(User, User.id == SarEvent.actor_id)
    .where(SarEvent.school_id == bindparam("school_id"), SarEvent.request_id == bindparam("request_id"))
    .order_by(SarEvent.at, SarEvent.id)
)


def events(school_id: int, request_id: int) -> list[EventRow]:
    """A request's history, oldest first."""
    rows = db.session.execute(_EVENTS, {"school_id": school_id, "request_id": request_id})
    return [EventRow(**row._mapping) for row in rows]


@dataclass(frozen=True)
class RedactionRow:
    """A redaction, for the redaction log and for applying it."""

    id: int
    passage: str
    start: int
    end: int
    reason: str
    made_by: str
    made_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None


_WITHDRAWER = User.__table__.alias("withdrawer")
_REDACTIONS = (
    select(
        SarRedaction.id,
        SarRedaction.passage,
        SarRedaction.start,
        SarRedaction.end,
        SarRedaction.reason,
        User.display_name.label("made_by"),
        SarRedaction.made_at,
        SarRedaction.withdrawn_at,
        _WITHDRAWER.c.display_name.label("withdrawn_by"),
    )
    .join(User, User.id == SarRedaction.made_by_id)
    .outerjoin(_WITHDRAWER, _WITHDRAWER.c.id == SarRedaction.withdrawn_by_id)
    .where(SarRedaction.school_id == bindparam("school_id"), SarRedaction.request_id == bindparam("request_id"))
    .order_by(SarRedaction.made_at, SarRedaction.id)
)


def redactions(school_id: int, request_id: int) -> list[RedactionRow]:
    """Every redaction made for a request, withdrawn ones too (the redaction log)."""
    rows = db.session.execute(_REDACTIONS, {"school_id": school_id, "request_id": request_id})
    return [RedactionRow(**row._mapping) for row in rows]


def redaction(school_id: int, request_id: int, redaction_id: int) -> SarRedaction | None:
    """One redaction of a request."""
    statement = select(SarRedaction).where(
        SarRedaction.school_id == school_id, SarRedaction.request_id == request_id, SarRedaction.id == redaction_id
    )
    return db.session.scalar(statement)


def add_redactions(rows: list[dict[str, Any]]) -> None:
    """Record redactions (each a dictionary of the columns)."""
    if rows:
        transaction_connection().execute(insert(SarRedaction.__table__), rows)


@dataclass(frozen=True)
class AttachmentRow:
    """An attachment of one of the child's concerns, as listed (never its content)."""

    id: int
    concern_id: int
    original_name: str
    content_type: str
    uploaded_at: datetime


def attachments(school_id: int, pupil_id: int) -> list[AttachmentRow]:
    """The attachments of the child's concerns, oldest first."""
    mine = select(ConcernPupil.concern_id).where(ConcernPupil.school_id == school_id, ConcernPupil.pupil_id == pupil_id)
    statement = (
        select(
            Attachment.id,
            Attachment.concern_id,
            Attachment.original_name,
            Attachment.content_type,
            Attachment.uploaded_at,
        )
        .where(Attachment.school_id == school_id, Attachment.concern_id.in_(mine))
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    return [AttachmentRow(**row._mapping) for row in db.session.execute(statement)]


@dataclass(frozen=True)
class ExportRow:
    """A document exported about the child."""

    id: int
    kind: str
    generated_at: datetime
    generated_by_name: str | None
    reason: str


def exports(school_id: int, pupil_id: int, concern_ids: list[int]) -> list[ExportRow]:
    """Documents exported about the child (their file, a transfer, a concern of theirs), oldest first; releases of
    subject access requests are not listed."""
    about_child = Export.kind.in_(("child_file", "transfer")) & (Export.subject_id == pupil_id)
    about_concern = (Export.kind == "concern") & Export.subject_id.in_(concern_ids or [-1])
    statement = (
        select(Export.id, Export.kind, Export.generated_at, Export.generated_by_name, Export.reason)
        .where(Export.school_id == school_id, about_child | about_concern)
        .order_by(Export.generated_at, Export.id)
    )
    return [ExportRow(**row._mapping) for row in db.session.execute(statement)]


def pupil_by_upn(school_id: int, upn: str) -> Pupil | None:
    """A pupil of the school by UPN (as typed: spaces and case ignored)."""
    wanted = "".join(upn.split()).upper()
    return db.session.scalar(select(Pupil).where(Pupil.school_id == school_id, func.upper(Pupil.upn) == wanted))
