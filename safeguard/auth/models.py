"""User accounts and the roles they hold."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    and_,
    event,
    func,
    not_,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, aliased, lazyload, mapped_column, relationship, validates
from sqlalchemy.orm.attributes import set_committed_value
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
    CHAIR = "chair"
    # The trust's safeguarding lead: the trust dashboard (numbers only); a school's records only while that school
    # grants access (safeguard/trusts/).
    TRUST_LEAD = "trust_lead"

    @property
    def label(self) -> str:
        """The name shown on screen."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.STAFF: "Staff member",
    Role.DSL: "Designated safeguarding lead (or deputy)",
    Role.HEAD: "Head teacher",
    Role.ADMIN: "Administrator",
    Role.CHAIR: "Chair of governors",
    Role.TRUST_LEAD: "Trust safeguarding lead",
}
# The roles that must use a second factor (in any school the person works in).
SECOND_FACTOR_ROLES = frozenset({Role.DSL, Role.HEAD, Role.ADMIN, Role.CHAIR, Role.TRUST_LEAD})


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
    # Roles in the deployment's other schools (a DSL covering two schools, a trust lead); read when asked for.
    membership_rows: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select"
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
    def home_school_id(self) -> int:
        """The account's own school (where it was made), whichever school the person works in now."""
        chosen = self.__dict__.get("_chosen")
        return chosen.home_school_id if chosen is not None else self.school_id

    @property
    def roles(self) -> frozenset[Role]:
        """The roles this person holds in the school they work in now (their own school unless they chose
        another: see :meth:`work_in`)."""
        chosen = self.__dict__.get("_chosen")
        if chosen is not None:
            return chosen.roles
        return frozenset(Role(row.role) for row in self.role_rows)

    @roles.setter
    def roles(self, roles: set[Role]) -> None:
        wanted = {Role(r) for r in roles}
        self.role_rows = [row for row in self.role_rows if Role(row.role) in wanted]
        held = {Role(row.role) for row in self.role_rows}
        for role in sorted(wanted - held):
            self.role_rows.append(UserRole(role=role.value))

    @property
    def trust_access(self) -> bool:
        """Whether the person works now in a school that granted them, as trust lead, access to its records."""
        chosen = self.__dict__.get("_chosen")
        return chosen is not None and chosen.trust_access

    def work_in(self, school: School, roles: frozenset[Role], *, trust_access: bool = False) -> None:
        """Work in ``school`` for this request, with ``roles`` there: ``school_id``, ``school`` and ``roles`` answer
        for that school, so that every page, statement, alert and export is scoped to it. Nothing is written: the
        account's own school stays in the database (see :func:`_keep_chosen_school`)."""
        home = self.home_school_id
        self.__dict__["_chosen"] = ChosenSchool(school, roles, trust_access, home)
        set_committed_value(self, "school_id", school.id)
        set_committed_value(self, "school", school)

    @property
    def two_factor_enabled(self) -> bool:
        """Whether a second factor is set up and confirmed."""
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def two_factor_required(self) -> bool:
        """DSLs, heads, administrators, the chair of governors (who approves changes to the head's account) and trust
        leads must use a second factor, in whichever school they hold the role; other staff may."""
        held = {Role(row.role) for row in self.role_rows} | {Role(row.role) for row in self.membership_rows}
        return bool(held & SECOND_FACTOR_ROLES)

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


@dataclass(frozen=True)
class ChosenSchool:
    """The school a signed-in person works in for this request, their roles there, and their own school."""

    school: School
    roles: frozenset[Role]
    trust_access: bool
    home_school_id: int


@event.listens_for(User, "refresh")
def _keep_chosen_school(target: User, _context: object, _attrs: object) -> None:
    """After a rollback or a commit reloads the signed-in person, they still work in the school they chose."""
    chosen = target.__dict__.get("_chosen")
    if chosen is not None:
        set_committed_value(target, "school_id", chosen.school.id)
        set_committed_value(target, "school", chosen.school)


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


