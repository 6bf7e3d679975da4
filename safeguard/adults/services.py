"""The rules of concerns about adults: raising one, routing it (the head, or the chair of governors when the adult is
the head), the LADO clock and its escalation, interim arrangements, the outcome and its retention, who may see a
case, the case summary for the LADO, and the entry a child's chronology shows.

Every read goes through the store's one visibility rule: the adult a case is about never sees it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from safeguard.adults import store
from safeguard.adults.models import AdultConcern
from safeguard.adults.states import (
    CLOSED,
    INTERIM_MEASURES,
    LOW_LEVEL_OUTCOME,
    OPEN,
    OUTCOMES,
    PATTERN_COUNT,
    PATTERN_MONTHS,
    RELATIONS,
    RETENTION_YEARS,
    THRESHOLD,
    EntryKind,
    Routed,
    Track,
)
from safeguard.audit import services as audit
from safeguard.auth.models import Role, User
from safeguard.auth.permissions import adult_concern_routes, can_act_on_adult_concern, can_see_adult_concern
from safeguard.concerns.services import ConcernError, check_wording
from safeguard.core.formatting import local_datetime, zone_named
from safeguard.core.schooldays import add_school_days
from safeguard.core.sqltypes import utcnow
from safeguard.exports import services as exports
from safeguard.exports.models import Export
from safeguard.notifications import services as notifications
from safeguard.pupils import store as pupils_store
from safeguard.reports.adults import AdultCaseInfo, CaseEntry, build_adult_case_summary

logger = logging.getLogger("safeguard.adults")

ADULT_CASE = "adult_case"


__all__ = ["AdultConcernError", "ConcernError"]


class AdultConcernError(ConcernError):
    """A rule was broken; the message is fit to show, beside ``field`` when given."""


def lado_due(received_at: datetime, zone: str) -> datetime:
    """When the case manager must have discussed an allegation with the LADO: one working day after it was received.

    The LADO's working day is the local authority's, which works through the school's holidays: it is counted in
    weekdays, not in the school's calendar (a half-term must not push an allegation's discussion back a week).
    """
    return add_school_days(received_at, 1, zone)


def viewer(user: User) -> store.Viewer:
    """The reader of concerns about adults: their school, id, and the cases their roles manage."""
    return store.Viewer(user.school_id, user.id, tuple(sorted(adult_concern_routes(user))))


# ---------------------------------------------------------------------------------------------------------------
# Raising a concern


@dataclass(frozen=True)
class NewAdultConcern:
    """What the writer entered."""

    subject_user_id: int | None
    subject_name: str
    subject_relation: str
    subject_role: str
    account: str
    happened_at: datetime
    location: str
    threshold: str
    pupil_ids: list[int] = field(default_factory=list)
    wording_kept_reason: str | None = None


@dataclass(frozen=True)
class Raised:
    """A concern raised: its id, reference, where it went and how many people were told."""

    id: int
    reference: str
    routed: Routed
    told: int


def _subject(user: User, new: NewAdultConcern) -> tuple[int | None, str, Routed]:
    """The adult's account (when chosen), their name, and who manages the case."""
    if new.subject_user_id is None:
        name = new.subject_name.strip()
        if len(name) < 2:
            raise AdultConcernError("Choose the adult's account, or write their name.", "subject_name")
        return None, name[:120], Routed.HEAD
    if new.subject_user_id == user.id:
        raise AdultConcernError(
            "To report something about yourself, speak to the head teacher (or the chair of governors) directly.",
            "subject_user_id",
        )
    account = store.school_person(user.school_id, new.subject_user_id)
    if account is None:
        raise AdultConcernError("Choose the adult from the list.", "subject_user_id")
    routed = Routed.CHAIR if Role.HEAD in account.roles else Routed.HEAD
    return account.id, account.display_name, routed


