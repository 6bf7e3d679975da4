"""Every statement about concerns, as named functions. Services decide; this module only reads and writes.

**Reads** are ``select()`` statements built once, when this module is imported, with every value bound (a value
never becomes part of the SQL). Lists come back as rows decoded by name (the dataclasses and named tuples below);
the one concern a page shows or an action changes comes back as the mapped :class:`Concern`, whose attributes and
relationships are its named fields.

**Writes** are ``insert()`` and ``update()`` statements run on the transaction's connection
(:func:`safeguard.core.statements.transaction_connection`), never through the session's unit of work: a concern's
row changes only through :func:`update_concern`, which refuses a change made from an out-of-date version (two DSLs
saving at once) and then brings the session's copy of the concern up to date. New rows (events, children, follow-ups,
attachments) are appended the same way. Nothing here commits: the request (or the command) does, once.

Every statement names the school first: the indexes lead with ``school_id``, and no row of another school is read.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    Date,
    DateTime,
    Integer,
    Label,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    not_,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy import text as text_clause
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased, defaultload, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from safeguard.access.store import concern_id_visible, concern_visible
from safeguard.auth import store as accounts
from safeguard.auth.models import Role, User
from safeguard.auth.permissions import Viewer
from safeguard.concerns.models import (
    Attachment,
    Concern,
    ConcernCategory,
    ConcernEvent,
    ConcernLink,
    ConcernPupil,
    ConcernSequence,
    FollowUp,
)
from safeguard.concerns.rules import acknowledgement_overdue, follow_up_overdue, is_open, onward_escalation_due
from safeguard.concerns.states import EventKind, Part, ReporterStage, Status
from safeguard.core.extensions import db
from safeguard.core.sqltypes import UTCDateTime, json_nested, json_objects, utc_from_json
from safeguard.core.statements import transaction_connection
from safeguard.notifications import store as alerts
from safeguard.pupils import store as pupils_store
from safeguard.pupils.models import Pupil, display_name
from safeguard.safety import store as safety_store
from safeguard.schools.models import School

PAGE_SIZE = 25
# Overdue follow-ups listed above the queue, at most.
FOLLOW_UPS_SHOWN = 20

_SCHOOL: BindParameter[int] = bindparam("school_id")
_CONCERN_ID: BindParameter[int] = bindparam("concern_id")
_NOW = bindparam("now", type_=UTCDateTime())
_TODAY = bindparam("today", type_=Date())
# Whether the person a list is read for may see the concern (safeguard.access.store.concern_visible): part of every
# statement that lists, counts or names concerns, bound with ``Viewer.values()``.
_VISIBLE = concern_visible(Concern.id, Concern.access_level, _SCHOOL)
# An entry the person may see: any but a link to a concern they may not see (its summary names that concern).
_ENTRY_SHOWN = or_(
    ConcernEvent.kind != EventKind.LINKED.value,
    concern_id_visible(ConcernEvent.detail["related"].as_integer(), _SCHOOL),
)


class StaleConcern(Exception):
    """The concern changed after the person opened it; nothing was saved."""

    def __init__(self, concern: Concern, seen_version: int) -> None:
        super().__init__("This concern was changed by someone else after you opened it.")
        self.concern = concern
        self.seen_version = seen_version


# ---------------------------------------------------------------------------------------------------------------
# One concern


def _shown_by_name(*people: Any) -> list[Any]:
    """Loader options for the people a page only names (the reporter, the assignee): their roles and school are
    loaded only if something asks for them, rather than with a query per list and a join per person."""
    options = []
    for person in people:
        options += [defaultload(person).lazyload(User.role_rows), defaultload(person).lazyload(User.school)]
    return options


# The concern with everything its pages show of it (its children, categories and the people named), in one statement:
# read in three (a statement for each list), the concern cost a DSL's page two more round trips on every view.
_CONCERN = (
    select(Concern)
    .where(Concern.id == _CONCERN_ID, Concern.school_id == _SCHOOL)
    .options(
        joinedload(Concern.pupil_links),
        joinedload(Concern.category_links),
        joinedload(Concern.acknowledged_by),
        *_shown_by_name(Concern.reporter, Concern.assignee, Concern.acknowledged_by),
    )
)
_CONCERN_BY_REFERENCE = select(Concern).where(Concern.school_id == _SCHOOL, Concern.reference == bindparam("reference"))


def concern(school_id: int, concern_id: int) -> Concern | None:
    """One concern of the school, or ``None`` (another school's concerns do not exist here)."""
    found: Concern | None = (
        db.session.execute(_CONCERN, {"school_id": school_id, "concern_id": concern_id}).unique().scalar_one_or_none()
    )
    return found


def concern_by_reference(school_id: int, reference: str) -> Concern | None:
    """One concern of the school by its reference (``OAK-2026-0042``, in any case), or ``None``."""
    return db.session.scalar(_CONCERN_BY_REFERENCE, {"school_id": school_id, "reference": reference.strip().upper()})


def update_concern(concern: Concern, expected_version: int, **values: Any) -> None:
    """Change a concern's columns, refusing if it is no longer at ``expected_version``; its version moves on.

    The check and the change are one statement, so two DSLs saving from the same version at the same instant cannot
    both succeed: the second finds no row at that version and is told (:class:`StaleConcern`). The session's copy
    then holds what was written.
    """
    table = Concern.__table__
    statement = (
        table.update()
        .where(table.c.id == concern.id, table.c.school_id == concern.school_id, table.c.version == expected_version)
        .values(**values, version=table.c.version + 1)
        .returning(table.c.version)
    )
    version = transaction_connection().execute(statement).scalar()
    if version is None:
        raise StaleConcern(concern, expected_version)
    for name, value in values.items():
        set_committed_value(concern, name, value)
    set_committed_value(concern, "version", version)
    # The people the concern names follow their ids when next read.
    db.session.expire(concern, ["assignee", "acknowledged_by"])


# ---------------------------------------------------------------------------------------------------------------
# A concern's own lists


@dataclass(frozen=True)
class EventRow:
    """One entry of a concern's chronology."""

    id: int
    at: datetime
    kind: str
    summary: str
    text: str | None
    detail: dict[str, Any]
    visible_to_reporter: bool
    actor_name: str | None


@dataclass(frozen=True)
class AttachmentRow:
    """A document attached to a concern."""

    id: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    storage_name: str
    uploaded_at: datetime
    uploaded_by: str


@dataclass(frozen=True)
class FollowUpRow:
    """A date by which something must be chased."""

    id: int
    what: str
    due_on: date
    done_at: datetime | None


@dataclass(frozen=True)
class LinkedConcern:
    """A concern linked to another."""

    id: int
    reference: str
    status: Status


_EVENTS = (
    select(
        ConcernEvent.id,
        ConcernEvent.at,
        ConcernEvent.kind,
        ConcernEvent.summary,
        ConcernEvent.text,
        ConcernEvent.detail,
        ConcernEvent.visible_to_reporter,
        User.display_name.label("actor_name"),
    )
    .outerjoin(User, User.id == ConcernEvent.actor_id)
    .where(ConcernEvent.school_id == _SCHOOL, ConcernEvent.concern_id == _CONCERN_ID, _ENTRY_SHOWN)
    .order_by(ConcernEvent.at, ConcernEvent.id)
)
_EVENTS_FOR_REPORTER = _EVENTS.where(ConcernEvent.visible_to_reporter.is_(True))
_GUIDED_RESPONSE = (
    select(ConcernEvent.kind, ConcernEvent.detail)
    .where(
        ConcernEvent.school_id == _SCHOOL,
        ConcernEvent.concern_id == _CONCERN_ID,
        ConcernEvent.kind.in_((EventKind.PROTOCOL_ANSWER.value, EventKind.REFERRAL.value)),
    )
    .order_by(ConcernEvent.at, ConcernEvent.id)
)
_ATTACHMENTS = (
    select(
        Attachment.id,
        Attachment.original_name,
        Attachment.content_type,
        Attachment.size,
        Attachment.sha256,
        Attachment.storage_name,
        Attachment.uploaded_at,
        User.display_name.label("uploaded_by"),
    )
    .join(User, User.id == Attachment.uploaded_by_id)
    .where(Attachment.school_id == _SCHOOL, Attachment.concern_id == _CONCERN_ID)
    .order_by(Attachment.id)
)
_ATTACHMENT = _ATTACHMENTS.where(Attachment.id == bindparam("attachment_id"))
_FOLLOW_UPS = (
    select(FollowUp.id, FollowUp.what, FollowUp.due_on, FollowUp.done_at)
    .where(FollowUp.school_id == _SCHOOL, FollowUp.concern_id == _CONCERN_ID)
    .order_by(FollowUp.done_at.is_not(None), FollowUp.due_on, FollowUp.id)
)
_FOLLOW_UP = _FOLLOW_UPS.where(FollowUp.id == bindparam("follow_up_id"))
_LINKS = select(ConcernLink.concern_id, ConcernLink.related_id).where(
    ConcernLink.school_id == _SCHOOL,
    or_(ConcernLink.concern_id == _CONCERN_ID, ConcernLink.related_id == _CONCERN_ID),
)
_LINKED = (
    select(Concern.id, Concern.reference, Concern.status)
    .where(
        Concern.school_id == _SCHOOL,
        _VISIBLE,
        Concern.id.in_(
            select(ConcernLink.related_id)
            .where(ConcernLink.school_id == _SCHOOL, ConcernLink.concern_id == _CONCERN_ID)
            .union(
                select(ConcernLink.concern_id).where(
                    ConcernLink.school_id == _SCHOOL, ConcernLink.related_id == _CONCERN_ID
                )
            )
        ),
    )
    .order_by(Concern.logged_at, Concern.id)
)
_LINK_EXISTS = select(ConcernLink.concern_id).where(
    ConcernLink.concern_id == bindparam("first"), ConcernLink.related_id == bindparam("second")
)


def _of(concern: Concern) -> dict[str, int]:
    return {"school_id": concern.school_id, "concern_id": concern.id}


_FIRST_DETAIL = (
    select(ConcernEvent.detail)
    .where(
        ConcernEvent.school_id == _SCHOOL,
        ConcernEvent.concern_id == _CONCERN_ID,
        ConcernEvent.kind == EventKind.LOGGED.value,
    )
    .order_by(ConcernEvent.id)
    .limit(1)
)


def logged_detail(concern: Concern) -> dict[str, Any]:
    """The detail of a concern's first chronology entry (what it was logged with, and whom it was sent to)."""
    detail = transaction_connection().scalar(_FIRST_DETAIL, {"school_id": concern.school_id, "concern_id": concern.id})
    return dict(json_nested(detail) or {})


def events(concern: Concern, viewer: Viewer, *, reporter_view: bool = False) -> list[EventRow]:
    """A concern's chronology, oldest first, as ``viewer`` may see it (a link to a concern they may not see is left
    out); the reporter sees only what is meant for them."""
    statement = _EVENTS_FOR_REPORTER if reporter_view else _EVENTS
    return [
        EventRow(**row._mapping) for row in transaction_connection().execute(statement, _of(concern) | viewer.values())
    ]


@dataclass(frozen=True)
class GuidedResponseEntries:
    """What a concern's guided responses are worked out from, oldest first: the details of every answer given, and
    of every referral and report to an agency recorded (the actions answers may require)."""

    answers: list[dict[str, Any]]
    referrals: list[dict[str, Any]]


def guided_response_entries(concern: Concern) -> GuidedResponseEntries:
    """The answers and the referrals recorded on a concern, in one statement."""
    rows = transaction_connection().execute(_GUIDED_RESPONSE, _of(concern)).all()
    return GuidedResponseEntries(
        answers=[row.detail for row in rows if row.kind == EventKind.PROTOCOL_ANSWER],
        referrals=[row.detail for row in rows if row.kind == EventKind.REFERRAL],
    )


def attachments(concern: Concern) -> list[AttachmentRow]:
    """A concern's attachments, in upload order."""
    return [AttachmentRow(**row._mapping) for row in transaction_connection().execute(_ATTACHMENTS, _of(concern))]


def attachment(concern: Concern, attachment_id: int) -> AttachmentRow | None:
    """One attachment of a concern, or ``None``."""
    row = db.session.execute(_ATTACHMENT, _of(concern) | {"attachment_id": attachment_id}).first()
    return AttachmentRow(**row._mapping) if row else None


def follow_ups(concern: Concern) -> list[FollowUpRow]:
    """A concern's follow-ups, open ones first, soonest first."""
    return [FollowUpRow(**row._mapping) for row in transaction_connection().execute(_FOLLOW_UPS, _of(concern))]


def follow_up(concern: Concern, follow_up_id: int) -> FollowUpRow | None:
    """One follow-up of a concern, or ``None``."""
    row = db.session.execute(_FOLLOW_UP, _of(concern) | {"follow_up_id": follow_up_id}).first()
    return FollowUpRow(**row._mapping) if row else None


def linked(concern: Concern, viewer: Viewer) -> list[LinkedConcern]:
    """The concerns linked to this one that ``viewer`` may see, oldest first (a link never widens who sees one)."""
    rows = transaction_connection().execute(_LINKED, _of(concern) | viewer.values())
    return [LinkedConcern(row.id, row.reference, Status(row.status)) for row in rows]


def are_linked(first: Concern, second: Concern) -> bool:
    """Whether two concerns are already linked (a link is kept once, the lower id first)."""
    low, high = sorted((first.id, second.id))
    return db.session.execute(_LINK_EXISTS, {"first": low, "second": high}).first() is not None


# ---------------------------------------------------------------------------------------------------------------
# "My concerns"


@dataclass(frozen=True)
class ReportedConcern:
    """A concern on its reporter's list."""

    id: int
    reference: str
    logged_at: datetime
    status: str
    access_level: str = "standard"

    @property
    def stage(self) -> ReporterStage:
        """Where the concern is, as its reporter is told: received, acknowledged or closed (a sealed concern: that
        it was received, and nothing more)."""
        if self.access_level == "sealed":
            return ReporterStage.RECEIVED
        return Status(self.status).for_reporter


_REPORTED_BY = (
    select(Concern.id, Concern.reference, Concern.logged_at, Concern.status, Concern.access_level)
    .where(Concern.school_id == _SCHOOL, Concern.reporter_id == bindparam("reporter_id"))
    .order_by(Concern.logged_at.desc(), Concern.id.desc())
    .limit(bindparam("limit", type_=Integer(), literal_execute=True))
    .offset(bindparam("offset", type_=Integer(), literal_execute=True))
)
_REPORTED_COUNT = select(func.count()).where(
    Concern.school_id == _SCHOOL, Concern.reporter_id == bindparam("reporter_id")
)


def reported_by(school_id: int, reporter_id: int, page: int = 1) -> tuple[list[ReportedConcern], int]:
    """The concerns a member of staff logged, newest first, one page at a time, and how many there are."""
    values = {"school_id": school_id, "reporter_id": reporter_id}
    total = transaction_connection().scalar(_REPORTED_COUNT, values) or 0
    page_values = values | {"limit": PAGE_SIZE, "offset": (max(1, page) - 1) * PAGE_SIZE}
    return [
        ReportedConcern(**row._mapping) for row in transaction_connection().execute(_REPORTED_BY, page_values)
    ], total


# ---------------------------------------------------------------------------------------------------------------
# A child's chronology


# The concerns about a child that the viewer may see, with their reference, when each was logged and the child's part
# in it: read by the chronology and by its outline.
_VISIBLE_CHILDS_CONCERNS = (
    select(ConcernPupil.concern_id, ConcernPupil.part, Concern.reference, Concern.logged_at)
    .join(Concern, and_(Concern.id == ConcernPupil.concern_id, Concern.school_id == _SCHOOL))
    .where(ConcernPupil.school_id == _SCHOOL, ConcernPupil.pupil_id == bindparam("pupil_id"), _VISIBLE)
)
# The chronology: the child's concerns, then their events. ``OFFSET 0`` keeps the planner from merging the subquery
# into a join that looks each concern up once per event (docs/performance.md).
_CHILDS_CONCERNS = _VISIBLE_CHILDS_CONCERNS.offset(0).subquery("childs_concerns")
# ``at`` is read as stored (naive UTC): the chronology puts it in the school's zone itself (see
# safeguard.concerns.chronology), which a thousand conversions through the column type would only repeat.
_CHRONOLOGY = (
    select(
        type_coerce(ConcernEvent.at, DateTime()).label("at"),
        ConcernEvent.concern_id,
        _CHILDS_CONCERNS.c.reference,
        _CHILDS_CONCERNS.c.part,
        ConcernEvent.summary,
    )
    .join(_CHILDS_CONCERNS, _CHILDS_CONCERNS.c.concern_id == ConcernEvent.concern_id)
    .where(ConcernEvent.school_id == _SCHOOL, _ENTRY_SHOWN)
    .order_by(ConcernEvent.at.desc(), ConcernEvent.id.desc())
)

# One line of a child's chronology, as the driver gives it: a row read by name (``entry.at``, ``entry.reference``…).
#   at          when it happened, naive UTC as stored
#   concern_id  the concern it belongs to, and its reference
#   part        the child's part in that concern (a Part value)
#   summary     the event's one line
ChronologyEntry = Row[tuple[datetime, int, str, str, str]]


@dataclass(frozen=True)
class ChronologyFilter:
    """Which of a child's entries to show: a period (UTC bounds, the end excluded), one concern, one category of
    concern, one kind of entry. Nothing set means every entry."""

    start: datetime | None = None
    end: datetime | None = None
    concern_id: int | None = None
    category_id: str | None = None
    kind: str | None = None


@functools.lru_cache(maxsize=32)
def _chronology_statement(period: bool, concern: bool, category: bool, kind: bool, limited: bool) -> Select[Any]:
    """The child's chronology for one shape of filter (which filters are set, not their values)."""
    statement = _CHRONOLOGY
    if period:
        statement = statement.where(
            ConcernEvent.at >= bindparam("start", type_=UTCDateTime()),
            ConcernEvent.at < bindparam("end", type_=UTCDateTime()),
        )
    if concern:
        statement = statement.where(ConcernEvent.concern_id == bindparam("only_concern"))
    if category:
        statement = statement.where(
            exists().where(
                ConcernCategory.school_id == _SCHOOL,
                ConcernCategory.concern_id == ConcernEvent.concern_id,
                ConcernCategory.category_id == bindparam("category_id"),
            )
        )
    if kind:
        statement = statement.where(ConcernEvent.kind == bindparam("kind"))
    if limited:
        statement = statement.limit(bindparam("limit", type_=Integer(), literal_execute=True))
    return statement


def pupil_chronology(
    school_id: int,
    pupil_id: int,
    limit: int | None = None,
    *,
    viewer: Viewer,
    only: ChronologyFilter | None = None,
) -> list[ChronologyEntry]:
    """A child's chronology across every concern about them that ``viewer`` may see, across years, newest first.

    :param limit: only the latest this many entries.
    :param only: only the entries this filter lets through.
    """
    only = only or ChronologyFilter()
    shape = (only.start is not None, only.concern_id is not None, bool(only.category_id), bool(only.kind), bool(limit))
    values: dict[str, Any] = {"school_id": school_id, "pupil_id": pupil_id, "limit": limit}
    values |= {"start": only.start, "end": only.end, "only_concern": only.concern_id}
    values |= {"category_id": only.category_id, "kind": only.kind} | viewer.values()
    return list(transaction_connection().execute(_chronology_statement(*shape), values).all())


@dataclass(frozen=True)
class ChronologyOutline:
    """What a child's chronology spans, for choosing what to show: its first and last entries (UTC), the concerns
    about the child (newest first) and their categories (by label)."""

    first_at: datetime | None
    last_at: datetime | None
    concerns: list[tuple[int, str]]
    categories: list[tuple[str, str]]


# The concerns about the child that the viewer may see, found once and read three times (a common table expression):
# as a sub-query in each part, the access condition was checked three times over every concern about the child. The
# first and last entries come from one pass over the child's entries (a derived row of both aggregates): as two scalar
# sub-queries, each read every entry of every concern about the child again.
_OUTLINE_CONCERNS = _VISIBLE_CHILDS_CONCERNS.cte("outline_concerns")
_OUTLINE_CONCERN_IDS = select(_OUTLINE_CONCERNS.c.concern_id)
_OUTLINE_SPAN = (
    select(func.min(ConcernEvent.at).label("first_at"), func.max(ConcernEvent.at).label("last_at"))
    .where(ConcernEvent.school_id == _SCHOOL, ConcernEvent.concern_id.in_(_OUTLINE_CONCERN_IDS))
    .subquery("span")
)
_OUTLINE = select(
    _OUTLINE_SPAN.c.first_at,
    _OUTLINE_SPAN.c.last_at,
    select(
        json_objects(
            id=_OUTLINE_CONCERNS.c.concern_id,
            reference=_OUTLINE_CONCERNS.c.reference,
            logged_at=_OUTLINE_CONCERNS.c.logged_at,
        )
    )
    .scalar_subquery()
    .label("concerns"),
    select(json_objects(id=ConcernCategory.category_id, label=ConcernCategory.label))
    .where(ConcernCategory.school_id == _SCHOOL, ConcernCategory.concern_id.in_(_OUTLINE_CONCERN_IDS))
    .scalar_subquery()
    .label("categories"),
).select_from(_OUTLINE_SPAN)


def chronology_outline(school_id: int, pupil_id: int, viewer: Viewer) -> ChronologyOutline:
    """What a child's chronology spans (the concerns ``viewer`` may see), in one statement."""
    row = (
        transaction_connection()
        .execute(_OUTLINE, {"school_id": school_id, "pupil_id": pupil_id} | viewer.values())
        .one()
    )
    concerns = sorted(json_nested(row.concerns) or (), key=lambda c: (c["logged_at"], c["id"]), reverse=True)
    labels = {c["id"]: c["label"] for c in json_nested(row.categories) or ()}
    return ChronologyOutline(
        row.first_at,
        row.last_at,
        [(c["id"], c["reference"]) for c in concerns],
        sorted(labels.items(), key=lambda item: item[1].casefold()),
    )


# ---------------------------------------------------------------------------------------------------------------
# The queue


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


# The queue's lines are named tuples rather than frozen dataclasses: decoded by name all the same, and a frozen
# dataclass sets each of its fields through ``object.__setattr__``, a cost paid per field on every line of every page.
class QueuePupil(NamedTuple):
    """A child on a line of the queue."""

    name: str
    part: Part


class QueueRow(NamedTuple):
    """One line of the queue."""

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
    pupils: list[QueuePupil]
    categories: list[str]
    # When it must be acknowledged by (counted in the school's calendar when not urgent).
    ack_due_at: datetime | None = None

    @property
    def category_list(self) -> str:
        """The categories as the queue writes them, in one value (a template's ``join`` escapes each one)."""
        return "; ".join(self.categories)


@dataclass(frozen=True)
class OverdueFollowUp:
    """A follow-up past its date and not done."""

    concern_id: int
    what: str
    due_on: date


@dataclass
class QueuePage:
    """One page of the queue, with what the page shows around it."""

    concerns: list[QueueRow]
    total: int
    page: int
    pages: int
    # Open concerns by status; closed ones too on the views that show them (see :func:`_queue_statement`).
    counts: dict[str, int]
    dsls: list[accounts.Person] = field(default_factory=list)
    follow_ups: list[OverdueFollowUp] = field(default_factory=list)
    awaiting_receipt: list[pupils_store.AwaitingReceipt] = field(default_factory=list)
    unread_alerts: int = 0
    # What the page's banners depend on (the worker's last pass, the DSL team's cover), read with the page.
    banner_state: safety_store.BannerState | None = None


_PRIORITY = case(
    # 0: urgent and not yet acknowledged; 1: acknowledgement overdue; 2: open; 3: closed.
    (and_(Concern.status == Status.NEW.value, Concern.urgent.is_(True)), 0),
    (acknowledgement_overdue(Concern.status, Concern.ack_due_at, _NOW), 1),
    (is_open(Concern.status), 2),
    else_=3,
)
# "Not closed" and "new" are also written into the SQL as constants where a partial index must be used: PostgreSQL
# matches a partial index only to a constant, so with the value bound the prepared statement's generic plan could not
# use the index.
_NOT_CLOSED = Concern.status != literal_column(f"'{Status.CLOSED.value}'")
_CLOSED = Concern.status == literal_column(f"'{Status.CLOSED.value}'")
_NEW = Concern.status == literal_column(f"'{Status.NEW.value}'")
_CLOSED_COUNT = select(func.count()).where(Concern.school_id == _SCHOOL, _CLOSED, _VISIBLE)
_LIMIT = bindparam("limit", type_=Integer(), literal_execute=True)
_OFFSET = bindparam("offset", type_=Integer(), literal_execute=True)
# How many of each tier a page may need: every row before the page's end could come from one tier.
_TIER_LIMIT = bindparam("tier_limit", type_=Integer(), literal_execute=True)


def _counts_column() -> Label[Any]:
    """Open concerns by status, labelled ``by_status``. Closed ones only grow with a school's history, so they are
    counted apart (``_CLOSED_COUNT``), from the index of status alone."""
    by_status = (
        select(Concern.status, func.count().label("n"))
        .where(Concern.school_id == _SCHOOL, _NOT_CLOSED, _VISIBLE)
        .group_by(Concern.status)
        .subquery()
    )
    return select(json_objects(status=by_status.c.status, n=by_status.c.n)).scalar_subquery().label("by_status")


def _overdue_follow_ups_column() -> Label[Any]:
    """The school's follow-ups past their date and not done, oldest first, labelled ``follow_ups``."""
    # Joined to its concern (by its key, after the follow-ups' index has found the few overdue ones) for the
    # condition of who may see it.
    overdue = (
        select(FollowUp.id, FollowUp.concern_id, FollowUp.what, FollowUp.due_on)
        .join(Concern, and_(Concern.id == FollowUp.concern_id, Concern.school_id == _SCHOOL))
        .where(
            FollowUp.school_id == _SCHOOL,
            follow_up_overdue(FollowUp.done_at, FollowUp.due_on, _TODAY),
            _VISIBLE,
        )
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(FOLLOW_UPS_SHOWN)
        .subquery()
    )
    columns = json_objects(
        id=overdue.c.id, concern_id=overdue.c.concern_id, what=overdue.c.what, due_on=overdue.c.due_on
    )
    return select(columns).scalar_subquery().label("follow_ups")


def _overdue_follow_ups(value: Any) -> list[OverdueFollowUp]:
    rows = sorted(json_nested(value) or (), key=lambda f: (f["due_on"], f["id"]))
    return [OverdueFollowUp(f["concern_id"], f["what"], date.fromisoformat(f["due_on"])) for f in rows]


def _around_the_queue() -> list[Label[Any]]:
    """Everything the queue page shows besides its rows, each from the package that owns it, as labelled columns of
    the queue's one statement (a statement costs the app more than the index lookups it runs)."""
    return [
        _counts_column(),
        accounts.dsls_column(_SCHOOL),
        _overdue_follow_ups_column(),
        pupils_store.awaiting_receipt_column(_SCHOOL),
        alerts.unread_count_column(bindparam("user_id")),
        *safety_store.banner_state_columns(_SCHOOL, _TODAY, _NOW),
    ]


def _open_page_in_order() -> Any:
    """A page of the open queue's ids in the queue's order, read tier by tier, each in the order of an index.

    The tiers are those of ``_PRIORITY``: urgent concerns not yet acknowledged, then those whose acknowledgement is
    overdue (both from the small index of new concerns), then the rest of the open concerns (from the open-concerns
    index). Each is read already in order and only as far as the page needs, instead of sorting every open concern.
    """
    overdue = acknowledgement_overdue(Concern.status, Concern.ack_due_at, _NOW)

    def tier(priority: int, *conditions: Any) -> Select[Any]:
        rows = (
            select(Concern.id, literal_column(str(priority)).label("priority"), Concern.logged_at)
            .where(Concern.school_id == _SCHOOL, *conditions, _VISIBLE)
            .order_by(Concern.logged_at, Concern.id)
            .limit(_TIER_LIMIT)
            .subquery()
        )
        return select(rows.c.id, rows.c.priority, rows.c.logged_at)

    return (
        union_all(
            tier(0, _NEW, Concern.urgent == true()),
            tier(1, _NEW, Concern.urgent == false(), overdue),
            tier(2, _NOT_CLOSED, not_(and_(_NEW, or_(Concern.urgent == true(), overdue)))),
        )
        .order_by(literal_column("priority"), literal_column("logged_at"), literal_column("id"))
        .limit(_LIMIT)
        .offset(_OFFSET)
        .subquery()
    )


@dataclass(frozen=True)
class _Shape:
    """Which filters are set (not their values): one statement per shape."""

    status: str  # "open", "closed", "all" or "one" (an open status)
    category: bool
    pupil: bool
    assignee: str  # "", "none" or "one"
    date_from: bool
    date_to: bool
    search: bool

    @property
    def only_status(self) -> bool:
        return not (self.category or self.pupil or self.assignee or self.date_from or self.date_to or self.search)

    @property
    def counts_closed(self) -> bool:
        """Whether closed concerns are counted: only on the views that show them. They grow with the school's whole
        history, while what is open stays bounded by its workload (a school with five years of records: 3,393
        closed concerns, 0.7 ms of every view of the open queue)."""
        return self.status in (Status.CLOSED.value, "all")


def _shape_and_values(
    school_id: int, filters: QueueFilters, now: datetime, today: date
) -> tuple[_Shape, dict[str, Any]]:
    statuses = {s.value for s in Status}
    if filters.status in ("open", Status.CLOSED.value):
        status = filters.status
    else:
        status = "one" if filters.status in statuses else "all"
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
        **pupils_store.search_words(term),
    }
    return shape, values


