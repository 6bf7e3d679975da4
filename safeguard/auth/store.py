"""Statements about accounts that other features read: the people to list or to alert.

Rows are decoded by name. The queue takes its list of DSLs from here as a labelled sub-query, so that it stays one
statement while accounts keep their own rules (who is active, who holds a role).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    Date,
    Exists,
    Label,
    SQLColumnExpression,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
    union,
    update,
)
from sqlalchemy.orm import lazyload

from safeguard.auth.models import (
    AccountLink,
    AccountRequest,
    Membership,
    Role,
    SignInSession,
    User,
    UserRole,
    is_away,
    is_cover,
    users_with_role,
)
from safeguard.core.extensions import db
from safeguard.core.sqltypes import UTCDateTime, json_nested, json_objects
from safeguard.core.statements import transaction_connection
from safeguard.schools.models import School
from safeguard.trusts.models import GrantStatus, TrustAccessGrant


class Person(NamedTuple):
    """A member of staff as a list shows them."""

    id: int
    display_name: str


class Recipient(NamedTuple):
    """A member of staff to alert: who, and where the e-mail goes."""

    id: int
    email: str


_DSLS = users_with_role(bindparam("school_id"), Role.DSL).with_only_columns(User.id, User.display_name)


def school_dsls(school_id: int) -> list[Person]:
    """The school's active DSLs, in name order (for assignment)."""
    return [Person(row.id, row.display_name) for row in db.session.execute(_DSLS, {"school_id": school_id})]


def dsls_column(school_id: BindParameter[Any]) -> Label[Any]:
    """The school's active DSLs as a sub-query labelled ``dsls`` (decode with :func:`people`)."""
    query = users_with_role(school_id, Role.DSL).with_only_columns(
        json_objects(id=User.id, display_name=User.display_name)
    )
    return query.order_by(None).scalar_subquery().label("dsls")


def people(value: Any) -> list[Person]:
    """The people of a :func:`dsls_column`, in name order."""
    rows = (Person(row["id"], row["display_name"]) for row in json_nested(value) or ())
    return sorted(rows, key=lambda p: (p.display_name.casefold(), p.id))


def recipients_column(school_id: BindParameter[Any], roles: Iterable[Role], label: str) -> Label[Any]:
    """The active holders of ``roles`` in a school, with their e-mail address, as a labelled sub-query."""
    queries = [users_with_role(school_id, role).with_only_columns(User.id, User.email).order_by(None) for role in roles]
    union = queries[0].union(*queries[1:]).subquery() if len(queries) > 1 else queries[0].subquery()
    return select(json_objects(id=union.c.id, email=union.c.email)).scalar_subquery().label(label)


def recipients(value: Any) -> list[Recipient]:
    """The people of a :func:`recipients_column`, each once, in id order."""
    return sorted({Recipient(row["id"], row["email"]) for row in json_nested(value) or ()})


def account(user_id: int) -> User | None:
    """An account by its id, or ``None``."""
    return db.session.get(User, user_id)


def school_account(school_id: int, user_id: int) -> User | None:
    """An account of the school, or ``None`` (another school's accounts do not exist here)."""
    return db.session.scalar(select(User).where(User.id == user_id, User.school_id == school_id))


def school_accounts(school_id: int) -> list[User]:
    """The school's accounts, active ones first, in name order."""
    query = select(User).where(User.school_id == school_id).order_by(User.active.desc(), func.lower(User.display_name))
    return list(db.session.scalars(query))


# ---------------------------------------------------------------------------------------------------------------
# Who can receive a concern: the DSL team's cover, and the head behind it


@dataclass(frozen=True)
class Team:
    """The people a new concern may go to: the DSLs who are the team's cover (active, not away, not locked out), the
    active DSLs who are not (away, or locked out for now), and the active heads."""

    cover: list[Recipient]
    away: list[Recipient]
    locked: list[Recipient]
    heads: list[Recipient]


def team_column(school_id: BindParameter[Any], today: BindParameter[Any], now: BindParameter[Any]) -> Label[Any]:
    """The school's active DSLs and heads, each with whether they are cover or away, as a sub-query labelled
    ``team`` (decode with :func:`team`)."""
    members = [
        users_with_role(school_id, role)
        .with_only_columns(
            User.id,
            User.email,
            literal(role.value).label("role"),
            is_cover(today, now).label("cover"),
            is_away(today).label("away"),
        )
        .order_by(None)
        for role in (Role.DSL, Role.HEAD)
    ]
    union = members[0].union_all(members[1]).subquery()
    return (
        select(
            json_objects(id=union.c.id, email=union.c.email, role=union.c.role, cover=union.c.cover, away=union.c.away)
        )
        .scalar_subquery()
        .label("team")
    )


