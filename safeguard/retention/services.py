"""The rules of retention: when a child's file comes due, what a review may decide, and how a disposal is made.

A file comes due on the date the schedule gives (``retention.yaml``, lengthened by the school's own period, never
shortened), or on the date it was last kept until. ``retention review`` (cron) opens a review for each file that came
due and alerts the lead DSL. The lead DSL or the head decides: keep it for a further period (with a reason), place a
legal hold (nothing under hold can be disposed of), or propose a disposal, which the other of the two approves. The
disposal destroys the content (``store.destroy_content``) and leaves a destruction record; the audit rows stay, and
the chain still verifies: they never held the record's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from safeguard.audit import services as audit
from safeguard.auth import permissions
from safeguard.auth.models import User
from safeguard.concerns.services import WordingError, check_wording
from safeguard.core import storage
from safeguard.core.sqltypes import utcnow
from safeguard.exports import store as exports_store
from safeguard.notifications import services as notifications
from safeguard.pupils.models import Pupil
from safeguard.retention import store
from safeguard.retention.models import Disposal, LegalHold, RetentionReview
from safeguard.retention.schedule import (
    CHILD_FILE,
    KINDS,
    OUTBOX,
    Period,
    Schedule,
    add_years,
    cached_schedule,
    file_due,
)
from safeguard.schools.models import School
from safeguard.terminology import DEFAULT_LOCALE, get_vocabulary, vocabulary_root

HOLD_KINDS = {
    "inquiry": "A statutory or public inquiry",
    "litigation": "Litigation (a claim, or one expected)",
    "police": "A police request or investigation",
}
KEEP_YEARS = range(1, 26)
REASON_LENGTH = 500


class RetentionError(ValueError):
    """A decision breaks a rule; the message is fit to show, ``field`` names the form field it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def schedule(locale: str = DEFAULT_LOCALE) -> Schedule:
    """The validated schedule (read once; raises :class:`~safeguard.retention.schedule.ScheduleError`)."""
    vocabulary = get_vocabulary(locale)
    return cached_schedule((vocabulary_root() / locale).resolve(), vocabulary.categories)


def lead_dsl_id(school_id: int) -> int | None:
    """The school's lead DSL (see :func:`safeguard.retention.store.lead_dsl_id`)."""
    return store.lead_dsl_id(school_id)


def _reason(reason: str, what: str) -> str:
    """A decision's reason: given, not too long, and in the vocabulary's terms (the terminology gate)."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise RetentionError(f"Give the reason {what}.", "reason")
    if len(reason) > REASON_LENGTH:
        raise RetentionError(f"Keep the reason to {REASON_LENGTH} characters.", "reason")
    try:
        check_wording({"reason": reason}, None)
    except WordingError as error:
        raise RetentionError(str(error), "reason") from None
    return reason


# ---------------------------------------------------------------------------------------------------------------
# The school's periods


@dataclass(frozen=True)
class SchoolPeriod:
    """A kind of record's period, as the schedule gives it and as the school has lengthened it."""

    period: Period
    school_years: int | None

    @property
    def years(self) -> int | None:
        """The period in force, in years (``None`` for a period in days)."""
        if self.period.years is None:
            return None
        return max(self.period.years, self.school_years or 0)


def school_periods(school_id: int) -> list[SchoolPeriod]:
    """Every kind of record's period for the school, in the schedule's order."""
    own = store.school_periods(school_id)
    found = schedule()
    return [SchoolPeriod(found.period(kind), own.get(kind)) for kind in KINDS]


def lengthen(school: School, user: User, kind: str, years: int, reason: str, now: datetime) -> None:
    """Set the school's period for a kind of record: only longer than the schedule's, never shorter."""
    if not permissions.can_decide_retention(user, school_record(school), store.lead_dsl_id(school.id)):
        raise RetentionError("Only the lead DSL or the head may change the school's retention periods.")
    if kind not in KINDS:
        raise RetentionError("Choose a kind of record.", "kind")
    period = schedule().period(kind)
    if period.years is None:
        raise RetentionError("This period is set in days by the schedule and cannot be changed here.", "kind")
    if years < period.years:
        raise RetentionError(
            f"A school may lengthen a period but never shorten it below the schedule's {period.years} years.", "years"
        )
    if years > 200:
        raise RetentionError("Enter a number of years up to 200.", "years")
    reason = _reason(reason, "for the longer period")
    store.set_period(school.id, kind, years, reason, user.id, now)
    audit.record(
        "retention.period_set",
        "Retention period lengthened",
        school_id=school.id,
        actor_id=user.id,
        detail={"kind": kind, "years": years, "schedule_years": period.years},
    )