def _check_new(user: User, new: NewAdultConcern, now: datetime) -> str | None:
    if new.subject_relation not in RELATIONS:
        raise AdultConcernError("Choose how the adult works with the school.", "subject_relation")
    if new.threshold not in THRESHOLD:
        raise AdultConcernError("Say whether you think it may meet the harm threshold.", "threshold")
    if len(new.account.strip()) < 10:
        raise AdultConcernError("Say what happened, in your own words.", "account")
    if new.happened_at > now + timedelta(minutes=5):
        raise AdultConcernError("When it happened cannot be in the future.", "happened_on")
    found = pupils_store.on_roll(user.school_id, new.pupil_ids)
    if any(pid not in found for pid in new.pupil_ids):
        raise AdultConcernError("A child chosen is not on this school's roll.", "pupils")
    return check_wording(
        {"account": new.account, "location": new.location, "subject_role": new.subject_role}, new.wording_kept_reason
    )


def raise_concern(user: User, new: NewAdultConcern, now: datetime | None = None) -> Raised:
    """Record a concern about an adult, route it to its case managers and tell them by e-mail (reference only)."""
    now = now or utcnow()
    kept = _check_new(user, new, now)
    subject_id, name, routed = _subject(user, new)
    track = Track.LOW_LEVEL if new.threshold == "no" else Track.ALLEGATION
    zone = user.school.timezone
    number = store.next_number(user.school_id)
    reference = f"{store.school_code(user.school_id)}-A-{now.astimezone(zone_named(zone)).year}-{number:04d}"
    settings = store.settings(user.school_id)
    case_id = store.insert_case(
        {
            "school_id": user.school_id,
            "reference": reference,
            "track": track.value,
            "status": OPEN,
            "routed_to": routed.value,
            "subject_user_id": subject_id,
            "subject_name": name,
            "subject_relation": new.subject_relation,
            "subject_role": new.subject_role.strip()[:120],
            "account": new.account.strip(),
            "happened_at": new.happened_at,
            "location": new.location.strip()[:200],
            "threshold": new.threshold,
            "wording_kept_reason": kept,
            "reporter_id": user.id,
            "received_at": now,
            "lado_due_at": lado_due(now, zone) if track is Track.ALLEGATION else None,
            "lado_name": settings.lado_name if settings else "",
            "lado_contact": settings.lado_contact if settings else "",
            "lado_advice": "",
            "lado_reference": "",
            "strategy_meeting": False,
            "police": False,
            "childrens_social_care": False,
            "involvement": "",
            "interim_reason": "",
            "outcome_notes": "",
            "dbs_reason": "",
            "tra_reason": "",
            "remove_from_personnel": False,
            "version": 1,
        }
    )
    store.insert_children(user.school_id, case_id, sorted(set(new.pupil_ids)))
    _entry(user.school_id, case_id, user.id, EntryKind.RAISED, f"{track.label} raised; sent to {routed.label}", now)
    audit.record(
        "adult_concern.raised",
        f"Concern about an adult {reference} raised",
        school_id=user.school_id,
        actor_id=user.id,
        subject_type="adult_concern",
        subject_id=case_id,
        detail={"track": track.value, "routed_to": routed.value},
    )
    deputies: list[int | None] = (
        [settings.deputy_id] if settings and settings.deputy_id and routed is Routed.HEAD else []
    )
    told = _tell(
        user.school_id,
        case_id,
        reference,
        routed,
        deputies,
        subject_id,
        "A concern about an adult was raised",
        urgent=track is Track.ALLEGATION,
    )
    return Raised(case_id, reference, routed, told)


def _tell(
    school_id: int,
    case_id: int,
    reference: str,
    routed: Routed,
    deputies: list[int | None],
    subject: int | None,
    headline: str,
    urgent: bool,
) -> int:
    """Alert the case managers (never the subject) in the app and by e-mail: the reference and a link, no name or
    detail; an allegation first among their alerts."""
    return notifications.alert_linked(
        store.case_managers(school_id, routed.value, deputies, subject),
        school_id=school_id,
        path=f"/adults/{case_id}",
        message=f"{headline}: {reference}",
        subject=f"{headline}: {reference}",
        lines=f"{headline}.\n\nReference: {reference}\n",
        urgent=urgent,
    )


def _entry(
    school_id: int, case_id: int, actor_id: int | None, kind: EntryKind, summary: str, at: datetime, **detail: Any
) -> None:
    store.insert_entry(
        {
            "school_id": school_id,
            "concern_id": case_id,
            "at": at,
            "actor_id": actor_id,
            "kind": kind.value,
            "summary": summary,
            "detail": detail,
        }
    )


