"""Two people for what would hand someone the records: the two-person rules for accounts.

- Granting or removing the ``dsl`` or ``head`` role: an administrator proposes (or the server's operator, on the
  command line), the head approves. For the head's own account, another administrator approves, and the chair of
  governors too where the school has one.
- Resetting the password or second factor of a DSL, head or administrator: the same second person approves, and the
  owner then gets a one-time link by e-mail (single use, expiring) to set a new password or second factor themselves:
  no administrator ever sees or chooses it.
- Nobody approves a request about their own account, nor one they proposed. A request expires after
  ``ACCOUNT_REQUEST_DAYS`` (7) days; the one-time link after ``ACCOUNT_LINK_HOURS`` (24) hours.
- Every such request, approval, refusal and change alerts the DSL team (in the app, and by an e-mail naming no one);
  a reset alerts the account's owner and the lead DSL (:func:`lead_dsl_recipients`).

Services change the session and flush; the request (or the command) commits.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app

from safeguard.audit import services as audit
from safeguard.auth import services as accounts
from safeguard.auth import sessions, store, twofactor
from safeguard.auth.models import AccountLink, AccountRequest, Role, User
from safeguard.auth.passwords import hash_password, password_problem, verify_password
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.notifications import services as notifications
from safeguard.schools.models import School

# Roles that open the records, and the chair's, which approves changes to the head's account: changing them takes
# two people (an administrator who could make anyone chair could approve changes to the head's account themselves).
GUARDED_ROLES = frozenset({Role.DSL, Role.HEAD, Role.CHAIR})
# Accounts whose reset takes two people: those that read the records, run the accounts or approve changes to them.
GUARDED_ACCOUNTS = frozenset({Role.DSL, Role.HEAD, Role.ADMIN, Role.CHAIR})


class RequestKind(enum.StrEnum):
    """What a request asks for."""

    ROLES = "roles"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind, not a secret)
    SECOND_FACTOR_RESET = "second_factor_reset"

    @property
    def label(self) -> str:
        """What it asks, as a sentence's object."""
        return {
            RequestKind.ROLES: "a change of roles",
            RequestKind.PASSWORD_RESET: "a password reset",
            RequestKind.SECOND_FACTOR_RESET: "a second-factor reset",
        }[self]


class Outcome(enum.StrEnum):
    """How a request ended."""

    APPLIED = "applied"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Slot(enum.StrEnum):
    """An approval a request needs."""

    APPROVAL = "approval"  # the head; for the head's own account, another administrator
    CHAIR = "chair"  # the chair of governors, for the head's own account


def roles_need_two_people(before: frozenset[Role] | set[Role], after: frozenset[Role] | set[Role]) -> bool:
    """Whether a change of roles grants or removes the DSL, head or chair role."""
    return bool((set(before) ^ set(after)) & GUARDED_ROLES)


def reset_needs_two_people(user: User) -> bool:
    """Whether resetting this account's password or second factor takes a second person."""
    return bool(user.roles & GUARDED_ACCOUNTS)


def lead_dsl_recipients(school_id: int) -> list[User]:
    """Whom to tell as "the lead DSL" about a reset: the school's lead DSL (``auth.services.lead_dsl``), or its
    whole DSL team while the school has not named one."""
    lead = accounts.lead_dsl(school_id)
    return [lead] if lead is not None else store.holders(school_id, Role.DSL)


def _days() -> timedelta:
    return timedelta(days=int(current_app.config.get("ACCOUNT_REQUEST_DAYS", 7)))


def _link_lifetime() -> timedelta:
    return timedelta(hours=int(current_app.config.get("ACCOUNT_LINK_HOURS", 24)))


def _head_account(request: AccountRequest) -> bool:
    return Role.HEAD.value in (request.roles_before or [])