def _search_condition() -> Any:
    """A concern whose reference is the term, or one of whose children's names or UPN matches it (as the pupils'
    search matches them: any part, without regard to case, accents or apostrophes)."""
    term: BindParameter[str] = bindparam("term")
    name_match = exists().where(
        ConcernPupil.concern_id == Concern.id,
        ConcernPupil.school_id == _SCHOOL,
        ConcernPupil.pupil_id == Pupil.id,
        Pupil.school_id == _SCHOOL,
        pupils_store.name_search_condition(),
    )
    return or_(func.lower(Concern.reference) == term, name_match)


def _conditions(shape: _Shape) -> list[Any]:
    """The filters of a shape, as conditions on the school's concerns."""
    conditions: list[Any] = [Concern.school_id == _SCHOOL, _VISIBLE]
    if shape.status == "open":
        conditions.append(_NOT_CLOSED)
    elif shape.status == Status.CLOSED.value:
        conditions.append(_CLOSED)
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
        conditions.append(_search_condition())
    return conditions


# A row's children and categories, read with the row (one statement for the page rather than three).
_ROW_PUPILS = (
    select(
        json_objects(
            position=ConcernPupil.position,
            part=ConcernPupil.part,
            first=Pupil.legal_first_name,
            last=Pupil.legal_last_name,
            preferred=Pupil.preferred_name,
        )
    )
    .select_from(ConcernPupil)
    .join(Pupil, Pupil.id == ConcernPupil.pupil_id)
    .where(ConcernPupil.school_id == _SCHOOL, ConcernPupil.concern_id == Concern.id)
    .correlate(Concern)
    .scalar_subquery()
)
_ROW_CATEGORIES = (
    select(json_objects(position=ConcernCategory.position, label=ConcernCategory.label))
    .where(ConcernCategory.school_id == _SCHOOL, ConcernCategory.concern_id == Concern.id)
    .correlate(Concern)
    .scalar_subquery()
)