class Membership(Model):
    """One role held by one person in a school other than their own (their own school's roles are
    :class:`UserRole`): a DSL covering two schools, a trust lead, a supply teacher."""

    __tablename__ = "school_memberships"
    __table_args__ = (Index("ix_school_memberships_school_id_role", "school_id", "role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="membership_rows")


def holds_role(school_id: int | BindParameter[int], role: Role) -> ColumnElement[bool]:
    """A person holding ``role`` in a school: in their own school, or as a member of it."""
    # The holders' ids, found from the school's side (its staff, then its members) by index: asked of each person
    # instead, as "their school and a role, or a membership", it read every account of the deployment.
    owner = aliased(User)
    own = (
        select(UserRole.user_id)
        .join(owner, owner.id == UserRole.user_id)
        .where(owner.school_id == school_id, UserRole.role == role.value)
    )
    member = select(Membership.user_id).where(Membership.school_id == school_id, Membership.role == role.value)
    return User.id.in_(union_all(own, member))


def users_with_role(school_id: int | BindParameter[int], role: Role) -> Select:
    """Select the active users of a school who hold ``role``; ``school_id`` may be a bound parameter, for a
    statement built once and reused.

    They are people to alert or to list, so their own roles and school are loaded only if something asks for them
    (eagerly, as the signed-in person's are, they cost a query and a join on every concern logged)."""
    return (
        db.select(User)
        .where(holds_role(school_id, role), User.active.is_(True))
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


class AccountRequest(Model):
    """A change one person proposed and another must approve: granting or removing the DSL or head role, or resetting
    the password or second factor of a DSL, head or administrator (the rules: :mod:`safeguard.auth.approvals`).

    Pending while ``outcome`` is empty and ``expires_at`` is to come; applied when every approval it needs is given.
    """

    __tablename__ = "account_requests"
    __table_args__ = (Index("ix_account_requests_school_id_outcome", "school_id", "outcome", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # Whose account.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # roles | password_reset | second_factor_reset
    kind: Mapped[str] = mapped_column(String(30))
    roles_before: Mapped[list] = mapped_column(JSON, default=list)
    roles_after: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(String(300), default="")
    # Who proposed it; empty for the server's operator (the command line).
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The head's own account: the chair of governors approves too (when the school has one when it is proposed).
    needs_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    # The head (or, for the head's own account, another administrator).
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    chair_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    chair_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # applied | declined | withdrawn
    outcome: Mapped[str | None] = mapped_column(String(20))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id], lazy="joined")


class AccountLink(Model):
    """A one-time link e-mailed to the owner of an account after an approved reset: single use, expiring. Only the
    SHA-256 of its token is kept."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("account_requests.id"))
    # password | second_factor
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")


class SignInProvider(Model):
    """An OpenID Connect provider a school (or every school of a trust) signs in with: Microsoft Entra ID, Google
    Workspace or any standard provider. Roles are never taken from it: it says who the person is, Safeguard what
    they may do."""

    __tablename__ = "sign_in_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The button's words: "Microsoft 365", "Google".
    name: Mapped[str] = mapped_column(String(80))
    # One school, or every school of a trust (exactly one of the two is set).
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"))
    trust_id: Mapped[int | None] = mapped_column(ForeignKey("trusts.id"))
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = mapped_column(String(500))
    # The e-mail domains accepted, comma-separated and lower-case ("oak.sch.uk,oaktrust.org").
    allowed_domains: Mapped[str] = mapped_column(Text, default="")
    # Whether an unknown person with a verified address of an allowed domain gets a staff account at first sign-in
    # (only for a school's own provider).
    provision_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the provider's multi-factor sign-in (the ID token's amr holding "mfa") stands for Safeguard's second
    # factor for DSLs, heads, administrators and trust leads.
    accept_provider_mfa: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def domains(self) -> frozenset[str]:
        """The accepted e-mail domains."""
        return frozenset(d.strip().lower() for d in self.allowed_domains.split(",") if d.strip())


class Passkey(Model):
    """A WebAuthn credential (a passkey on a phone, a laptop or a security key) a person signs in with as their
    second factor. Only its public key is kept."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The credential's id and public key (COSE), base64url.
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[str] = mapped_column(Text)
    # The authenticator's signature counter, to notice a cloned authenticator.
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    # The person's own name for it ("Work laptop").
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SchoolSignIn(Model):
    """How a school's accounts may sign in. No row: with a password (and through the school's providers)."""

    __tablename__ = "school_sign_in"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    # Off: the school's accounts sign in through its (or its trust's) OpenID Connect provider only.
    password_sign_in: Mapped[bool] = mapped_column(Boolean, default=True)
