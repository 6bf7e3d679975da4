"""Read-side queries: the DSL's queue, "My concerns", a concern's page and a child's chronology.

Every query takes the school explicitly and filters by it first: the indexes lead with ``school_id``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased, defaultload

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
from safeguard.core.extensions import db
from safeguard.core.sqltypes import UTCDateTime, json_rows, utc_from_json
from safeguard.core.statements import transaction_connection
from safeguard.notifications.models import Notification
from safeguard.pupils.models import Pupil, awaiting_receipt, display_name

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


class Person(NamedTuple):
    """A member of staff as a list shows them."""

    id: int
    display_name: str


class OverdueFollowUp(NamedTuple):
    """A follow-up past its date and not done."""

    concern_id: int
    what: str
    due_on: date


class AwaitingReceipt(NamedTuple):
    """A pupil whose file was sent to another school, not yet confirmed as received."""

    pupil_id: int
    display_name: str
    transfer_to: str | None
    transfer_sent_at: datetime


@dataclass
class QueuePage:
    """One page of the queue."""

    concerns: list[QueueRow]
    total: int
    page: int
    pages: int
    # Concerns by status: every open status, and "closed" only when the closed or all concerns were asked for.
    counts: dict[str, int]
    # Shown around the queue, read with it.
    dsls: list[Person] = field(default_factory=list)
    follow_ups: list[OverdueFollowUp] = field(default_factory=list)
    awaiting_receipt: list[AwaitingReceipt] = field(default_factory=list)
    unread_alerts: int = 0


# The queue is the page a DSL opens most. Its statements are built once per shape of filter (which filters are set)
# with every value as a bound parameter, and reused: building SQLAlchemy statements anew on each request cost
# more than running them. A value never becomes part of the SQL text.
_SCHOOL = bindparam("school_id")
_NOW = bindparam("now", type_=UTCDateTime())

_PRIORITY = case(
    # 0: urgent and not yet acknowledged; 1: acknowledgement overdue; 2: open; 3: closed.
    (and_(Concern.status == Status.NEW.value, Concern.urgent.is_(True)), 0),
    (and_(Concern.status == Status.NEW.value, Concern.ack_due_at < _NOW), 1),
    (Concern.status != Status.CLOSED.value, 2),
    else_=3,
)

# "Not closed" is written into the SQL rather than bound: it is the predicate of the open-concerns index, and
# PostgreSQL can only match a partial index to a constant. With it bound, the generic plan of the prepared statement
# could not use the index, so PostgreSQL planned the queue afresh on every request (0.5 ms each time).
_NOT_CLOSED = Concern.status != literal_column(f"'{Status.CLOSED.value}'")
_CLOSED_COUNT = select(func.count()).where(Concern.school_id == _SCHOOL, Concern.status == Status.CLOSED.value)

# Overdue follow-ups listed above the queue, at most.
FOLLOW_UPS_SHOWN = 20


def _around_the_queue() -> list:
    """The columns for everything the queue page shows besides its rows, each a small list read from its own index
    (they go in the queue's one statement: see :func:`_statement`):

    - the counts by status of open concerns, from the narrow open-concerns index: what is open stays bounded by a
      school's workload, while closed concerns only grow with its history, so they are counted only when a DSL asks
      for them (the "closed" or "all" view);
    - the school's DSLs (the "assigned to" filter);
    - follow-ups past their date and not done, oldest first;
    - pupils whose file was sent to another school and not yet confirmed as received;
    - the signed-in person's unread alerts (the menu).
    """
    by_status = (
        select(Concern.status, func.count().label("n"))
        .where(Concern.school_id == _SCHOOL, _NOT_CLOSED)
        .group_by(Concern.status)
        .subquery()
    )
    dsls = users_with_role(_SCHOOL, Role.DSL).with_only_columns(json_rows(User.id, User.display_name)).order_by(None)
    overdue = (
        select(FollowUp.concern_id, FollowUp.what, FollowUp.due_on, FollowUp.id)
        .where(FollowUp.school_id == _SCHOOL, FollowUp.done_at.is_(None), FollowUp.due_on < bindparam("today"))
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(FOLLOW_UPS_SHOWN)
        .subquery()
    )
    transfers = select(
        json_rows(
            Pupil.id,
            Pupil.legal_first_name,
            Pupil.legal_last_name,
            Pupil.preferred_name,
            Pupil.transfer_to,
            Pupil.transfer_sent_at,
        )
    ).where(Pupil.school_id == _SCHOOL, awaiting_receipt)
    unread = select(func.count()).where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
    return [
        select(json_rows(by_status.c.status, by_status.c.n)).scalar_subquery().label("by_status"),
        dsls.scalar_subquery().label("dsls"),
        select(json_rows(*overdue.c)).scalar_subquery().label("overdue"),
        transfers.scalar_subquery().label("awaiting"),
        unread.scalar_subquery().label("unread"),
    ]


# A row's pupils and categories, read with the row as JSON (one statement for the page rather than three); the
# position comes with each so that Python can put them in order.
_ROW_PUPILS = (
    select(
        json_rows(
            ConcernPupil.position,
            ConcernPupil.part,
            Pupil.legal_first_name,
            Pupil.legal_last_name,
            Pupil.preferred_name,
        )
    )
    .select_from(ConcernPupil)
    .join(Pupil, Pupil.id == ConcernPupil.pupil_id)
    .where(ConcernPupil.school_id == _SCHOOL, ConcernPupil.concern_id == Concern.id)
    .correlate(Concern)
    .scalar_subquery()
)
_ROW_CATEGORIES = (
    select(json_rows(ConcernCategory.position, ConcernCategory.label))
    .where(ConcernCategory.school_id == _SCHOOL, ConcernCategory.concern_id == Concern.id)
    .correlate(Concern)
    .scalar_subquery()
)

# Shown beside a concern (the "assign to" choices); built once, like the queue's own statements.
_DSLS = users_with_role(_SCHOOL, Role.DSL).with_only_columns(User.id, User.display_name)


_LIMIT = bindparam("limit", type_=Integer(), literal_execute=True)
_OFFSET = bindparam("offset", type_=Integer(), literal_execute=True)
# How many of each tier a page may need: every row before the page's end could come from one tier.
_TIER_LIMIT = bindparam("tier_limit", type_=Integer(), literal_execute=True)


def _open_page_in_order():
    """A page of the open queue's ids in the queue's order, read tier by tier, each in the order of an index.

    Ordered by the priority expression, PostgreSQL read and sorted every open concern of the school for each page
    (1,600 in the benchmark's school, and growing with its workload). Each tier here is read already in order, and
    only as far as the page needs: urgent concerns not yet acknowledged, then those whose acknowledgement is
    overdue (both from the small index of new concerns), then the rest of the open concerns (from the open-concerns
    index, passing over the few of the first two tiers). The tiers' conditions are those of ``_PRIORITY``.
    """
    new = Concern.status == literal_column(f"'{Status.NEW.value}'")
    overdue = Concern.ack_due_at < _NOW

    def tier(priority: int, *conditions):
        rows = (
            select(Concern.id, literal_column(str(priority)).label("priority"), Concern.logged_at)
            .where(Concern.school_id == _SCHOOL, *conditions)
            .order_by(Concern.logged_at, Concern.id)
            .limit(_TIER_LIMIT)
            .subquery()
        )
        return select(rows.c.id, rows.c.priority, rows.c.logged_at)

    return (
        union_all(
            tier(0, new, Concern.urgent == true()),
            tier(1, new, Concern.urgent == false(), overdue),
            tier(2, _NOT_CLOSED, not_(and_(new, or_(Concern.urgent == true(), overdue)))),
        )
        .order_by(literal_column("priority"), literal_column("logged_at"), literal_column("id"))
        .limit(_LIMIT)
        .offset(_OFFSET)
        .subquery()
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


def _shape_and_values(school_id: int, filters: QueueFilters, now: datetime, today: date) -> tuple[_Shape, dict]:
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
        "today": today,
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
def _statement(shape: _Shape):
    """The queue's one statement for a shape of filters: one row holding everything the page shows.

    A statement costs the app more than the index lookups it runs (0.2-0.4 ms of SQLAlchemy and psycopg each,
    against a few hundredths of a millisecond for the lookups), and the queue is the page a DSL opens most. So the
    page's rows come as one JSON array beside the lists around them (see :func:`_around_the_queue`), with the count
    of closed concerns when every status is asked for, and the number of matching concerns when filters other than
    the status are set (otherwise the counts by status hold it).
    """
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
    # The page's ids in order; then only those rows are read in full, with the names of their reporter and assignee.
    if shape.status == "open" and shape.only_status:
        ordered = _open_page_in_order()
    else:
        ordered = (
            select(Concern.id, _PRIORITY.label("priority"), Concern.logged_at)
            .where(*conditions)
            .order_by(_PRIORITY, Concern.logged_at, Concern.id)
            .limit(_LIMIT)
            .offset(_OFFSET)
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
    # The page's rows as JSON arrays, each with its priority: the order within an aggregate is not promised (SQLite),
    # so Python puts them in the queue's order.
    rows = (
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
            _ROW_PUPILS,
            _ROW_CATEGORIES,
            ordered.c.priority,
        )
        .join(ordered, ordered.c.id == Concern.id)
        .join(reporter, reporter.id == Concern.reporter_id)
        .outerjoin(assignee, assignee.id == Concern.assignee_id)
        .where(Concern.school_id == _SCHOOL)
        .subquery()
    )
    columns = _around_the_queue()
    if shape.status == "all":
        columns.append(_CLOSED_COUNT.scalar_subquery().label("closed"))
    if not shape.only_status:
        columns.append(count.scalar_subquery().label("total"))
    columns.append(select(json_rows(*rows.c)).scalar_subquery().label("page"))
    return select(*columns)


def _nested(value):
    """A JSON array nested in another: SQLite passes one through a subquery as text, PostgreSQL as JSON."""
    return json.loads(value) if isinstance(value, str) else value


def _queue_row(r: list, now: datetime) -> QueueRow:
    """One line of the queue from its JSON array (see :func:`_statement`)."""
    concern_id, reference, urgent, status, logged_at, level, ack_due_at, reporter, assignee, follow_up = r[:10]
    return QueueRow(
        id=concern_id,
        reference=reference,
        urgent=bool(urgent),
        status=Status(status),
        logged_at=utc_from_json(logged_at),
        level_of_need=level,
        reporter=reporter,
        assignee=assignee,
        overdue=status == Status.NEW.value and utc_from_json(ack_due_at) < now,
        follow_up_due=bool(follow_up),
        pupils=[
            (display_name(first, last, preferred), "" if part == Part.SUBJECT.value else Part(part).label)
            for _, part, first, last, preferred in sorted(_nested(r[10]) or ())
        ],
        categories=[label for _, label in sorted(_nested(r[11]) or ())],
    )


def _queue_order(ranked: tuple[int, QueueRow]) -> tuple:
    priority, row = ranked
    return priority, row.logged_at, row.id


def _page_values(values: dict, page: int) -> dict:
    """The statement's values for one page: its rows, and how many of each tier of the open queue it may need."""
    return values | {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE, "tier_limit": page * PAGE_SIZE}


def queue(
    school_id: int, filters: QueueFilters, now: datetime, *, today: date | None = None, user_id: int | None = None
) -> QueuePage:
    """The school's concerns, urgent and overdue first, then oldest first, one page at a time, with what the page
    shows around them.

    ``today`` is the school's date (for follow-ups past their date; UTC's when not given) and ``user_id`` the
    person whose unread alerts are counted. One statement whatever the filters (see :func:`_statement`); a second
    only for a page past the end, or to count closed concerns when only they are asked for.
    """
    today = today or now.date()
    shape, values = _shape_and_values(school_id, filters, now, today)
    statement = _statement(shape)
    values["user_id"] = user_id
    requested = max(1, filters.page)
    connection = transaction_connection()
    result = connection.execute(statement, _page_values(values, requested)).one()
    counts = dict(result.by_status or ())
    if shape.status == "all":
        counts[Status.CLOSED.value] = result.closed
    elif filters.status == Status.CLOSED.value:
        counts[Status.CLOSED.value] = connection.scalar(_CLOSED_COUNT, {"school_id": school_id})
    if shape.only_status:
        # The counts by status already hold the total: no second pass over the school's concerns.
        if shape.status == "open":
            total = sum(n for status, n in counts.items() if status != Status.CLOSED.value)
        elif shape.status == "one":
            total = counts.get(filters.status, 0)
        else:
            total = sum(counts.values())
    else:
        total = result.total
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(requested, pages)
    page_rows = result.page
    if page != requested:
        # A page past the end (a link kept from when there were more): its last page instead.
        page_rows = connection.execute(statement, _page_values(values, page)).one().page
    # Each row's priority (its last value) first, then its time and id: the queue's order.
    ranked = sorted(((r[12], _queue_row(r, now)) for r in _nested(page_rows) or ()), key=_queue_order)
    rows = [row for _, row in ranked]
    dsls, overdue, awaiting = result.dsls, result.overdue, result.awaiting
    return QueuePage(
        rows,
        total,
        page,
        pages,
        counts,
        dsls=sorted((Person(*row) for row in dsls or ()), key=lambda p: (p.display_name.casefold(), p.id)),
        follow_ups=[
            OverdueFollowUp(concern_id, what, date.fromisoformat(due_on))
            for concern_id, what, due_on, _ in sorted(overdue or (), key=lambda f: (f[2], f[3]))
        ],
        awaiting_receipt=sorted(
            (
                AwaitingReceipt(pupil_id, display_name(first, last, preferred), to, utc_from_json(sent_at))
                for pupil_id, first, last, preferred, to, sent_at in awaiting or ()
            ),
            key=lambda t: (t.transfer_sent_at, t.pupil_id),
        ),
        unread_alerts=result.unread,
    )


def reported_by(user: User, page: int = 1) -> tuple[list[Concern], int]:
    """The concerns a member of staff logged, newest first."""
    query = select(Concern).where(Concern.school_id == user.school_id, Concern.reporter_id == user.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(Concern.logged_at.desc()).limit(PAGE_SIZE).offset((max(1, page) - 1) * PAGE_SIZE)
    ).all()
    return list(rows), total


def _shown_by_name(*people) -> list:
    """Loader options for the people a page only names (a concern's reporter, an entry's author): their roles and
    school are loaded only if something asks for them. Loaded eagerly, as the signed-in person's are, they cost a
    query per list of people and a join per person, on the concern page three times over."""
    options = []
    for person in people:
        options += [defaultload(person).lazyload(User.role_rows), defaultload(person).lazyload(User.school)]
    return options


_CONCERN = (
    select(Concern)
    .where(Concern.id == bindparam("concern_id"), Concern.school_id == _SCHOOL)
    .options(*_shown_by_name(Concern.reporter, Concern.assignee))
)
_EVENTS = (
    select(ConcernEvent)
    .where(ConcernEvent.school_id == _SCHOOL, ConcernEvent.concern_id == bindparam("concern_id"))
    .options(*_shown_by_name(ConcernEvent.actor))
    .order_by(ConcernEvent.at, ConcernEvent.id)
)
_ATTACHMENTS = (
    select(Attachment)
    .where(Attachment.school_id == _SCHOOL, Attachment.concern_id == bindparam("concern_id"))
    .options(*_shown_by_name(Attachment.uploaded_by))
    .order_by(Attachment.id)
)


def get_concern(school_id: int, concern_id: int) -> Concern | None:
    """Load one concern of the school, or ``None`` (another school's concerns do not exist here)."""
    return db.session.scalar(_CONCERN, {"school_id": school_id, "concern_id": concern_id})


def concern_by_reference(school_id: int, reference: str) -> Concern | None:
    """Load a concern by its reference within a school."""
    return db.session.scalar(
        select(Concern).where(Concern.school_id == school_id, Concern.reference == (reference or "").strip().upper())
    )


def events(concern: Concern, *, reporter_view: bool = False) -> list[ConcernEvent]:
    """A concern's chronology, oldest first; the reporter sees only what is meant for them."""
    query = _EVENTS.where(ConcernEvent.visible_to_reporter.is_(True)) if reporter_view else _EVENTS
    return list(db.session.scalars(query, {"school_id": concern.school_id, "concern_id": concern.id}))


def attachments(concern: Concern) -> list[Attachment]:
    """A concern's attachments, in upload order."""
    return list(db.session.scalars(_ATTACHMENTS, {"school_id": concern.school_id, "concern_id": concern.id}))


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


# One line of a child's chronology: an event of a concern, with the child's part in it. The rows come as the database
# driver gives them (tuples that also have these names): a chronology has about a thousand lines, and making each a
# named tuple of our own cost a third of reading them.
#   at          when it happened, naive UTC as stored (see _CHRONOLOGY)
#   concern_id  the concern it belongs to, and its reference
#   part        the child's part in that concern (a Part value)
#   summary     the event's one line
ChronologyEntry = Row[tuple[datetime, int, str, str, str]]


# The child's concerns, with their reference and the child's part in each, then their events. Written as one join,
# PostgreSQL expected a child to have one concern and looked the concern up once per event: for the child with
# 200 concerns, 742 lookups instead of 201, and 2.7 ms in the database instead of 1.0. ``OFFSET 0`` keeps the
# subquery from being merged into a join that the planner would put back in that order.
_CHILDS_CONCERNS = (
    select(ConcernPupil.concern_id, ConcernPupil.part, Concern.reference)
    .join(Concern, and_(Concern.id == ConcernPupil.concern_id, Concern.school_id == _SCHOOL))
    .where(ConcernPupil.school_id == _SCHOOL, ConcernPupil.pupil_id == bindparam("pupil_id"))
    .offset(0)
    .subquery("childs_concerns")
)
# The time is read as stored (naive UTC) rather than through UTCDateTime, whose conversion of each of a thousand
# values cost a third of reading them; the chronology's renderer reads it as UTC as it puts it in the school's zone.
_CHRONOLOGY = (
    select(
        type_coerce(ConcernEvent.at, DateTime()).label("at"),
        ConcernEvent.concern_id,
        _CHILDS_CONCERNS.c.reference,
        _CHILDS_CONCERNS.c.part,
        ConcernEvent.summary,
    )
    .join(_CHILDS_CONCERNS, _CHILDS_CONCERNS.c.concern_id == ConcernEvent.concern_id)
    .where(ConcernEvent.school_id == _SCHOOL)
    .order_by(ConcernEvent.at.desc(), ConcernEvent.id.desc())
)
# Built once, with and without a limit: building the statement cost a fifth of reading a thousand entries.
_CHRONOLOGY_LATEST = _CHRONOLOGY.limit(bindparam("limit", type_=Integer(), literal_execute=True))


def pupil_chronology(school_id: int, pupil_id: int, limit: int | None = None) -> list[ChronologyEntry]:
    """Every concern, action and referral about a child, across years, newest first.

    One query reading only the columns shown: a child with 200 concerns has about a thousand entries, and loading
    them (and their concerns) as full objects was most of the concern page's time in the trust benchmark.

    :param limit: only the latest this many entries.
    """
    statement = _CHRONOLOGY if not limit else _CHRONOLOGY_LATEST
    values = {"school_id": school_id, "pupil_id": pupil_id} | ({"limit": limit} if limit else {})
    return list(transaction_connection().execute(statement, values).all())


def school_dsls(school_id: int) -> list:
    """The school's active DSLs, for assignment: rows with ``id`` and ``display_name`` (not whole users, whose
    school and roles would be loaded with them)."""
    return list(db.session.execute(_DSLS, {"school_id": school_id}))