def _page_rows_column(ordered: Any) -> Label[Any]:
    """The page's concerns in full, as JSON objects labelled ``page``, each with its place in the queue's order."""
    reporter, assignee = aliased(User), aliased(User)
    follow_up_due = (
        exists()
        .where(
            FollowUp.school_id == _SCHOOL,
            FollowUp.concern_id == Concern.id,
            follow_up_overdue(FollowUp.done_at, FollowUp.due_on, _TODAY),
        )
        .correlate(Concern)
    )
    rows = (
        select(
            json_objects(
                id=Concern.id,
                reference=Concern.reference,
                urgent=Concern.urgent,
                status=Concern.status,
                logged_at=Concern.logged_at,
                level_of_need=Concern.level_of_need,
                reporter=reporter.display_name,
                assignee=assignee.display_name,
                overdue=acknowledgement_overdue(Concern.status, Concern.ack_due_at, _NOW),
                ack_due_at=Concern.ack_due_at,
                follow_up_due=follow_up_due,
                pupils=_ROW_PUPILS,
                categories=_ROW_CATEGORIES,
                priority=ordered.c.priority,
            )
        )
        .join(ordered, ordered.c.id == Concern.id)
        .join(reporter, reporter.id == Concern.reporter_id)
        .outerjoin(assignee, assignee.id == Concern.assignee_id)
        .where(Concern.school_id == _SCHOOL)
    )
    return rows.scalar_subquery().label("page")


