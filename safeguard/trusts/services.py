"""The rules of trusts: the dashboard's numbers, the trust lead's access to a school's records (asked for with a
purpose and a number of days, granted or refused by the school's DSLs, each step audited), and concerns linked
across the schools of one trust by someone who sees both."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from safeguard.audit import services as audit
from safeguard.auth import permissions, sessions
from safeguard.auth.models import Role, User
from safeguard.concerns import services as concerns
from safeguard.concerns.models import Concern
from safeguard.core.formatting import chart_scale, chart_value_text
from safeguard.core.sqltypes import utcnow
from safeguard.trusts import store
from safeguard.trusts.models import GrantStatus, Trust

# The periods the dashboard compares, in days, each with the one before it; the first is the default.
PERIODS = {28: "4 weeks", 91: "13 weeks", 365: "52 weeks"}
# The longest access a school may grant at once, in days.
LONGEST_GRANT_DAYS = 28
# The roles that see every record of a school, so may link its concerns to another school's.
SEES_EVERY_RECORD = frozenset({Role.DSL, Role.HEAD})


class TrustError(ValueError):
    """A request the rules refuse; the message says why, for the person who made it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------------------------------------------------------
# The dashboard


# The length of a chart's longest bar, in the units of its SVG drawing (templates/trusts/_pair_chart.html).
BAR_ROOM = 400


@dataclass(frozen=True)
class PairBar:
    """One school in a chart comparing two periods: each value as shown, and its bar's length in the drawing's units
    (the longest bar :data:`BAR_ROOM`), written as the drawing takes it."""

    label: str
    current_shown: str
    previous_shown: str
    current_length: str
    previous_length: str


@dataclass(frozen=True)
class PairChart:
    """A chart of every school, this period beside the one before; its numbers are those of the dashboard's table by
    school."""

    key: str
    title: str
    bars: tuple[PairBar, ...]


@dataclass(frozen=True)
class Dashboard:
    """The trust dashboard: numbers only, per school, this period against the one before."""

    trust_name: str
    days: int
    period_name: str
    start: date
    end: date
    previous_start: date
    schools: tuple[store.SchoolNumbers, ...]
    totals: store.SchoolNumbers
    charts: tuple[PairChart, ...]
    # The reader's unread alerts, read with the numbers.
    unread_alerts: int


def _pair_chart(
    key: str, title: str, rows: Iterable[tuple[str, float | None, float | None]], *, minutes: bool = False
) -> PairChart:
    rows = list(rows)
    largest = chart_scale(value for _, a, b in rows for value in (a, b))

    def length(value: float | None) -> str:
        return f"{(value or 0) / largest * BAR_ROOM:.1f}"

    return PairChart(
        key,
        title,
        tuple(
            PairBar(
                label,
                chart_value_text(a, minutes=minutes),
                chart_value_text(b, minutes=minutes),
                length(a),
                length(b),
            )
            for label, a, b in rows
        ),
    )


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _trust_figures(rows: tuple[store.SchoolNumbers, ...], current: bool) -> store.PeriodNumbers:
    """The trust's own figures: counts added up; the median and 90th percentile of the whole trust's waits would need
    every wait, so the trust's row shows the median of the schools' medians and the largest 90th percentile."""
    figures = [row.current if current else row.previous for row in rows]
    medians = [f.ack_median_minutes for f in figures if f.ack_median_minutes is not None]
    p90s = [f.ack_p90_minutes for f in figures if f.ack_p90_minutes is not None]
    return store.PeriodNumbers(
        logged=sum(f.logged for f in figures),
        acknowledged=sum(f.acknowledged for f in figures),
        ack_median_minutes=statistics.median(medians) if medians else None,
        ack_p90_minutes=max(p90s) if p90s else None,
        referrals=sum(f.referrals for f in figures),
    )


def _charts(rows: tuple[store.SchoolNumbers, ...]) -> tuple[PairChart, ...]:
    return (
        _pair_chart("logged", "Concerns logged", ((r.code, r.current.logged, r.previous.logged) for r in rows)),
        _pair_chart(
            "acknowledge",
            "Median time to acknowledge",
            ((r.code, r.current.ack_median_minutes, r.previous.ack_median_minutes) for r in rows),
            minutes=True,
        ),
        _pair_chart(
            "referrals",
            "Referrals and reports to agencies",
            ((r.code, r.current.referrals, r.previous.referrals) for r in rows),
        ),
    )