def slot_for(person: User, request: AccountRequest) -> Slot | None:
    """The approval ``person`` may give to ``request`` now, or ``None``: never about their own account or a request
    they proposed, never from another school."""
    if not person.active or person.school_id != request.school_id:
        return None
    if person.id in (request.user_id, request.proposed_by_id) or request.outcome is not None:
        return None
    if _head_account(request):
        if Role.ADMIN in person.roles and request.approved_by_id is None:
            return Slot.APPROVAL
        if Role.CHAIR in person.roles and request.needs_chair and request.chair_approved_by_id is None:
            return Slot.CHAIR
        return None
    if Role.HEAD in person.roles and request.approved_by_id is None:
        return Slot.APPROVAL
    return None


def waiting_for(request: AccountRequest) -> list[str]:
    """Whose approval the request still needs, in words."""
    needed = []
    if request.approved_by_id is None:
        needed.append("another administrator" if _head_account(request) else "the head")
    if request.needs_chair and request.chair_approved_by_id is None:
        needed.append("the chair of governors")
    return needed


def _check_someone_can_approve(request: AccountRequest) -> None:
    """Refuse a request no one could approve (a school with no other head, say): it would wait until it expired."""
    people = {u.id: u for role in (Role.HEAD, Role.ADMIN, Role.CHAIR) for u in store.holders(request.school_id, role)}
    slots = {slot_for(person, request) for person in people.values()}
    missing = [
        slot for slot in (Slot.APPROVAL, Slot.CHAIR if request.needs_chair else None) if slot and slot not in slots
    ]
    if missing:
        who = "another administrator" if _head_account(request) else "a head other than the person proposing it"
        raise accounts.AccountError(
            f"No one can approve this: it needs {who if Slot.APPROVAL in missing else 'the chair of governors'}, and "
            "the school has no such active account. The server's operator can make the change on the command line "
            "(see SECURITY.md)."
        )


def _propose(user: User, kind: RequestKind, after: list[str], actor: User | None, reason: str) -> AccountRequest:
    now = utcnow()
    if store.pending_request_for(user.id, kind.value, now):
        raise accounts.AccountError(
            f"{kind.label.capitalize()} for {user.display_name} is already waiting for approval: approve, decline or "
            "withdraw that one first."
        )
    before = sorted(r.value for r in user.roles)
    request = AccountRequest(
        school_id=user.school_id,
        user_id=user.id,
        kind=kind.value,
        roles_before=before,
        roles_after=after,
        reason=(reason or "").strip()[:300],
        proposed_by_id=actor.id if actor else None,
        proposed_at=now,
        expires_at=now + _days(),
        needs_chair=Role.HEAD in user.roles and bool(store.holders(user.school_id, Role.CHAIR)),
    )
    _check_someone_can_approve(request)
    db.session.add(request)
    db.session.flush()
    audit.record_about_user(
        "account_request.proposed",
        f"Proposed: {kind.label}",
        user,
        actor=actor,
        detail={"request": request.id, "kind": kind.value, "before": before, "after": after}
        | ({} if actor else {"by": "command line"}),
    )
    _alert_team(request, "proposed", f"proposed by {_name(actor)}; waiting for {' and '.join(waiting_for(request))}")
    return request


def _name(person: User | None) -> str:
    return person.display_name if person else "the server's operator"


def _alert_team(request: AccountRequest, event: str, what: str) -> None:
    """Tell the DSL team (and the people who may approve it) about a request: in the app, with names; by e-mail,
    without."""
    user = db.session.get(User, request.user_id)
    assert user is not None  # noqa: S101 (a request's account is never deleted)
    kind = RequestKind(request.kind)
    people = {p.id: p for p in store.holders(request.school_id, Role.DSL)}
    if request.outcome is None:
        for role in (Role.HEAD, Role.ADMIN, Role.CHAIR):
            people |= {p.id: p for p in store.holders(request.school_id, role) if slot_for(p, request)}
    notifications.alert_about_account(
        people.values(),
        school_id=request.school_id,
        message=f"Account security: {kind.label} for {user.display_name} — {what}.",
        lines=f"Account security: {kind.label} for an account of your school was {event}.",
    )