@functools.lru_cache(maxsize=128)
def _queue_statement(shape: _Shape) -> Select[Any]:
    """The queue's one statement for a shape of filters: one row holding everything the page shows."""
    conditions = _conditions(shape)
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
    columns = _around_the_queue()
    if shape.counts_closed:
        columns.append(_CLOSED_COUNT.scalar_subquery().label("closed"))
    if not shape.only_status:
        total = select(func.count()).select_from(select(Concern.id).where(*conditions).subquery())
        columns.append(total.scalar_subquery().label("total"))
    columns.append(_page_rows_column(ordered))
    return select(*columns)


def _queue_row(row: dict[str, Any]) -> QueueRow:
    """One line of the queue from its JSON object (see :func:`_page_rows_column`)."""
    return QueueRow(
        id=row["id"],
        reference=row["reference"],
        urgent=bool(row["urgent"]),
        status=Status(row["status"]),
        logged_at=utc_from_json(row["logged_at"]),
        level_of_need=row["level_of_need"],
        reporter=row["reporter"],
        assignee=row["assignee"],
        overdue=bool(row["overdue"]),
        follow_up_due=bool(row["follow_up_due"]),
        pupils=[
            QueuePupil(display_name(p["first"], p["last"], p["preferred"]), Part(p["part"]))
            for p in sorted(json_nested(row["pupils"]) or (), key=lambda p: p["position"])
        ],
        categories=[c["label"] for c in sorted(json_nested(row["categories"]) or (), key=lambda c: c["position"])],
        ack_due_at=utc_from_json(row["ack_due_at"]),
    )


