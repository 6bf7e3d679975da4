"""Every statement of retention: the files that came due, the review queue, holds, and what a disposal destroys.

A disposal's statements (:func:`destroy_content`) are the only writes in Safeguard that change a concern's account,
its chronology entries and its body map marks after they were recorded; the database allows them on the chronology
and the marks only for a concern listed in ``disposed_concerns`` (migration 0016), and only to the placeholder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, event, exists, func, insert, not_, or_, select, text, update
from sqlalchemy.orm import Session

from safeguard.audit import records
from safeguard.auth.models import Role, User, UserRole
from safeguard.bodymap.models import BodyMark
from safeguard.concerns.models import Attachment, Concern, ConcernCategory, ConcernEvent, ConcernPupil, FollowUp
from safeguard.core.extensions import db
from safeguard.core.statements import transaction_connection
from safeguard.exports.models import Export
from safeguard.notifications.models import OutboxMessage
from safeguard.pupils.models import Pupil
from safeguard.retention.models import Disposal, DisposedConcern, LegalHold, RetentionPeriod, RetentionReview
from safeguard.schools.models import School

logger = logging.getLogger("safeguard.retention")

# What destroyed text says (migration 0016's triggers allow exactly this in a chronology entry's summary).
DESTROYED = "[Content destroyed under the retention schedule]"
# Reviews still to be decided, or decided in a way that stops a new one opening.
UNDECIDED = ("open", "held", "disposal_proposed")


# ---------------------------------------------------------------------------------------------------------------
# The lead DSL


def lead_dsl_id(school_id: int) -> int | None:
    """Who decides retention reviews with the head: the school's lead DSL (``schools.lead_dsl_id``, see
    ``auth.services.lead_dsl``) while they are an active DSL, otherwise its first active DSL (by id), so that a
    school that has not named one can still dispose with two people. ``None`` when the school has no active DSL."""
    lead = (
        select(User.id)
        .join(School, School.lead_dsl_id == User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(School.id == school_id, User.active.is_(True), UserRole.role == Role.DSL.value)
    )
    chosen = db.session.scalar(lead)
    if chosen is not None:
        return int(chosen)
    first = (
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.school_id == school_id, User.active.is_(True), UserRole.role == Role.DSL.value)
        .order_by(User.id)
        .limit(1)
    )
    found = db.session.scalar(first)
    return int(found) if found is not None else None


def user(school_id: int, user_id: int | None) -> User | None:
    """A person of the school, or ``None``."""
    if user_id is None:
        return None
    return db.session.scalar(select(User).where(User.school_id == school_id, User.id == user_id))


def heads(school_id: int) -> list[User]:
    """The school's active heads."""
    statement = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.school_id == school_id, User.active.is_(True), UserRole.role == Role.HEAD.value)
        .order_by(User.id)
    )
    return list(db.session.scalars(statement))


# ---------------------------------------------------------------------------------------------------------------
# The school's periods


def school_periods(school_id: int) -> dict[str, int]:
    """The periods (in years or days, as the schedule gives them) a school lengthened, by kind of record."""
    rows = db.session.execute(
        select(RetentionPeriod.kind, RetentionPeriod.years).where(RetentionPeriod.school_id == school_id)
    )
    return {row.kind: row.years for row in rows}


def set_period(school_id: int, kind: str, years: int, reason: str, set_by_id: int, now: datetime) -> None:
    """Record a school's own period for a kind of record (replacing an earlier one)."""
    connection = transaction_connection()
    table = RetentionPeriod.__table__
    connection.execute(delete(table).where(table.c.school_id == school_id, table.c.kind == kind))
    connection.execute(
        insert(table).values(
            school_id=school_id, kind=kind, years=years, reason=reason, set_by_id=set_by_id, set_at=now
        )
    )


# ---------------------------------------------------------------------------------------------------------------
# Files that came due


@dataclass(frozen=True)
class Candidate:
    """A child whose file may have come due: the facts the schedule's rule needs."""

    pupil_id: int
    upn: str
    date_of_birth: date
    left_on: date | None
    last_logged: datetime | None
    kept_until: date | None


