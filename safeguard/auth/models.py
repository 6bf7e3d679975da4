"""User accounts and the roles they hold."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ColumnElement, Date, ForeignKey, Index, Integer, Select, String, and_, func, not_
from sqlalchemy.orm import Mapped, lazyload, mapped_column, relationship, validates
from sqlalchemy.sql.expression import BindParameter

from safeguard.core.extensions import Model, db
from safeguard.core.sqltypes import UTCDateTime, utcnow
from safeguard.schools.models import School


class Role(enum.StrEnum):
    """What a person does in the school; permissions derive from these in :mod:`safeguard.auth.permissions`."""

    STAFF = "staff"
    DSL = "dsl"
    HEAD = "head"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The name shown on screen."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.STAFF: "Staff member",
    Role.DSL: "Designated safeguarding lead (or deputy)",
    Role.HEAD: "Head teacher",
    Role.ADMIN: "Administrator",
}


def parse_roles(text: str) -> set[Role]:
    """Parse ``"admin,dsl"`` into roles; raise ``ValueError`` naming an unknown role."""
    roles: set[Role] = set()
    for part in (text or "").replace(" ", ",").split(","):
        if not part:
            continue
        try:
            roles.add(Role(part.strip().lower()))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"unknown role {part!r} (known roles: {known})") from None
    if not roles:
        raise ValueError("at least one role is needed")
    return roles


class User(UserMixin, Model):
    """A person who signs in. Never deleted: deactivating keeps every record they made attributable."""

    __tablename__ = "users"
    __table_args__ = (Index("ix_users_school_id_display_name", "school_id", "display_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    # Stored lower-case; unique across the deployment because sign-in is by e-mail alone.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when an administrator chose the password: it must be changed at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Two-factor sign-in: the TOTP secret (base32), when it was confirmed, and the last time-step accepted, so a
    # code cannot be used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Lockout after repeated failures: the count since the last success, and until when sign-in is refused.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A DSL's absence (leave, a course), first and last day inclusive, in the school's dates; set by the DSL. An
    # away DSL still sees everything but is not counted as the team's cover (see is_cover).
    away_from: Mapped[date | None] = mapped_column(Date)
    away_until: Mapped[date | None] = mapped_column(Date)

    school: Mapped[School] = relationship(lazy="joined", foreign_keys=[school_id])
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @validates("email")
    def _normalise_email(self, _key: str, email: str) -> str:
        """Store e-mail addresses trimmed and lower-case so that uniqueness ignores case."""
        return (email or "").strip().lower()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users.
        """Whether the account may sign in."""
        return bool(self.active)

    @property
    def roles(self) -> frozenset[Role]:
        """The roles this person holds."""
        return frozenset(Role(row.role) for row in self.role_rows)

    @roles.setter
    def roles(self, roles: set[Role]) -> None:
        wanted = {Role(r) for r in roles}
        self.role_rows = [row for row in self.role_rows if Role(row.role) in wanted]
        held = {Role(row.role) for row in self.role_rows}
        for role in sorted(wanted - held):
            self.role_rows.append(UserRole(role=role.value))

    @property
    def two_factor_enabled(self) -> bool:
        """Whether a second factor is set up and confirmed."""
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def two_factor_required(self) -> bool:
        """DSLs, heads and administrators must use a second factor; other staff may."""
        return bool(self.roles & {Role.DSL, Role.HEAD, Role.ADMIN})

    def is_locked(self, now: datetime) -> bool:
        """Whether sign-in is refused for now after repeated failures."""
        return self.locked_until is not None and self.locked_until > now

    def has_role(self, role: Role) -> bool:
        """Whether this person holds ``role``."""
        return role in self.roles

    @property
    def role_summary(self) -> str:
        """Roles as a short comma-separated list, in a stable order."""
        return ", ".join(r.value for r in Role if r in self.roles)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role_summary}>"


def is_away(today: date | BindParameter[date]) -> ColumnElement[bool]:
    """A person away on ``today`` (the school's date): both days set, and ``today`` between them."""
    return and_(
        User.away_from.is_not(None), User.away_until.is_not(None), User.away_from <= today, User.away_until >= today
    )


def is_cover(today: date | BindParameter[date], now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """A DSL counted as the team's cover: active, not away today, and able to sign in now (not locked out).

    The one definition, for the alerts, the banners and the safety check.
    """
    locked = and_(User.locked_until.is_not(None), User.locked_until > now)
    return and_(User.active.is_(True), not_(is_away(today)), not_(locked))


class UserRole(Model):
    """One role held by one user; a DSL who also administers the school holds two rows."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


def users_with_role(school_id: int | BindParameter[int], role: Role) -> Select:
    """Select the active users of a school who hold ``role``; ``school_id`` may be a bound parameter, for a
    statement built once and reused.

    They are people to alert or to list, so their own roles and school are loaded only if something asks for them
    (eagerly, as the signed-in person's are, they cost a query and a join on every concern logged)."""
    return (
        db.select(User)
        .join(UserRole)
        .where(User.school_id == school_id, User.active.is_(True), UserRole.role == role.value)
        .order_by(func.lower(User.display_name))
        .options(lazyload(User.role_rows), lazyload(User.school))
    )


class RecoveryCode(Model):
    """A single-use code for signing in without the authenticator app, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInSession(Model):
    """One signed-in browser, from the sign-in to its end; the server's record of each session.

    The session cookie is signed but lives in the browser, so a copy of it would outlive signing out. The cookie
    therefore also carries a random token, and a request is signed in only while this row, found by the token's
    SHA-256 (the token itself is never stored), has not ended: signing out, changing the password, a reset of the
    password or second factor, deactivation, and "sign out everywhere" end the rows, and every copy of the cookie with
    them.
    """

    __tablename__ = "sign_in_sessions"
    __table_args__ = (Index("ix_sign_in_sessions_user_id_ended_at", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Written at most once a minute (with the cookie's own record of activity), for the list of signed-in browsers.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What the person sees in that list to recognise the browser ("Firefox on Windows"), and the address it signed in
    # from.
    browser: Mapped[str] = mapped_column(String(120), default="")
    ip_address: Mapped[str | None] = mapped_column(String(45))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # signed out | password changed | password reset | second factor reset | deactivated | ended by the person |
    # ended by an administrator | idle
    ended_reason: Mapped[str | None] = mapped_column(String(40))
