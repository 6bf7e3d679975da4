"""The statements the exports run: a set of concerns read whole, and a period's concerns for its counts.

A set of concerns (one concern, or every concern about a child) is named by a :data:`Selection`, a statement of
their ids; each function below reads one part of all of them in one statement, so a document costs the same number
of statements whether it holds one concern or two hundred. Rows are decoded by name into the dataclasses here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Select, bindparam, case, distinct, func, not_, or_, select
from sqlalchemy.orm import lazyload
from sqlalchemy.sql import Executable

from safeguard.access.store import concern_id_visible, concern_visible
from safeguard.auth.models import User, UserRole
from safeguard.auth.permissions import Viewer
from safeguard.bodymap import store as bodymap_store
from safeguard.concerns.models import Concern, ConcernCategory, ConcernEvent, ConcernPupil, FollowUp
from safeguard.concerns.rules import acknowledgement_overdue, follow_up_overdue, is_open
from safeguard.concerns.states import EventKind, Part
from safeguard.core.extensions import db
from safeguard.exports.models import Export
from safeguard.pupils.models import Pupil, awaiting_receipt
from safeguard.schools.models import School

# The ids of the concerns a document covers.
Selection = Select[int]

_Row = TypeVar("_Row")


def _decoded(kind: type[_Row], statement: Executable) -> list[_Row]:
    """Run ``statement`` and build a ``kind`` from each row, by the names of its columns."""
    return [kind(**row._mapping) for row in db.session.execute(statement)]


def school(school_id: int) -> School:
    """The school a record belongs to (every record names one that exists)."""
    return db.session.get_one(School, school_id)


def display_name(user_id: int) -> str | None:
    """A person's name as it is now, or ``None`` if there is no such account."""
    return db.session.scalar(select(User.display_name).where(User.id == user_id))


# The transfers page's list, read from the partial index of transfers awaiting receipt (the queue reads the same
# pupils with its other small lists, through pupils.store).
_AWAITING_RECEIPT = (
    select(Pupil).where(Pupil.school_id == bindparam("school_id"), awaiting_receipt).order_by(Pupil.transfer_sent_at)
)


def transfers_awaiting_receipt(school_id: int) -> list[Pupil]:
    """The school's pupils whose file was sent and whose receipt is not yet confirmed, oldest transfer first."""
    return list(db.session.scalars(_AWAITING_RECEIPT, {"school_id": school_id}))


def add_export(export: Export) -> None:
    """Add an export to the log, with its id."""
    db.session.add(export)
    db.session.flush()


def export_of_file(file_sha256: str, school_id: int | None) -> Export | None:
    """The first export whose file has this SHA-256, among one school's exports or (``None``) all of them."""
    statement = select(Export).where(Export.file_sha256 == file_sha256)
    if school_id is not None:
        statement = statement.where(Export.school_id == school_id)
    return db.session.scalar(statement.order_by(Export.id).limit(1))


def export_of_content(digest: str, school_id: int | None) -> Export | None:
    """An export whose content had this digest, among one school's exports or (``None``) all of them."""
    statement = select(Export).where(Export.digest == digest)
    if school_id is not None:
        statement = statement.where(Export.school_id == school_id)
    return db.session.scalar(statement.limit(1))


def concern(school_id: int, concern_id: int) -> Concern | None:
    """A concern of the school, or ``None``: only its own columns (a report reads the rest with the functions below)."""
    return db.session.scalar(
        select(Concern).where(Concern.school_id == school_id, Concern.id == concern_id).options(lazyload("*"))
    )


def one_concern(school_id: int, concern_id: int) -> Selection:
    """A single concern of the school."""
    return select(Concern.id).where(Concern.school_id == school_id, Concern.id == concern_id)


def concerns_about(school_id: int, pupil_id: int, viewer: Viewer) -> Selection:
    """Every concern of the school a pupil is linked to, in any part, that ``viewer`` may see (the lists' condition,
    its values bound into the selection)."""
    return (
        select(ConcernPupil.concern_id)
        .where(
            ConcernPupil.school_id == school_id,
            ConcernPupil.pupil_id == pupil_id,
            concern_id_visible(ConcernPupil.concern_id, ConcernPupil.school_id),
        )
        .params(**viewer.values())
    )