_HAS_CONCERN = exists().where(ConcernPupil.school_id == Pupil.school_id, ConcernPupil.pupil_id == Pupil.id)
_BLOCKING_REVIEW = exists().where(
    RetentionReview.school_id == Pupil.school_id,
    RetentionReview.pupil_id == Pupil.id,
    or_(
        RetentionReview.status.in_((*UNDECIDED, "disposed")),
        and_(RetentionReview.status == "kept", RetentionReview.kept_until > bindparam("today")),
    ),
)
_LAST_LOGGED = (
    select(func.max(Concern.logged_at))
    .join(ConcernPupil, ConcernPupil.concern_id == Concern.id)
    .where(ConcernPupil.pupil_id == Pupil.id, Concern.school_id == Pupil.school_id)
    .scalar_subquery()
)
_KEPT_UNTIL = (
    select(func.max(RetentionReview.kept_until))
    .where(RetentionReview.pupil_id == Pupil.id, RetentionReview.school_id == Pupil.school_id)
    .scalar_subquery()
)
_CANDIDATES = (
    select(
        Pupil.id.label("pupil_id"),
        Pupil.upn,
        Pupil.date_of_birth,
        Pupil.left_on,
        _LAST_LOGGED.label("last_logged"),
        _KEPT_UNTIL.label("kept_until"),
    )
    .where(
        Pupil.school_id == bindparam("school_id"),
        Pupil.date_of_birth <= bindparam("born_by"),
        _HAS_CONCERN,
        not_(_BLOCKING_REVIEW),
    )
    .order_by(Pupil.date_of_birth, Pupil.id)
)


def candidates(school_id: int, born_by: date, today: date) -> list[Candidate]:
    """Children with a safeguarding file, born on or before ``born_by``, with no review open, held, proposed for
    disposal or disposed of, and not kept beyond ``today``."""
    rows = db.session.execute(_CANDIDATES, {"school_id": school_id, "born_by": born_by, "today": today})
    found = [Candidate(**row._mapping) for row in rows]
    return found


def categories_of(school_id: int, pupil_ids: Sequence[int]) -> dict[int, set[str]]:
    """The categories of each child's concerns."""
    if not pupil_ids:
        return {}
    statement = (
        select(ConcernPupil.pupil_id, ConcernCategory.category_id)
        .join(ConcernCategory, ConcernCategory.concern_id == ConcernPupil.concern_id)
        .where(ConcernPupil.school_id == school_id, ConcernPupil.pupil_id.in_(list(pupil_ids)))
        .distinct()
    )
    found: dict[int, set[str]] = {}
    for row in db.session.execute(statement):
        found.setdefault(row.pupil_id, set()).add(row.category_id)
    return found