@dataclass(frozen=True)
class _SchoolRecord:
    """The school as a record of itself, for the permission functions (which compare ``school_id``)."""

    school_id: int


def school_record(school: School) -> _SchoolRecord:
    """The school, for the permission functions."""
    return _SchoolRecord(school.id)


# ---------------------------------------------------------------------------------------------------------------
# Opening the reviews that came due


@dataclass(frozen=True)
class Opened:
    """A review opened: whose file (their UPN), due when, and why."""

    review_id: int
    upn: str
    due_on: date
    basis: str


def _today(school: School, now: datetime) -> date:
    return now.astimezone(ZoneInfo(school.timezone)).date()


def open_due_reviews(school: School, now: datetime) -> list[Opened]:
    """Open a review for each of the school's files that came due and has none under way; idempotent."""
    today = _today(school, now)
    period = schedule().period(CHILD_FILE)
    own = store.school_periods(school.id).get(CHILD_FILE)
    shortest = max(period.years or 0, own or 0)
    candidates = store.candidates(school.id, add_years(today, -shortest), today)
    categories = store.categories_of(school.id, [c.pupil_id for c in candidates])
    opened = []
    for candidate in candidates:
        due, basis = file_due(
            period, candidate.date_of_birth, candidate.last_logged, categories.get(candidate.pupil_id, ()), own
        )
        if candidate.kept_until is not None and candidate.kept_until > due:
            due, basis = candidate.kept_until, "kept until this date at its last review"
        if due > today:
            continue
        review_id = store.add_review(
            {
                "school_id": school.id,
                "pupil_id": candidate.pupil_id,
                "kind": CHILD_FILE,
                "due_on": due,
                "basis": basis[:200],
                "opened_at": now,
                "status": "open",
            }
        )
        audit.record(
            "retention.review_opened",
            "Retention review opened",
            school_id=school.id,
            subject_type="pupil",
            subject_id=candidate.pupil_id,
            detail={"review": review_id, "due_on": due.isoformat()},
        )
        opened.append(Opened(review_id, candidate.upn, due, basis))
    if opened:
        _alert_lead(school, f"{len(opened)} safeguarding file(s) came due for retention review", "/retention/")
    return opened


def _alert_lead(school: School, headline: str, path: str) -> None:
    """E-mail the lead DSL (no names: what to open)."""
    lead = store.user(school.id, store.lead_dsl_id(school.id))
    if lead is None:
        return
    body = (
        f"{headline} at {school.name}.\n"
        f"Open it in Safeguard: {notifications.links_base()}{path}\n\n"
        "For confidentiality this e-mail holds no names or details.\n"
    )
    notifications.send_email(lead.email, school_id=school.id, subject=headline, body=body)


def delete_expired_messages(school: School, now: datetime) -> int:
    """Delete the school's delivered e-mails older than the schedule's period for the outbox."""
    period = schedule().period(OUTBOX)
    days = period.days if period.days is not None else 365 * max(period.years or 0, 1)
    return store.delete_sent_messages(school.id, now - timedelta(days=days))


# ---------------------------------------------------------------------------------------------------------------
# Deciding a review


def _check_decider(user: User, review: RetentionReview) -> None:
    if not permissions.can_decide_retention(user, review, store.lead_dsl_id(review.school_id)):
        raise RetentionError("Only the lead DSL or the head may decide a retention review.")


def keep(review: RetentionReview, user: User, years: int, reason: str, now: datetime) -> None:
    """Keep the file for ``years`` more; it comes due again then."""
    _check_decider(user, review)
    if review.status not in ("open", "held"):
        raise RetentionError("This review has already been decided.")
    if review.status == "held":
        raise RetentionError("The file is under a legal hold: lift the hold first.")
    if years not in KEEP_YEARS:
        raise RetentionError("Keep it for 1 to 25 more years.", "years")
    reason = _reason(reason, "for keeping the file")
    school = store_school(review.school_id)
    review.status, review.decided_by_id, review.decided_at = "kept", user.id, now
    review.reason, review.kept_until = reason, add_years(_today(school, now), years)
    audit.record(
        "retention.kept",
        "File kept for a further period at its retention review",
        school_id=review.school_id,
        actor_id=user.id,
        subject_type="pupil",
        subject_id=review.pupil_id,
        detail={"review": review.id, "years": years, "kept_until": review.kept_until.isoformat()},
    )