_LEFT_OUT = (
    select(Concern.id, Concern.reference)
    .join(ConcernPupil, (ConcernPupil.concern_id == Concern.id) & (ConcernPupil.school_id == Concern.school_id))
    .where(
        Concern.school_id == bindparam("school_id"),
        ConcernPupil.pupil_id == bindparam("pupil_id"),
        not_(concern_visible(Concern.id, Concern.access_level, Concern.school_id)),
    )
    .order_by(Concern.logged_at, Concern.id)
)


def left_out(school_id: int, pupil_id: int, viewer: Viewer) -> list[tuple[int, str]]:
    """The concerns about a pupil (in any part) that ``viewer`` may not see, as (id, reference), oldest first: what a
    child's file made by that person leaves out. For the people who may see them, never for the viewer."""
    values = {"school_id": school_id, "pupil_id": pupil_id, **viewer.values()}
    return [(row.id, row.reference) for row in db.session.execute(_LEFT_OUT, values)]


@dataclass(frozen=True)
class ConcernRow:
    """A concern's own columns and its reporter's name."""

    id: int
    reference: str
    status: str
    urgent: bool
    level_of_need: str | None
    outcome: str | None
    outcome_rationale: str | None
    reporter_id: int
    reporter_name: str
    observed_at: datetime
    logged_at: datetime
    acknowledged_at: datetime | None
    location: str
    vocabulary_version: str
    account: str
    already_done: str
    wording_kept_reason: str | None


def concerns(school_id: int, selection: Selection) -> list[ConcernRow]:
    """The selected concerns, oldest first."""
    return _decoded(
        ConcernRow,
        select(
            Concern.id,
            Concern.reference,
            Concern.status,
            Concern.urgent,
            Concern.level_of_need,
            Concern.outcome,
            Concern.outcome_rationale,
            Concern.reporter_id,
            User.display_name.label("reporter_name"),
            Concern.observed_at,
            Concern.logged_at,
            Concern.acknowledged_at,
            Concern.location,
            Concern.vocabulary_version,
            Concern.account,
            Concern.already_done,
            Concern.wording_kept_reason,
        )
        .join(User, User.id == Concern.reporter_id)
        .where(Concern.school_id == school_id, Concern.id.in_(selection))
        .order_by(Concern.logged_at, Concern.id),
    )


@dataclass(frozen=True)
class RoleRow:
    """One role held by a person."""

    user_id: int
    role: str


def reporters_roles(school_id: int, selection: Selection) -> list[RoleRow]:
    """The roles of the people who reported the selected concerns."""
    reporters = select(Concern.reporter_id).where(Concern.school_id == school_id, Concern.id.in_(selection))
    return _decoded(RoleRow, select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(reporters)))


@dataclass(frozen=True)
class PupilLinkRow:
    """A pupil linked to a concern, and their part in it."""

    concern_id: int
    part: str
    pupil: Pupil


def pupil_links(school_id: int, selection: Selection) -> list[PupilLinkRow]:
    """The pupils of the selected concerns, each concern's in the order they were entered."""
    statement = (
        select(ConcernPupil.concern_id, ConcernPupil.part, Pupil)
        .join(Pupil, Pupil.id == ConcernPupil.pupil_id)
        .where(ConcernPupil.school_id == school_id, ConcernPupil.concern_id.in_(selection))
        .order_by(ConcernPupil.concern_id, ConcernPupil.position)
    )
    return [PupilLinkRow(row.concern_id, row.part, row.Pupil) for row in db.session.execute(statement)]


@dataclass(frozen=True)
class CategoryRow:
    """A category of a concern, with the label it had when the concern was logged."""

    concern_id: int
    category_id: str
    label: str


def categories(school_id: int, selection: Selection) -> list[CategoryRow]:
    """The categories of the selected concerns, each concern's in the order they were chosen."""
    return _decoded(
        CategoryRow,
        select(ConcernCategory.concern_id, ConcernCategory.category_id, ConcernCategory.label)
        .where(ConcernCategory.school_id == school_id, ConcernCategory.concern_id.in_(selection))
        .order_by(ConcernCategory.concern_id, ConcernCategory.position),
    )