# ---------------------------------------------------------------------------------------------------------------
# Reading


def load(user: User, case_id: int) -> store.Case | None:
    """The case if ``user`` may see it (the store's rule, and the permission checked again), else ``None``."""
    found = store.case(viewer(user), case_id)
    if found is None or not can_see_adult_concern(user, found):
        return None
    return found


def record_view(user: User, case: store.Case) -> None:
    """Audit a reading of a case (kept even if the request is rolled back)."""
    audit.record_read(
        "adult_concern.viewed",
        f"Concern about an adult {case.record.reference} viewed",
        school_id=case.school_id,
        actor_id=user.id,
        subject_type="adult_concern",
        subject_id=case.record.id,
    )


@dataclass(frozen=True)
class Pattern:
    """Low-level concerns about one adult within the review period: enough to ask whether together they meet the
    harm threshold."""

    subject_name: str
    count: int
    references: tuple[str, ...]


def adult_key(row: store.CaseRow | AdultConcern) -> str:
    """Which adult a case is about: their account, else their name without case or spaces around it."""
    if row.subject_user_id is not None:
        return f"account:{row.subject_user_id}"
    return "name:" + " ".join(row.subject_name.lower().split())


def patterns(rows: list[store.CaseRow], now: datetime) -> list[Pattern]:
    """The adults with :data:`PATTERN_COUNT` or more low-level concerns received in the last
    :data:`PATTERN_MONTHS` months, among the cases the reader sees."""
    since = now - timedelta(days=round(365 * PATTERN_MONTHS / 12))
    by_adult: dict[str, list[store.CaseRow]] = defaultdict(list)
    for row in rows:
        if row.track == Track.LOW_LEVEL and row.received_at >= since:
            by_adult[adult_key(row)].append(row)
    return [
        Pattern(found[0].subject_name, len(found), tuple(r.reference for r in found))
        for found in by_adult.values()
        if len(found) >= PATTERN_COUNT
    ]


def adult_log(user: User, case: store.Case) -> list[store.CaseRow]:
    """The concerns about the same adult that ``user`` may see, newest first (the low-level log per adult)."""
    key = adult_key(case.record)
    return [row for row in store.cases(viewer(user)) if adult_key(row) == key]


def open_summary(user: User) -> store.OpenSummary:
    """For the home page: the open cases ``user`` may see (none for everyone else, the adult above all)."""
    return store.open_summary(viewer(user), utcnow())


def lado_on_time(record: AdultConcern) -> bool | None:
    """Whether the LADO discussion was recorded within the clock (``None`` while not recorded)."""
    if record.lado_discussed_at is None or record.lado_due_at is None:
        return None
    return record.lado_discussed_at <= record.lado_due_at


# ---------------------------------------------------------------------------------------------------------------
# Acting on a case


def _check_actor(user: User, case: store.Case) -> None:
    if not can_act_on_adult_concern(user, case):
        raise AdultConcernError("Only the case manager or a deputy case manager can record this.")


def _update(case: store.Case, version: int, **values: Any) -> None:
    try:
        store.update_case(case.record, version, **values)
    except store.StaleCase:
        raise AdultConcernError(
            "Someone else changed this case while you were writing. Reload the page: what you typed is below."
        ) from None


@dataclass(frozen=True)
class LadoDiscussion:
    """The discussion with the LADO, as the case manager records it."""

    discussed_at: datetime
    lado_name: str
    lado_contact: str
    advice: str
    reference: str
    strategy_meeting: bool
    police: bool
    childrens_social_care: bool
    involvement: str
    wording_kept_reason: str | None = None