def change_roles(user: User, roles: set[Role], *, actor: User | None, reason: str = "") -> AccountRequest | None:
    """Change an account's roles: at once when neither the DSL nor the head role is granted or removed; otherwise
    propose the change, to be approved by a second person (:func:`approve`). Return the request, if one was made.

    The rules of :func:`safeguard.auth.services.set_roles` are checked now too (the last active DSL keeps the role;
    an administrator keeps their own administrator role), and again when the change is made.
    """
    if not roles_need_two_people(user.roles, roles):
        accounts.set_roles(user, roles, actor=actor)
        return None
    if not roles:
        raise accounts.AccountError("Choose at least one role.", field="roles")
    if actor is not None and user.id == actor.id and Role.ADMIN in user.roles and Role.ADMIN not in roles:
        raise accounts.AccountError("You cannot remove your own administrator role; ask another administrator.")
    if Role.DSL not in roles:
        accounts.check_not_last_dsl(user, "remove the DSL role of")
    return _propose(user, RequestKind.ROLES, sorted(r.value for r in roles), actor, reason)


def break_glass_roles(user: User, roles: set[Role], reason: str) -> None:
    """The server's operator changes the DSL or head role alone (the command line's ``--break-glass``): only with a
    reason, audited as such, and the DSL team is alerted. The last active DSL still keeps the role."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise accounts.AccountError("Give the reason for acting alone (at least 10 characters) with --reason.")
    before = sorted(r.value for r in user.roles)
    accounts.set_roles(user, roles, actor=None)
    after = sorted(r.value for r in user.roles)
    audit.record_about_user(
        "user.roles_break_glass",
        "Roles changed by the server's operator alone (break glass)",
        user,
        detail={"before": before, "after": after, "reason": reason[:300], "by": "command line"},
    )
    notifications.alert_about_account(
        store.holders(user.school_id, Role.DSL)
        + [p for p in store.holders(user.school_id, Role.HEAD) if p.id != user.id],
        school_id=user.school_id,
        message=f"Account security: the roles of {user.display_name} were changed by the server's operator alone "
        f"(break glass): {', '.join(before)} → {', '.join(after)}. Reason: {reason[:150]}",
        lines="Account security: the roles of an account of your school were changed by the server's operator alone "
        "(break glass), without a second person's approval.",
    )


def break_glass_school_roles(user: User, school: School, roles: set[Role], reason: str) -> None:
    """The server's operator gives an account the DSL, head or chair role in a school other than its own, or takes
    it away (``trust member --break-glass``): as :func:`break_glass_roles`, only with a reason, audited in that
    school's log, and that school's DSL team and head are alerted."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise accounts.AccountError("Give the reason for acting alone (at least 10 characters) with --reason.")
    before = sorted(r.value for r in store.member_roles(user.id, school.id))
    accounts.set_school_roles(user, school, roles, actor=None)
    after = sorted(r.value for r in roles)
    audit.record(
        "user.school_roles_break_glass",
        "Roles in this school changed by the server's operator alone (break glass)",
        school_id=school.id,
        actor_id=None,
        subject_type="user",
        subject_id=user.id,
        detail={"before": before, "after": after, "reason": reason[:300], "by": "command line"},
    )
    notifications.alert_about_account(
        store.holders(school.id, Role.DSL) + [p for p in store.holders(school.id, Role.HEAD) if p.id != user.id],
        school_id=school.id,
        message=f"Account security: the roles in this school of {user.display_name} (of another school) were changed "
        f"by the server's operator alone (break glass): {', '.join(before) or 'none'} → {', '.join(after) or 'none'}. "
        f"Reason: {reason[:150]}",
        lines="Account security: an account's roles in your school were changed by the server's operator alone "
        "(break glass), without a second person's approval.",
    )


def request_reset(user: User, kind: RequestKind, *, actor: User) -> AccountRequest:
    """Propose resetting the password or second factor of a DSL, head or administrator, for a second person to
    approve; the owner then gets a one-time link."""
    if user.id == actor.id:
        raise accounts.AccountError("You cannot reset your own account here: change your password on your own page.")
    request = _propose(user, kind, sorted(r.value for r in user.roles), actor, "")
    _alert_owner_and_lead(user, request, f"{kind.label} of your account was requested by {actor.display_name}")
    return request