def _queue_order(ranked: tuple[int, QueueRow]) -> tuple[int, datetime, int]:
    priority, row = ranked
    return priority, row.logged_at, row.id


def _page_values(values: dict[str, Any], page: int) -> dict[str, Any]:
    """The statement's values for one page: its rows, and how many of each tier of the open queue it may need."""
    return values | {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE, "tier_limit": page * PAGE_SIZE}


def _total(shape: _Shape, filters: QueueFilters, counts: dict[str, int], result: Any) -> int:
    """How many concerns match: from the counts by status when only the status is filtered (no second pass)."""
    if not shape.only_status:
        return int(result.total)
    if shape.status == "open":
        return sum(n for status, n in counts.items() if status != Status.CLOSED.value)
    if shape.status in ("one", Status.CLOSED.value):
        return counts.get(filters.status, 0)
    return sum(counts.values())


def queue(
    school_id: int,
    filters: QueueFilters,
    now: datetime,
    *,
    today: date | None = None,
    user_id: int | None = None,
    viewer: Viewer | None = None,
) -> QueuePage:
    """The school's concerns, urgent and overdue first, then oldest first, one page at a time, with what the page
    shows around them.

    ``today`` is the school's date (for follow-ups past their date; UTC's when not given), ``user_id`` the person
    whose unread alerts are counted and ``viewer`` the person the rows and counts are for (the DSL team's standard
    concerns, without a viewer). One statement whatever the filters; a second only for a page past the end.
    """
    shape, values = _shape_and_values(school_id, filters, now, today or now.date())
    statement = _queue_statement(shape)
    values["user_id"] = user_id
    values |= (viewer or Viewer(user_id, True, now)).values()
    requested = max(1, filters.page)
    connection = transaction_connection()
    result = connection.execute(statement, _page_values(values, requested)).one()
    counts = {row["status"]: row["n"] for row in json_nested(result.by_status) or ()}
    if shape.counts_closed:
        counts[Status.CLOSED.value] = result.closed
    total = _total(shape, filters, counts, result)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(requested, pages)
    page_rows = result.page
    if page != requested:
        # A page past the end (a link kept from when there were more): its last page instead.
        page_rows = connection.execute(statement, _page_values(values, page)).one().page
    ranked = sorted(((r["priority"], _queue_row(r)) for r in json_nested(page_rows) or ()), key=_queue_order)
    return QueuePage(
        [row for _, row in ranked],
        total,
        page,
        pages,
        counts,
        dsls=accounts.people(result.dsls),
        follow_ups=_overdue_follow_ups(result.follow_ups),
        awaiting_receipt=pupils_store.transfers(result.awaiting),
        unread_alerts=result.unread,
        banner_state=safety_store.banner_state_of(result),
    )