def store_school(school_id: int) -> School:
    """The school (its zone and code)."""
    return exports_store.school(school_id)


def place_hold(review: RetentionReview, user: User, kind: str, reason: str, external: str, now: datetime) -> LegalHold:
    """Place a legal hold on the file: nothing under hold can be disposed of (a disposal awaiting approval is
    withdrawn)."""
    _check_decider(user, review)
    if kind not in HOLD_KINDS:
        raise RetentionError("Choose what the hold is for.", "kind")
    if review.status in ("disposed", "kept"):
        raise RetentionError("This review has already been decided.")
    reason = _reason(reason, "for the hold")
    hold = LegalHold(
        school_id=review.school_id,
        pupil_id=review.pupil_id,
        kind=kind,
        reason=reason,
        external_reference=(external or "").strip()[:120],
        placed_by_id=user.id,
        placed_at=now,
    )
    store.add(hold)
    pending = store.pending_disposal(review.school_id, review.id)
    if pending is not None:
        pending.status, pending.withdrawn_reason = "withdrawn", "A legal hold was placed on the file."
    review.status = "held"
    audit.record(
        "retention.hold_placed",
        "Legal hold placed on a file",
        school_id=review.school_id,
        actor_id=user.id,
        subject_type="pupil",
        subject_id=review.pupil_id,
        detail={"review": review.id, "hold": hold.id, "kind": kind},
    )
    return hold


def lift_hold(hold: LegalHold, user: User, reason: str, now: datetime) -> None:
    """Lift a hold; the file's review opens again once no hold remains."""
    if not permissions.can_decide_retention(user, hold, store.lead_dsl_id(hold.school_id)):
        raise RetentionError("Only the lead DSL or the head may lift a legal hold.")
    if hold.lifted_at is not None:
        raise RetentionError("This hold has already been lifted.")
    hold.lift_reason = _reason(reason, "for lifting the hold")
    hold.lifted_by_id, hold.lifted_at = user.id, now
    if not [h for h in store.active_holds(hold.school_id, hold.pupil_id) if h.id != hold.id]:
        for row in store.queue(hold.school_id):
            if row.pupil_id == hold.pupil_id and row.status == "held":
                found = store.review(hold.school_id, row.id)
                if found is not None:
                    found.status = "open"
    audit.record(
        "retention.hold_lifted",
        "Legal hold lifted",
        school_id=hold.school_id,
        actor_id=user.id,
        subject_type="pupil",
        subject_id=hold.pupil_id,
        detail={"hold": hold.id},
    )


def propose_disposal(review: RetentionReview, user: User, reason: str, now: datetime) -> Disposal:
    """Propose to dispose of the file; the other of the lead DSL and the head must approve it."""
    _check_decider(user, review)
    if store.active_holds(review.school_id, review.pupil_id):
        raise RetentionError("The file is under a legal hold: nothing under hold can be disposed of.")
    if review.status != "open":
        raise RetentionError("Only an open review can lead to a disposal.")
    reason = _reason(reason, "for the disposal")
    school = store_school(review.school_id)
    disposal = Disposal(
        school_id=review.school_id,
        review_id=review.id,
        pupil_id=review.pupil_id,
        reference=store.next_reference(school.id, school.code, _today(school, now).year),
        status="proposed",
        reason=reason,
        proposed_by_id=user.id,
        proposed_at=now,
        what={},
    )
    store.add(disposal)
    review.status = "disposal_proposed"
    audit.record(
        "retention.disposal_proposed",
        "Disposal of a file proposed",
        school_id=review.school_id,
        actor_id=user.id,
        subject_type="pupil",
        subject_id=review.pupil_id,
        detail={"review": review.id, "disposal": disposal.id, "reference": disposal.reference},
    )
    _alert_approver(school, disposal)
    return disposal


