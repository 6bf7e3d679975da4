"""Every statement about who may see a record, and the one SQL condition every list of concerns is read through.

:func:`concern_visible` is the condition: the rule itself is :func:`safeguard.auth.permissions.may_see` (values or
columns), given here the columns and sub-queries it needs. Every list that shows, counts or names a concern (the
queue and its counts, the searches, a child's page and chronology, linked concerns, alerts, the oversight page,
exports) puts it into its own statement, with the values of :func:`viewer_values`, so that no page filters rows
after reading them and no side door (a link, a child, a category) widens who sees a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    and_,
    bindparam,
    exists,
    literal_column,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import aliased

from safeguard.access.models import AccessLevel, GrantKind, RecordAccess
from safeguard.audit.models import AuditEvent
from safeguard.auth.models import User
from safeguard.auth.permissions import Viewer, may_see
from safeguard.concerns.models import Concern, ConcernPupil
from safeguard.core.extensions import db
from safeguard.core.sqltypes import UTCDateTime
from safeguard.core.statements import transaction_connection
from safeguard.pupils.models import Pupil

# The person a list is read for: their id, and whether they are of the DSL team or the head (who see standard
# records). Bound by every statement using the condition, with ``now`` (grants end by themselves).
VIEWER: BindParameter[int] = bindparam("viewer_id")
TEAM: BindParameter[bool] = bindparam("viewer_team", type_=Boolean())
NOW: BindParameter[datetime] = bindparam("now", type_=UTCDateTime())
_STANDARD: ColumnElement[str] = literal_column(f"'{AccessLevel.STANDARD.value}'")


def viewer_values(viewer_id: int | None, team: bool, now: datetime) -> dict[str, Any]:
    """The values a statement using :func:`concern_visible` binds for one person at ``now``."""
    return Viewer(viewer_id, team, now).values()


def _live(grant: Any) -> ColumnElement[bool]:
    """A grant in force: not revoked, and not past its end."""
    return and_(grant.revoked_at.is_(None), or_(grant.ends_at.is_(None), grant.ends_at > NOW))


def _tables_of(*expressions: Any) -> list[Any]:
    """The tables (or aliases) the expressions read from: those a sub-query about them correlates with."""
    tables: list[Any] = []
    for expression in expressions:
        for table in getattr(expression, "_from_objects", ()):
            if table not in tables:
                tables.append(table)
    return tables


def concern_visible(
    concern_id: Any, level: Any, school_id: Any, viewer: Any = VIEWER, team: Any = TEAM
) -> ColumnElement[bool]:
    """Whether the viewer may see the concern of ``concern_id`` and ``level`` (columns of the enclosing statement).

    Standard concerns are seen by the team, unless one of the concern's children has a restricted or sealed file
    the viewer is not named on; anything else only through a grant in force (named, case team, emergency access).
    Whether the school has any restricted file at all is asked first, once per statement (an uncorrelated
    sub-query over a small partial index), so that a school without one pays nothing per row.
    """
    # The enclosing statement's tables, correlated explicitly: these sub-queries are nested two deep, and
    # auto-correlation only reaches the statement immediately around a sub-query.
    outer = _tables_of(concern_id, level, school_id, viewer)
    grant = aliased(RecordAccess)
    granted = (
        exists()
        .where(grant.school_id == school_id, grant.concern_id == concern_id, grant.user_id == viewer, _live(grant))
        .correlate(*outer)
    )
    any_file, child, link, file_grant = aliased(Pupil), aliased(Pupil), aliased(ConcernPupil), aliased(RecordAccess)
    school_has_restricted_files = (
        exists().where(any_file.school_id == school_id, any_file.access_level != _STANDARD).correlate(*outer)
    )
    named_on_file = (
        exists()
        .where(
            file_grant.school_id == school_id,
            file_grant.pupil_id == child.id,
            file_grant.user_id == viewer,
            file_grant.kind == GrantKind.LISTED.value,
            _live(file_grant),
        )
        .correlate(*outer, child)
    )
    child_withheld = (
        exists()
        .where(
            link.school_id == school_id,
            link.concern_id == concern_id,
            child.id == link.pupil_id,
            child.school_id == school_id,
            child.access_level != _STANDARD,
            not_(named_on_file),
        )
        .correlate(*outer)
    )
    children_clear = or_(not_(school_has_restricted_files), not_(child_withheld))
    visible: ColumnElement[bool] = may_see(level, team, children_clear, granted)
    return visible


def visible_concern_ids(school_id: Any) -> Any:
    """The ids of the school's concerns the viewer may see, as a sub-query (for lists keyed by a concern's id)."""
    seen = aliased(Concern)
    return select(seen.id).where(
        seen.school_id == school_id, concern_visible(seen.id, seen.access_level, seen.school_id)
    )


def concern_id_visible(concern_id: Any, school_id: Any) -> ColumnElement[bool]:
    """Whether the viewer may see the concern of ``concern_id`` (a column of another table: a follow-up, an alert)."""
    seen = aliased(Concern)
    outer = _tables_of(concern_id, school_id)
    return (
        exists()
        .where(
            seen.id == concern_id,
            seen.school_id == school_id,
            concern_visible(seen.id, seen.access_level, seen.school_id),
        )
        .correlate(*outer)
    )


# ---------------------------------------------------------------------------------------------------------------
# One concern, for its page


@dataclass(frozen=True)
class Standing:
    """What the viewer holds on one concern: whether the lists' condition lets them see it, and by which grants."""

    visible: bool
    case_team: bool
    emergency: bool