# ---------------------------------------------------------------------------------------------------------------
# Logging a concern


@dataclass(frozen=True)
class BeforeLogging:
    """What logging reads before it writes: how many of the chosen pupils are on the roll, and whom to alert."""

    pupils_on_roll: int
    team: accounts.Team


_BEFORE_LOGGING = select(
    select(func.count())
    .where(Pupil.school_id == _SCHOOL, Pupil.id.in_(bindparam("pupil_ids", expanding=True)))
    .scalar_subquery()
    .label("pupils_on_roll"),
    accounts.team_column(_SCHOOL, _TODAY, _NOW),
)


def before_logging(school_id: int, pupil_ids: Sequence[int], today: date, now: datetime) -> BeforeLogging:
    """How many of ``pupil_ids`` are on the school's roll, and the DSL team and heads who may be alerted (on
    ``today``, the school's date, at ``now``), in one statement."""
    values = {"school_id": school_id, "pupil_ids": list(pupil_ids), "today": today, "now": now}
    row = transaction_connection().execute(_BEFORE_LOGGING, values).one()
    return BeforeLogging(row.pupils_on_roll, accounts.team(row.team))


# A new concern's columns that its later life fills in: empty when it is logged.
_SET_LATER = (
    "assignee_id",
    "level_of_need",
    "outcome",
    "outcome_rationale",
    "acknowledged_at",
    "acknowledged_by_id",
    "escalated_at",
    "closed_at",
)
_ADD_CONCERN = Concern.__table__.insert().returning(Concern.__table__.c.id)
_SET_REFERENCE = (
    Concern.__table__.update().where(Concern.__table__.c.id == _CONCERN_ID).values(reference=bindparam("reference"))
)
_TAKE_NUMBER = (
    ConcernSequence.__table__.update()
    .where(
        ConcernSequence.__table__.c.school_id == bindparam("for_school"),
        ConcernSequence.__table__.c.year == bindparam("for_year"),
    )
    .values(last_number=ConcernSequence.__table__.c.last_number + 1)
    .returning(ConcernSequence.__table__.c.last_number)
)


def insert_concern(columns: dict[str, Any]) -> Concern:
    """Add a concern's row and hand the session the concern it is, as if it had been loaded.

    :param columns: every column but the id and those its later life fills in.
    """
    concern_id = transaction_connection().execute(_ADD_CONCERN, columns).scalar_one()
    concern = Concern(id=concern_id, **(dict.fromkeys(_SET_LATER) | columns))
    make_transient_to_detached(concern)
    db.session.add(concern)
    return concern


def set_reference(concern: Concern, reference: str) -> None:
    """Give a new concern its reference (written over the placeholder it was added under)."""
    transaction_connection().execute(_SET_REFERENCE, {"concern_id": concern.id, "reference": reference})
    set_committed_value(concern, "reference", reference)


def take_number(school_id: int, year: int) -> int:
    """Take the next number of the school's year. The row's lock is held to the commit: everyone else logging in the
    school waits for it, so callers take it as late as they can."""
    connection = transaction_connection()
    values = {"for_school": school_id, "for_year": year}
    number = connection.execute(_TAKE_NUMBER, values).scalar()
    if number is None:
        # The school's first concern of the year. Two people may log it at the same moment: both find no row, one
        # creates it, the other's insert waits for that and does nothing; then each takes a number from it.
        insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        start = insert(ConcernSequence.__table__).on_conflict_do_nothing()
        connection.execute(start, {"school_id": school_id, "year": year, "last_number": 0})
        number = connection.execute(_TAKE_NUMBER, values).scalar_one()
    return int(number)


def insert_children(concern_id: int, school_id: int, children: Sequence[tuple[int, Part]]) -> None:
    """Add the children of a new concern, each with their part, in the order given."""
    rows = [
        {"concern_id": concern_id, "pupil_id": pupil_id, "school_id": school_id, "part": part.value, "position": n}
        for n, (pupil_id, part) in enumerate(children)
    ]
    transaction_connection().execute(ConcernPupil.__table__.insert(), rows)


def insert_categories(concern_id: int, school_id: int, categories: Sequence[tuple[str, str]]) -> None:
    """Add the categories of a new concern, as ``(id, label)`` with the label in force now, in the order given."""
    rows = [
        {"concern_id": concern_id, "category_id": category_id, "school_id": school_id, "label": label, "position": n}
        for n, (category_id, label) in enumerate(categories)
    ]
    transaction_connection().execute(ConcernCategory.__table__.insert(), rows)


# ---------------------------------------------------------------------------------------------------------------
# Appending to a concern


_ADD_EVENT = ConcernEvent.__table__.insert().returning(ConcernEvent.__table__.c.id)
_ADD_FOLLOW_UP = FollowUp.__table__.insert()
_ADD_LINK = ConcernLink.__table__.insert()
_ADD_ATTACHMENT = Attachment.__table__.insert()
_FOLLOW_UP_DONE = (
    FollowUp.__table__.update()
    .where(
        FollowUp.__table__.c.id == bindparam("follow_up_id"),
        # Not "concern_id": an UPDATE keeps its columns' names for the values it sets.
        FollowUp.__table__.c.concern_id == bindparam("of_concern"),
        FollowUp.__table__.c.done_at.is_(None),
    )
    .values(done_at=bindparam("done_at"), done_by_id=bindparam("done_by_id"))
)


