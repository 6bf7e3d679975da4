"""Account rules: signing in, creating users, roles, passwords, deactivation.

Services change the session and ``flush()``; the request (or the CLI command) commits once.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from safeguard.audit import services as audit
from safeguard.auth import sessions, store
from safeguard.auth.models import Role, SchoolSignIn, User
from safeguard.auth.passwords import (
    generate_password,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from safeguard.core.emails import InvalidEmail, normalise_email
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.schools.models import School


class AccountError(ValueError):
    """A rule about accounts was broken; the message is fit to show to the person who asked.

    :param field: the form field the message belongs beside, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def find_user_by_email(email: str) -> User | None:
    """Return the user with this e-mail address (any case), or ``None``."""
    return db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))


def _lockout_settings() -> tuple[int, timedelta]:
    config = current_app.config
    return int(config.get("LOCKOUT_ATTEMPTS", 5)), timedelta(minutes=int(config.get("LOCKOUT_MINUTES", 15)))


def register_failure(user: User | None, reason: str) -> None:
    """Audit a failed sign-in step and lock the account after too many in a row."""
    now = utcnow()
    audit.record(
        "auth.sign_in_failed",
        "Failed sign-in",
        school_id=user.school_id if user else None,
        actor_id=user.id if user else None,
        subject_type="user" if user else None,
        subject_id=user.id if user else None,
        detail={"reason": reason},
    )
    if user is None or reason in ("locked account", "deactivated account"):
        return
    attempts, duration = _lockout_settings()
    user.failed_attempts = (user.failed_attempts or 0) + 1
    if user.failed_attempts >= attempts:
        user.locked_until = now + duration
        user.failed_attempts = 0
        audit.record(
            "auth.locked",
            f"Account locked for {int(duration.total_seconds() // 60)} minutes after {attempts} failed attempts",
            school_id=user.school_id,
            subject_type="user",
            subject_id=user.id,
        )


def authenticate(email: str, password: str) -> User | None:
    """Return the active, unlocked user whose e-mail and password match; record failures in the audit log.

    Unknown address, wrong password, deactivated and locked accounts all return ``None`` and take comparable
    time, so the caller can show one message for every failure. The second factor, when there is one, is
    checked next; :func:`complete_sign_in` finishes.
    """
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password or "")
    if user is not None and user.is_locked(utcnow()):
        register_failure(user, "locked account")
        return None
    if user is None or not ok or not user.is_active:
        reason = "unknown account" if user is None else ("deactivated account" if ok else "wrong password")
        register_failure(user, reason)
        return None
    if not password_sign_in(user.school_id):
        register_failure(user, "password sign-in is turned off for the school")
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def password_sign_in(school_id: int) -> bool:
    """Whether the school's accounts may sign in with a password (unless the school turned it off)."""
    allowed = db.session.scalar(select(SchoolSignIn.password_sign_in).where(SchoolSignIn.school_id == school_id))
    return allowed is None or bool(allowed)


def set_password_sign_in(school: School, allowed: bool) -> None:
    """Turn password sign-in on or off for a school's accounts (the command line); audited."""
    found = db.session.get(SchoolSignIn, school.id)
    if found is None:
        db.session.add(SchoolSignIn(school_id=school.id, password_sign_in=allowed))
    else:
        found.password_sign_in = allowed
    audit.record(
        "school.password_sign_in",
        f"Password sign-in turned {'on' if allowed else 'off'}",
        school_id=school.id,
        detail={"password_sign_in": allowed, "by": "command line"},
    )


def complete_sign_in(user: User) -> None:
    """Record a successful sign-in (after the second factor, if any)."""
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = utcnow()
    audit.record_about_user("auth.signed_in", "Signed in", user)


def unlock(user: User, *, actor: User) -> None:
    """Lift a lockout before it runs out (an administrator's decision); audited."""
    user.locked_until = None
    user.failed_attempts = 0
    db.session.flush()
    audit.record_about_user("auth.unlocked", "Account unlocked by an administrator", user, actor=actor)


def record_sign_out(user: User) -> None:
    """Audit a sign-out."""
    audit.record_about_user("auth.signed_out", "Signed out", user)


def _account_email(address: str) -> str:
    """The address as the account will keep it, by the one e-mail rule."""
    try:
        return normalise_email(address)
    except InvalidEmail as error:
        raise AccountError(str(error), field="email") from None


def _check_new_account(email: str, display_name: str, roles: set[Role]) -> tuple[str, str]:
    """The new account's e-mail address and name as they will be kept, after checking them and its roles."""
    email = _account_email(email)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 120:
        raise AccountError("Enter a name of up to 120 characters.", field="display_name")
    if not roles:
        raise AccountError("Choose at least one role.", field="roles")
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AccountError(f"An account with the e-mail address {email} already exists.", field="email")
    return email, display_name