def record_lado(user: User, case: store.Case, version: int, found: LadoDiscussion, now: datetime | None = None) -> None:
    """Record the discussion with the LADO: when, who, their advice and reference, and what was advised."""
    now = now or utcnow()
    _check_actor(user, case)
    record = case.record
    if record.track != Track.ALLEGATION:
        raise AdultConcernError(
            "A low-level concern is not discussed with the LADO unless it is treated as an allegation."
        )
    if found.discussed_at > now + timedelta(minutes=5):
        raise AdultConcernError("The discussion cannot be in the future.", "discussed_on")
    if found.discussed_at < record.received_at - timedelta(minutes=1):
        raise AdultConcernError("The discussion cannot be before the concern was received.", "discussed_on")
    if len(found.advice.strip()) < 3:
        raise AdultConcernError("Write the LADO's advice.", "advice")
    check_wording({"advice": found.advice, "involvement": found.involvement}, found.wording_kept_reason)
    _update(
        case,
        version,
        lado_discussed_at=found.discussed_at,
        lado_name=found.lado_name.strip()[:200],
        lado_contact=found.lado_contact.strip()[:300],
        lado_advice=found.advice.strip(),
        lado_reference=found.reference.strip()[:60],
        strategy_meeting=found.strategy_meeting,
        police=found.police,
        childrens_social_care=found.childrens_social_care,
        involvement=found.involvement.strip(),
    )
    zone = zone_named(user.school.timezone)
    on_time = found.discussed_at <= record.lado_due_at if record.lado_due_at else True
    when = "within one working day" if on_time else "after the one working day"
    advised = _advised(record)
    summary = f"Discussed with the LADO {when} ({local_datetime(found.discussed_at, zone=zone)})"
    if advised:
        summary += "; advised: " + ", ".join(advised)
    _entry(record.school_id, record.id, user.id, EntryKind.LADO, summary, now, reference=record.lado_reference)
    _audit(user, record, "adult_concern.lado", "LADO discussion recorded")


def _advised(record: AdultConcern) -> list[str]:
    return [
        label
        for flag, label in (
            (record.strategy_meeting, "a strategy meeting"),
            (record.police, "the police"),
            (record.childrens_social_care, "children's social care"),
        )
        if flag
    ]


def record_interim(
    user: User,
    case: store.Case,
    version: int,
    measure: str,
    reason: str,
    kept: str | None = None,
    now: datetime | None = None,
) -> None:
    """Record interim arrangements (suspension or other measures) with the reasons for them."""
    now = now or utcnow()
    _check_actor(user, case)
    if measure not in INTERIM_MEASURES:
        raise AdultConcernError("Choose the interim arrangement.", "measure")
    if len(reason.strip()) < 3:
        raise AdultConcernError("Give the reasons (also for deciding on no interim measures).", "reason")
    check_wording({"reason": reason}, kept)
    _update(case, version, interim_measure=measure, interim_reason=reason.strip(), interim_at=now)
    record = case.record
    _entry(
        record.school_id,
        record.id,
        user.id,
        EntryKind.INTERIM,
        f"Interim arrangements: {INTERIM_MEASURES[measure]}",
        now,
    )
    _audit(user, record, "adult_concern.interim", "Interim arrangements recorded")


@dataclass(frozen=True)
class Outcome:
    """The outcome as the case manager records it."""

    outcome: str
    notes: str
    dbs_referral: bool | None = None
    dbs_reason: str = ""
    tra_referral: bool | None = None
    tra_reason: str = ""
    retirement_date: date | None = None
    wording_kept_reason: str | None = None


