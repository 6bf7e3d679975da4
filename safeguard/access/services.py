"""The rules of confidentiality: restricting and widening who sees a concern or a child's file, case teams,
emergency access, and who has seen a record. Who may ask for each is in ``auth/permissions.py``; each change here
is an entry on the record (concerns) and an audit row, written in the request's one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from safeguard.access import store
from safeguard.access.models import BREAK_GLASS_HOURS, AccessLevel, GrantKind
from safeguard.audit import services as audit
from safeguard.auth import permissions
from safeguard.auth import services as auth_services
from safeguard.auth import store as accounts
from safeguard.auth.models import Role, User
from safeguard.concerns import services as concern_services
from safeguard.concerns import store as concerns_store
from safeguard.concerns.models import Concern
from safeguard.concerns.states import EventKind
from safeguard.core.formatting import zone_named
from safeguard.core.sqltypes import utcnow
from safeguard.notifications import services as notifications
from safeguard.pupils.models import Pupil

# A case team invitation lasts at most this long; it can be renewed by inviting again.
CASE_TEAM_MAX_DAYS = 366


class AccessError(concern_services.ConcernError):
    """A rule of confidentiality was broken; the message is fit to show."""


@dataclass(frozen=True)
class TeamMember:
    """A DSL or the head, who may be named on a restricted record."""

    id: int
    display_name: str
    email: str


def team_members(school_id: int) -> list[TeamMember]:
    """The school's active DSLs and heads, by name: whom a restricted record's list is chosen from."""
    people = [
        TeamMember(u.id, u.display_name, u.email)
        for u in accounts.school_accounts(school_id)
        if u.is_active and (u.has_role(Role.DSL) or u.has_role(Role.HEAD))
    ]
    return sorted(people, key=lambda p: p.display_name.casefold())


def staff_members(school_id: int) -> list[TeamMember]:
    """The school's active staff outside the DSL team and the head: whom a case team is chosen from."""
    people = [
        TeamMember(u.id, u.display_name, u.email)
        for u in accounts.school_accounts(school_id)
        if u.is_active and not permissions.has(u, permissions.Capability.VIEW_ALL_CONCERNS)
    ]
    return sorted(people, key=lambda p: p.display_name.casefold())


