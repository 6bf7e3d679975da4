"""Read-side queries: the DSL's queue, "My concerns", a concern's page and a child's chronology.

Every query takes the school explicitly and filters by it first: the indexes lead with ``school_id``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Date, Integer, and_, bindparam, case, exists, func, literal_column, or_, select
from sqlalchemy.orm import aliased

from safeguard.auth.models import Role, User, users_with_role
from safeguard.concerns.models import (
    Attachment,
    Concern,
    ConcernCategory,
    ConcernEvent,
    ConcernLink,
    ConcernPupil,
    FollowUp,
    Part,
    Status,
)
from safeguard.extensions import db
from safeguard.pupils.models import Pupil, display_name
from safeguard.sqltypes import UTCDateTime

PAGE_SIZE = 25


@dataclass
class QueueFilters:
    """What the DSL asked the queue for."""

    status: str = "open"  # open | all | one Status value
    category: str = ""
    pupil_id: int | None = None
    assignee_id: int | None = None  # 0 means unassigned
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""
    page: int = 1


@dataclass
class QueueRow:
    """One line of the queue: plain values, read as columns (the queue shows 25 of thousands of concerns, and
    building full objects with their relationships for each was most of the page's time)."""

    id: int
    reference: str
    urgent: bool
    status: Status
    logged_at: datetime
    level_of_need: str | None
    reporter: str
    assignee: str | None
    overdue: bool
    follow_up_due: bool
    pupils: list[tuple[str, str]] = field(default_factory=list)  # (name, part label; "" for the subject)
    categories: list[str] = field(default_factory=list)


@dataclass
class QueuePage:
    """One page of the queue."""

    concerns: list[QueueRow]
    total: int
    page: int
    pages: int
    # Concerns by status: every open status, and "closed" only when the closed or all concerns were asked for.
    counts: dict[str, int]


# The queue is the page a DSL opens most. Its statements are built once per shape of filter (which filters are set)
# with every value as a bound parameter, and reused: building SQLAlchemy statements anew on each request cost
# more than running them. A value never becomes part of the SQL text.
_SCHOOL = bindparam("school_id")
_NOW = bindparam("now", type_=UTCDateTime())
_IDS = bindparam("ids", expanding=True)

_PRIORITY = case(
    # 0: urgent and not yet acknowledged; 1: acknowledgement overdue; 2: open; 3: closed.
    (and_(Concern.status == Status.NEW.value, Concern.urgent.is_(True)), 0),
    (and_(Concern.status == Status.NEW.value, Concern.ack_due_at < _NOW), 1),
    (Concern.status != Status.CLOSED.value, 2),
    else_=3,
)

# The queue's counts by status are of open concerns, read from the narrow open-concerns index: what is open stays
# bounded by a school's workload, while closed concerns only grow with its history, so they are counted only when a
# DSL asks for them (the "closed" or "all" view).
#
# "Not closed" is written into the SQL rather than bound: it is the predicate of the open-concerns index, and
# PostgreSQL can only match a partial index to a constant. With it bound, the generic plan of the prepared statement
# could not use the index, so PostgreSQL planned the queue afresh on every request (0.5 ms each time).
_NOT_CLOSED = Concern.status != literal_column(f"'{Status.CLOSED.value}'")
_OPEN_COUNTS = (
    select(Concern.status, func.count()).where(Concern.school_id == _SCHOOL, _NOT_CLOSED).group_by(Concern.status)
)
_CLOSED_COUNT = select(func.count()).where(Concern.school_id == _SCHOOL, Concern.status == Status.CLOSED.value)

_PUPILS = (
    select(
        ConcernPupil.concern_id, ConcernPupil.part, Pupil.legal_first_name, Pupil.legal_last_name, Pupil.preferred_name
    )
    .join(Pupil, Pupil.id == ConcernPupil.pupil_id)
    .where(ConcernPupil.school_id == _SCHOOL, ConcernPupil.concern_id.in_(_IDS))
    .order_by(ConcernPupil.concern_id, ConcernPupil.position)
)

_CATEGORIES = (
    select(ConcernCategory.concern_id, ConcernCategory.label)
    .where(ConcernCategory.school_id == _SCHOOL, ConcernCategory.concern_id.in_(_IDS))
    .order_by(ConcernCategory.concern_id, ConcernCategory.position)
)

# Shown above and beside the queue on every visit; built once, like the queue's own statements.
_DSLS = users_with_role(_SCHOOL, Role.DSL).with_only_columns(User.id, User.display_name)
_OVERDUE_FOLLOW_UPS = (
    select(FollowUp.concern_id, FollowUp.what, FollowUp.due_on)
    .where(FollowUp.school_id == _SCHOOL, FollowUp.done_at.is_(None), FollowUp.due_on < bindparam("today"))
    .order_by(FollowUp.due_on)
    .limit(bindparam("limit"))
)


@dataclass(frozen=True)
class _Shape:
    """Which filters are set (not their values): one pair of statements per shape."""

    status: str  # "open", "all" or "one"
    category: bool
    pupil: bool
    assignee: str  # "", "none" or "one"
    date_from: bool
    date_to: bool
    search: bool

    @property
    def only_status(self) -> bool:
        return not (self.category or self.pupil or self.assignee or self.date_from or self.date_to or self.search)


def _shape_and_values(school_id: int, filters: QueueFilters, now: datetime) -> tuple[_Shape, dict]:
    statuses = {s.value for s in Status}
    status = "open" if filters.status == "open" else "one" if filters.status in statuses else "all"
    assignee = "" if filters.assignee_id is None else "none" if filters.assignee_id == 0 else "one"
    term = filters.search.strip().lower()
    shape = _Shape(
        status,
        bool(filters.category),
        bool(filters.pupil_id),
        assignee,
        bool(filters.date_from),
        bool(filters.date_to),
        bool(term),
    )
    values = {
        "school_id": school_id,
        "now": now,
        "today": now.date(),
        "status": filters.status,
        "category": filters.category,
        "pupil_id": filters.pupil_id,
        "assignee_id": filters.assignee_id,
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "term": term,
        "like": f"%{term}%",
    }
    return shape, values


@functools.lru_cache(maxsize=128)
def _statements(shape: _Shape):
    """The count and page statements of the queue for one shape of filters."""
    conditions = [Concern.school_id == _SCHOOL]
    if shape.status == "open":
        conditions.append(_NOT_CLOSED)
    elif shape.status == "one":
        conditions.append(Concern.status == bindparam("status"))
    if shape.category:
        conditions.append(
            exists().where(
                ConcernCategory.concern_id == Concern.id,
                ConcernCategory.school_id == _SCHOOL,
                ConcernCategory.category_id == bindparam("category"),
            )
        )
    if shape.pupil:
        conditions.append(
            exists().where(
                ConcernPupil.concern_id == Concern.id,
                ConcernPupil.school_id == _SCHOOL,
                ConcernPupil.pupil_id == bindparam("pupil_id"),
            )
        )
    if shape.assignee == "none":
        conditions.append(Concern.assignee_id.is_(None))
    elif shape.assignee == "one":
        conditions.append(Concern.assignee_id == bindparam("assignee_id"))
    if shape.date_from:
        conditions.append(func.date(Concern.logged_at) >= bindparam("date_from", type_=Date()))
    if shape.date_to:
        conditions.append(func.date(Concern.logged_at) <= bindparam("date_to", type_=Date()))
    if shape.search:
        term, like = bindparam("term"), bindparam("like")
        name_match = exists().where(
            ConcernPupil.concern_id == Concern.id,
            ConcernPupil.school_id == _SCHOOL,
            ConcernPupil.pupil_id == Pupil.id,
            or_(
                func.lower(Pupil.legal_first_name + " " + Pupil.legal_last_name).like(like),
                func.lower(Pupil.preferred_name).like(like),
                func.lower(Pupil.upn) == term,
            ),
        )
        conditions.append(or_(func.lower(Concern.reference) == term, name_match))
    count = select(func.count()).select_from(select(Concern.id).where(*conditions).subquery())
    # The page's ids in order (from the narrow open-concerns index when only open concerns are asked for); then
    # only those rows are read in full, with the names of their reporter and assignee.
    ordered = (
        select(Concern.id, _PRIORITY.label("priority"), Concern.logged_at)
        .where(*conditions)
        .order_by(_PRIORITY, Concern.logged_at, Concern.id)
        .limit(bindparam("limit", type_=Integer(), literal_execute=True))
        .offset(bindparam("offset", type_=Integer(), literal_execute=True))
        .subquery()
    )
    reporter, assignee = aliased(User), aliased(User)
    follow_up_due = (
        exists()
        .where(
            FollowUp.school_id == _SCHOOL,
            FollowUp.concern_id == Concern.id,
            FollowUp.done_at.is_(None),
            FollowUp.due_on < bindparam("today"),
        )
        .correlate(Concern)
    )
    page = (
        select(
            Concern.id,
            Concern.reference,
            Concern.urgent,
            Concern.status,
            Concern.logged_at,
            Concern.level_of_need,
            Concern.ack_due_at,
            reporter.display_name,
            assignee.display_name,
            follow_up_due,
        )
        .join(ordered, ordered.c.id == Concern.id)
        .join(reporter, reporter.id == Concern.reporter_id)
        .outerjoin(assignee, assignee.id == Concern.assignee_id)
        .where(Concern.school_id == _SCHOOL)
        .order_by(ordered.c.priority, ordered.c.logged_at, ordered.c.id)
    )
    return count, page


def queue(school_id: int, filters: QueueFilters, now: datetime) -> QueuePage:
    """The school's concerns, urgent and overdue first, then oldest first, one page at a time.

    Four queries whatever the page: the counts of open concerns by status, the page's rows with their reporter and
    assignee, their pupils, and their categories (plus the count of closed concerns when they are asked for, and a
    count when filters other than the status are set).
    """
    shape, values = _shape_and_values(school_id, filters, now)
    count, page_statement = _statements(shape)
    session = db.session
    counts = dict(session.execute(_OPEN_COUNTS, {"school_id": school_id}).all())
    if shape.status == "all" or filters.status == Status.CLOSED.value:
        counts[Status.CLOSED.value] = session.scalar(_CLOSED_COUNT, {"school_id": school_id})
    if shape.only_status:
        # The counts by status already hold the total: no second pass over the school's concerns.
        if shape.status == "open":
            total = sum(n for status, n in counts.items() if status != Status.CLOSED.value)
        elif shape.status == "one":
            total = counts.get(filters.status, 0)
        else:
            total = sum(counts.values())
    else:
        total = session.scalar(count, values)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    values["limit"], values["offset"] = PAGE_SIZE, (page - 1) * PAGE_SIZE
    rows = [
        QueueRow(
            id=r[0],
            reference=r[1],
            urgent=r[2],
            status=Status(r[3]),
            logged_at=r[4],
            level_of_need=r[5],
            reporter=r[7],
            assignee=r[8],
            overdue=r[3] == Status.NEW.value and r[6] < now,
            follow_up_due=bool(r[9]),
        )
        for r in session.execute(page_statement, values)
    ]
    by_id = {row.id: row for row in rows}
    if by_id:
        ids = {"school_id": school_id, "ids": list(by_id)}
        for concern_id, part, first, last, preferred in session.execute(_PUPILS, ids):
            label = "" if part == Part.SUBJECT.value else Part(part).label
            by_id[concern_id].pupils.append((display_name(first, last, preferred), label))
        for concern_id, label in session.execute(_CATEGORIES, ids):
            by_id[concern_id].categories.append(label)
    return QueuePage(rows, total, page, pages, counts)


def overdue_follow_ups(school_id: int, today: date, limit: int = 20) -> list:
    """Follow-ups past their date and not done, oldest first (shown above the queue): rows with ``concern_id``,
    ``what`` and ``due_on``."""
    return list(db.session.execute(_OVERDUE_FOLLOW_UPS, {"school_id": school_id, "today": today, "limit": limit}))


def reported_by(user: User, page: int = 1) -> tuple[list[Concern], int]:
    """The concerns a member of staff logged, newest first."""
    query = select(Concern).where(Concern.school_id == user.school_id, Concern.reporter_id == user.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(Concern.logged_at.desc()).limit(PAGE_SIZE).offset((max(1, page) - 1) * PAGE_SIZE)
    ).all()
    return list(rows), total


def get_concern(school_id: int, concern_id: int) -> Concern | None:
    """Load one concern of the school, or ``None`` (another school's concerns do not exist here)."""
    return db.session.scalar(select(Concern).where(Concern.id == concern_id, Concern.school_id == school_id))


def concern_by_reference(school_id: int, reference: str) -> Concern | None:
    """Load a concern by its reference within a school."""
    return db.session.scalar(
        select(Concern).where(Concern.school_id == school_id, Concern.reference == (reference or "").strip().upper())
    )


def events(concern: Concern, *, reporter_view: bool = False) -> list[ConcernEvent]:
    """A concern's chronology, oldest first; the reporter sees only what is meant for them."""
    query = select(ConcernEvent).where(
        ConcernEvent.school_id == concern.school_id, ConcernEvent.concern_id == concern.id
    )
    if reporter_view:
        query = query.where(ConcernEvent.visible_to_reporter.is_(True))
    return list(db.session.scalars(query.order_by(ConcernEvent.at, ConcernEvent.id)))


def attachments(concern: Concern) -> list[Attachment]:
    """A concern's attachments, in upload order."""
    return list(
        db.session.scalars(
            select(Attachment)
            .where(Attachment.school_id == concern.school_id, Attachment.concern_id == concern.id)
            .order_by(Attachment.id)
        )
    )


def follow_ups(concern: Concern) -> list[FollowUp]:
    """A concern's follow-ups, open ones first."""
    return list(
        db.session.scalars(
            select(FollowUp)
            .where(FollowUp.school_id == concern.school_id, FollowUp.concern_id == concern.id)
            .order_by(FollowUp.done_at.is_not(None), FollowUp.due_on)
        )
    )


def linked_concerns(concern: Concern) -> list[Concern]:
    """Concerns linked to this one."""
    ids = db.session.execute(
        select(ConcernLink.concern_id, ConcernLink.related_id).where(
            ConcernLink.school_id == concern.school_id,
            or_(ConcernLink.concern_id == concern.id, ConcernLink.related_id == concern.id),
        )
    ).all()
    others = {a if b == concern.id else b for a, b in ids}
    if not others:
        return []
    return list(
        db.session.scalars(
            select(Concern)
            .where(Concern.school_id == concern.school_id, Concern.id.in_(others))
            .order_by(Concern.logged_at)
        )
    )


@dataclass(frozen=True)
class ChronologyEntry:
    """One line of a child's chronology: an event of a concern, with the child's part in it."""

    at: datetime
    concern_id: int
    reference: str
    part: str
    summary: str


def pupil_chronology(school_id: int, pupil_id: int, limit: int | None = None) -> list[ChronologyEntry]:
    """Every concern, action and referral about a child, across years, newest first.

    One query reading only the columns shown: a child with 200 concerns has about a thousand entries, and loading
    them (and their concerns) as full objects was most of the concern page's time in the trust benchmark.
    """
    query = (
        select(ConcernEvent.at, ConcernEvent.concern_id, Concern.reference, ConcernPupil.part, ConcernEvent.summary)
        .join(
            ConcernPupil,
            and_(
                ConcernPupil.concern_id == ConcernEvent.concern_id,
                ConcernPupil.school_id == school_id,
                ConcernPupil.pupil_id == pupil_id,
            ),
        )
        .join(Concern, Concern.id == ConcernEvent.concern_id)
        .where(ConcernEvent.school_id == school_id, Concern.school_id == school_id)
        .order_by(ConcernEvent.at.desc(), ConcernEvent.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return [ChronologyEntry(*row) for row in db.session.execute(query)]


def school_dsls(school_id: int) -> list:
    """The school's active DSLs, for assignment: rows with ``id`` and ``display_name`` (not whole users, whose
    school and roles would be loaded with them)."""
    return list(db.session.execute(_DSLS, {"school_id": school_id}))