def create_user(
    school: School,
    email: str,
    display_name: str,
    roles: set[Role],
    *,
    password: str | None = None,
    actor: User | None = None,
) -> tuple[User, str | None]:
    """Create an account; return it and the generated one-time password when none was given.

    A generated password must be changed at first sign-in.
    """
    email, display_name = _check_new_account(email, display_name, roles)
    generated = None
    if password is None:
        password = generated = generate_password()
    elif problem := password_problem(password):
        raise AccountError(problem, field="password")
    user = User(
        school_id=school.id,
        email=email,
        display_name=display_name,
        password_hash=hash_password(password),
        must_change_password=generated is not None or actor is not None,
    )
    user.roles = roles
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created",
        f"Account created with roles {user.role_summary}",
        school_id=school.id,
        actor_id=actor.id if actor else None,
        subject_type="user",
        subject_id=user.id,
        detail={"roles": sorted(r.value for r in roles)},
    )
    return user, generated


def check_not_last_dsl(user: User, what: str) -> None:
    """Refuse to take away the school's last active DSL: every concern must reach someone who can act on it.

    :param what: what was asked, as the refusal says it ("deactivate", "remove the DSL role of").
    """
    if user.active and Role.DSL in user.roles and not store.other_active_dsls(user.school_id, user.id):
        raise AccountError(
            f"You cannot {what} {user.display_name}: they are the school's last active DSL, and new concerns would "
            "reach no DSL. Add or reactivate another DSL first.",
            field="roles",
        )


def set_roles(user: User, roles: set[Role], *, actor: User | None) -> None:
    """Change a user's roles; an administrator cannot remove their own administrator role, and the school's last
    active DSL keeps the DSL role."""
    if not roles:
        raise AccountError("Choose at least one role.", field="roles")
    if actor is not None and user.id == actor.id and Role.ADMIN in user.roles and Role.ADMIN not in roles:
        raise AccountError("You cannot remove your own administrator role; ask another administrator.")
    # The head and the chair of governors manage concerns about adults: nobody gives themselves that access.
    gained = {Role(r) for r in roles} - user.roles
    if actor is not None and user.id == actor.id and gained & {Role.HEAD, Role.CHAIR}:
        raise AccountError(
            "You cannot give yourself the head teacher's or the chair of governors' role; ask another administrator.",
            field="roles",
        )
    if Role.DSL not in roles:
        check_not_last_dsl(user, "remove the DSL role of")
    before = sorted(r.value for r in user.roles)
    user.roles = roles
    after = sorted(r.value for r in roles)
    if before != after:
        db.session.flush()
        audit.record_about_user(
            "user.roles_changed",
            "Roles changed",
            user,
            actor=actor,
            detail={"before": before, "after": after} | ({} if actor else {"by": "command line"}),
        )


def update_details(user: User, display_name: str, email: str, *, actor: User) -> None:
    """Change a user's name or e-mail address."""
    email = _account_email(email)
    display_name = (display_name or "").strip()
    if not display_name:
        raise AccountError("Enter a name.")
    if email != user.email:
        clash = db.session.scalar(select(User.id).where(User.email == email, User.id != user.id))
        if clash:
            raise AccountError(f"An account with the e-mail address {email} already exists.", field="email")
    changed = {k: v for k, v in (("display_name", display_name), ("email", email)) if getattr(user, k) != v}
    if changed:
        before = {k: getattr(user, k) for k in changed}
        for key, value in changed.items():
            setattr(user, key, value)
        db.session.flush()
        audit.record_about_user(
            "user.updated", "Account details changed", user, actor=actor, detail={"before": before, "after": changed}
        )


def check_deactivation(user: User, *, actor: User) -> None:
    """Refuse, before anyone is asked to confirm it, a deactivation that cannot be made."""
    if user.id == actor.id:
        raise AccountError("You cannot deactivate your own account.")
    if not user.active:
        raise AccountError(f"The account of {user.display_name} is already deactivated.")
    check_not_last_dsl(user, "deactivate")


def set_active(user: User, active: bool, *, actor: User | None) -> None:
    """Deactivate or reactivate an account; every record the person made is kept. The school's last active DSL
    cannot be deactivated.

    :param actor: who asked; ``None`` for a command run on the server.
    """
    if actor is not None and user.id == actor.id and not active:
        raise AccountError("You cannot deactivate your own account.")
    if user.active == active:
        return
    if not active:
        check_not_last_dsl(user, "deactivate")
    user.active = active
    db.session.flush()
    if not active:
        sessions.end_all(user, sessions.Ended.DEACTIVATED)
    audit.record_about_user(
        "user.reactivated" if active else "user.deactivated",
        "Account reactivated" if active else "Account deactivated",
        user,
        actor=actor,
        detail=None if actor else {"by": "command line"},
    )


