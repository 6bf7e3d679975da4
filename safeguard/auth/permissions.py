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
    # See the retention review queue, holds and destruction records (DSLs and the head; deciding is for the lead DSL
    # and the head: can_decide_retention).
    REVIEW_RETENTION = "review_retention"
    # Log, redact and release subject access requests (DSLs and the head).
    HANDLE_SUBJECT_ACCESS = "handle_subject_access"
    # Approve or decline a change to the DSL or head role, or a reset of a DSL's, head's or administrator's account,
    # that someone else proposed (the head, administrators, the chair of governors; safeguard.auth.approvals).
    APPROVE_ACCOUNT_CHANGES = "approve_account_changes"
    # Manage concerns about adults by role: the head (the case manager), the chair of governors (when the adult is
    # the head). Which cases each sees is decided per record (adult_concern_routes and the store's visibility rule).
    MANAGE_ADULT_CONCERNS = "manage_adult_concerns"
    # The trust dashboard (numbers of every school of the trust, no child's name or account), and asking a school for
    # access to its records (trust safeguarding leads).
    VIEW_TRUST = "view_trust"
    # Grant, refuse or end the trust lead's access to the school's records; link a concern to one in another school of
    # the trust that the DSL also sees (DSLs).
    DECIDE_TRUST_ACCESS = "decide_trust_access"


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
            Capability.REVIEW_RETENTION,
            Capability.HANDLE_SUBJECT_ACCESS,
            Capability.DECIDE_TRUST_ACCESS,
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
            Capability.REVIEW_RETENTION,
            Capability.HANDLE_SUBJECT_ACCESS,
            Capability.APPROVE_ACCOUNT_CHANGES,
            Capability.MANAGE_ADULT_CONCERNS,
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
            Capability.APPROVE_ACCOUNT_CHANGES,
        }
    ),
    # The chair of governors: no access to children's records. Approves changes to the head's own account, and is
    # the case manager when an allegation is about the head.
    Role.CHAIR: frozenset({Capability.SIGNED_IN, Capability.APPROVE_ACCOUNT_CHANGES, Capability.MANAGE_ADULT_CONCERNS}),
    Role.TRUST_LEAD: frozenset({Capability.SIGNED_IN, Capability.VIEW_TRUST}),
}

# What a trust lead may do in a school that granted them access to its records, while the grant lasts: read them.
TRUST_ACCESS_CAPABILITIES = frozenset({Capability.SIGNED_IN, Capability.VIEW_ALL_CONCERNS})


def capabilities(user: User | None) -> frozenset[Capability]:
    """Every capability the user's roles grant; none for an anonymous or deactivated user."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    granted: set[Capability] = set()
    for role in user.roles:
        granted |= ROLE_CAPABILITIES[role]
    if user.trust_access:
        granted |= TRUST_ACCESS_CAPABILITIES
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


# Open to anyone, but acted on only for what a school's key signed (a transfer package posted to the inbox, a receipt):
# the signature is the permission, checked by the service before anything is kept. Exempt from CSRF (no browser
# posts there), rate-limited.
PUBLIC_SIGNED = "public_signed"


def public_signed(view: F) -> F:
    """Mark a view as open to any caller whose request is checked by a school's signature."""
    setattr(view, PERMISSION_ATTRIBUTE, PUBLIC_SIGNED)
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


def can_decide_retention(user: User | None, record, lead_dsl_id: int | None) -> bool:
    """Whether ``user`` may decide a retention review of ``record`` (keep, hold, propose a disposal, lift a hold, set
    the school's periods): the school's lead DSL or its head."""
    if user is None or not same_school(user, record) or not has(user, Capability.REVIEW_RETENTION):
        return False
    return user.id == lead_dsl_id or user.has_role(Role.HEAD)


def can_approve_disposal(user: User | None, disposal, lead_dsl_id: int | None) -> bool:
    """Whether ``user`` may approve ``disposal``: never its proposer; the head when the lead DSL proposed it, the
    lead DSL when the head did."""
    if user is None or not same_school(user, disposal) or not has(user, Capability.REVIEW_RETENTION):
        return False
    if user.id == disposal.proposed_by_id:
        return False
    if disposal.proposed_by_id == lead_dsl_id:
        return user.has_role(Role.HEAD)
    return user.id == lead_dsl_id


def can_handle_subject_access(user: User | None, record) -> bool:
    """Whether ``user`` may work on a subject access request (or log one about ``record``, a pupil)."""
    return same_school(user, record) and has(user, Capability.HANDLE_SUBJECT_ACCESS)


# ---------------------------------------------------------------------------------------------------------------
# Concerns about adults. Who sees a case (the one rule, applied in SQL by safeguard.adults.store to every list and
# every case it loads):
#   - never the adult it is about, whatever their roles (the subject is filtered out in the statement);
#   - the case managers by role: the head for a case routed to the head, the chair of governors for one routed to
#     the chair (an allegation about the head);
#   - the deputy case manager: the school's (for the head's cases) or the one named on the case;
#   - the people a case manager added (they read; they do not act).
# Administrators and DSLs see nothing unless added. Nobody can add themselves, and an administrator cannot give
# themselves the head's or the chair's role (auth.services.set_roles).


def adult_concern_routes(user: User | None) -> frozenset[str]:
    """The cases ``user`` manages by their roles: ``"head"`` (the head teacher) and ``"chair"`` (the chair of
    governors); empty for everyone else."""
    if not has(user, Capability.MANAGE_ADULT_CONCERNS) or user is None:
        return frozenset()
    routes = set()
    if Role.HEAD in user.roles:
        routes.add("head")
    if Role.CHAIR in user.roles:
        routes.add("chair")
    return frozenset(routes)


def can_see_adult_concern(user: User | None, case) -> bool:
    """Whether ``user`` may read ``case`` (a row the store loaded through its visibility rule, which carries
    ``manages`` and ``added``): checked again here, so that the subject never sees their own case."""
    if user is None or not same_school(user, case) or not has(user, Capability.SIGNED_IN):
        return False
    if case.subject_user_id is not None and case.subject_user_id == user.id:
        return False
    return bool(case.manages or case.added)


def can_act_on_adult_concern(user: User | None, case) -> bool:
    """Whether ``user`` may record on ``case`` (the LADO discussion, interim arrangements, the outcome, who may see
    it): its case managers and deputies, never the people only added to read it."""
    return can_see_adult_concern(user, case) and bool(case.manages)


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


# ---------------------------------------------------------------------------------------------------------------
# Confidentiality: the lead DSL, restricting and widening, case teams, emergency access, who has seen a record


def reads_restricted_transfers(user: User | None) -> bool:
    """Whether ``user`` reads the concerns another school sent as restricted or sealed: the lead DSL, or every DSL
    while the school has named none (a received record must never become unreadable). The sending school's lists
    name its own people, not ours; the rest of the DSL team is told that restricted ones exist, and nothing of sealed
    ones."""
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.has_role(Role.DSL)
        and user.school.lead_dsl_id in (None, user.id)
    )


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