def team(value: Any) -> Team:
    """The people of a :func:`team_column`, each list in id order."""
    rows = sorted(json_nested(value) or (), key=lambda row: row["id"])
    dsls = [row for row in rows if row["role"] == Role.DSL.value]
    return Team(
        cover=[Recipient(row["id"], row["email"]) for row in dsls if row["cover"]],
        away=[Recipient(row["id"], row["email"]) for row in dsls if not row["cover"] and row["away"]],
        locked=[Recipient(row["id"], row["email"]) for row in dsls if not row["cover"] and not row["away"]],
        heads=[Recipient(row["id"], row["email"]) for row in rows if row["role"] == Role.HEAD.value],
    )


def cover_count_column(school_id: BindParameter[Any], today: BindParameter[Any], now: BindParameter[Any]) -> Label[Any]:
    """How many DSLs are the school's cover (see :func:`safeguard.auth.models.is_cover`), labelled ``cover``."""
    query = users_with_role(school_id, Role.DSL).with_only_columns(func.count()).where(is_cover(today, now))
    return query.order_by(None).scalar_subquery().label("cover")


_TEAM = select(
    team_column(bindparam("school_id"), bindparam("today", type_=Date()), bindparam("now", type_=UTCDateTime()))
)


def school_team(school_id: int, today: date, now: datetime) -> Team:
    """The school's DSL team and heads, as :class:`Team`, on ``today`` (the school's date) at ``now``."""
    return team(db.session.scalar(_TEAM, {"school_id": school_id, "today": today, "now": now}))


_OTHER_ACTIVE_DSLS = (
    select(func.count())
    .select_from(User)
    .join(UserRole)
    .where(
        User.school_id == bindparam("school_id"),
        User.id != bindparam("user_id"),
        User.active.is_(True),
        UserRole.role == Role.DSL.value,
    )
)


def other_active_dsls(school_id: int, user_id: int) -> int:
    """How many active DSLs the school has besides ``user_id``."""
    return db.session.scalar(_OTHER_ACTIVE_DSLS, {"school_id": school_id, "user_id": user_id}) or 0


@dataclass(frozen=True)
class DslState:
    """A DSL as the safety check lists them."""

    id: int
    display_name: str
    two_factor: bool
    cover: bool
    away_from: date | None
    away_until: date | None
    locked: bool


def dsl_states(school_id: int, today: date, now: datetime) -> list[DslState]:
    """The school's active DSLs, in name order, with their second factor, cover and away dates."""
    query = users_with_role(school_id, Role.DSL).with_only_columns(
        User.id,
        User.display_name,
        User.totp_enabled_at.is_not(None).label("two_factor"),
        is_cover(today, now).label("cover"),
        User.away_from,
        User.away_until,
        User.locked_until,
    )
    return [
        DslState(
            row.id,
            row.display_name,
            bool(row.two_factor),
            bool(row.cover),
            row.away_from,
            row.away_until,
            row.locked_until is not None and row.locked_until > now,
        )
        for row in db.session.execute(query)
    ]


# ---------------------------------------------------------------------------------------------------------------
# Signed-in sessions (see SignInSession)


class SessionRow(NamedTuple):
    """A signed-in browser as the list of them shows it."""

    id: int
    token_hash: str
    started_at: datetime
    last_seen_at: datetime
    browser: str
    ip_address: str | None


_NOW = bindparam("now", type_=UTCDateTime())
_LIVE = SignInSession.ended_at.is_(None)


def live_session_of(user_id: SQLColumnExpression[int]) -> Exists:
    """Whether the session whose token hash is bound as ``token_hash`` is a live one of ``user_id``: the condition the
    signed-in person's own statement adds, so that checking the session costs no statement of its own."""
    return exists().where(SignInSession.token_hash == bindparam("token_hash"), SignInSession.user_id == user_id, _LIVE)