def reset_password(user: User, *, actor: User) -> str:
    """Give the user a new one-time password (shown once to the administrator) to change at next sign-in."""
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    db.session.flush()
    sessions.end_all(user, sessions.Ended.PASSWORD_RESET)
    audit.record_about_user("user.password_reset", "Password reset by an administrator", user, actor=actor)
    return password


def change_password(user: User, current: str, new: str) -> None:
    """Change the user's own password after checking the current one."""
    if not verify_password(user.password_hash, current or ""):
        raise AccountError("Your current password is not right.", field="current_password")
    if problem := password_problem(new or ""):
        raise AccountError(problem, field="new_password")
    if verify_password(user.password_hash, new):
        raise AccountError("Choose a password different from the current one.", field="new_password")
    user.password_hash = hash_password(new)
    user.must_change_password = False
    db.session.flush()
    # Every session ends, this one too: a copy of this browser's cookie must not outlive the old password. The view
    # starts a new session for the browser the person is using.
    sessions.end_all(user, sessions.Ended.PASSWORD_CHANGED)
    audit.record_about_user("auth.password_changed", "Password changed", user)


# The longest absence a DSL may record at once: a term and a half. Longer is not cover to arrange, but a role to hand on.
MAX_AWAY_DAYS = 120


def set_away(user: User, away_from: date | None, away_until: date | None, *, today: date) -> None:
    """Record (or clear, with two ``None``) the days a DSL is away, first and last inclusive; audited.

    :param today: the school's date: an absence that has already ended cannot be recorded.
    """
    if Role.DSL not in user.roles:
        raise AccountError("Only DSLs record when they are away: the DSL team's cover depends on it.")
    if (away_from is None) != (away_until is None):
        raise AccountError("Enter both the first and the last day you are away.", field="away_from")
    if away_from is not None and away_until is not None:
        if away_until < away_from:
            raise AccountError("The last day cannot be before the first day.", field="away_until")
        if away_until < today:
            raise AccountError("That absence has already ended: enter days from today on.", field="away_until")
        if (away_until - away_from).days >= MAX_AWAY_DAYS:
            raise AccountError(
                f"Record at most {MAX_AWAY_DAYS} days at a time; for a longer absence, ask an administrator to hand "
                "the DSL role on.",
                field="away_until",
            )
    before = {"from": _iso(user.away_from), "until": _iso(user.away_until)}
    after = {"from": _iso(away_from), "until": _iso(away_until)}
    if before == after:
        return
    user.away_from, user.away_until = away_from, away_until
    db.session.flush()
    audit.record_about_user(
        "user.away_set" if away_from else "user.away_cleared",
        "Away dates recorded" if away_from else "Away dates cleared",
        user,
        actor=user,
        detail={"before": before, "after": after},
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def set_school_roles(user: User, school: School, roles: set[Role], *, actor: User | None) -> None:
    """Set the roles ``user`` holds in a school other than their own (none: they no longer work there); audited in
    that school's log. Their own school's roles are changed by :func:`set_roles`."""
    if school.id == user.home_school_id:
        raise AccountError("That is the account's own school: change its roles there.")
    before = sorted(r.value for r in store.member_roles(user.id, school.id))
    after = sorted(r.value for r in roles)
    if before == after:
        return
    store.replace_member_roles(user.id, school.id, after)
    audit.record(
        "user.school_roles_changed",
        "Roles in this school changed for an account of another school",
        school_id=school.id,
        actor_id=actor.id if actor is not None else None,
        subject_type="user",
        subject_id=user.id,
        detail={"before": before, "after": after} | ({} if actor else {"by": "command line"}),
    )


# ---------------------------------------------------------------------------------------------------------------
# The lead DSL


def lead_dsl(school_id: int) -> User | None:
    """The school's lead DSL (the school's setting ``lead_dsl_id``): an active DSL of the school, or ``None`` when
    none is chosen (or the one chosen is no longer an active DSL). With the head, they widen access to restricted
    records and read who has seen a record."""
    school = db.session.get(School, school_id)
    if school is None or school.lead_dsl_id is None:
        return None
    user = store.school_account(school_id, school.lead_dsl_id)
    return user if user is not None and user.is_active and user.has_role(Role.DSL) else None


def set_lead_dsl(school: School, user_id: int | None, *, actor: User | None) -> None:
    """Choose the school's lead DSL (an active DSL of the school), or none; audited."""
    if user_id is not None:
        user = store.school_account(school.id, user_id)
        if user is None or not user.is_active or not user.has_role(Role.DSL):
            raise AccountError("Choose the lead DSL from the school's active DSLs.")
    if school.lead_dsl_id == user_id:
        return
    before, school.lead_dsl_id = school.lead_dsl_id, user_id
    audit.record(
        "school.lead_dsl_changed",
        "Lead DSL changed",
        school_id=school.id,
        actor_id=actor.id if actor else None,
        subject_type="school",
        subject_id=school.id,
        detail={"before": before, "after": user_id},
    )