def dashboard(reader: User, now: datetime, days: int, zone: ZoneInfo) -> Dashboard | None:
    """The numbers of the trust of the school ``reader`` works in (``None`` when it is in no trust) over the last
    ``days`` days (to the end of today in ``zone``, the zone of the trust's schools) and the ``days`` before, per
    school: concerns logged, time to acknowledge (median, 90th percentile), referrals; and now: acknowledgements and
    follow-ups overdue, transfers awaiting receipt, restricted records. No child's name or account is read.
    ``reader``'s unread alerts come with the numbers, for the menu."""
    days = days if days in PERIODS else next(iter(PERIODS))
    today = now.astimezone(zone).date()
    end_day = today + timedelta(days=1)
    start_day = end_day - timedelta(days=days)
    previous_day = start_day - timedelta(days=days)
    end, start, previous = (_local_midnight(d, zone) for d in (end_day, start_day, previous_day))
    window = store.Window(previous, start, end, now, today)
    numbers = store.school_numbers(reader.school_id, window, permissions.viewer(reader, now))
    if numbers is None:
        return None
    rows = tuple(numbers.schools)
    totals = store.SchoolNumbers(
        school_id=0,
        code="",
        name="The trust",
        current=_trust_figures(rows, True),
        previous=_trust_figures(rows, False),
        overdue=sum(row.overdue for row in rows),
        follow_ups_overdue=sum(row.follow_ups_overdue for row in rows),
        awaiting_receipt=sum(row.awaiting_receipt for row in rows),
        restricted=sum(row.restricted for row in rows),
    )
    return Dashboard(
        numbers.trust_name,
        days,
        PERIODS[days],
        start_day,
        today,
        previous_day,
        rows,
        totals,
        _charts(rows),
        numbers.unread_alerts,
    )


# ---------------------------------------------------------------------------------------------------------------
# The trust lead's access to a school's records


def trust_for(user: User) -> Trust | None:
    """The trust of the school ``user`` works in now, or ``None``."""
    return store.trust_of(user.school_id)


def request_access(trust_lead: User, school_id: int, purpose: str, days: int) -> int:
    """A trust lead asks one of the trust's schools for access to its records, for a purpose and a number of days;
    audited in the school's log and in the trust lead's. The id of the request."""
    trust = trust_for(trust_lead)
    if trust is None or not trust_lead.has_role(Role.TRUST_LEAD):
        raise TrustError("Only a trust lead, working in a school of the trust, can ask for access.")
    school = next((s for s in store.schools_of_trust(trust.id) if s.id == school_id), None)
    if school is None:
        raise TrustError("Choose one of the trust's schools.", field="school_id")
    purpose = (purpose or "").strip()
    if len(purpose) < 10:
        raise TrustError("Say what you need the records for, in a sentence the school's DSLs can judge.", "purpose")
    concerns.check_wording({"purpose": purpose}, None)
    if not 1 <= days <= LONGEST_GRANT_DAYS:
        raise TrustError(f"Ask for 1 to {LONGEST_GRANT_DAYS} days.", field="days")
    now = utcnow()
    grant_id = store.add_grant(
        {
            "school_id": school.id,
            "trust_id": trust.id,
            "user_id": trust_lead.id,
            "purpose": purpose,
            "days": days,
            "status": GrantStatus.REQUESTED.value,
            "requested_at": now,
        }
    )
    detail = {"grant_id": grant_id, "school_id": school.id, "days": days}
    _audit(
        "trust.access_requested",
        f"Trust lead asked for access to the records for {days} days",
        school.id,
        trust_lead,
        detail,
    )
    if trust_lead.school_id != school.id:
        _audit(
            "trust.access_requested",
            f"Asked {school.code} for access to its records",
            trust_lead.school_id,
            trust_lead,
            detail,
        )
    return grant_id


def _audit(kind: str, summary: str, school_id: int, actor: User, detail: Mapping[str, int]) -> None:
    audit.record(
        kind,
        summary,
        school_id=school_id,
        actor_id=actor.id,
        subject_type="trust_access_grant",
        subject_id=int(detail["grant_id"]),
        detail=dict(detail),
    )