def _reason(reason: str, kept_reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise AccessError(f"Give the reason {what}.", field="reason")
    concern_services.check_wording({"reason": text}, kept_reason)
    return text


def _entry(
    concern: Concern, actor: User, kind: EventKind, summary: str, text: str, detail: dict[str, Any], now: datetime
) -> None:
    concerns_store.insert_event(
        {
            "school_id": concern.school_id,
            "concern_id": concern.id,
            "at": now,
            "actor_id": actor.id,
            "kind": kind.value,
            "summary": summary[: concern_services.SUMMARY_LENGTH],
            "text": text,
            "detail": detail,
            "visible_to_reporter": False,
        }
    )


def _live_listed(grants: Iterable[store.GrantRow], now: datetime) -> dict[int, store.GrantRow]:
    return {
        g.user_id: g
        for g in grants
        if g.kind == GrantKind.LISTED and g.revoked_at is None and (g.ends_at is None or g.ends_at > now)
    }


@dataclass(frozen=True)
class AccessChange:
    """What a person asked: the level, the people named (ids), and why (with the wording gate's kept reason)."""

    level: AccessLevel
    people: frozenset[int]
    reason: str
    kept_reason: str | None = None


def _check_change(
    actor: User,
    record: Concern | Pupil,
    old_level: AccessLevel,
    old_people: set[int],
    change: AccessChange,
    school_id: int,
) -> tuple[str, set[int]]:
    """Refuse what may not be done; return the reason and the people to name."""
    reason = _reason(change.reason, change.kept_reason, "for this change")
    team = {p.id: p for p in team_members(school_id)}
    people = set(change.people) if change.level != AccessLevel.STANDARD else set()
    unknown = people - set(team)
    if unknown:
        raise AccessError("Choose people from the school's DSL team and the head.", field="people")
    if change.level != AccessLevel.STANDARD:
        # Whoever restricts a record stays on it: no one restricts a record away from themselves by mistake.
        people.add(actor.id)
    widening = change.level.rank < old_level.rank or (old_level != AccessLevel.STANDARD and bool(people - old_people))
    if widening and not permissions.can_widen_access(actor, record):
        raise AccessError(
            "Only the lead DSL or the head can widen who sees this record (a wider level, or more people).",
            field="level",
        )
    return reason, people


def _replace_listed(
    school_id: int,
    record: dict[str, int],
    listed: dict[int, store.GrantRow],
    people: set[int],
    change: AccessChange,
    old_level: AccessLevel,
    actor: User,
    now: datetime,
    reason: str,
) -> None:
    """Refuse a change that changes nothing; otherwise end the grants of the people no longer named and grant those
    newly named. ``record`` names the concern or the child's file (``{"concern_id": …}`` or ``{"pupil_id": …}``).

    Nine parameters: the record, who is named before and after, and who acts when and why, as the two callers
    (a concern, a child's file) hold them."""
    if change.level == old_level and people == set(listed):
        raise AccessError("Nothing changed: this is already who may see it.", field="level")
    store.revoke_grants(school_id, [g.id for uid, g in listed.items() if uid not in people], actor.id, now)
    for person in sorted(people - set(listed)):
        store.insert_grant(
            {
                "school_id": school_id,
                **record,
                "user_id": person,
                "kind": GrantKind.LISTED.value,
                "granted_by_id": actor.id,
                "granted_at": now,
                "reason": reason,
            }
        )


def set_concern_access(concern: Concern, actor: User, change: AccessChange, now: datetime | None = None) -> None:
    """Set who may see a concern: its level and named people. Restricting is open to anyone who sees it in full;
    widening needs the lead DSL or the head. An entry on the record says who, when and why."""
    now = now or utcnow()
    old_level = AccessLevel(concern.access_level)
    listed = _live_listed(store.concern_grants(concern.school_id, concern.id), now)
    reason, people = _check_change(actor, concern, old_level, set(listed), change, concern.school_id)
    _replace_listed(
        concern.school_id, {"concern_id": concern.id}, listed, people, change, old_level, actor, now, reason
    )
    store.set_concern_level(concern.school_id, concern.id, change.level)
    names = ", ".join(p.display_name for p in team_members(concern.school_id) if p.id in people)
    summary = f"Who may see it: {change.level.label}" + (f" ({names})" if names else "")
    detail = {"from": old_level.value, "to": change.level.value, "people": sorted(people)}
    _entry(concern, actor, EventKind.ACCESS, summary, reason, detail, now)
    concern.access_level = change.level.value
    audit.record(
        "concern.access_changed",
        f"Access to concern {concern.reference} set to {change.level.value}",
        school_id=concern.school_id,
        actor_id=actor.id,
        subject_type="concern",
        subject_id=concern.id,
        detail=detail,
    )
    permissions.forget_standing()


def set_file_access(pupil: Pupil, actor: User, change: AccessChange, now: datetime | None = None) -> None:
    """Set who may see a child's whole file (every concern about the child)."""
    now = now or utcnow()
    old_level = AccessLevel(pupil.access_level)
    listed = _live_listed(store.file_grants(pupil.school_id, pupil.id), now)
    reason, people = _check_change(actor, pupil, old_level, set(listed), change, pupil.school_id)
    _replace_listed(pupil.school_id, {"pupil_id": pupil.id}, listed, people, change, old_level, actor, now, reason)
    store.set_file_level(pupil.school_id, pupil.id, change.level)
    pupil.access_level = change.level.value
    audit.record(
        "pupil.access_changed",
        f"Access to a child's file set to {change.level.value}",
        school_id=pupil.school_id,
        actor_id=actor.id,
        subject_type="pupil",
        subject_id=pupil.id,
        detail={"from": old_level.value, "to": change.level.value, "people": sorted(people), "reason": reason},
    )
    permissions.forget_standing()


def invite_to_case_team(
    concern: Concern, actor: User, user_id: int, until: date, reason: str, now: datetime | None = None
) -> None:
    """Invite a member of staff into one concern's case team until the end of ``until`` (the school's day): they
    read it and add information, and see nothing else. They are alerted in the app and by e-mail."""
    now = now or utcnow()
    zone = zone_named(actor.school.timezone)
    today = now.astimezone(zone).date()
    person = next((p for p in staff_members(concern.school_id) if p.id == user_id), None)
    if person is None:
        raise AccessError("Choose a member of staff (not of the DSL team or the head).", field="user_id")
    if until < today:
        raise AccessError("The end date cannot be in the past.", field="until")
    if until > today + timedelta(days=CASE_TEAM_MAX_DAYS):
        raise AccessError("An invitation lasts at most a year: choose an earlier end date.", field="until")
    text = _reason(reason, None, "for inviting them")
    ends_at = datetime.combine(until + timedelta(days=1), time.min, zone)
    store.insert_grant(
        {
            "school_id": concern.school_id,
            "concern_id": concern.id,
            "user_id": person.id,
            "kind": GrantKind.CASE_TEAM.value,
            "granted_by_id": actor.id,
            "granted_at": now,
            "ends_at": ends_at,
            "reason": text,
        }
    )
    summary = f"{person.display_name} invited into the case team until {until:%d %B %Y}"
    _entry(concern, actor, EventKind.CASE_TEAM, summary, text, {"user_id": person.id, "until": until.isoformat()}, now)
    audit.record(
        "concern.case_team_invited",
        f"Case team member invited to concern {concern.reference}",
        school_id=concern.school_id,
        actor_id=actor.id,
        subject_type="concern",
        subject_id=concern.id,
        detail={"user_id": person.id, "until": until.isoformat()},
    )
    notifications.alert(
        [person],
        school_id=concern.school_id,
        concern_id=concern.id,
        reference=concern.reference,
        urgent=False,
        headline="You were invited into a concern's case team",
    )
    permissions.forget_standing()


def end_case_team_member(concern: Concern, actor: User, grant_id: int, now: datetime | None = None) -> None:
    """End a case team member's invitation now."""
    now = now or utcnow()
    grant = next(
        (
            g
            for g in store.concern_grants(concern.school_id, concern.id)
            if g.id == grant_id and g.kind == GrantKind.CASE_TEAM
        ),
        None,
    )
    if grant is None or grant.revoked_at is not None or (grant.ends_at is not None and grant.ends_at <= now):
        raise AccessError("That invitation has already ended.")
    store.revoke_grants(concern.school_id, [grant.id], actor.id, now)
    summary = f"{grant.person}'s case team invitation ended"
    _entry(concern, actor, EventKind.CASE_TEAM, summary, "", {"user_id": grant.user_id, "ended": True}, now)
    audit.record(
        "concern.case_team_ended",
        f"Case team member's access to concern {concern.reference} ended",
        school_id=concern.school_id,
        actor_id=actor.id,
        subject_type="concern",
        subject_id=concern.id,
        detail={"user_id": grant.user_id},
    )
    permissions.forget_standing()


NOT_FOUND = "No record you can open with that reference. Check the reference, or ask the lead DSL."


def break_glass(actor: User, reference: str, reason: str, kept_reason: str | None = None) -> Concern:
    """Open a restricted concern one is not named on, in an emergency, with a written reason: the access lasts a
    working day, is an entry on the record and an audit row, and alerts the record's people at once. A sealed
    concern cannot be opened this way, and answers as one that does not exist."""
    now = utcnow()
    concern = concerns_store.concern_by_reference(actor.school_id, reference or "")
    sealed = concern is not None and (
        concern.access_level == AccessLevel.SEALED
        or any(link.pupil.access_level == AccessLevel.SEALED for link in concern.pupil_links)
    )
    if concern is None or sealed:
        raise AccessError(NOT_FOUND, field="reference")
    if permissions.concern_access(actor, concern) == permissions.ConcernAccess.FULL:
        return concern
    text = _reason(reason, kept_reason, "for opening this record")
    store.insert_grant(
        {
            "school_id": concern.school_id,
            "concern_id": concern.id,
            "user_id": actor.id,
            "kind": GrantKind.BREAK_GLASS.value,
            "granted_by_id": actor.id,
            "granted_at": now,
            "ends_at": now + timedelta(hours=BREAK_GLASS_HOURS),
            "reason": text,
        }
    )
    permissions.forget_standing()
    summary = f"Emergency access by {actor.display_name}"
    _entry(concern, actor, EventKind.EMERGENCY_ACCESS, summary, text, {"hours": BREAK_GLASS_HOURS}, now)
    audit.record(
        "concern.emergency_access",
        f"Emergency access to concern {concern.reference}",
        school_id=concern.school_id,
        actor_id=actor.id,
        subject_type="concern",
        subject_id=concern.id,
        detail={"reason": text},
    )
    # Its people: those named on it, and on the restricted files of its children.
    listed = set(_live_listed(store.concern_grants(concern.school_id, concern.id), now))
    for link in concern.pupil_links:
        if link.pupil.access_level != AccessLevel.STANDARD:
            listed |= set(_live_listed(store.file_grants(concern.school_id, link.pupil_id), now))
    people = [p for p in team_members(concern.school_id) if p.id in listed and p.id != actor.id]
    notifications.alert(
        people,
        school_id=concern.school_id,
        concern_id=concern.id,
        reference=concern.reference,
        urgent=True,
        headline=f"Emergency access opened by {actor.display_name}",
    )
    return concern


# ---------------------------------------------------------------------------------------------------------------
# A child's file sent without what its sender may not see

LEFT_OUT_HEADLINE = "A child's file was transferred without this concern: send it to the receiving school"


def alert_left_out(school_id: int, sender: User | None, left_out: Iterable[tuple[int, str]], now: datetime) -> int:
    """A child's file was transferred by someone who may not see every concern about the child: tell the people of
    the DSL team and the head who may see each concern left out (the lead DSL when nobody else may: the one person
    who can widen its list), so that the receiving school gets the whole file. The sender is told nothing: a sealed
    concern's existence stays hidden from them. How many e-mails were queued."""
    left_out = list(left_out)
    if not left_out:
        return 0

    def but_the_sender(people: Sequence[notifications.Person]) -> list[notifications.Person]:
        return [p for p in people if sender is None or p.id != sender.id]

    lead = auth_services.lead_dsl(school_id)
    team = but_the_sender(team_members(school_id))
    fallback = but_the_sender([lead] if lead is not None else [])
    sent = 0
    for concern_id, reference in left_out:
        may_see = store.who_may_see(school_id, concern_id, [p.id for p in team], now)
        sent += notifications.alert(
            [p for p in team if p.id in may_see] or fallback,
            school_id=school_id,
            concern_id=concern_id,
            reference=reference,
            urgent=False,
            headline=LEFT_OUT_HEADLINE,
        )
    return sent


# ---------------------------------------------------------------------------------------------------------------
# Who has seen this


@dataclass(frozen=True)
class Seen:
    """One line of "who has seen this": who, when, which page or action, and an emergency access's reason."""

    at: datetime
    person: str
    what: str
    reason: str | None


_WHAT = {
    "concern.viewed": "Concern page",
    "pupil.viewed": "Child's page",
    "concern.emergency_access": "Emergency access",
    "concern.exported": "Exported",
    "export.created": "Exported",
    "attachment.downloaded": "Attachment downloaded",
}


def who_has_seen(school_id: int, subject_type: str, subject_id: int) -> list[Seen]:
    """Every audited view of a concern or a child's file (and exports, emergency access), newest first."""
    return [
        Seen(
            row.at,
            row.person or "Command line",
            _WHAT.get(row.kind, row.summary),
            (row.detail or {}).get("reason") if row.kind == "concern.emergency_access" else None,
        )
        for row in store.views_of(school_id, subject_type, subject_id)
    ]