_SCHOOL: BindParameter[int] = bindparam("school_id")
_CONCERN: BindParameter[int] = bindparam("concern_id")


def _holds(kind: GrantKind) -> Any:
    grant = aliased(RecordAccess)
    return exists().where(
        grant.school_id == _SCHOOL,
        grant.concern_id == _CONCERN,
        grant.user_id == VIEWER,
        grant.kind == kind.value,
        _live(grant),
    )


_STANDING = select(
    concern_visible(Concern.id, Concern.access_level, _SCHOOL).label("visible"),
    _holds(GrantKind.CASE_TEAM).label("case_team"),
    _holds(GrantKind.BREAK_GLASS).label("emergency"),
).where(Concern.school_id == _SCHOOL, Concern.id == _CONCERN)


def standing(school_id: int, concern_id: int, viewer_id: int, team: bool, now: datetime) -> Standing:
    """The viewer's standing on one concern, by the lists' own condition (one statement)."""
    values = {"school_id": school_id, "concern_id": concern_id} | viewer_values(viewer_id, team, now)
    row = transaction_connection().execute(_STANDING, values).first()
    if row is None:
        return Standing(False, False, False)
    return Standing(bool(row.visible), bool(row.case_team), bool(row.emergency))


_PUPIL: BindParameter[int] = bindparam("pupil_id")
_FILE_GRANT = aliased(RecordAccess)
_FILE_STANDING = select(
    Pupil.access_level,
    exists()
    .where(
        _FILE_GRANT.school_id == _SCHOOL,
        _FILE_GRANT.pupil_id == Pupil.id,
        _FILE_GRANT.user_id == VIEWER,
        _live(_FILE_GRANT),
    )
    .label("named"),
).where(Pupil.school_id == _SCHOOL, Pupil.id == _PUPIL)


def file_named(school_id: int, pupil_id: int, viewer_id: int, now: datetime) -> tuple[str, bool] | None:
    """A child's file's level and whether the viewer is named on it, or ``None`` (no such child)."""
    values = {"school_id": school_id, "pupil_id": pupil_id} | viewer_values(viewer_id, False, now)
    row = transaction_connection().execute(_FILE_STANDING, values).first()
    return (row.access_level, bool(row.named)) if row else None


_WHO_MAY_SEE = (
    select(User.id)
    .select_from(Concern)
    .join(User, and_(User.school_id == _SCHOOL, User.id.in_(bindparam("user_ids", expanding=True))))
    .where(
        Concern.school_id == _SCHOOL,
        Concern.id == _CONCERN,
        concern_visible(Concern.id, Concern.access_level, _SCHOOL, viewer=User.id, team=true()),
    )
)


def who_may_see(school_id: int, concern_id: int, user_ids: list[int], now: datetime) -> set[int]:
    """Which of ``user_ids`` (of the DSL team and the head) may see a concern, by the lists' own condition: whom
    an alert about it may go to."""
    if not user_ids:
        return set()
    values = {"school_id": school_id, "concern_id": concern_id, "user_ids": list(user_ids), "now": now}
    return set(db.session.scalars(_WHO_MAY_SEE, values))


# ---------------------------------------------------------------------------------------------------------------
# Grants


@dataclass(frozen=True)
class GrantRow:
    """A grant on a record, with the people it names."""

    id: int
    user_id: int
    person: str
    kind: str
    granted_by: str
    granted_at: datetime
    ends_at: datetime | None
    revoked_at: datetime | None
    reason: str


_GRANTED_BY = aliased(User)
_GRANTS = (
    select(
        RecordAccess.id,
        RecordAccess.user_id,
        User.display_name.label("person"),
        RecordAccess.kind,
        _GRANTED_BY.display_name.label("granted_by"),
        RecordAccess.granted_at,
        RecordAccess.ends_at,
        RecordAccess.revoked_at,
        RecordAccess.reason,
    )
    .join(User, User.id == RecordAccess.user_id)
    .join(_GRANTED_BY, _GRANTED_BY.id == RecordAccess.granted_by_id)
    .where(RecordAccess.school_id == _SCHOOL)
    .order_by(RecordAccess.granted_at, RecordAccess.id)
)
_CONCERN_GRANTS = _GRANTS.where(RecordAccess.concern_id == _CONCERN)
_FILE_GRANTS = _GRANTS.where(RecordAccess.pupil_id == _PUPIL)


