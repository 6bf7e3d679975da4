"""Who may do what: the one place where access rules live.

Roles grant capabilities; views declare the capability they need with :func:`requires`, and record-level rules
(``can_view_concern`` and friends) are functions here too. Templates may ask these functions what to show, but
the server always enforces them. A test walks every route for every role against :data:`ROLE_CAPABILITIES`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from safeguard.api import services as api_tokens
from safeguard.api.problems import Problem
from safeguard.api.scopes import Scope
from safeguard.auth.models import Role, User
from safeguard.core.extensions import login_manager

F = TypeVar("F", bound=Callable)


class Capability(enum.StrEnum):
    """Something a role allows."""

    # Any signed-in person: log a concern, see the concerns they logged, check wording.
    SIGNED_IN = "signed_in"
    # See every concern in the school (DSLs and the head teacher).
    VIEW_ALL_CONCERNS = "view_all_concerns"
    # Act on concerns: acknowledge, assign, record actions and decisions, change status.
    ACT_ON_CONCERNS = "act_on_concerns"
    # Export records as PDFs for outside agencies.
    EXPORT = "export"
    # Import and edit pupil records.
    MANAGE_PUPILS = "manage_pupils"
    # Create users, change roles, deactivate accounts, reset a second factor.
    MANAGE_USERS = "manage_users"
    # Change the school's settings.
    MANAGE_SCHOOL = "manage_school"
    # Read the audit log.
    VIEW_AUDIT = "view_audit"
    # See the safety check: DSL cover, the worker, e-mail, overdue acknowledgements (the head and administrators).
    SAFETY_CHECK = "safety_check"
    # Record one's own absence from the DSL team (DSLs).
    SET_AWAY = "set_away"
    # Search the words of every account, note and action in the school (DSLs and the head; each search is audited).
    SEARCH_RECORDS = "search_records"
    # See the school's numbers at a glance: open, urgent, overdue, referrals, follow-ups, transfers (the oversight page).
    VIEW_OVERSIGHT = "view_oversight"


ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.STAFF: frozenset({Capability.SIGNED_IN}),
    Role.DSL: frozenset(
        {
            Capability.SIGNED_IN,
            Capability.VIEW_ALL_CONCERNS,
            Capability.ACT_ON_CONCERNS,
            Capability.EXPORT,
            Capability.MANAGE_PUPILS,
            Capability.VIEW_AUDIT,
            Capability.SET_AWAY,
            Capability.SEARCH_RECORDS,
            Capability.VIEW_OVERSIGHT,
        }
    ),
    Role.HEAD: frozenset(
        {
            Capability.SIGNED_IN,
            Capability.VIEW_ALL_CONCERNS,
            Capability.EXPORT,
            Capability.VIEW_AUDIT,
            Capability.SAFETY_CHECK,
            Capability.SEARCH_RECORDS,
            Capability.VIEW_OVERSIGHT,
        }
    ),
    # Administrators run the accounts and settings; they do not read concerns unless they also hold a DSL role.
    Role.ADMIN: frozenset(
        {
            Capability.SIGNED_IN,
            Capability.MANAGE_USERS,
            Capability.MANAGE_SCHOOL,
            Capability.MANAGE_PUPILS,
            Capability.VIEW_AUDIT,
            Capability.SAFETY_CHECK,
        }
    ),
}


def capabilities(user: User | None) -> frozenset[Capability]:
    """Every capability the user's roles grant; none for an anonymous or deactivated user."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    granted: set[Capability] = set()
    for role in user.roles:
        granted |= ROLE_CAPABILITIES[role]
    return frozenset(granted)


def has(user: User | None, capability: Capability) -> bool:
    """Whether ``user`` holds ``capability``."""
    return capability in capabilities(user)


# The mark :func:`requires` and :func:`public` leave on a view, read by the route-walking test.
PERMISSION_ATTRIBUTE = "_safeguard_permission"
PUBLIC = "public"


# What a person who must change their password (one an administrator set) can still reach.
ALLOWED_BEFORE_PASSWORD_CHANGE = frozenset({"auth.change_password", "auth.sign_out"})