def _alert_owner_and_lead(user: User, request: AccountRequest, what: str) -> None:
    people = {p.id: p for p in lead_dsl_recipients(user.school_id)} | {user.id: user}
    notifications.alert_about_account(
        people.values(),
        school_id=user.school_id,
        message=f"Account security: {what.replace('your account', f'the account of {user.display_name}')}."
        if len(people) > 1
        else f"Account security: {what}.",
        lines=f"Account security: {RequestKind(request.kind).label} of an account of your school "
        f"({'approved' if request.outcome else 'requested'}). If it is yours and you did not expect it, tell your "
        "DSL team and head now.",
    )


def approve(request: AccountRequest, approver: User) -> bool:
    """Give ``approver``'s approval; make the change when every approval it needs is given. Return whether it was
    made. Refused when the approver may not approve it (their own account, their own proposal) or it expired."""
    now = utcnow()
    _check_open(request, now)
    slot = slot_for(approver, request)
    if slot is None:
        raise accounts.AccountError(
            "You cannot approve this request: it is about your own account or you proposed it, or it needs someone "
            f"else's approval ({' and '.join(waiting_for(request))})."
        )
    if slot == Slot.APPROVAL:
        request.approved_by_id, request.approved_at = approver.id, now
    else:
        request.chair_approved_by_id, request.chair_approved_at = approver.id, now
    db.session.flush()
    user = db.session.get(User, request.user_id)
    assert user is not None  # noqa: S101
    audit.record_about_user(
        "account_request.approved",
        f"Approved: {RequestKind(request.kind).label}",
        user,
        actor=approver,
        detail={"request": request.id, "as": slot.value},
    )
    if waiting_for(request):
        _alert_team(
            request,
            "approved by one person",
            f"approved by {approver.display_name}; still waiting for {' and '.join(waiting_for(request))}",
        )
        return False
    _apply(request, user, approver, now)
    return True


def _check_open(request: AccountRequest, now: datetime) -> None:
    if request.outcome is not None:
        raise accounts.AccountError(f"This request was already {request.outcome}.")
    if request.expires_at <= now:
        raise accounts.AccountError("This request has expired: it must be proposed again.")


def _apply(request: AccountRequest, user: User, approver: User, now: datetime) -> None:
    kind = RequestKind(request.kind)
    if kind == RequestKind.ROLES:
        roles = {Role(r) for r in request.roles_after}
        if Role.DSL not in roles:
            accounts.check_not_last_dsl(user, "remove the DSL role of")
        accounts.set_roles(user, roles, actor=approver)
    request.outcome, request.decided_by_id, request.decided_at = Outcome.APPLIED.value, approver.id, now
    db.session.flush()
    if kind == RequestKind.ROLES:
        _alert_team(
            request,
            "approved and made",
            f"approved and made by {approver.display_name}: now {', '.join(request.roles_after)}",
        )
        return
    _send_link(user, request, now)
    _alert_team(
        request, "approved", f"approved by {approver.display_name}; a one-time link was e-mailed to the account's owner"
    )
    _alert_owner_and_lead(user, request, f"{kind.label} of your account was approved: a one-time link was e-mailed")


def decline(request: AccountRequest, person: User) -> None:
    """Decline a request (someone who could approve it), or withdraw it (the person who proposed it)."""
    now = utcnow()
    _check_open(request, now)
    if request.proposed_by_id == person.id:
        outcome = Outcome.WITHDRAWN
    elif slot_for(person, request) is not None:
        outcome = Outcome.DECLINED
    else:
        raise accounts.AccountError("Only someone who may approve this request, or who proposed it, can close it.")
    request.outcome, request.decided_by_id, request.decided_at = outcome.value, person.id, now
    db.session.flush()
    user = db.session.get(User, request.user_id)
    assert user is not None  # noqa: S101
    audit.record_about_user(
        f"account_request.{outcome.value}",
        f"{outcome.value.capitalize()}: {RequestKind(request.kind).label}",
        user,
        actor=person,
        detail={"request": request.id},
    )
    _alert_team(request, outcome.value, f"{outcome.value} by {person.display_name}")