def concern_grants(school_id: int, concern_id: int) -> list[GrantRow]:
    """Every grant ever made on a concern (ended ones too), oldest first."""
    rows = db.session.execute(_CONCERN_GRANTS, {"school_id": school_id, "concern_id": concern_id})
    return [GrantRow(**row._mapping) for row in rows]


def file_grants(school_id: int, pupil_id: int) -> list[GrantRow]:
    """Every grant ever made on a child's file, oldest first."""
    rows = db.session.execute(_FILE_GRANTS, {"school_id": school_id, "pupil_id": pupil_id})
    return [GrantRow(**row._mapping) for row in rows]


_ADD_GRANT = RecordAccess.__table__.insert().returning(RecordAccess.__table__.c.id)
_GRANTS_TABLE = RecordAccess.__table__


def insert_grant(columns: dict[str, Any]) -> int:
    """Add a grant; return its id."""
    return int(transaction_connection().execute(_ADD_GRANT, columns).scalar_one())


def revoke_grants(school_id: int, ids: list[int], by_id: int, now: datetime) -> int:
    """End grants now (those not ended already); return how many."""
    if not ids:
        return 0
    statement = (
        update(_GRANTS_TABLE)
        .where(
            _GRANTS_TABLE.c.school_id == school_id,
            _GRANTS_TABLE.c.id.in_(ids),
            _GRANTS_TABLE.c.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_by_id=by_id)
    )
    return int(transaction_connection().execute(statement).rowcount)


def set_concern_level(school_id: int, concern_id: int, level: AccessLevel) -> None:
    """Set a concern's access level (not a change of its record: its version stays; the event says it)."""
    table = Concern.__table__
    transaction_connection().execute(
        update(table).where(table.c.school_id == school_id, table.c.id == concern_id).values(access_level=level.value)
    )


def set_file_level(school_id: int, pupil_id: int, level: AccessLevel) -> None:
    """Set a child's whole file's access level."""
    table = Pupil.__table__
    transaction_connection().execute(
        update(table).where(table.c.school_id == school_id, table.c.id == pupil_id).values(access_level=level.value)
    )


_LEVELS = (
    select(Concern.id, Concern.access_level.label("concern_level"), Pupil.access_level.label("file_level"))
    .join(ConcernPupil, (ConcernPupil.concern_id == Concern.id) & (ConcernPupil.school_id == Concern.school_id))
    .join(Pupil, (Pupil.id == ConcernPupil.pupil_id) & (Pupil.school_id == Concern.school_id))
    .where(Concern.school_id == bindparam("school_id"), Concern.id.in_(bindparam("concern_ids", expanding=True)))
)


def levels_of(school_id: int, concern_ids: list[int]) -> dict[int, AccessLevel]:
    """Each concern's level as it is held: the strictest of its own and of its children's files (a concern about a
    child whose file is sealed is sealed with it)."""
    levels: dict[int, AccessLevel] = {}
    if not concern_ids:
        return levels
    for row in transaction_connection().execute(_LEVELS, {"school_id": school_id, "concern_ids": concern_ids}):
        held = max(AccessLevel(row.concern_level), AccessLevel(row.file_level), key=lambda level: level.rank)
        kept = levels.get(row.id, AccessLevel.STANDARD)
        levels[row.id] = held if held.rank > kept.rank else kept
    return levels


# ---------------------------------------------------------------------------------------------------------------
# Who has seen this: the audited views


@dataclass(frozen=True)
class ViewRow:
    """One audited view of a record."""

    at: datetime
    person: str | None
    kind: str
    summary: str
    detail: dict[str, Any]


_VIEWS = (
    select(AuditEvent.at, User.display_name.label("person"), AuditEvent.kind, AuditEvent.summary, AuditEvent.detail)
    .outerjoin(User, User.id == AuditEvent.actor_id)
    .where(
        AuditEvent.school_id == _SCHOOL,
        AuditEvent.subject_type == bindparam("subject_type"),
        AuditEvent.subject_id == bindparam("subject_id"),
    )
    .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    .limit(500)
)


def views_of(school_id: int, subject_type: str, subject_id: int) -> list[ViewRow]:
    """The audit rows about one record (views, exports, emergency access), newest first, at most 500."""
    values = {"school_id": school_id, "subject_type": subject_type, "subject_id": subject_id}
    return [ViewRow(**row._mapping) for row in db.session.execute(_VIEWS, values)]