_LIVE_SESSIONS = (
    select(
        SignInSession.id,
        SignInSession.token_hash,
        SignInSession.started_at,
        SignInSession.last_seen_at,
        SignInSession.browser,
        SignInSession.ip_address,
    )
    .where(
        SignInSession.user_id == bindparam("user_id"),
        _LIVE,
        SignInSession.last_seen_at >= bindparam("seen_since", type_=UTCDateTime()),
        SignInSession.started_at >= bindparam("started_since", type_=UTCDateTime()),
    )
    .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
)
_END_ALL = (
    update(SignInSession)
    .where(SignInSession.user_id == bindparam("of_user"), _LIVE)
    .values(ended_at=_NOW, ended_reason=bindparam("reason"))
)
# (UPDATE reserves its columns' names for the values it sets: the bound values are named otherwise.)
_END_BY_HASH = _END_ALL.where(SignInSession.token_hash == bindparam("hash_of_token"))
_END_BY_ID = _END_ALL.where(SignInSession.id == bindparam("session_id"))
_END_OTHERS = _END_ALL.where(SignInSession.token_hash != bindparam("hash_of_token"))
_TOUCH = (
    update(SignInSession).where(SignInSession.token_hash == bindparam("hash_of_token"), _LIVE).values(last_seen_at=_NOW)
)


def insert_session(values: dict[str, Any]) -> None:
    """Record a new signed-in session."""
    transaction_connection().execute(insert(SignInSession), values)


def live_sessions(user_id: int, seen_since: datetime, started_since: datetime) -> list[SessionRow]:
    """The person's sessions not ended, active since ``seen_since`` and started since ``started_since`` (older ones
    have timed out in the browser already), the most recently active first."""
    values = {"user_id": user_id, "seen_since": seen_since, "started_since": started_since}
    return [SessionRow(*row) for row in transaction_connection().execute(_LIVE_SESSIONS, values)]


def end_sessions(user_id: int, now: datetime, reason: str) -> int:
    """End every live session of the person; how many ended."""
    values = {"of_user": user_id, "now": now, "reason": reason}
    return int(transaction_connection().execute(_END_ALL, values).rowcount)


def end_session_by_hash(user_id: int, token_hash: str, now: datetime, reason: str) -> int:
    """End the person's live session with this token hash; how many ended (0 or 1)."""
    values = {"of_user": user_id, "hash_of_token": token_hash, "now": now, "reason": reason}
    return int(transaction_connection().execute(_END_BY_HASH, values).rowcount)


def end_other_sessions(user_id: int, token_hash: str, now: datetime, reason: str) -> int:
    """End every live session of the person but the one with this token hash; how many ended."""
    values = {"of_user": user_id, "hash_of_token": token_hash, "now": now, "reason": reason}
    return int(transaction_connection().execute(_END_OTHERS, values).rowcount)


def end_session_by_id(user_id: int, session_id: int, now: datetime, reason: str) -> int:
    """End one live session of the person, by its id; how many ended (0 or 1: another person's is never found)."""
    values = {"of_user": user_id, "session_id": session_id, "now": now, "reason": reason}
    return int(transaction_connection().execute(_END_BY_ID, values).rowcount)


def touch_session(token_hash: str, now: datetime) -> None:
    """Record activity on a live session."""
    transaction_connection().execute(_TOUCH, {"hash_of_token": token_hash, "now": now})


# ---------------------------------------------------------------------------------------------------------------
# Changes one person proposes and another approves (safeguard.auth.approvals)


def holders(school_id: int, role: Role) -> list[User]:
    """The school's active accounts holding ``role``, in name order."""
    return list(db.session.scalars(users_with_role(school_id, role)))


_PENDING = (
    select(AccountRequest)
    .where(
        AccountRequest.school_id == bindparam("school_id"),
        AccountRequest.outcome.is_(None),
        AccountRequest.expires_at > bindparam("now", type_=UTCDateTime()),
    )
    .order_by(AccountRequest.proposed_at, AccountRequest.id)
)


def pending_requests(school_id: int, now: datetime) -> list[AccountRequest]:
    """The school's requests waiting for approval and not expired, oldest first."""
    return list(db.session.scalars(_PENDING, {"school_id": school_id, "now": now}).unique())


def pending_request_for(user_id: int, kind: str, now: datetime) -> AccountRequest | None:
    """A request of this kind already waiting for the account, if there is one."""
    return db.session.scalar(
        select(AccountRequest).where(
            AccountRequest.user_id == user_id,
            AccountRequest.kind == kind,
            AccountRequest.outcome.is_(None),
            AccountRequest.expires_at > now,
        )
    )


def school_request(school_id: int, request_id: int) -> AccountRequest | None:
    """A request of the school, or ``None``."""
    return db.session.scalar(
        select(AccountRequest).where(AccountRequest.id == request_id, AccountRequest.school_id == school_id)
    )


def link_by_hash(token_hash: str) -> AccountLink | None:
    """The one-time link whose token has this SHA-256, or ``None``."""
    return db.session.scalar(select(AccountLink).where(AccountLink.token_hash == token_hash))