# ---------------------------------------------------------------------------------------------------------------
# One-time links


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _send_link(user: User, request: AccountRequest, now: datetime) -> None:
    purpose = "password" if request.kind == RequestKind.PASSWORD_RESET else "second_factor"
    token = secrets.token_urlsafe(32)
    expires = now + _link_lifetime()
    db.session.add(
        AccountLink(
            school_id=user.school_id,
            user_id=user.id,
            request_id=request.id,
            purpose=purpose,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=expires,
        )
    )
    db.session.flush()
    what = "set a new password" if purpose == "password" else "set up two-factor sign-in again"
    hours = int(_link_lifetime().total_seconds() // 3600)
    notifications.send_email(
        user.email,
        school_id=user.school_id,
        subject="Your one-time link",
        body=(
            f"A reset of your Safeguard account was approved by two people at your school. To {what}, open this link "
            f"within {hours} hours; it works once:\n\n{notifications.links_base()}/auth/account-link/{token}\n\n"
            "If you did not expect this, do not open it: tell your DSL team and head now.\n"
        ),
    )
    audit.record_about_user(
        "account_link.sent",
        "One-time link e-mailed to the account's owner",
        user,
        actor=None,
        detail={"request": request.id, "purpose": purpose, "expires": expires.isoformat()},
    )


def live_link(token: str) -> AccountLink | None:
    """The unused, unexpired link of this token, or ``None`` (an unknown, used or expired link looks the same)."""
    link = store.link_by_hash(_token_hash(token or ""))
    if link is None or link.used_at is not None or link.expires_at <= utcnow() or not link.user.active:
        return None
    return link


def use_password_link(link: AccountLink, new_password: str) -> None:
    """Set the owner's new password through their one-time link; the link is used up and every session ends."""
    if link.purpose != "password":
        raise accounts.AccountError("This link is not for setting a password.")
    if problem := password_problem(new_password or ""):
        raise accounts.AccountError(problem, field="new_password")
    user = link.user
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.failed_attempts, user.locked_until = 0, None
    _use(link, user, sessions.Ended.PASSWORD_RESET, "Password set through a one-time link")


def use_second_factor_link(link: AccountLink, password: str) -> None:
    """Remove the owner's second factor through their one-time link (after their password), so that they set it up
    again at their next sign-in; the link is used up and every session ends."""
    if link.purpose != "second_factor":
        raise accounts.AccountError("This link is not for resetting two-factor sign-in.")
    user = link.user
    if not verify_password(user.password_hash, password or ""):
        raise accounts.AccountError("That password is not right.", field="password")
    twofactor.reset(user, actor=user, summary="Two-factor sign-in removed by its owner through a one-time link")
    _use(link, user, sessions.Ended.SECOND_FACTOR_RESET, "Second factor removed through a one-time link")


def _use(link: AccountLink, user: User, ended: sessions.Ended, summary: str) -> None:
    link.used_at = utcnow()
    db.session.flush()
    sessions.end_all(user, ended)
    audit.record_about_user("account_link.used", summary, user, detail={"request": link.request_id})
    _alert_owner_and_lead_used(user, summary)


def _alert_owner_and_lead_used(user: User, summary: str) -> None:
    people = {p.id: p for p in lead_dsl_recipients(user.school_id)} | {user.id: user}
    notifications.alert_about_account(
        people.values(),
        school_id=user.school_id,
        message=f"Account security: {summary.lower()} for {user.display_name}.",
        lines="Account security: a one-time link sent after an approved reset was used.",
    )


def pending(school_id: int) -> list[AccountRequest]:
    """The school's requests waiting for approval, oldest first (expired ones are no longer listed)."""
    return store.pending_requests(school_id, utcnow())


__all__ = [
    "GUARDED_ACCOUNTS",
    "GUARDED_ROLES",
    "Outcome",
    "RequestKind",
    "Slot",
    "approve",
    "break_glass_roles",
    "break_glass_school_roles",
    "change_roles",
    "decline",
    "lead_dsl_recipients",
    "live_link",
    "pending",
    "request_reset",
    "reset_needs_two_people",
    "roles_need_two_people",
    "slot_for",
    "use_password_link",
    "use_second_factor_link",
    "waiting_for",
]
