"""The rules of the safety check: when the chain from a concern to someone who can act on it is broken, and who is
told.

Each check says what it found in words a head or an administrator can act on, and whether it is a problem (the
command exits non-zero), a warning (worth knowing, not a broken chain) or fine.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import g
from sqlalchemy import select

from safeguard.audit import anchors, records
from safeguard.audit import services as audit
from safeguard.auth import store as accounts
from safeguard.auth.models import Role, User
from safeguard.calendar import services as calendar_services
from safeguard.concerns import store as concerns_store
from safeguard.core.extensions import db
from safeguard.core.formatting import format_date, local_datetime, local_today, zone_named
from safeguard.core.sqltypes import utcnow
from safeguard.notifications import store as alerts
from safeguard.safety import store
from safeguard.schools.models import School

# A worker passes every 30 seconds by default; five minutes without a heartbeat means it has stopped.
WORKER_LATE_AFTER = timedelta(minutes=5)
# E-mails failing within this long count as failing now; older failures are history (the audit keeps them).
MAIL_FAILURES_WINDOW = timedelta(days=7)
WORKER_DOWN = "Alerts and escalations are not being sent"


class Status(enum.StrEnum):
    """What a check found."""

    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Check:
    """One check: its name, what it found, and the lines that explain it."""

    name: str
    status: Status
    summary: str
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WorkerState:
    """The notification and escalation worker as its heartbeat shows it."""

    last_beat: datetime | None
    running: bool


def worker_state(last_beat: datetime | None, now: datetime) -> WorkerState:
    """Whether the worker is running: it finished a pass within :data:`WORKER_LATE_AFTER`."""
    return WorkerState(last_beat, last_beat is not None and now - last_beat <= WORKER_LATE_AFTER)


def worker_now(now: datetime | None = None) -> WorkerState:
    """The worker's state now (one statement)."""
    return worker_state(alerts.last_beat(), now or utcnow())


# ---------------------------------------------------------------------------------------------------------------
# Banners on every page


@dataclass(frozen=True)
class Banner:
    """A break in the chain, shown on every page to someone who can mend it."""

    message: str
    action: str = ""
    # Where the action is taken (an endpoint), for those who may take it.
    endpoint: str = ""


def _no_dsl_banner(user: User) -> Banner:
    if user.has_role(Role.ADMIN):
        return Banner(
            "No DSL is available: new concerns are going to the head.",
            "Add or reactivate a DSL",
            "admin.users",
        )
    return Banner(
        "No DSL is available: new concerns are coming to you, the head. Check your alerts, and ask an administrator "
        "to add or reactivate a DSL.",
        "Open the alerts",
        "notifications.index",
    )


def banners(user: User) -> list[Banner]:
    """The breaks in the chain this person should see on every page, worked out once per request: the worker not
    running (DSLs, the head, administrators) and no DSL available (the head and administrators)."""
    if "safety_banners" in g:
        kept: list[Banner] = g.safety_banners
        return kept
    roles = user.roles
    found: list[Banner] = []
    if roles & {Role.DSL, Role.HEAD, Role.ADMIN}:
        now = utcnow()
        state = g.get("banner_state") or store.banner_state(
            user.school_id, local_today(zone_named(user.school.timezone), now), now
        )
        if not worker_state(state.last_beat, now).running:
            found.append(
                Banner(
                    f"{WORKER_DOWN}: the Safeguard worker has not run for over five minutes. New concerns still "
                    "appear in the app; tell your IT support now.",
                    "See the safety check" if roles & {Role.HEAD, Role.ADMIN} else "",
                    "safety.check" if roles & {Role.HEAD, Role.ADMIN} else "",
                )
            )
        if roles & {Role.HEAD, Role.ADMIN} and not state.cover:
            found.append(_no_dsl_banner(user))
    g.safety_banners = found
    return found


def remember_banner_state(state: store.BannerState) -> None:
    """Record the banners' state when a page has already read it with its own statement (the queue does), so that
    the banners do not read it again."""
    g.banner_state = state


# ---------------------------------------------------------------------------------------------------------------
# The checks


def _describe_dsl(dsl: accounts.DslState) -> str:
    parts = [dsl.display_name, "second factor set up" if dsl.two_factor else "NO second factor"]
    if dsl.away_from and dsl.away_until:
        parts.append(f"away {format_date(dsl.away_from)} to {format_date(dsl.away_until)}")
    if dsl.locked:
        parts.append("locked out after failed sign-ins")
    parts.append("cover" if dsl.cover else "not cover today")
    return ", ".join(parts)


def _team_checks(school: School, now: datetime) -> list[Check]:
    today = local_today(zone_named(school.timezone), now)
    dsls = accounts.dsl_states(school.id, today, now)
    team = accounts.school_team(school.id, today, now)
    details = [_describe_dsl(dsl) for dsl in dsls]
    cover = [dsl for dsl in dsls if dsl.cover]
    if cover:
        team_check = Check("DSL cover", Status.OK, f"{len(cover)} of {len(dsls)} active DSLs can act today", details)
    else:
        fallback = "new concerns go to the head" if team.heads else "no head is active either: nobody is alerted"
        team_check = Check("DSL cover", Status.PROBLEM, f"No DSL is available today: {fallback}", details)
    missing = [dsl.display_name for dsl in dsls if not dsl.two_factor]
    second = (
        Check("DSLs' second factor", Status.PROBLEM, f"{len(missing)} DSL(s) without two-factor sign-in", missing)
        if missing
        else Check("DSLs' second factor", Status.OK, "Every active DSL signs in with a second factor")
    )
    heads = (
        Check("Head", Status.OK, f"{len(team.heads)} active head(s): concerns go to them if no DSL is available")
        if team.heads
        else Check("Head", Status.WARNING, "No active head: if no DSL is available, nobody receives new concerns")
    )
    return [team_check, second, heads]