def insert_event(columns: dict[str, Any]) -> int:
    """Append an entry to a concern's chronology; return its id. Entries are never changed or removed."""
    return int(transaction_connection().execute(_ADD_EVENT, columns).scalar_one())


def insert_follow_up(concern: Concern, event_id: int, due_on: date, what: str) -> None:
    """Add a follow-up to a concern, set by one of its events."""
    row = {
        "school_id": concern.school_id,
        "concern_id": concern.id,
        "event_id": event_id,
        "due_on": due_on,
        "what": what,
    }
    transaction_connection().execute(_ADD_FOLLOW_UP, row)


def complete_follow_up(concern: Concern, follow_up_id: int, done_by_id: int, done_at: datetime) -> bool:
    """Mark a follow-up done; ``False`` if it was done already (by someone else at the same moment)."""
    values = {"follow_up_id": follow_up_id, "of_concern": concern.id, "done_by_id": done_by_id, "done_at": done_at}
    return transaction_connection().execute(_FOLLOW_UP_DONE, values).rowcount == 1


def insert_link(first: Concern, second: Concern) -> None:
    """Link two concerns of a school (kept once, the lower id first)."""
    low, high = sorted((first.id, second.id))
    transaction_connection().execute(_ADD_LINK, {"concern_id": low, "related_id": high, "school_id": first.school_id})


def insert_attachment(columns: dict[str, Any]) -> None:
    """Add an attachment's row (the file itself is already stored; see safeguard.core.storage)."""
    transaction_connection().execute(_ADD_ATTACHMENT, columns)


# ---------------------------------------------------------------------------------------------------------------
# Escalation


@dataclass(frozen=True)
class Unacknowledged:
    """A concern not acknowledged in time and not yet escalated, with the people to alert about it."""

    id: int
    school_id: int
    reference: str
    urgent: bool
    ack_due_at: datetime
    recipients: list[accounts.Recipient]


_UNACKNOWLEDGED = select(Concern.id, Concern.school_id, Concern.reference, Concern.urgent, Concern.ack_due_at).where(
    acknowledgement_overdue(Concern.status, Concern.ack_due_at, _NOW), Concern.escalated_at.is_(None)
)
_ESCALATION_RECIPIENTS = select(accounts.recipients_column(_SCHOOL, [Role.DSL, Role.HEAD], "recipients"))
_MARK_ESCALATED = (
    Concern.__table__.update()
    .where(Concern.__table__.c.id == _CONCERN_ID, Concern.__table__.c.escalated_at.is_(None))
    .values(escalated_at=_NOW)
)


def unacknowledged(now: datetime) -> list[Unacknowledged]:
    """Every school's concerns not acknowledged in time and not yet escalated, with the DSLs and head to alert
    (one statement for the concerns, and one for each school that has any)."""
    rows = db.session.execute(_UNACKNOWLEDGED, {"now": now}).all()
    recipients = {
        school_id: accounts.recipients(db.session.scalar(_ESCALATION_RECIPIENTS, {"school_id": school_id}))
        for school_id in {row.school_id for row in rows}
    }
    return [
        Unacknowledged(r.id, r.school_id, r.reference, r.urgent, r.ack_due_at, recipients[r.school_id]) for r in rows
    ]


@dataclass(frozen=True)
class AwaitingOnward:
    """An urgent concern escalated but still not acknowledged, in a school that names an onward contact."""

    id: int
    school_id: int
    school_name: str
    reference: str
    urgent: bool
    escalated_at: datetime
    contact_label: str
    contact_email: str
    # The school's time zone, which the e-mail writes times in.
    timezone: str


_ESCALATED_UNACKNOWLEDGED = (
    select(
        Concern.id,
        Concern.school_id,
        School.name.label("school_name"),
        School.timezone,
        Concern.reference,
        Concern.urgent,
        Concern.logged_at,
        Concern.ack_due_at,
        Concern.escalated_at,
        School.onward_contact_label,
        School.onward_contact_email,
    )
    .join(School, School.id == Concern.school_id)
    .where(
        Concern.urgent.is_(True),
        Concern.status == Status.NEW.value,
        Concern.escalated_at.is_not(None),
        Concern.onward_escalated_at.is_(None),
        School.onward_contact_email != "",
    )
)
_MARK_ONWARD = (
    Concern.__table__.update()
    .where(Concern.__table__.c.id == _CONCERN_ID, Concern.__table__.c.onward_escalated_at.is_(None))
    .values(onward_escalated_at=_NOW)
)


def awaiting_onward(now: datetime) -> list[AwaitingOnward]:
    """Every school's urgent concerns still not acknowledged whose onward escalation is due and not yet sent (one
    statement; the few escalated concerns it finds are timed in Python, by :func:`onward_escalation_due`)."""
    return [
        AwaitingOnward(
            r.id,
            r.school_id,
            r.school_name,
            r.reference,
            r.urgent,
            r.escalated_at,
            r.onward_contact_label,
            r.onward_contact_email,
            r.timezone,
        )
        for r in db.session.execute(_ESCALATED_UNACKNOWLEDGED)
        if onward_escalation_due(r.logged_at, r.ack_due_at, r.escalated_at) <= now
    ]


def mark_onward_escalated(concern_id: int, now: datetime) -> bool:
    """Record that a concern's onward escalation went out; ``False`` if another worker already did."""
    return transaction_connection().execute(_MARK_ONWARD, {"concern_id": concern_id, "now": now}).rowcount == 1


_OVERDUE = acknowledgement_overdue(Concern.status, Concern.ack_due_at, _NOW)
_OVERDUE_ACKNOWLEDGEMENTS = select(
    func.count().filter(Concern.escalated_at.is_not(None)).label("escalated"),
    func.count().filter(Concern.escalated_at.is_(None)).label("not_escalated"),
).where(Concern.school_id == _SCHOOL, _OVERDUE)


def overdue_acknowledgements(school_id: int, now: datetime) -> tuple[int, int]:
    """How many of the school's concerns are past their time to be acknowledged: (escalated, not yet escalated)."""
    row = db.session.execute(_OVERDUE_ACKNOWLEDGEMENTS, {"school_id": school_id, "now": now}).one()
    return row.escalated, row.not_escalated


def mark_escalated(concern_id: int, now: datetime) -> bool:
    """Record that a concern's escalation went out; ``False`` if another worker already did (it goes out once)."""
    return transaction_connection().execute(_MARK_ESCALATED, {"concern_id": concern_id, "now": now}).rowcount == 1


# ---------------------------------------------------------------------------------------------------------------
# What people meet first: the DSL's home page, and the categories the form offers first


@dataclass(frozen=True)
class Attention:
    """What needs the DSL team now: urgent concerns not yet acknowledged, concerns whose acknowledgement is overdue
    (urgent ones too), and follow-ups past their date."""

    urgent: int
    overdue: int
    follow_ups: int

    @property
    def nothing(self) -> bool:
        """Whether nothing needs the team now."""
        return not (self.urgent or self.overdue or self.follow_ups)


