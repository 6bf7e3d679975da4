"""Who may do what: the one place where access rules live.

Roles grant capabilities; views declare the capability they need with :func:`requires`, and record-level rules
(``can_view_concern`` and friends) are functions here too. Templates may ask these functions what to show, but
the server always enforces them. A test walks every route for every role against :data:`ROLE_CAPABILITIES`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, has_request_context, redirect, request, url_for
from flask_login import current_user

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
    # A member of staff invited into this one concern's case team: the concern and its chronology, and adding
    # information; nothing else of the child's file.
    CASE_TEAM = "case_team"
    # The reporter of a sealed concern: that it was received, and nothing more.
    RECEIVED = "received"


def may_see(level: Any, team: Any, children_clear: Any, granted: Any) -> Any:
    """Whether a person sees a concern: the one rule, for values or columns (as in ``concerns/rules.py``).

    A *standard* concern is seen by the DSL team and the head (``team``) when every child it is about has a file
    they may see (``children_clear``); anything else, restricted or sealed, only through a grant in force
    (``granted``: named on its list, its case team, emergency access). Given Python values it answers ``True`` or
    ``False``; given columns it is the SQL every list is read through (``safeguard.access.store.concern_visible``).
    """
    return ((level == "standard") & team & children_clear) | granted


@dataclass(frozen=True)
class Viewer:
    """The person a list is read for, as every list's condition binds them (``safeguard.access.store``)."""

    id: int | None
    # Of the DSL team or the head (who see standard records).
    team: bool
    # Grants end by themselves: whether one is in force is asked at this time.
    now: datetime

    def values(self) -> dict[str, Any]:
        """The statement's values for this person."""
        return {"viewer_id": self.id, "viewer_team": self.team, "now": self.now}


def viewer(user: User | None, now: datetime) -> Viewer:
    """``user`` as a viewer of lists at ``now`` (an anonymous person: nobody, who sees nothing)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Viewer(None, False, now)
    return Viewer(user.id, has(user, Capability.VIEW_ALL_CONCERNS), now)


def _standing(user: User, concern) -> Any:
    """The person's standing on the concern, by the lists' own condition; asked once per request and concern."""
    from safeguard.access import store as access_store  # the store uses may_see above
    from safeguard.core.sqltypes import utcnow

    cache = g.setdefault("concern_standing", {}) if has_request_context() else {}
    key = (concern.id, user.id)
    if key not in cache:
        cache[key] = access_store.standing(
            concern.school_id, concern.id, user.id, has(user, Capability.VIEW_ALL_CONCERNS), utcnow()
        )
    return cache[key]


def forget_standing() -> None:
    """Forget the standings asked in this request (after a change of who may see a record)."""
    if has_request_context():
        g.pop("concern_standing", None)


def concern_access(user: User | None, concern) -> ConcernAccess | None:
    """What ``user`` may see of ``concern``; ``None`` means nothing (the view answers 404, not 403,
    so that a guessed id reveals nothing about another school's or another person's records, or that a restricted
    or sealed one exists)."""
    if user is None or not same_school(user, concern) or not has(user, Capability.SIGNED_IN):
        return None
    standing = _standing(user, concern)
    if standing.visible:
        if has(user, Capability.VIEW_ALL_CONCERNS):
            return ConcernAccess.FULL
        if standing.case_team:
            return ConcernAccess.CASE_TEAM
    if concern.reporter_id == user.id:
        return ConcernAccess.RECEIVED if concern.access_level == "sealed" else ConcernAccess.REPORTER
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
    """Whether ``user`` may acknowledge, assign, record actions on and change the status of ``concern``: a DSL who
    sees it in full."""
    return (
        same_school(user, concern)
        and has(user, Capability.ACT_ON_CONCERNS)
        and concern_access(user, concern) == ConcernAccess.FULL
    )


def can_add_information(user: User | None, concern) -> bool:
    """Whether ``user`` may add an addendum: the reporter (not of a sealed concern), a case team member, or a DSL."""
    return can_act_on_concern(user, concern) or concern_access(user, concern) in (
        ConcernAccess.REPORTER,
        ConcernAccess.CASE_TEAM,
    )


def can_export(user: User | None, record) -> bool:
    """Whether ``user`` may export ``record`` (a concern or a pupil) as a PDF: a concern they see in full; a child's
    file (only the concerns they may see go into it)."""
    if not (same_school(user, record) and has(user, Capability.EXPORT)):
        return False
    if hasattr(record, "reporter_id"):
        return concern_access(user, record) == ConcernAccess.FULL
    return True


# ---------------------------------------------------------------------------------------------------------------
# Confidentiality: the lead DSL, restricting and widening, case teams, emergency access, who has seen a record


def is_lead_dsl(user: User | None) -> bool:
    """Whether ``user`` is their school's lead DSL (the school's setting, ``schools.lead_dsl_id``)."""
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.has_role(Role.DSL)
        and user.school.lead_dsl_id == user.id
    )


def is_lead_or_head(user: User | None) -> bool:
    """The lead DSL or the head: who may widen access to a record and read who has seen it."""
    return is_lead_dsl(user) or (
        user is not None and has(user, Capability.VIEW_ALL_CONCERNS) and user.has_role(Role.HEAD)
    )


def can_set_access(user: User | None, concern) -> bool:
    """Whether ``user`` may change who sees ``concern``: only someone who already sees it in full (restricting
    further; widening also needs :func:`can_widen_access`)."""
    return concern_access(user, concern) == ConcernAccess.FULL


def can_widen_access(user: User | None, record) -> bool:
    """Whether ``user`` may widen who sees a record (a lower level, more people): the lead DSL or the head, who
    see it."""
    return same_school(user, record) and is_lead_or_head(user)


def can_manage_case_team(user: User | None, concern) -> bool:
    """Whether ``user`` may invite staff into a concern's case team, or end an invitation: a DSL who sees it."""
    return can_act_on_concern(user, concern)


def can_see_who_has_seen(user: User | None, record) -> bool:
    """Whether ``user`` may read who has seen a record: the lead DSL or the head (who may see the record)."""
    return same_school(user, record) and is_lead_or_head(user)


def can_break_glass(user: User | None) -> bool:
    """Whether ``user`` may open a restricted record they are not named on, with a written reason: a DSL or the
    head (the record's people are alerted at once)."""
    return has(user, Capability.VIEW_ALL_CONCERNS)


def can_set_file_access(user: User | None, pupil, named: bool) -> bool:
    """Whether ``user`` may change who sees a child's whole file: a DSL or the head named on it (any of the team
    while it is standard)."""
    return (
        same_school(user, pupil)
        and has(user, Capability.VIEW_ALL_CONCERNS)
        and (pupil.access_level == "standard" or named)
    )