def add_review(values: dict[str, Any]) -> int:
    """Open a review; its id."""
    table = RetentionReview.__table__
    return int(transaction_connection().execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


# ---------------------------------------------------------------------------------------------------------------
# The queue and a review


@dataclass(frozen=True)
class ReviewRow:
    """A review as the queue lists it."""

    id: int
    pupil_id: int
    upn: str
    legal_first_name: str
    legal_last_name: str
    date_of_birth: date
    left_on: date | None
    due_on: date
    basis: str
    status: str
    opened_at: datetime
    decided_at: datetime | None
    kept_until: date | None
    reason: str | None


_REVIEWS = (
    select(
        RetentionReview.id,
        RetentionReview.pupil_id,
        Pupil.upn,
        Pupil.legal_first_name,
        Pupil.legal_last_name,
        Pupil.date_of_birth,
        Pupil.left_on,
        RetentionReview.due_on,
        RetentionReview.basis,
        RetentionReview.status,
        RetentionReview.opened_at,
        RetentionReview.decided_at,
        RetentionReview.kept_until,
        RetentionReview.reason,
    )
    .join(Pupil, and_(Pupil.id == RetentionReview.pupil_id, Pupil.school_id == RetentionReview.school_id))
    .where(RetentionReview.school_id == bindparam("school_id"))
)
_QUEUE = _REVIEWS.where(RetentionReview.status.in_(UNDECIDED)).order_by(RetentionReview.due_on, RetentionReview.id)
_RECENT = _REVIEWS.where(RetentionReview.status == "kept").order_by(RetentionReview.decided_at.desc()).limit(20)


def queue(school_id: int) -> list[ReviewRow]:
    """Reviews to decide (open, held, disposal proposed), oldest due first."""
    return [ReviewRow(**row._mapping) for row in db.session.execute(_QUEUE, {"school_id": school_id})]


def recently_kept(school_id: int) -> list[ReviewRow]:
    """The last 20 files kept for a further period."""
    return [ReviewRow(**row._mapping) for row in db.session.execute(_RECENT, {"school_id": school_id})]


def review(school_id: int, review_id: int) -> RetentionReview | None:
    """A review of the school, or ``None``."""
    statement = select(RetentionReview).where(RetentionReview.school_id == school_id, RetentionReview.id == review_id)
    return db.session.scalar(statement)


def pupil(school_id: int, pupil_id: int) -> Pupil | None:
    """A pupil of the school."""
    return db.session.scalar(select(Pupil).where(Pupil.school_id == school_id, Pupil.id == pupil_id))


@dataclass(frozen=True)
class FileConcern:
    """A concern of a child's file, as the review shows it: no account, only what the decision needs."""

    id: int
    reference: str
    logged_at: datetime
    status: str
    # Other children the concern is about: its content is kept while their files are.
    others: int
    categories: str


def file_concerns(school_id: int, pupil_id: int) -> list[FileConcern]:
    """The concerns of a child's file, oldest first, with how many other children each is about."""
    others = (
        select(func.count())
        .where(ConcernPupil.concern_id == Concern.id, ConcernPupil.pupil_id != pupil_id)
        .where(not_(exists().where(DisposedConcern.concern_id == Concern.id)))
        .scalar_subquery()
    )
    mine = select(ConcernPupil.concern_id).where(ConcernPupil.school_id == school_id, ConcernPupil.pupil_id == pupil_id)
    statement = (
        select(Concern.id, Concern.reference, Concern.logged_at, Concern.status, others.label("others"))
        .where(Concern.school_id == school_id, Concern.id.in_(mine))
        .order_by(Concern.logged_at, Concern.id)
    )
    rows = list(db.session.execute(statement))
    labels: dict[int, list[str]] = {}
    if rows:
        for link in db.session.execute(
            select(ConcernCategory.concern_id, ConcernCategory.label)
            .where(ConcernCategory.concern_id.in_([r.id for r in rows]))
            .order_by(ConcernCategory.concern_id, ConcernCategory.position)
        ):
            labels.setdefault(link.concern_id, []).append(link.label)
    return [
        FileConcern(r.id, r.reference, r.logged_at, r.status, int(r.others), ", ".join(labels.get(r.id, [])))
        for r in rows
    ]


# ---------------------------------------------------------------------------------------------------------------
# Holds


def active_holds(school_id: int, pupil_id: int | None = None) -> list[LegalHold]:
    """Holds not lifted, of one child or of the school, oldest first."""
    statement = select(LegalHold).where(LegalHold.school_id == school_id, LegalHold.lifted_at.is_(None))
    if pupil_id is not None:
        statement = statement.where(LegalHold.pupil_id == pupil_id)
    return list(db.session.scalars(statement.order_by(LegalHold.placed_at)))


def hold(school_id: int, hold_id: int) -> LegalHold | None:
    """A hold of the school."""
    return db.session.scalar(select(LegalHold).where(LegalHold.school_id == school_id, LegalHold.id == hold_id))


def add(record: Any) -> None:
    """Add a new row (a hold, a disposal proposal) and give it its id."""
    db.session.add(record)
    db.session.flush()


# ---------------------------------------------------------------------------------------------------------------
# Disposals


def disposal(school_id: int, disposal_id: int) -> Disposal | None:
    """A disposal of the school."""
    return db.session.scalar(select(Disposal).where(Disposal.school_id == school_id, Disposal.id == disposal_id))


def pending_disposal(school_id: int, review_id: int) -> Disposal | None:
    """The review's disposal awaiting approval, if any."""
    statement = select(Disposal).where(
        Disposal.school_id == school_id, Disposal.review_id == review_id, Disposal.status == "proposed"
    )
    return db.session.scalar(statement)


def disposals(
    school_id: int, status: str, start: datetime | None = None, end: datetime | None = None
) -> list[Disposal]:
    """The school's disposals in a state (destroyed ones within ``start``..``end`` when given), newest first."""
    statement = select(Disposal).where(Disposal.school_id == school_id, Disposal.status == status)
    if start is not None and end is not None:
        statement = statement.where(Disposal.destroyed_at >= start, Disposal.destroyed_at < end)
    return list(db.session.scalars(statement.order_by(Disposal.proposed_at.desc(), Disposal.id.desc())))


def next_reference(school_id: int, code: str, year: int) -> str:
    """The next destruction record's reference of the school's year: DR-OAK-2026-0001."""
    prefix = f"DR-{code}-{year}-"
    count = db.session.scalar(
        select(func.count()).where(Disposal.school_id == school_id, Disposal.reference.like(prefix + "%"))
    )
    return f"{prefix}{int(count or 0) + 1:04d}"


@dataclass(frozen=True)
class Destroyed:
    """What a disposal destroyed, in counts (kept in the destruction record), and the files to remove on commit."""

    concerns: int
    events: int
    marks: int
    attachments: int
    kept_shared: int
    files: tuple[str, ...]


def _destroyable(school_id: int, pupil_id: int) -> tuple[list[int], list[int]]:
    """The child's concerns about no other child still held (destroyed), and those shared with one (kept)."""
    rows = file_concerns(school_id, pupil_id)
    return [r.id for r in rows if r.others == 0], [r.id for r in rows if r.others > 0]


def _purge_search_index(connection: Any) -> None:
    """SQLite: the FTS5 tables' triggers removed the old words from the index; merging the segments drops the
    segments that still held them (with ``secure_delete``, their pages are overwritten)."""
    for table in ("concerns_fts", "concern_events_fts"):
        connection.execute(text(f"INSERT INTO {table} ({table}) VALUES ('optimize')"))  # noqa: S608 (fixed names)


def destroy_content(disposal: Disposal, code: str, now: datetime) -> Destroyed:
    """Destroy the content of a child's file: the statements below, in this order, in the request's transaction.

    1. ``INSERT disposed_concerns`` (the destruction record's concerns: what the triggers check), and the disposal
       of each sealed in the records chain (``audit.records.seal_disposal``);
    2. ``UPDATE concerns SET account, already_done, location, wording_kept_reason, outcome_rationale``;
    3. ``UPDATE concern_events SET summary = DESTROYED, text = NULL, detail = {}`` (every other column as it was);
    4. ``UPDATE body_marks SET shape = '', colour = '', child_words = ''``;
    5. ``UPDATE follow_ups SET what``; ``UPDATE attachments SET original_name, description`` (the files are removed
       from disk when the transaction commits);
    6. ``UPDATE exports SET reason, parameters`` of the exports of the child and of those concerns;
    7. ``DELETE outbox_messages`` naming a destroyed concern's reference;
    8. ``UPDATE pupils`` (names, UPN as the destruction record's reference, date of birth to 1 January of its year,
       year group, class, flags, destination and transfer);
    9. on SQLite, the text-search index merged (the triggers have removed the old words).
    """
    school_id, pupil_id = disposal.school_id, disposal.pupil_id
    connection = transaction_connection()
    if connection.dialect.name == "sqlite":
        # Freed space in the database file is overwritten with zeros, so destroyed text leaves the file itself.
        connection.execute(text("PRAGMA secure_delete = ON"))
    destroyed, kept = _destroyable(school_id, pupil_id)
    files: list[str] = []
    counts = {"events": 0, "marks": 0, "attachments": 0}
    if destroyed:
        connection.execute(
            insert(DisposedConcern.__table__),
            [{"concern_id": c, "disposal_id": disposal.id, "school_id": school_id} for c in destroyed],
        )
        references = list(
            db.session.scalars(
                select(Concern.reference).where(Concern.school_id == school_id, Concern.id.in_(destroyed))
            )
        )
        # Sealed in the records chain first: from then on the concern and its entries are verified by the hashes the
        # chain holds, and the database lets their content be replaced (safeguard.audit.records).
        for concern_id in destroyed:
            records.seal_disposal(school_id, concern_id)
        mine = Concern.__table__.c.id.in_(destroyed)
        connection.execute(
            update(Concern.__table__)
            .where(Concern.__table__.c.school_id == school_id, mine)
            .values(
                account=DESTROYED,
                already_done="",
                location="",
                wording_kept_reason=None,
                outcome_rationale=None,
                updated_at=now,
                version=Concern.__table__.c.version + 1,
            )
        )
        events = ConcernEvent.__table__
        counts["events"] = connection.execute(
            update(events)
            .where(events.c.school_id == school_id, events.c.concern_id.in_(destroyed))
            .values(summary=DESTROYED, text=None, detail={})
        ).rowcount
        marks = BodyMark.__table__
        counts["marks"] = connection.execute(
            update(marks)
            .where(marks.c.school_id == school_id, marks.c.concern_id.in_(destroyed))
            .values(shape="", colour="", child_words="")
        ).rowcount
        follow_ups = FollowUp.__table__
        connection.execute(
            update(follow_ups)
            .where(follow_ups.c.school_id == school_id, follow_ups.c.concern_id.in_(destroyed))
            .values(what=DESTROYED[:300])
        )
        attachments = Attachment.__table__
        files = list(
            connection.execute(
                select(attachments.c.storage_name).where(
                    attachments.c.school_id == school_id, attachments.c.concern_id.in_(destroyed)
                )
            ).scalars()
        )
        counts["attachments"] = connection.execute(
            update(attachments)
            .where(attachments.c.school_id == school_id, attachments.c.concern_id.in_(destroyed))
            .values(original_name="destroyed", description="")
        ).rowcount
        _destroy_messages(connection, school_id, references)
    _destroy_exports(connection, school_id, pupil_id, destroyed)
    _destroy_identity(connection, school_id, pupil_id, disposal.reference)
    if connection.dialect.name == "sqlite":
        _purge_search_index(connection)
    return Destroyed(len(destroyed), counts["events"], counts["marks"], counts["attachments"], len(kept), tuple(files))


def _destroy_messages(connection: Any, school_id: int, references: Iterable[str]) -> None:
    outbox = OutboxMessage.__table__
    for reference in references:
        pattern = f"%{reference}%"
        connection.execute(
            delete(outbox).where(
                outbox.c.school_id == school_id, or_(outbox.c.subject.like(pattern), outbox.c.body.like(pattern))
            )
        )


def _destroy_exports(connection: Any, school_id: int, pupil_id: int, concern_ids: Sequence[int]) -> None:
    exports = Export.__table__
    about = or_(
        and_(exports.c.kind.in_(("child_file", "transfer", "sar")), exports.c.subject_id == pupil_id),
        and_(exports.c.kind == "concern", exports.c.subject_id.in_(list(concern_ids) or [-1])),
    )
    connection.execute(
        update(exports).where(exports.c.school_id == school_id, about).values(reason=DESTROYED, parameters="{}")
    )


def _destroy_identity(connection: Any, school_id: int, pupil_id: int, reference: str) -> None:
    pupils = Pupil.__table__
    born = connection.execute(
        select(pupils.c.date_of_birth).where(pupils.c.school_id == school_id, pupils.c.id == pupil_id)
    ).scalar_one()
    connection.execute(
        update(pupils)
        .where(pupils.c.school_id == school_id, pupils.c.id == pupil_id)
        .values(
            upn=reference,
            legal_first_name="Destroyed",
            legal_last_name="record",
            preferred_name=None,
            search_key=reference.lower(),
            date_of_birth=born.replace(month=1, day=1),
            year_group="",
            class_name="",
            child_protection_plan=False,
            child_in_need=False,
            looked_after=False,
            previously_looked_after=False,
            send=False,
            destination_school=None,
            transfer_to=None,
            transfer_method=None,
        )
    )


# ---------------------------------------------------------------------------------------------------------------
# The outbox's own period


def delete_sent_messages(school_id: int, sent_before: datetime) -> int:
    """Delete the school's e-mails delivered before ``sent_before``; how many."""
    outbox = OutboxMessage.__table__
    result = transaction_connection().execute(
        delete(outbox).where(
            outbox.c.school_id == school_id, outbox.c.sent_at.is_not(None), outbox.c.sent_at < sent_before
        )
    )
    return int(result.rowcount or 0)


def schools() -> list[School]:
    """Every school, in order of code."""
    return list(db.session.scalars(select(School).order_by(School.code)))


# ---------------------------------------------------------------------------------------------------------------
# After the commit: the WAL of SQLite


_CHECKPOINT = "safeguard.retention.checkpoint"


def checkpoint_after_commit() -> None:
    """On SQLite, once the transaction commits, copy the write-ahead log into the database file and truncate it, so
    the pages that held destroyed text before the disposal are no longer in the log."""
    session = db.session()
    session.info[_CHECKPOINT] = True


@event.listens_for(db.session, "after_commit")
def _checkpoint(session: Session) -> None:
    if not session.info.pop(_CHECKPOINT, False):
        return
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    logger.info("write-ahead log checkpointed after a disposal")