# The same conditions as the queue's tiers and its list of overdue follow-ups, read from the same indexes.
_ATTENTION = select(
    select(func.count())
    .where(Concern.school_id == _SCHOOL, _NEW, Concern.urgent == true(), _VISIBLE)
    .scalar_subquery()
    .label("urgent"),
    select(func.count())
    .where(
        Concern.school_id == _SCHOOL,
        _NEW,
        acknowledgement_overdue(Concern.status, Concern.ack_due_at, _NOW),
        _VISIBLE,
    )
    .scalar_subquery()
    .label("overdue"),
    select(func.count())
    .select_from(FollowUp)
    .join(Concern, and_(Concern.id == FollowUp.concern_id, Concern.school_id == _SCHOOL))
    .where(
        FollowUp.school_id == _SCHOOL,
        follow_up_overdue(FollowUp.done_at, FollowUp.due_on, _TODAY),
        _VISIBLE,
    )
    .scalar_subquery()
    .label("follow_ups"),
)


def attention(school_id: int, now: datetime, today: date, viewer: Viewer) -> Attention:
    """What needs the school's DSL team now, of what ``viewer`` may see, in one statement (``today`` is the
    school's date)."""
    values = {"school_id": school_id, "today": today} | viewer.values() | {"now": now}
    row = db.session.execute(_ATTENTION, values).one()
    return Attention(urgent=row.urgent, overdue=row.overdue, follow_ups=row.follow_ups)


_MOST_USED = (
    select(ConcernCategory.category_id)
    .join(Concern, Concern.id == ConcernCategory.concern_id)
    .where(
        ConcernCategory.school_id == _SCHOOL,
        Concern.school_id == _SCHOOL,
        Concern.logged_at >= bindparam("since", type_=UTCDateTime()),
    )
    .group_by(ConcernCategory.category_id)
    .order_by(func.count().desc(), ConcernCategory.category_id)
    .limit(bindparam("limit", type_=Integer(), literal_execute=True))
)


def most_used_categories(school_id: int, since: datetime, limit: int) -> list[str]:
    """The ids of the categories the school's concerns logged since ``since`` were filed under most, most first."""
    return list(db.session.scalars(_MOST_USED, {"school_id": school_id, "since": since, "limit": limit}))


# ---------------------------------------------------------------------------------------------------------------
# Searching the words of the records


# A search shows at most this many entries, newest first (one more is read, to know that there were more).
TEXT_SEARCH_LIMIT = 50

# The searched text of each table, written exactly as migration 0012 indexes it on PostgreSQL (an expression index
# serves only the same expression). SQLite searches its FTS5 tables, which the same migration keeps.
_ACCOUNT_VECTOR = "to_tsvector('english', coalesce(concerns.account, '') || ' ' || coalesce(concerns.already_done, ''))"
_ENTRY_VECTOR = (
    "to_tsvector('english', coalesce(concern_events.summary, '') || ' ' || coalesce(concern_events.text, ''))"
)


@dataclass(frozen=True)
class TextMatch:
    """An account or a chronology entry whose words match a search, with the concern and children it is about."""

    concern_id: int
    reference: str
    status: Status
    # ``None`` for the concern's account (what the reporter wrote); otherwise the chronology entry's id and kind.
    event_id: int | None
    kind: str
    at: datetime
    # The entry's words in full: the account and what was already done, or an entry's summary and its text.
    text: str
    children: list[QueuePupil]


def _text_conditions(dialect: str) -> tuple[Any, Any]:
    """Whether a concern's account, and a chronology entry, hold every word searched for (bound as ``words``)."""
    words: BindParameter[str] = bindparam("words", type_=String())
    if dialect == "postgresql":
        query = func.plainto_tsquery(literal_column("'english'"), words)
        return literal_column(_ACCOUNT_VECTOR).op("@@")(query), literal_column(_ENTRY_VECTOR).op("@@")(query)

    def fts(table: str) -> Any:
        return (
            select(literal_column("rowid"))
            .select_from(text_clause(table))
            .where(literal_column(table).op("MATCH")(words))
        )

    return Concern.id.in_(fts("concerns_fts")), ConcernEvent.id.in_(fts("concern_events_fts"))


@functools.cache
def _text_search_statement(dialect: str) -> Select[Any]:
    """The school's accounts and chronology entries that hold the words, newest first, with their concerns."""
    account_matches, entry_matches = _text_conditions(dialect)
    accounts_found: Any = select(
        Concern.id.label("concern_id"),
        null().label("event_id"),
        literal_column("'account'").label("kind"),
        Concern.logged_at.label("at"),
        (Concern.account + literal_column("'\n\n'") + func.coalesce(Concern.already_done, "")).label("body"),
    ).where(Concern.school_id == _SCHOOL, account_matches, _VISIBLE)
    entries_found = select(
        ConcernEvent.concern_id,
        ConcernEvent.id,
        ConcernEvent.kind,
        ConcernEvent.at,
        (ConcernEvent.summary + literal_column("'\n\n'") + func.coalesce(ConcernEvent.text, "")).label("body"),
    ).where(
        ConcernEvent.school_id == _SCHOOL,
        entry_matches,
        concern_id_visible(ConcernEvent.concern_id, _SCHOOL),
        _ENTRY_SHOWN,
    )
    found = (
        union_all(accounts_found, entries_found)
        .order_by(literal_column("at").desc(), literal_column("event_id").desc())
        .limit(bindparam("limit", type_=Integer(), literal_execute=True))
        .subquery()
    )
    return (
        select(found, Concern.reference, Concern.status, _ROW_PUPILS.label("pupils"))
        .join(Concern, Concern.id == found.c.concern_id)
        .where(Concern.school_id == _SCHOOL)
        .order_by(found.c.at.desc(), found.c.event_id.desc())
    )


def text_matches(school_id: int, words: Sequence[str], viewer: Viewer) -> list[TextMatch]:
    """The school's accounts and chronology entries holding every one of ``words`` (stemmed: "bruises" finds
    "bruised") of the concerns ``viewer`` may see, newest first, at most :data:`TEXT_SEARCH_LIMIT` + 1."""
    connection = transaction_connection()
    dialect = connection.dialect.name
    # Each word quoted for FTS5, so that nothing typed is read as its query syntax; PostgreSQL's plainto_tsquery
    # reads plain words already.
    bound = " ".join(words) if dialect == "postgresql" else " ".join(f'"{word}"' for word in words)
    rows = connection.execute(
        _text_search_statement(dialect),
        {"school_id": school_id, "words": bound, "limit": TEXT_SEARCH_LIMIT + 1} | viewer.values(),
    ).mappings()
    return [
        TextMatch(
            concern_id=row["concern_id"],
            reference=row["reference"],
            status=Status(row["status"]),
            event_id=row["event_id"],
            kind=row["kind"],
            at=row["at"],
            text=(row["body"] or "").strip(),
            children=[
                QueuePupil(display_name(p["first"], p["last"], p["preferred"]), Part(p["part"]))
                for p in sorted(json_nested(row["pupils"]) or (), key=lambda p: p["position"])
            ],
        )
        for row in rows
    ]