@dataclass(frozen=True)
class EventRow:
    """A chronology entry and the name of who made it (``None`` for Safeguard itself)."""

    id: int
    concern_id: int
    at: datetime
    kind: str
    summary: str
    text: str | None
    detail: dict[str, Any] | None
    actor_name: str | None


def events(school_id: int, selection: Selection, viewer: Viewer) -> list[EventRow]:
    """The chronology entries of the selected concerns, oldest first, but a link to a concern ``viewer`` may not see
    (its summary names that concern)."""
    shown = or_(
        ConcernEvent.kind != EventKind.LINKED.value,
        concern_id_visible(ConcernEvent.detail["related"].as_integer(), ConcernEvent.school_id),
    )
    return _decoded(
        EventRow,
        select(
            ConcernEvent.id,
            ConcernEvent.concern_id,
            ConcernEvent.at,
            ConcernEvent.kind,
            ConcernEvent.summary,
            ConcernEvent.text,
            ConcernEvent.detail,
            User.display_name.label("actor_name"),
        )
        .outerjoin(User, User.id == ConcernEvent.actor_id)
        .where(ConcernEvent.school_id == school_id, ConcernEvent.concern_id.in_(selection), shown)
        .order_by(ConcernEvent.at, ConcernEvent.id)
        .params(**viewer.values()),
    )


def marks(school_id: int, selection: Selection) -> list[bodymap_store.MarkRow]:
    """The body map marks of the selected concerns, each concern's in the order they were recorded (the body map's
    own statement, so that a document and the pages read a mark alike)."""
    return bodymap_store.marks_of_concerns(school_id, selection)


@dataclass(frozen=True)
class FollowUpRow:
    """The date an entry is to be followed up by."""

    event_id: int
    due_on: date


def follow_ups(school_id: int, selection: Selection) -> list[FollowUpRow]:
    """The follow-ups of the selected concerns, open ones first, each group by date."""
    return _decoded(
        FollowUpRow,
        select(FollowUp.event_id, FollowUp.due_on)
        .where(FollowUp.school_id == school_id, FollowUp.concern_id.in_(selection))
        .order_by(FollowUp.done_at.is_not(None), FollowUp.due_on),
    )


@dataclass(frozen=True)
class ChangeRow:
    """A chronology entry that changed a record: when, and what."""

    at: datetime
    summary: str


def first_change_after(school_id: int, selection: Selection | None, after: datetime) -> ChangeRow | None:
    """The first chronology entry recorded after ``after`` among the selected concerns (all the school's if none)."""
    statement = select(ConcernEvent.at, ConcernEvent.summary).where(
        ConcernEvent.school_id == school_id, ConcernEvent.at > after
    )
    if selection is not None:
        statement = statement.where(ConcernEvent.concern_id.in_(selection))
    found = _decoded(ChangeRow, statement.order_by(ConcernEvent.at, ConcernEvent.id).limit(1))
    return found[0] if found else None


@dataclass(frozen=True)
class LoggedRow:
    """A concern logged in a period, as far as its counts and response times need it."""

    logged_at: datetime
    acknowledged_at: datetime | None
    status: str
    level_of_need: str | None
    urgent: bool
    ack_due_at: datetime


def logged_between(school_id: int, start: datetime, end: datetime) -> list[LoggedRow]:
    """The school's concerns logged from ``start`` up to (not including) ``end``."""
    return _decoded(
        LoggedRow,
        select(
            Concern.logged_at,
            Concern.acknowledged_at,
            Concern.status,
            Concern.level_of_need,
            Concern.urgent,
            Concern.ack_due_at,
        ).where(Concern.school_id == school_id, Concern.logged_at >= start, Concern.logged_at < end),
    )


def referral_targets(school_id: int, start: datetime, end: datetime) -> list[str]:
    """The agency of each referral or report recorded from ``start`` up to ``end`` (one per chronology entry; a
    referral recorded before agencies were named gives "")."""
    details = db.session.scalars(
        select(ConcernEvent.detail).where(
            ConcernEvent.school_id == school_id,
            ConcernEvent.kind == EventKind.REFERRAL.value,
            ConcernEvent.at >= start,
            ConcernEvent.at < end,
        )
    )
    return [str((detail or {}).get("target") or "") for detail in details]