def _worker_check(now: datetime, zone_name: str) -> Check:
    state = worker_now(now)
    if state.running and state.last_beat:
        return Check("Worker", Status.OK, f"Last pass {local_datetime(state.last_beat, zone=zone_named(zone_name))}")
    when = (
        f"last pass {local_datetime(state.last_beat, zone=zone_named(zone_name))}" if state.last_beat else "never ran"
    )
    return Check(
        "Worker",
        Status.PROBLEM,
        f"{WORKER_DOWN}: the worker ({when}) has not run for over five minutes",
        ["Start it: flask --app safeguard notify (make run starts it beside the web server)."],
    )


def _mail_check(school: School, now: datetime) -> Check:
    state = alerts.mail_state(school.id, now, MAIL_FAILURES_WINDOW)
    last = (
        f"last delivered {local_datetime(state.last_sent_at, zone=zone_named(school.timezone))}"
        if state.last_sent_at
        else "none delivered yet"
    )
    if state.retrying or state.parked:
        details = [f"{state.retrying} being retried, {state.parked} given up after repeated failures (last 7 days)"]
        if state.last_error:
            details.append(f"Last error: {state.last_error}")
        return Check("E-mail", Status.PROBLEM, f"E-mails are failing ({last})", details)
    return Check("E-mail", Status.OK, f"No e-mail failing; {last}")


def _overdue_check(school: School, now: datetime) -> Check:
    escalated, not_escalated = concerns_store.overdue_acknowledgements(school.id, now)
    if not_escalated:
        return Check(
            "Acknowledgements",
            Status.PROBLEM,
            f"{not_escalated} concern(s) past their time to be acknowledged and not yet escalated",
            ["Escalation is the worker's: check that it is running."],
        )
    if escalated:
        return Check(
            "Acknowledgements",
            Status.WARNING,
            f"{escalated} concern(s) past their time to be acknowledged; every DSL and the head have been alerted",
        )
    return Check("Acknowledgements", Status.OK, "No concern is past its time to be acknowledged")


def _onward_check(school: School) -> Check:
    if school.onward_contact_email:
        who = school.onward_contact_label or "The onward contact"
        return Check("Beyond the school", Status.OK, f"{who} is alerted if an escalated urgent concern stays unseen")
    return Check(
        "Beyond the school",
        Status.WARNING,
        "No onward contact: an escalated urgent concern goes no further than the school",
        ["Name the trust's safeguarding lead or the local authority's contact in the school settings."],
    )


def _calendar_check(school: School, now: datetime) -> Check:
    calendar = calendar_services.calendar(school.id)
    if not calendar.known:
        return Check(
            "School calendar",
            Status.WARNING,
            "No term dates: the clocks count every weekday, holidays included",
            ["Enter the school's terms and closures, or import them from an .ics file, on the School calendar page."],
        )
    today = local_today(zone_named(school.timezone), now)
    if calendar.last_day is not None and calendar.last_day < today:
        return Check(
            "School calendar",
            Status.WARNING,
            f"The calendar ends on {format_date(calendar.last_day)}: since then the clocks count every weekday",
            ["Add the next terms on the School calendar page."],
        )
    last = format_date(calendar.last_day) if calendar.last_day else "now"
    return Check("School calendar", Status.OK, f"Term dates entered up to {last}")


# How long the records may go on changing without a checkpoint before the safety check says so.
ANCHOR_STALE = timedelta(hours=1)


def _anchor_check(school: School, now: datetime) -> Check:
    """Whether the school's chains were anchored outside the database lately (safeguard.audit.anchors)."""
    name = "Records anchored"
    checkpoint = anchors.latest(school.id)
    heads = (audit.audit_head(school.id)[0], records.head(school.id)[0])
    if checkpoint is None:
        if heads == (0, 0):
            return Check(name, Status.OK, "Nothing recorded yet to anchor")
        return Check(
            name,
            Status.WARNING,
            "The school's records have never been anchored outside the database",
            ["The worker anchors them after each pass; or run: flask --app safeguard audit anchor"],
        )
    when = local_datetime(checkpoint.at, zone=zone_named(school.timezone))
    if heads != (checkpoint.audit_seq, checkpoint.records_seq) and now - checkpoint.at > ANCHOR_STALE:
        return Check(
            name,
            Status.WARNING,
            f"Last checkpoint {when}: the records have changed since without being anchored for over an hour",
            ["Look in the worker's log for 'could not be anchored' (the key file or the anchors folder)."],
        )
    return Check(name, Status.OK, f"Last checkpoint {when}, signed by key {checkpoint.key}")


def school_checks(school: School, now: datetime | None = None) -> list[Check]:
    """Every check for one school, the worker's included, in the order to read them."""
    now = now or utcnow()
    return [
        *_team_checks(school, now),
        _worker_check(now, school.timezone),
        _mail_check(school, now),
        _overdue_check(school, now),
        _onward_check(school),
        _calendar_check(school, now),
        _anchor_check(school, now),
    ]


def all_schools() -> list[School]:
    """Every school in the deployment, by code (the command checks them all)."""
    return list(db.session.scalars(select(School).order_by(School.code)))


def failing(checks: list[Check]) -> bool:
    """Whether any check found a problem."""
    return any(check.status == Status.PROBLEM for check in checks)