def decide(dsl: User, grant_id: int, *, grant: bool) -> None:
    """One of the school's DSLs grants (from now, for the days asked) or refuses a trust lead's request; audited."""
    found = store.grant(dsl.school_id, grant_id)
    if found is None:
        raise LookupError(grant_id)
    now = utcnow()
    if grant:
        values = {
            "status": GrantStatus.GRANTED.value,
            "decided_by_id": dsl.id,
            "decided_at": now,
            "starts_at": now,
            "ends_at": now + timedelta(days=found.days),
        }
    else:
        values = {"status": GrantStatus.REFUSED.value, "decided_by_id": dsl.id, "decided_at": now}
    if not store.update_grant(dsl.school_id, grant_id, GrantStatus.REQUESTED.value, values):
        raise TrustError("That request has been decided already.")
    detail = {"grant_id": grant_id, "trust_lead_id": found.user_id, "days": found.days}
    if grant:
        _audit(
            "trust.access_granted",
            f"Trust lead granted access to the records for {found.days} days",
            dsl.school_id,
            dsl,
            detail,
        )
    else:
        _audit("trust.access_refused", "Trust lead's request for access refused", dsl.school_id, dsl, detail)


def end_access(dsl: User, grant_id: int) -> None:
    """One of the school's DSLs ends a live access before its last day; audited."""
    found = store.grant(dsl.school_id, grant_id)
    if found is None:
        raise LookupError(grant_id)
    now = utcnow()
    if found.ends_at is None or found.ends_at <= now:
        raise TrustError("That access has ended already.")
    if not store.update_grant(
        dsl.school_id, grant_id, GrantStatus.GRANTED.value, {"status": GrantStatus.ENDED.value, "ends_at": now}
    ):
        raise TrustError("That access has ended already.")
    detail = {"grant_id": grant_id, "trust_lead_id": found.user_id}
    _audit("trust.access_ended", "Trust lead's access to the records ended early", dsl.school_id, dsl, detail)


# ---------------------------------------------------------------------------------------------------------------
# Concerns linked across the trust's schools


def linkable_schools(user: User) -> list[sessions.store.SchoolChoice]:
    """The other schools of the trust whose every record ``user`` sees (a DSL or head there too)."""
    trust = trust_for(user)
    if trust is None:
        return []
    in_trust = {school.id for school in store.schools_of_trust(trust.id)}
    return [
        choice
        for choice in sessions.schools(user)
        if choice.id != user.school_id and choice.id in in_trust and choice.roles & SEES_EVERY_RECORD
    ]


def link(user: User, concern: Concern, other_school_id: int, other_reference: str, reason: str) -> None:
    """Link a concern of the school ``user`` works in to a concern of another school of the same trust, which
    ``user`` also sees in full (siblings in different schools); recorded from both sides and audited in both
    schools."""
    trust = trust_for(user)
    other = next((choice for choice in linkable_schools(user) if choice.id == other_school_id), None)
    if trust is None or other is None or not (user.roles & SEES_EVERY_RECORD):
        raise TrustError("You can link only to a school of the trust whose records you also see.", "other_school_id")
    other_concern = store.concern_by_reference(other.id, (other_reference or "").strip().upper())
    if other_concern is None:
        raise TrustError(f"{other.name} has no concern with that reference.", field="other_reference")
    reason = (reason or "").strip()
    if not reason:
        raise TrustError("Say why the two concerns are linked (siblings, one family).", field="reason")
    concerns.check_wording({"reason": reason}, None)
    if store.link_exists(concern.id, other_concern.id):
        raise TrustError("These two concerns are linked already.", field="other_reference")
    now = utcnow()
    common = {"trust_id": trust.id, "reason": reason, "linked_by_id": user.id, "linked_at": now}
    store.add_links(
        [
            {
                "school_id": concern.school_id,
                "concern_id": concern.id,
                "other_school_id": other.id,
                "other_concern_id": other_concern.id,
                **common,
            },
            {
                "school_id": other.id,
                "concern_id": other_concern.id,
                "other_school_id": concern.school_id,
                "other_concern_id": concern.id,
                **common,
            },
        ]
    )
    for school_id, subject, linked in ((concern.school_id, concern, other_concern), (other.id, other_concern, concern)):
        audit.record(
            "concern.linked_across_schools",
            "Linked to a concern of another school of the trust",
            school_id=school_id,
            actor_id=user.id,
            subject_type="concern",
            subject_id=subject.id,
            detail={"other_concern_id": linked.id, "other_school_id": linked.school_id},
        )