def _alert_approver(school: School, disposal: Disposal) -> None:
    lead = store.lead_dsl_id(school.id)
    if disposal.proposed_by_id == lead:
        people = store.heads(school.id)
    else:
        found = store.user(school.id, lead)
        people = [found] if found is not None else []
    for person in people:
        if person.id == disposal.proposed_by_id:
            continue
        notifications.send_email(
            person.email,
            school_id=school.id,
            subject=f"A disposal awaits your approval ({disposal.reference})",
            body=(
                f"A disposal of a safeguarding file at {school.name} awaits your approval.\n"
                f"Open it in Safeguard: {notifications.links_base()}/retention/\n\n"
                "For confidentiality this e-mail holds no names or details.\n"
            ),
        )


def withdraw_disposal(disposal: Disposal, user: User, reason: str) -> None:
    """Withdraw a proposed disposal; the review is open again."""
    if not permissions.can_decide_retention(user, disposal, store.lead_dsl_id(disposal.school_id)):
        raise RetentionError("Only the lead DSL or the head may withdraw a disposal.")
    if disposal.status != "proposed":
        raise RetentionError("This disposal is no longer awaiting approval.")
    disposal.status, disposal.withdrawn_reason = "withdrawn", _reason(reason, "for withdrawing it")
    review = store.review(disposal.school_id, disposal.review_id)
    if review is not None and review.status == "disposal_proposed":
        review.status = "open"
    audit.record(
        "retention.disposal_withdrawn",
        "Proposed disposal withdrawn",
        school_id=disposal.school_id,
        actor_id=user.id,
        subject_type="pupil",
        subject_id=disposal.pupil_id,
        detail={"disposal": disposal.id},
    )


def approve_disposal(disposal: Disposal, user: User, now: datetime) -> store.Destroyed:
    """Approve a proposed disposal and destroy the file's content, leaving the destruction record."""
    if disposal.status != "proposed":
        raise RetentionError("This disposal is no longer awaiting approval.")
    if not permissions.can_approve_disposal(user, disposal, store.lead_dsl_id(disposal.school_id)):
        raise RetentionError(
            "A disposal needs two people: the head approves what the lead DSL proposed, or the lead DSL what the "
            "head proposed — never the person who proposed it."
        )
    if store.active_holds(disposal.school_id, disposal.pupil_id):
        raise RetentionError("The file is under a legal hold: nothing under hold can be disposed of.")
    school = store_school(disposal.school_id)
    destroyed = store.destroy_content(disposal, school.code, now)
    for name in destroyed.files:
        storage.remove_after_commit(disposal.school_id, name)
    store.checkpoint_after_commit()
    disposal.status, disposal.approved_by_id, disposal.destroyed_at = "destroyed", user.id, now
    disposal.what = {
        "record": "child-file",
        "concerns": destroyed.concerns,
        "chronology_entries": destroyed.events,
        "body_map_marks": destroyed.marks,
        "attachments": destroyed.attachments,
        "concerns_kept_shared_with_another_child": destroyed.kept_shared,
    }
    review = store.review(disposal.school_id, disposal.review_id)
    if review is not None:
        review.status, review.decided_by_id, review.decided_at = "disposed", user.id, now
    audit.record(
        "retention.disposed",
        "File disposed of: content destroyed, destruction record kept",
        school_id=disposal.school_id,
        actor_id=user.id,
        subject_type="disposal",
        subject_id=disposal.id,
        detail={"reference": disposal.reference, "proposed_by": disposal.proposed_by_id, **disposal.what},
    )
    return destroyed


# ---------------------------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class Report:
    """What is due, held and disposed of in a period (for governors): no child's name."""

    school: School
    start: date
    end: date
    due: list[store.ReviewRow]
    held: list[LegalHold]
    disposed: list[Disposal]


def report(school: School, start: date, end: date) -> Report:
    """The school's retention report for ``start``..``end`` (inclusive)."""
    zone = ZoneInfo(school.timezone)
    begin = datetime.combine(start, datetime.min.time(), zone)
    finish = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    due = [row for row in store.queue(school.id) if row.status in ("open", "disposal_proposed")]
    return Report(
        school, start, end, due, store.active_holds(school.id), store.disposals(school.id, "destroyed", begin, finish)
    )


def now() -> datetime:
    """The current time (one place, for the views and commands)."""
    return utcnow()


def pupil_of(review: RetentionReview) -> Pupil | None:
    """The child whose file a review is about."""
    return store.pupil(review.school_id, review.pupil_id)