def requires(capability: Capability) -> Callable[[F], F]:
    """Guard a view: anonymous visitors are sent to sign in; a person who must change their password is sent to do
    that first; signed-in users without ``capability`` get 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.must_change_password and request.endpoint not in ALLOWED_BEFORE_PASSWORD_CHANGE:
                next_path = request.full_path if request.method == "GET" else None
                return redirect(url_for("auth.change_password", next=next_path))
            if not has(current_user, capability):
                abort(403)
            return view(*args, **kwargs)

        setattr(guarded, PERMISSION_ATTRIBUTE, capability)
        return guarded  # type: ignore[return-value]

    return decorate


def public(view: F) -> F:
    """Mark a view as open to anyone (the sign-in page, health checks)."""
    setattr(view, PERMISSION_ATTRIBUTE, PUBLIC)
    return view


def same_school(user: User | None, record) -> bool:
    """Whether ``record`` belongs to the user's school."""
    return user is not None and getattr(user, "is_authenticated", False) and record.school_id == user.school_id


class ConcernAccess(enum.StrEnum):
    """How much of a concern a person may see."""

    # DSLs and the head: everything, with the child's chronology.
    FULL = "full"
    # The member of staff who logged it: their own account and addenda, and whether it was acknowledged.
    REPORTER = "reporter"


def concern_access(user: User | None, concern) -> ConcernAccess | None:
    """What ``user`` may see of ``concern``; ``None`` means nothing (the view answers 404, not 403,
    so that a guessed id reveals nothing about another school's or another person's records)."""
    if user is None or not same_school(user, concern):
        return None
    if has(user, Capability.VIEW_ALL_CONCERNS):
        return ConcernAccess.FULL
    if has(user, Capability.SIGNED_IN) and concern.reporter_id == user.id:
        return ConcernAccess.REPORTER
    return None


def can_see_mark(user: User | None, concern, recorded_by_id: int) -> bool:
    """Whether ``user`` sees a body map mark of ``concern``: with full access every mark; the reporter, the marks
    they recorded themselves (as they see their own addenda)."""
    access = concern_access(user, concern)
    return access == ConcernAccess.FULL or (
        access == ConcernAccess.REPORTER and user is not None and user.id == recorded_by_id
    )


def can_view_concern(user: User | None, concern) -> bool:
    """Whether ``user`` may open ``concern`` at all."""
    return concern_access(user, concern) is not None


def can_act_on_concern(user: User | None, concern) -> bool:
    """Whether ``user`` may acknowledge, assign, record actions on and change the status of ``concern``."""
    return same_school(user, concern) and has(user, Capability.ACT_ON_CONCERNS)


def can_add_information(user: User | None, concern) -> bool:
    """Whether ``user`` may add an addendum: the reporter, or a DSL."""
    return can_act_on_concern(user, concern) or (
        user is not None and same_school(user, concern) and concern.reporter_id == user.id
    )


def can_export(user: User | None, record) -> bool:
    """Whether ``user`` may export ``record`` (a concern or a pupil) as a PDF."""
    return same_school(user, record) and has(user, Capability.EXPORT)


# The mark of a view of the JSON API (``api_token:<scope>``): a school's API token holding the scope is needed, sent as
# ``Authorization: Bearer``. A browser's session counts for nothing there (the route-walking test expects a 401 for
# every role), and a token counts for nothing on the pages.
API_TOKEN = "api_token"  # noqa: S105 (the name of a kind of permission)


def requires_token(scope: Scope) -> Callable[[F], F]:
    """Guard a view of the API: no valid token is a 401, a token without ``scope`` a 403 (problem details); the
    token is ``g.api_token`` for the view."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args, **kwargs):
            try:
                g.api_token = api_tokens.authenticate(request.headers.get("Authorization"), scope)
            except Problem as refused:
                if refused.token is not None:
                    g.api_token = refused.token  # audited as a use, refused
                raise
            return view(*args, **kwargs)

        setattr(guarded, PERMISSION_ATTRIBUTE, f"{API_TOKEN}:{scope.value}")
        return guarded  # type: ignore[return-value]

    return decorate