def retain_until(received: date, retirement: date | None) -> date:
    """How long an allegation is kept: to the adult's normal retirement date or ten years from the allegation,
    whichever is later (KCSIE Part 4)."""
    try:
        ten_years = received.replace(year=received.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        ten_years = received.replace(year=received.year + RETENTION_YEARS, day=28)
    return max(ten_years, retirement) if retirement else ten_years


def _check_referrals(found: Outcome) -> None:
    for answer, reason, name, agency in (
        (found.dbs_referral, found.dbs_reason, "dbs", "the Disclosure and Barring Service"),
        (found.tra_referral, found.tra_reason, "tra", "the Teaching Regulation Agency"),
    ):
        if answer is None:
            raise AdultConcernError(f"Say whether a referral to {agency} was made.", f"{name}_referral")
        if len(reason.strip()) < 3:
            raise AdultConcernError(f"Say why a referral to {agency} was or was not made.", f"{name}_reason")


def record_outcome(user: User, case: store.Case, version: int, found: Outcome, now: datetime | None = None) -> None:
    """Close the case with its outcome: a KCSIE code, the referrals to the DBS and the TRA and why, and retention."""
    now = now or utcnow()
    _check_actor(user, case)
    record = case.record
    if record.status == CLOSED:
        raise AdultConcernError("This case is already closed.")
    if len(found.notes.strip()) < 3:
        raise AdultConcernError("Write how the case was concluded.", "notes")
    values: dict[str, Any] = {"outcome_notes": found.notes.strip(), "outcome_at": now, "status": CLOSED}
    if record.track == Track.ALLEGATION:
        if found.outcome not in OUTCOMES:
            raise AdultConcernError("Choose the outcome.", "outcome")
        _check_referrals(found)
        received = record.received_at.astimezone(zone_named(user.school.timezone)).date()
        values |= {
            "outcome": found.outcome,
            "dbs_referral": found.dbs_referral,
            "dbs_reason": found.dbs_reason.strip(),
            "tra_referral": found.tra_referral,
            "tra_reason": found.tra_reason.strip(),
            "retirement_date": found.retirement_date,
            "retain_until": retain_until(received, found.retirement_date),
            "remove_from_personnel": found.outcome == "malicious",
        }
        label = OUTCOMES[found.outcome][0]
    else:
        values["outcome"] = LOW_LEVEL_OUTCOME
        label = "Reviewed and closed"
    check_wording(
        {"notes": found.notes, "dbs_reason": found.dbs_reason, "tra_reason": found.tra_reason},
        found.wording_kept_reason,
    )
    _update(case, version, **values)
    _entry(record.school_id, record.id, user.id, EntryKind.OUTCOME, f"Outcome: {label}", now)
    _audit(user, record, "adult_concern.outcome", "Outcome recorded")


def change_track(user: User, case: store.Case, version: int, reason: str, now: datetime | None = None) -> None:
    """Treat a low-level concern as an allegation (the LADO clock starts now), or an allegation as a low-level
    concern, with the reason."""
    now = now or utcnow()
    _check_actor(user, case)
    record = case.record
    if record.status == CLOSED:
        raise AdultConcernError("This case is closed.")
    if len(reason.strip()) < 3:
        raise AdultConcernError("Give the reason.", "reason")
    check_wording({"reason": reason}, None)
    if record.track == Track.LOW_LEVEL:
        new, due = Track.ALLEGATION, lado_due(now, user.school.timezone)
    else:
        new, due = Track.LOW_LEVEL, None
    _update(case, version, track=new.value, lado_due_at=due)
    _entry(record.school_id, record.id, user.id, EntryKind.TRACK, f"Now treated as: {new.label}. {reason.strip()}", now)
    _audit(user, record, "adult_concern.track", "Track changed")


def add_person(user: User, case: store.Case, person_id: int, now: datetime | None = None) -> str:
    """Let another person of the school read the case; return their name. Never the adult it is about."""
    now = now or utcnow()
    _check_actor(user, case)
    record = case.record
    person = store.school_person(record.school_id, person_id)
    if person is None:
        raise AdultConcernError("Choose a person from the list.", "person_id")
    if person.id == record.subject_user_id:
        raise AdultConcernError("The adult this concern is about can never see it.", "person_id")
    if person.id == user.id or any(p.id == person.id for p in store.added_people(record.school_id, record.id)):
        raise AdultConcernError(f"{person.display_name} can already see this case.", "person_id")
    store.insert_access(
        {
            "school_id": record.school_id,
            "concern_id": record.id,
            "user_id": person.id,
            "added_by_id": user.id,
            "added_at": now,
        }
    )
    _entry(record.school_id, record.id, user.id, EntryKind.ACCESS, f"{person.display_name} added to the case", now)
    _audit(user, record, "adult_concern.access_added", "Person added to a concern about an adult", person=person.id)
    return person.display_name


def remove_person(user: User, case: store.Case, person_id: int, now: datetime | None = None) -> None:
    """Stop a person added to the case from reading it."""
    now = now or utcnow()
    _check_actor(user, case)
    record = case.record
    if not store.delete_access(record.school_id, record.id, person_id):
        raise AdultConcernError("That person was not added to this case.", "person_id")
    _entry(
        record.school_id,
        record.id,
        user.id,
        EntryKind.ACCESS,
        "A person was removed from the case",
        now,
        person=person_id,
    )
    _audit(
        user, record, "adult_concern.access_removed", "Person removed from a concern about an adult", person=person_id
    )


def set_deputy(user: User, case: store.Case, version: int, person_id: int | None, now: datetime | None = None) -> None:
    """Name (or clear) the deputy case manager of this case."""
    now = now or utcnow()
    _check_actor(user, case)
    record = case.record
    name = "nobody"
    if person_id is not None:
        person = store.school_person(record.school_id, person_id)
        if person is None:
            raise AdultConcernError("Choose a person from the list.", "deputy_id")
        if person.id == record.subject_user_id:
            raise AdultConcernError("The adult this concern is about can never see it.", "deputy_id")
        name = person.display_name
    _update(case, version, deputy_id=person_id)
    _entry(record.school_id, record.id, user.id, EntryKind.DEPUTY, f"Deputy case manager for this case: {name}", now)
    _audit(user, record, "adult_concern.deputy", "Deputy case manager changed", person=person_id)


def _audit(user: User, record: AdultConcern, kind: str, what: str, **detail: Any) -> None:
    # No name of the adult or the children: the audit log names the record by its reference only.
    audit.record(
        kind,
        f"{what}: {record.reference}",
        school_id=record.school_id,
        actor_id=user.id,
        subject_type="adult_concern",
        subject_id=record.id,
        detail=detail,
    )


# ---------------------------------------------------------------------------------------------------------------
# Settings: changed by a case manager only (an administrator cannot name themselves deputy)


def save_settings(user: User, deputy_id: int | None, lado_name: str, lado_contact: str) -> None:
    """Save the deputy case manager of the head's cases and the school's LADO contact."""
    if not adult_concern_routes(user):
        raise AdultConcernError("Only the head teacher or the chair of governors can change these settings.")
    if deputy_id is not None:
        person = store.school_person(user.school_id, deputy_id)
        if person is None:
            raise AdultConcernError("Choose a person from the list.", "deputy_id")
        if Role.HEAD in person.roles:
            raise AdultConcernError("The head teacher is already the case manager.", "deputy_id")
    store.save_settings(
        user.school_id,
        {
            "deputy_id": deputy_id,
            "lado_name": lado_name.strip()[:200],
            "lado_contact": lado_contact.strip()[:300],
            "updated_at": utcnow(),
            "updated_by_id": user.id,
        },
    )
    audit.record(
        "adult_concern.settings",
        "Settings for concerns about adults changed",
        school_id=user.school_id,
        actor_id=user.id,
        detail={"deputy_id": deputy_id},
    )


# ---------------------------------------------------------------------------------------------------------------
# The LADO clock: escalation by the worker


def escalate_lado_overdue(now: datetime | None = None) -> int:
    """E-mail the case managers, their deputies and the chair of governors (never the adult) about each allegation
    whose LADO discussion was due and is not recorded (once each); return how many were escalated."""
    now = now or utcnow()
    escalated = 0
    for row in store.lado_overdue(now):
        if not store.mark_lado_escalated(row.school_id, row.id, now):
            continue
        deputies = [row.deputy_id] + ([row.school_deputy_id] if row.routed_to == Routed.HEAD else [])
        people = {p.id: p for p in store.case_managers(row.school_id, row.routed_to, deputies, row.subject_user_id)}
        # The chair oversees the head's handling too: told of the reference only.
        for person in store.case_managers(row.school_id, Routed.CHAIR.value, [], row.subject_user_id):
            people.setdefault(person.id, person)
        notifications.alert_linked(
            people.values(),
            school_id=row.school_id,
            path=f"/adults/{row.id}",
            message=f"Escalated: LADO not yet consulted {row.reference}",
            subject=f"Escalated: LADO not yet consulted {row.reference}",
            lines=(
                "Escalated: the discussion with the Local Authority Designated Officer (LADO) about an allegation "
                f"was due within one working day of its receipt and is not recorded.\n\nReference: {row.reference}\n"
            ),
        )
        _entry(
            row.school_id,
            row.id,
            None,
            EntryKind.ESCALATED,
            "Escalated: the LADO discussion was not recorded within one working day",
            now,
            told=len(people),
        )
        audit.record(
            "adult_concern.escalated",
            f"LADO clock missed: {row.reference}",
            school_id=row.school_id,
            subject_type="adult_concern",
            subject_id=row.id,
        )
        logger.info("adult concern %s escalated: LADO clock missed", row.id)
        escalated += 1
    return escalated


# ---------------------------------------------------------------------------------------------------------------
# The case summary for the LADO


def _yes_no(answer: bool | None, reason: str) -> str:
    if answer is None:
        return ""
    return ("Made" if answer else "Not made") + (f": {reason}" if reason else "")


def case_content(record: AdultConcern) -> AdultCaseInfo:
    """The case as its summary holds it (what the verification code covers)."""
    outcome = OUTCOMES.get(record.outcome or "", (None, None))[0] or ("Reviewed and closed" if record.outcome else "")
    return AdultCaseInfo(
        id=record.id,
        reference=record.reference,
        track=Track(record.track).label,
        status="Closed" if record.status == CLOSED else "Open",
        case_manager=Routed(record.routed_to).label.capitalize(),
        subject_name=record.subject_name,
        subject_relation=RELATIONS.get(record.subject_relation, record.subject_relation),
        subject_role=record.subject_role,
        reporter=store.person_name(record.school_id, record.reporter_id) or "—",
        received_at=record.received_at,
        happened_at=record.happened_at,
        location=record.location,
        threshold=THRESHOLD.get(record.threshold, record.threshold),
        account=record.account,
        kept_wording_reason=record.wording_kept_reason or "",
        children=tuple(c.name for c in store.children(record.school_id, record.id)),
        lado_due_at=record.lado_due_at,
        lado_discussed_at=record.lado_discussed_at,
        lado=", ".join(x for x in (record.lado_name, record.lado_contact) if x),
        lado_advice=record.lado_advice,
        lado_reference=record.lado_reference,
        advised=tuple(_advised(record)),
        involvement=record.involvement,
        interim=INTERIM_MEASURES.get(record.interim_measure or "", ""),
        interim_reason=record.interim_reason,
        outcome=outcome,
        outcome_notes=record.outcome_notes,
        dbs=_yes_no(record.dbs_referral, record.dbs_reason),
        tra=_yes_no(record.tra_referral, record.tra_reason),
        retain_until=record.retain_until,
        remove_from_personnel=record.remove_from_personnel,
        entries=tuple(
            CaseEntry(e.at, e.actor or "Safeguard (automatic)", e.summary)
            for e in store.entries(record.school_id, record.id)
        ),
    )


def export_summary(user: User, case: store.Case, reason: str) -> tuple[bytes, str]:
    """Build the case summary PDF for the LADO and log the export; return the PDF and its file name."""
    if not can_see_adult_concern(user, case):
        raise AdultConcernError("You cannot export this case.")
    record = case.record
    school = user.school
    meta = exports.export_meta(user, reason, school)
    content = case_content(record)
    pdf = build_adult_case_summary(content, exports.school_info(school), meta)
    exports.log_document(ADULT_CASE, record.school_id, record.id, content, pdf, "", user, meta)
    _entry(record.school_id, record.id, user.id, EntryKind.EXPORTED, "Case summary exported", meta.generated_at)
    return pdf, f"{record.reference}-case-summary.pdf"


def _rebuild(export: Export) -> AdultCaseInfo | None:
    """The content an exported case summary would hold now (``verify-pdf``)."""
    if export.subject_id is None:
        return None
    record = store.case_for_system(export.school_id, export.subject_id)
    if record is None:
        return None
    content = case_content(record)
    # The export itself is an entry of the case: the summary holds the chronology as it was before it.
    kept = tuple(
        e for e in content.entries if not (e.summary == "Case summary exported" and e.at >= export.generated_at)
    )
    return AdultCaseInfo(**{**content.__dict__, "entries": kept})


exports.register_rebuilder(ADULT_CASE, _rebuild)