# The vulnerable groups a summary counts, by the pupils' flags (safeguard.pupils.models.PUPIL_FLAGS).
VULNERABLE_GROUPS = ("child_protection_plan", "child_in_need", "looked_after", "send")


@dataclass(frozen=True)
class GroupCount:
    """How many children of a vulnerable group were the subject of a concern in a period, and in how many."""

    flag: str
    children: int
    concerns: int


def vulnerable_group_counts(school_id: int, start: datetime, end: datetime) -> list[GroupCount]:
    """For each of :data:`VULNERABLE_GROUPS`: the children with that flag (as the roll holds it now) that concerns
    logged from ``start`` up to ``end`` were about, and those concerns."""
    columns = []
    for flag in VULNERABLE_GROUPS:
        flagged = getattr(Pupil, flag).is_(True)
        columns.append(func.count(distinct(case((flagged, Pupil.id)))).label(f"{flag}_children"))
        columns.append(func.count(distinct(case((flagged, Concern.id)))).label(f"{flag}_concerns"))
    row = db.session.execute(
        select(*columns)
        .select_from(Concern)
        .join(ConcernPupil, ConcernPupil.concern_id == Concern.id)
        .join(Pupil, Pupil.id == ConcernPupil.pupil_id)
        .where(
            Concern.school_id == school_id,
            ConcernPupil.school_id == school_id,
            Pupil.school_id == school_id,
            ConcernPupil.part == Part.SUBJECT.value,
            Concern.logged_at >= start,
            Concern.logged_at < end,
        )
    ).one()
    return [
        GroupCount(flag, row._mapping[f"{flag}_children"], row._mapping[f"{flag}_concerns"])
        for flag in VULNERABLE_GROUPS
    ]


@dataclass(frozen=True)
class SchoolNow:
    """The school's concerns as they stand: what the head and the DSLs watch."""

    open: int
    urgent: int
    overdue: int
    follow_ups_overdue: int
    # Open concerns by status value.
    by_status: dict[str, int]


def school_now(school_id: int, now: datetime, today: date, viewer: Viewer) -> SchoolNow:
    """How many concerns are open, open and urgent, and unacknowledged past their time; follow-ups past their date;
    open concerns by status, of those ``viewer`` may see. By the rules of :mod:`safeguard.concerns.rules`."""
    school_id_: BindParameter[int] = bindparam("school_id", school_id)
    visible = concern_visible(Concern.id, Concern.access_level, school_id_)
    open_ = (Concern.school_id == school_id_, is_open(Concern.status), visible)

    def count(*conditions: Any) -> Any:
        return select(func.count()).where(*conditions).scalar_subquery()

    by_status = select(Concern.status, func.count().label("n")).where(*open_).group_by(Concern.status)
    counts = db.session.execute(
        select(
            count(*open_).label("open"),
            count(*open_, Concern.urgent.is_(True)).label("urgent"),
            count(
                Concern.school_id == school_id_,
                acknowledgement_overdue(Concern.status, Concern.ack_due_at, now),
                visible,
            ).label("overdue"),
            count(
                FollowUp.school_id == school_id_,
                follow_up_overdue(FollowUp.done_at, FollowUp.due_on, today),
                concern_id_visible(FollowUp.concern_id, school_id_),
            ).label("follow_ups_overdue"),
        ),
        viewer.values(),
    ).one()
    statuses = {row.status: row.n for row in db.session.execute(by_status, viewer.values())}
    return SchoolNow(**counts._mapping, by_status=statuses)


@dataclass(frozen=True)
class CategoryCount:
    """How many concerns of a period carry a category (by its label)."""

    label: str
    concerns: int


def category_counts(school_id: int, start: datetime, end: datetime) -> list[CategoryCount]:
    """Concerns logged from ``start`` up to ``end`` by category label, most frequent first."""
    return _decoded(
        CategoryCount,
        select(ConcernCategory.label, func.count().label("concerns"))
        .join(Concern, Concern.id == ConcernCategory.concern_id)
        .where(
            ConcernCategory.school_id == school_id,
            Concern.school_id == school_id,
            Concern.logged_at >= start,
            Concern.logged_at < end,
        )
        .group_by(ConcernCategory.label)
        .order_by(func.count().desc(), ConcernCategory.label),
    )