def set_session_school(token_hash: str, school_id: int) -> None:
    """Keep ``school_id`` as the school the live session with this token hash works in."""
    statement = (
        update(SignInSession)
        .where(SignInSession.token_hash == bindparam("hash_of_token"), _LIVE)
        .values(school_id=bindparam("chosen"))
    )
    transaction_connection().execute(statement, {"hash_of_token": token_hash, "chosen": school_id})


# ---------------------------------------------------------------------------------------------------------------
# The signed-in person, in the school they work in


def live_grant(user_id: SQLColumnExpression[int], school_id: SQLColumnExpression[int], now: Any) -> Exists:
    """Whether a school grants ``user_id`` (a trust lead) access to its records at ``now``."""
    return exists().where(
        TrustAccessGrant.user_id == user_id,
        TrustAccessGrant.school_id == school_id,
        TrustAccessGrant.status == GrantStatus.GRANTED.value,
        TrustAccessGrant.starts_at <= now,
        TrustAccessGrant.ends_at > now,
    )


def _roles_text(column: Any) -> Any:
    return func.aggregate_strings(column, ",")


# One statement on every request: the person (found only with a live session of theirs, by the hash of the cookie's
# token, so that a copy of a cookie ends with the session), the school the session works in, their roles in their own
# school and in that one, and whether that school grants them access as trust lead.
SIGNED_IN = (
    select(
        User,
        School,
        select(_roles_text(UserRole.role)).where(UserRole.user_id == User.id).scalar_subquery().label("own_roles"),
        select(_roles_text(Membership.role))
        .where(Membership.user_id == User.id, Membership.school_id == SignInSession.school_id)
        .scalar_subquery()
        .label("member_roles"),
        live_grant(User.id, SignInSession.school_id, bindparam("now", type_=UTCDateTime())).label("trust_access"),
    )
    .join(SignInSession, SignInSession.user_id == User.id)
    .join(School, School.id == SignInSession.school_id)
    .where(User.id == bindparam("user_id"), SignInSession.token_hash == bindparam("token_hash"), _LIVE)
    .options(lazyload(User.role_rows), lazyload(User.school))
)


def roles_of(text: str | None) -> frozenset[Role]:
    """Roles from the comma-separated text of :data:`SIGNED_IN`, ignoring any this version does not know."""
    known = {role.value for role in Role}
    return frozenset(Role(part) for part in (text or "").split(",") if part in known)


class SchoolChoice(NamedTuple):
    """A school a person may work in, and why: their roles there, or the access it granted them as trust lead."""

    id: int
    code: str
    name: str
    roles: frozenset[Role]
    trust_access: bool


def schools_of(user_id: int, home_school_id: int, now: datetime) -> list[SchoolChoice]:
    """The schools a person may work in: their own, those they are a member of, and those granting them access as
    trust lead now; in name order."""
    own = select(UserRole.role.label("role"), literal(home_school_id).label("school_id")).where(
        UserRole.user_id == user_id
    )
    member = select(Membership.role.label("role"), Membership.school_id.label("school_id")).where(
        Membership.user_id == user_id
    )
    granted = select(literal("").label("role"), TrustAccessGrant.school_id.label("school_id")).where(
        TrustAccessGrant.user_id == user_id,
        TrustAccessGrant.status == GrantStatus.GRANTED.value,
        TrustAccessGrant.starts_at <= now,
        TrustAccessGrant.ends_at > now,
    )
    held = union(own, member, granted).subquery()
    rows = db.session.execute(
        select(School.id, School.code, School.name, held.c.role)
        .join(held, held.c.school_id == School.id)
        .order_by(func.lower(School.name), School.id)
    )
    found: dict[int, SchoolChoice] = {}
    for row in rows:
        choice = found.get(row.id) or SchoolChoice(row.id, row.code, row.name, frozenset(), False)
        if row.role:
            choice = choice._replace(roles=choice.roles | roles_of(row.role))
        else:
            choice = choice._replace(trust_access=True)
        found[row.id] = choice
    return list(found.values())


def member_roles(user_id: int, school_id: int) -> frozenset[Role]:
    """The roles a person holds in a school other than their own."""
    rows = db.session.scalars(
        select(Membership.role).where(Membership.user_id == user_id, Membership.school_id == school_id)
    )
    return roles_of(",".join(rows))


def replace_member_roles(user_id: int, school_id: int, roles: list[str]) -> None:
    """Replace the roles a person holds in a school other than their own."""
    connection = transaction_connection()
    connection.execute(
        Membership.__table__.delete().where(Membership.user_id == user_id, Membership.school_id == school_id)
    )
    if roles:
        connection.execute(
            insert(Membership), [{"user_id": user_id, "school_id": school_id, "role": role} for role in roles]
        )
