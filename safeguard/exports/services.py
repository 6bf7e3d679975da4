"""Turning the record into the plain data the PDF builders take, logging each export, and verifying PDFs.

Every export is recorded twice: in the export log (kind, subject, parameters, the digest of the record content
and the SHA-256 of the file) and in the audit chain (who, when and the reason they gave). Verification finds the
file in the log by its hash, rebuilds the same document's content from the record as held now, and compares.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from safeguard import reports
from safeguard.access import services as access
from safeguard.audit import anchors
from safeguard.audit import services as audit
from safeguard.auth import permissions
from safeguard.auth import store as accounts
from safeguard.auth.models import Role, User
from safeguard.auth.permissions import Viewer
from safeguard.bodymap.store import MarkRow
from safeguard.calendar import services as calendar_services
from safeguard.concerns.models import Concern
from safeguard.concerns.rules import acknowledged_late
from safeguard.concerns.states import REFERRAL_TARGETS, EventKind, Status
from safeguard.core.formatting import chart_scale, chart_value_text
from safeguard.core.schooldays import WEEKDAYS, Calendar, Term, school_days_between, term_of
from safeguard.core.sqltypes import utcnow
from safeguard.exports import store
from safeguard.exports.models import Export
from safeguard.monitoring import services as monitoring
from safeguard.pupils import store as pupils_store
from safeguard.pupils.models import PUPIL_FLAGS, Pupil
from safeguard.reports import data as rd
from safeguard.schools.models import School
from safeguard.terminology import get_vocabulary


class ExportError(ValueError):
    """An export cannot be made as asked; the message is fit to show."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------------------------------------------------------
# Record → plain data


def school_info(school: School) -> rd.SchoolInfo:
    """The school's details for a report header."""
    return rd.SchoolInfo(
        name=school.name, code=school.code, dsl_contact=school.dsl_contact, protective_marking=school.protective_marking
    )


def pupil_info(pupil: Pupil) -> rd.PupilInfo:
    """A pupil's details for a report."""
    return rd.PupilInfo(
        id=pupil.id,
        upn=pupil.upn,
        legal_name=pupil.full_name,
        preferred_name=pupil.preferred_name,
        date_of_birth=pupil.date_of_birth,
        year_group=pupil.year_group,
        class_name=pupil.class_name,
        flags=tuple(pupil.flag_labels),
        left_on=pupil.left_on,
        destination=pupil.destination_school,
    )


_Keyed = TypeVar("_Keyed", store.PupilLinkRow, store.CategoryRow, store.EventRow, MarkRow)

_ROLE_LABELS = {
    Role.DSL: "DSL",
    Role.HEAD: "Head teacher",
    Role.ADMIN: "Administrator",
    Role.STAFF: "Staff",
    Role.CHAIR: "Chair of governors",
}

# An entry's line in the chronology and the details printed under it.
EventLines = Callable[[store.EventRow], tuple[str, tuple[str, ...]]]


def _detail_lines(event: store.EventRow) -> tuple[str, ...]:
    detail = event.detail or {}
    lines: list[str] = []
    if event.text and event.kind != EventKind.ADDENDUM:
        lines.append(event.text)
    if detail.get("reason"):
        lines.append(f"Reason: {detail['reason']}")
    if detail.get("unanswered_protocol_steps_reason"):
        lines.append(f"Guided-response steps left unanswered because: {detail['unanswered_protocol_steps_reason']}")
    if detail.get("open_follow_ups_reason"):
        lines.append(f"Closed with a follow-up still open because: {detail['open_follow_ups_reason']}")
    return tuple(line for line in lines if line)


def _protocol_answer(detail: dict[str, Any]) -> str:
    return (
        f"{detail.get('protocol_title', detail.get('protocol_id', ''))} (version {detail.get('protocol_version', '?')}): "
        f"{detail.get('step_text', '')} — {detail.get('answer_label', '')}"
    )


def event_lines(event: store.EventRow) -> tuple[str, tuple[str, ...]]:
    """An entry's line in the chronology and the details under it, each fact once.

    A guided-response answer is shown by the protocol's title and version, the step and the answer; its reason is
    stored both as the entry's text and in its detail, and is shown once.
    """
    if event.kind != EventKind.PROTOCOL_ANSWER:
        return event.summary, _detail_lines(event)
    detail = event.detail or {}
    shown = replace(event, text=None) if event.text == detail.get("reason") else event
    return _protocol_answer(detail), _detail_lines(shown)


def _lines_with_answers_twice(event: store.EventRow) -> tuple[str, tuple[str, ...]]:
    """The lines exports had before each answer was shown once: still needed to verify those exports."""
    lines = _detail_lines(event)
    if event.kind == EventKind.PROTOCOL_ANSWER:
        lines = (*lines, _protocol_answer(event.detail or {}))
    return event.summary, lines


@dataclass(frozen=True)
class _Parts:
    """The parts of a set of concerns as read from the store, by concern id (or by event id for follow-ups)."""

    roles: dict[int, set[str]]
    pupils: dict[int, list[store.PupilLinkRow]]
    categories: dict[int, list[store.CategoryRow]]
    events: dict[int, list[store.EventRow]]
    follow_ups: dict[int, date]
    lines: EventLines
    marks: dict[int, list[MarkRow]]


def _by_concern(rows: Iterable[_Keyed]) -> dict[int, list[_Keyed]]:
    grouped: dict[int, list[_Keyed]] = defaultdict(list)
    for row in rows:
        grouped[row.concern_id].append(row)
    return grouped


def _read_parts(school_id: int, selection: store.Selection, lines: EventLines, viewer: Viewer) -> _Parts:
    roles: dict[int, set[str]] = defaultdict(set)
    for held in store.reporters_roles(school_id, selection):
        roles[held.user_id].add(held.role)
    return _Parts(
        roles=roles,
        pupils=_by_concern(store.pupil_links(school_id, selection)),
        categories=_by_concern(store.categories(school_id, selection)),
        events=_by_concern(store.events(school_id, selection, viewer)),
        follow_ups={f.event_id: f.due_on for f in store.follow_ups(school_id, selection)},
        lines=lines,
        marks=_by_concern(store.marks(school_id, selection)),
    )


def _event_info(event: store.EventRow, parts: _Parts) -> rd.EventInfo:
    summary, details = parts.lines(event)
    return rd.EventInfo(
        at=event.at,
        actor="Safeguard" if event.actor_name is None else event.actor_name,
        kind=event.kind,
        summary=summary,
        details=details,
        follow_up_on=parts.follow_ups.get(event.id),
    )


def _addendum_text(event: store.EventRow) -> str:
    """What an addendum added: its text; for marks added to the body map, which ones (the drawing numbers them)
    and the note written with them."""
    if not (event.detail or {}).get("body_marks"):
        return event.text or ""
    return event.summary + (f"\n{event.text}" if event.text else "")


def _mark_infos(concern_id: int, parts: _Parts) -> tuple[rd.MarkInfo, ...]:
    """A concern's marks, numbered in the order they were recorded, each with the name of the child it is on."""
    body_map = get_vocabulary().body_map
    names = {link.pupil.id: link.pupil.full_name for link in parts.pupils.get(concern_id, [])}
    return tuple(
        rd.MarkInfo(
            number=number,
            pupil_id=mark.pupil_id,
            child=names.get(mark.pupil_id, ""),
            region=mark.region_label,
            view=mark.view,
            view_label=body_map.views.get(mark.view, mark.view),
            x=mark.x,
            y=mark.y,
            placed_on_outline=mark.placed_on_outline,
            kind=body_map.kinds.get(mark.kind, mark.kind),
            length_cm=mark.length_cm,
            width_cm=mark.width_cm,
            shape=mark.shape,
            colour=mark.colour,
            seen_at=mark.seen_at,
            child_words=mark.child_words,
            recorded_by=mark.recorded_by,
            recorded_at=mark.recorded_at,
        )
        for number, mark in enumerate(parts.marks.get(concern_id, []), 1)
    )


def _concern_info(row: store.ConcernRow, parts: _Parts) -> rd.ConcernInfo:
    events = parts.events.get(row.id, [])
    return rd.ConcernInfo(
        id=row.id,
        reference=row.reference,
        status=Status(row.status).label,
        urgent=row.urgent,
        level_of_need=row.level_of_need,
        outcome=row.outcome,
        outcome_rationale=row.outcome_rationale,
        reporter=row.reporter_name,
        reporter_role=", ".join(_ROLE_LABELS[r] for r in Role if r.value in parts.roles[row.reporter_id]),
        observed_at=row.observed_at,
        logged_at=row.logged_at,
        acknowledged_at=row.acknowledged_at,
        location=row.location,
        categories=tuple((c.category_id, c.label) for c in parts.categories.get(row.id, [])),
        vocabulary_version=row.vocabulary_version,
        account=row.account,
        already_done=row.already_done,
        pupils=tuple(rd.PupilLink(pupil=pupil_info(p.pupil), part=p.part) for p in parts.pupils.get(row.id, [])),
        addenda=tuple(
            rd.Addendum(at=e.at, author="Safeguard" if e.actor_name is None else e.actor_name, text=_addendum_text(e))
            for e in events
            if e.kind == EventKind.ADDENDUM
        ),
        events=tuple(_event_info(e, parts) for e in events if e.kind != EventKind.ADDENDUM),
        kept_wording_reason=row.wording_kept_reason,
        marks=_mark_infos(row.id, parts),
    )


def concern_infos(
    school_id: int, selection: store.Selection, lines: EventLines = event_lines, viewer: Viewer | None = None
) -> tuple[rd.ConcernInfo, ...]:
    """Everything the reports show of the selected concerns, oldest first, in a fixed number of statements.

    :param lines: how each chronology entry is written (the default, or the layout of earlier exports).
    """
    rows = store.concerns(school_id, selection)
    if not rows:
        return ()
    parts = _read_parts(school_id, selection, lines, viewer or _team_viewer())
    return tuple(_concern_info(row, parts) for row in rows)


def concern_info(concern: Concern, lines: EventLines = event_lines, viewer: Viewer | None = None) -> rd.ConcernInfo:
    """Everything a concern report shows, read from the record (as ``viewer``, who exports it, may see it)."""
    found = concern_infos(concern.school_id, store.one_concern(concern.school_id, concern.id), lines, viewer)
    if not found:
        raise ExportError(f"The concern {concern.reference} is not in this school's record.")
    return found[0]


def child_file(
    pupil: Pupil, include_other_children: bool, lines: EventLines = event_lines, *, viewer: Viewer | None = None
) -> rd.ChildFile:
    """Every concern about a child that ``viewer`` (the person exporting; the DSL team's standard concerns when not
    given, as for the command line) may see, oldest first."""
    selection = store.concerns_about(pupil.school_id, pupil.id, viewer or _team_viewer())
    return rd.ChildFile(
        school=school_info(store.school(pupil.school_id)),
        pupil=pupil_info(pupil),
        concerns=concern_infos(pupil.school_id, selection, lines, viewer),
        include_other_children=include_other_children,
    )


def _team_viewer() -> Viewer:
    """No one in particular, of the DSL team: the standard concerns only (the command line's exports)."""
    return Viewer(None, True, utcnow())


def _author_viewer(export: Export) -> Viewer:
    """The person who made an export, as a viewer now: what verifying their document compares it with."""
    author = accounts.account(export.generated_by_id) if export.generated_by_id else None
    return permissions.viewer(author, utcnow()) if author is not None else _team_viewer()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _months(first: date, last: date) -> list[tuple[int, int]]:
    """The (year, month) pairs from the month of ``first`` to the month of ``last``, in order."""
    year, month, months = first.year, first.month, []
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _by_month(
    rows: list[store.LoggedRow], period_from: date, period_to: date, zone: ZoneInfo
) -> dict[tuple[int, int], int]:
    # Every month of the period appears, with none logged shown as 0: a quiet month is a fact governors need too.
    months = dict.fromkeys(_months(period_from, period_to), 0)
    for row in rows:
        local_logged = row.logged_at.astimezone(zone)
        months[(local_logged.year, local_logged.month)] += 1
    return months


def _by_status(rows: list[store.LoggedRow]) -> tuple[tuple[str, int], ...]:
    counts = Counter(row.status for row in rows)
    return tuple((status.label, counts[status]) for status in Status if counts[status])


def _by_level_of_need(rows: list[store.LoggedRow]) -> tuple[tuple[str, int], ...]:
    counts = Counter(row.level_of_need for row in rows)
    return tuple(sorted(((level or "Not set", n) for level, n in counts.items()), key=lambda pair: pair[0]))


# A vulnerable group with fewer children than this is not counted in a summary: so few could be identified.
SMALL_GROUP = 5
SMALL_GROUP_TEXT = f"fewer than {SMALL_GROUP}"


def _ack_minutes(rows: Iterable[store.LoggedRow]) -> list[float]:
    """Minutes from logging to acknowledgement of each acknowledged concern."""
    return [(r.acknowledged_at - r.logged_at).total_seconds() / 60 for r in rows if r.acknowledged_at is not None]


def _referrals_by_agency(school_id: int, start: datetime, end: datetime) -> tuple[tuple[str, int], ...]:
    """Referrals and reports recorded in the period by agency: every agency, none shown as 0."""
    counts = Counter(store.referral_targets(school_id, start, end))
    pairs = [(label, counts.pop(target, 0)) for target, label in REFERRAL_TARGETS.items()]
    unnamed = sum(counts.values())  # agencies no longer offered, or not recorded
    return tuple(pairs + ([("Another or unrecorded agency", unnamed)] if unnamed else []))


def _by_vulnerable_group(school_id: int, start: datetime, end: datetime) -> tuple[tuple[str, str, str], ...]:
    """Children of each vulnerable group whom the period's concerns were about, and those concerns; a group of fewer
    than :data:`SMALL_GROUP` children is shown as such, its concerns too (a count of its concerns could point to
    the one child with several)."""
    shown = []
    for group in store.vulnerable_group_counts(school_id, start, end):
        small = group.children < SMALL_GROUP
        children = SMALL_GROUP_TEXT if small else str(group.children)
        shown.append((PUPIL_FLAGS[group.flag], children, "not shown" if small else str(group.concerns)))
    return tuple(shown)


def _period(school: School, period_from: date, period_to: date) -> tuple[datetime, datetime]:
    """The period's first and last days as instants in the school's zone: from the start of the first day up to
    (not including) the start of the day after the last."""
    zone = ZoneInfo(school.timezone)
    return datetime.combine(period_from, time.min, zone), datetime.combine(
        period_to + timedelta(days=1), time.min, zone
    )


def period_summary(school: School, period_from: date, period_to: date, now: datetime | None = None) -> rd.PeriodSummary:
    """Counts and times for governors: no names or identifying details of any child, no group small enough to
    identify one.

    :param now: when the summary is made (a concern of the period not yet acknowledged is late once its time passed).
    """
    if period_to < period_from:
        raise ExportError("The end of the period must be on or after its start.", field="period_to")
    start, end = _period(school, period_from, period_to)
    rows = store.logged_between(school.id, start, end)
    waits = _ack_minutes(rows)
    months = _by_month(rows, period_from, period_to, ZoneInfo(school.timezone))
    late_at = min(now or utcnow(), end)
    return rd.PeriodSummary(
        school=school_info(school),
        period_from=period_from,
        period_to=period_to,
        total=len(rows),
        by_category=tuple((c.label, c.concerns) for c in store.category_counts(school.id, start, end)),
        by_status=_by_status(rows),
        by_level_of_need=_by_level_of_need(rows),
        by_month=tuple((date(year, month, 1).strftime("%b %Y"), n) for (year, month), n in months.items()),
        ack_median_minutes=round(statistics.median(waits), 1) if waits else None,
        ack_p90_minutes=round(_percentile(waits, 0.9), 1) if waits else None,
        acknowledged_count=len(waits),
        urgent_count=sum(1 for r in rows if r.urgent),
        acknowledged_late_count=sum(1 for r in rows if acknowledged_late(r.acknowledged_at, r.ack_due_at, late_at)),
        referrals_by_agency=_referrals_by_agency(school.id, start, end),
        by_vulnerable_group=_by_vulnerable_group(school.id, start, end),
        monitoring=_monitoring_review(school.id, start, end),
    )


def _monitoring_review(school_id: int, start: datetime, end: datetime) -> rd.MonitoringReview | None:
    """The period's monitoring alerts counted for the annual filtering and monitoring review; None without any."""
    counted = monitoring.review(school_id, start, end)
    if not counted.total:
        return None

    def ordered(counter: Counter[Any]) -> tuple[tuple[str, int], ...]:
        return tuple((str(key), n) for key, n in sorted(counter.items(), key=lambda item: (-item[1], str(item[0]))))

    return rd.MonitoringReview(
        total=counted.total,
        below_tray=counted.below_tray,
        by_vendor=ordered(counted.by_vendor),
        by_category=ordered(counted.by_category),
        by_severity=tuple((str(level), counted.by_severity.get(level, 0)) for level in range(5, 0, -1)),
        by_outcome=ordered(counted.by_outcome),
    )


def summary_defaults(today: date, calendar: Calendar = WEEKDAYS) -> tuple[date, date]:
    """The period a summary covers unless the DSL says otherwise: this term so far (by the school's calendar)."""
    return term_of(today, calendar).first, today


# ---------------------------------------------------------------------------------------------------------------
# Oversight: the school's numbers at a glance


@dataclass(frozen=True)
class Bar:
    """One bar of a chart and one row of its table."""

    label: str
    value: float
    # The value as the bar's label and the table write it ("12", "35 minutes").
    shown: str
    # The bar's length as a share of the chart's longest bar, 0 to 1.
    fraction: float


@dataclass(frozen=True)
class Chart:
    """A bar chart, drawn as SVG beside a table of the same numbers."""

    key: str
    title: str
    # The heading of the table's column of numbers.
    column: str
    bars: tuple[Bar, ...]


def chart(
    key: str, title: str, column: str, pairs: Iterable[tuple[str, float | None]], *, minutes: bool = False
) -> Chart:
    """A chart of ``pairs`` (label, value; ``None`` for no value), its bars scaled to the largest value."""
    pairs = [(label, value) for label, value in pairs]
    largest = chart_scale(value for _, value in pairs)
    return Chart(
        key,
        title,
        column,
        tuple(
            Bar(label, value or 0, chart_value_text(value, minutes=minutes), (value or 0) / largest)
            for label, value in pairs
        ),
    )


@dataclass(frozen=True)
class Oversight:
    """The school's numbers for the head and the DSLs: now, and over this term so far."""

    term: Term
    today: date
    now: store.SchoolNow
    awaiting_receipt: int
    late_transfers: int
    logged: int
    acknowledged: int
    ack_median_minutes: float | None
    ack_p90_minutes: float | None
    charts: tuple[Chart, ...]


def _monthly_medians(
    rows: list[store.LoggedRow], first: date, last: date, zone: ZoneInfo
) -> list[tuple[str, float | None]]:
    """The median time to acknowledge of the concerns logged in each month from ``first`` to ``last``."""
    waits: dict[tuple[int, int], list[float]] = {month: [] for month in _months(first, last)}
    for row in rows:
        logged = row.logged_at.astimezone(zone)
        waits[(logged.year, logged.month)] += _ack_minutes([row])
    return [
        (date(year, month, 1).strftime("%B %Y"), statistics.median(found) if found else None)
        for (year, month), found in waits.items()
    ]


def oversight(school: School, now: datetime, viewer: Viewer | None = None) -> Oversight:
    """The oversight page's numbers: open, urgent and overdue concerns and follow-ups and transfers awaiting receipt
    now; concerns logged, times to acknowledge and referrals by agency this term."""
    zone = ZoneInfo(school.timezone)
    today = now.astimezone(zone).date()
    calendar = calendar_services.calendar(school.id)
    term = term_of(today, calendar)
    start, end = _period(school, term.first, today)
    current = store.school_now(school.id, now, today, viewer or _team_viewer())
    pending = transfers_awaiting_receipt(school.id)
    late = len(past_transfer_window(pending, today, calendar))
    rows = store.logged_between(school.id, start, end)
    waits = _ack_minutes(rows)
    at_a_glance = [
        ("Open concerns", current.open),
        ("Open and urgent", current.urgent),
        ("Not acknowledged in time", current.overdue),
        ("Follow-ups past their date", current.follow_ups_overdue),
        ("Transfers awaiting receipt", len(pending)),
    ]
    open_statuses = [
        (status.label, current.by_status.get(status.value, 0)) for status in Status if status != Status.CLOSED
    ]
    return Oversight(
        term=term,
        today=today,
        now=current,
        awaiting_receipt=len(pending),
        late_transfers=late,
        logged=len(rows),
        acknowledged=len(waits),
        ack_median_minutes=statistics.median(waits) if waits else None,
        ack_p90_minutes=_percentile(waits, 0.9) if waits else None,
        charts=(
            chart("now", "Now", "Number", at_a_glance),
            chart("status", "Open concerns by status", "Concerns", open_statuses),
            chart(
                "referrals",
                f"Referrals and reports by agency, {term.name.lower()}",
                "Referrals",
                _referrals_by_agency(school.id, start, end),
            ),
            chart(
                "acknowledge",
                "Median time to acknowledge, by month logged",
                "Median time",
                _monthly_medians(rows, term.first, today, zone),
                minutes=True,
            ),
        ),
    )


# ---------------------------------------------------------------------------------------------------------------
# Exporting


@dataclass(frozen=True)
class ExportedFile:
    """A built PDF and the name to download it as."""

    pdf: bytes
    filename: str
    export: Export


def operator_name(user: User | None) -> str:
    """Who made an export: the signed-in person, or the server account that ran the command line."""
    if user is not None:
        return user.display_name
    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container): say so rather than guess
        account = "unknown account"
    return f"Command line ({account} on {socket.gethostname()})"


def _meta(user: User | None, reason: str, school: School) -> rd.ExportMeta:
    return rd.ExportMeta(
        generated_by=operator_name(user),
        generated_at=utcnow(),
        reason=reason,
        zone=school.timezone,
        checkpoint=anchors.describe_latest(school.id),
    )


@dataclass(frozen=True)
class _Document:
    """A document built, with what the export log keeps to rebuild its content and recognise the file."""

    kind: str  # concern | child_file | transfer | summary
    school_id: int
    subject_id: int | None
    content: object
    pdf: bytes
    parameters: str = ""
    include_other_children: bool = False


def _log(document: _Document, user: User | None, meta: rd.ExportMeta) -> Export:
    # Who, when and why are logged exactly as the document prints them: verification rebuilds from this row.
    export = Export(
        school_id=document.school_id,
        kind=document.kind,
        subject_id=document.subject_id,
        parameters=document.parameters,
        digest=reports.content_digest(document.content),
        file_sha256=hashlib.sha256(document.pdf).hexdigest(),
        generated_by_id=user.id if user else None,
        generated_by_name=meta.generated_by[:200],
        generated_at=meta.generated_at,
        reason=meta.reason,
        include_other_children=document.include_other_children,
    )
    store.add_export(export)
    audit.record(
        "export.created",
        f"Exported {document.kind.replace('_', ' ')}",
        school_id=document.school_id,
        actor_id=user.id if user else None,
        subject_type=document.kind,
        subject_id=document.subject_id,
        detail={"reason": meta.reason, "export": export.id, "include_other_children": document.include_other_children},
    )
    return export


def log_document(
    kind: str,
    school_id: int,
    subject_id: int | None,
    content: object,
    pdf: bytes,
    parameters: str,
    user: User | None,
    meta: rd.ExportMeta,
) -> Export:
    """Log a document another feature built (a subject access release), so that ``verify-pdf`` knows it: its
    content's digest, its file's hash, who, when and why. Register how to rebuild its content with
    :func:`register_rebuilder`."""
    return _log(_Document(kind, school_id, subject_id, content, pdf, parameters), user, meta)


# Kinds of document other features log, and how each rebuilds the content it would hold now from its export row.
_REBUILDERS: dict[str, Callable[[Export], object | None]] = {}


def register_rebuilder(kind: str, rebuild: Callable[[Export], object | None]) -> None:
    """Say how ``verify-pdf`` rebuilds the content of a document of ``kind`` from its export row."""
    _REBUILDERS[kind] = rebuild


def export_meta(user: User | None, reason: str, school: School) -> rd.ExportMeta:
    """Who, when and why, for a document another feature builds; the reason is checked as for every export."""
    return _meta(user, _reason(reason), school)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise ExportError(
            "Give the reason for this export (for example: referral to children's social care).", "reason"
        )
    return reason[:500]


def export_concern(concern: Concern, user: User | None, reason: str) -> ExportedFile:
    """Build the concern report for a referral."""
    reason = _reason(reason)
    content = concern_info(concern, viewer=permissions.viewer(user, utcnow()) if user else None)
    school = store.school(concern.school_id)
    meta = _meta(user, reason, school)
    pdf = reports.build_concern_report(content, school_info(school), meta)
    export = _log(_Document("concern", concern.school_id, concern.id, content, pdf), user, meta)
    return ExportedFile(pdf, f"{concern.reference}.pdf", export)


def export_child_file(pupil: Pupil, user: User | None, reason: str, include_other_children: bool) -> ExportedFile:
    """Build the child's safeguarding file (other children redacted unless the DSL chose otherwise)."""
    reason = _reason(reason)
    content = child_file(pupil, include_other_children, viewer=permissions.viewer(user, utcnow()) if user else None)
    meta = _meta(user, reason, store.school(pupil.school_id))
    pdf = reports.build_child_file(content, meta)
    document = _Document(
        "child_file",
        pupil.school_id,
        pupil.id,
        content,
        pdf,
        parameters=_encode_parameters(include_other_children=str(int(include_other_children))),
        include_other_children=include_other_children,
    )
    return ExportedFile(pdf, f"safeguarding-file-{pupil.upn}.pdf", _log(document, user, meta))


def export_transfer(
    pupil: Pupil, user: User | None, to_school: str, method: str, reason: str = "Transfer to the next school"
) -> ExportedFile:
    """Record the transfer on the pupil and build the transfer record with its receipt page."""
    to_school, method = (to_school or "").strip(), (method or "").strip() or "Secure transfer"
    if not to_school:
        raise ExportError("Enter the name of the receiving school.", field="to_school")
    school = store.school(pupil.school_id)
    meta = _meta(user, _reason(reason), school)
    now = meta.generated_at
    pupil.transfer_to = to_school[:200]
    pupil.transfer_method = method[:200]
    pupil.transfer_sent_at = now
    pupil.transfer_confirmed_at = None
    viewer = permissions.viewer(user, now) if user else _team_viewer()
    content = rd.TransferInfo(
        child_file=child_file(pupil, include_other_children=False, viewer=viewer),
        to_school=pupil.transfer_to,
        method=pupil.transfer_method,
        sent_on=now.astimezone(ZoneInfo(school.timezone)).date(),
        sent_by=meta.generated_by,
    )
    pdf = reports.build_transfer_record(content, meta)
    parameters = _encode_parameters(to=pupil.transfer_to, method=pupil.transfer_method)
    export = _log(_Document("transfer", pupil.school_id, pupil.id, content, pdf, parameters), user, meta)
    # A transfer must carry the whole file: what its sender may not see reaches the people who may.
    access.alert_left_out(pupil.school_id, user, store.left_out(pupil.school_id, pupil.id, viewer), now)
    return ExportedFile(pdf, f"transfer-{pupil.upn}.pdf", export)


def confirm_transfer(pupil: Pupil, user: User) -> None:
    """Record that the receiving school's DSL confirmed receipt of the file."""
    if pupil.transfer_sent_at is None:
        raise ExportError("No transfer of this child's file has been recorded.")
    if pupil.transfer_confirmed_at is not None:
        raise ExportError("Receipt of this transfer has already been confirmed.")
    pupil.transfer_confirmed_at = utcnow()
    audit.record(
        "transfer.confirmed",
        "Receipt of a transferred safeguarding file confirmed",
        school_id=pupil.school_id,
        actor_id=user.id,
        subject_type="pupil",
        subject_id=pupil.id,
    )


# Keeping Children Safe in Education: the file is sent within 5 school days; receipt should follow.
TRANSFER_WINDOW_SCHOOL_DAYS = 5


class _HasSent(Protocol):
    @property
    def transfer_sent_at(self) -> datetime | None: ...


_Sent = TypeVar("_Sent", bound=_HasSent)


def transfers_awaiting_receipt(school_id: int) -> list[Pupil]:
    """The school's pupils whose file was sent and whose receipt is not yet confirmed, oldest transfer first."""
    return store.transfers_awaiting_receipt(school_id)


def past_transfer_window(pending: Iterable[_Sent], today: date, calendar: Calendar = WEEKDAYS) -> list[_Sent]:
    """Those of ``pending`` (pupils, or the queue's rows of them) sent more than 5 school days before ``today``,
    counted by the school's ``calendar``."""
    return [
        p
        for p in pending
        if p.transfer_sent_at is not None
        and school_days_between(p.transfer_sent_at.date(), today, calendar) > TRANSFER_WINDOW_SCHOOL_DAYS
    ]


def late_transfers(school_id: int, pending: list[_Sent], today: date) -> list[_Sent]:
    """Those of the school's ``pending`` transfers past the window; the calendar is read only when there are any."""
    return past_transfer_window(pending, today, calendar_services.calendar(school_id)) if pending else []


def unconfirmed_transfers(school_id: int, today: date) -> list[Pupil]:
    """Transfers sent more than 5 school days ago whose receipt is still not confirmed."""
    return late_transfers(school_id, transfers_awaiting_receipt(school_id), today)


def export_summary(school: School, user: User | None, period_from: date, period_to: date, reason: str) -> ExportedFile:
    """Build the period summary for governors and the local authority."""
    reason = _reason(reason)
    meta = _meta(user, reason, school)
    content = period_summary(school, period_from, period_to, now=meta.generated_at)
    pdf = reports.build_period_summary(content, meta)
    parameters = _encode_parameters(**{"from": period_from.isoformat(), "to": period_to.isoformat()})
    export = _log(_Document("summary", school.id, None, content, pdf, parameters), user, meta)
    return ExportedFile(pdf, f"safeguarding-summary-{school.code}-{period_from}-{period_to}.pdf", export)


# ---------------------------------------------------------------------------------------------------------------
# Verifying


@dataclass(frozen=True)
class Verification:
    """The answer to "is this PDF the record as held?"."""

    # matches | changed | altered | unknown
    outcome: str
    message: str
    export: Export | None = None


def _encode_parameters(**values: str) -> str:
    """What is needed to rebuild a document, as JSON (a receiving school's name may hold any character)."""
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def _parameters(export: Export) -> dict[str, str]:
    if export.parameters.startswith("{"):
        values: dict[str, str] = json.loads(export.parameters)
        return values
    # Exports logged before the parameters were JSON: key=value pairs joined by "|".
    return dict(part.split("=", 1) for part in export.parameters.split("|") if "=" in part)


def _current_content(export: Export, lines: EventLines = event_lines) -> object | None:
    """Rebuild the content the export would hold if it were made now from the record (``None`` if it is gone)."""
    params = _parameters(export)
    if export.kind in _REBUILDERS:
        return _REBUILDERS[export.kind](export)
    if export.kind == "summary":
        school = store.school(export.school_id)
        first, last = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
        return period_summary(school, first, last, now=export.generated_at)
    if export.subject_id is None:
        return None
    if export.kind == "concern":
        selection = store.one_concern(export.school_id, export.subject_id)
        found = concern_infos(export.school_id, selection, lines, _author_viewer(export))
        return found[0] if found else None
    pupil = pupils_store.pupil(export.school_id, export.subject_id)
    if pupil is None:
        return None
    if export.kind == "child_file":
        return child_file(pupil, params.get("include_other_children") == "1", lines, viewer=_author_viewer(export))
    return rd.TransferInfo(
        child_file=child_file(pupil, include_other_children=False, lines=lines, viewer=_author_viewer(export)),
        to_school=params.get("to", ""),
        method=params.get("method", ""),
        sent_on=export.generated_at.astimezone(ZoneInfo(store.school(export.school_id).timezone)).date(),
        sent_by=export_author(export),
    )


# What a period summary held before it counted referrals, urgency and vulnerable groups.
EARLIER_SUMMARY_FIELDS = (
    "school",
    "period_from",
    "period_to",
    "total",
    "by_category",
    "by_status",
    "by_level_of_need",
    "by_month",
    "ack_median_minutes",
    "ack_p90_minutes",
    "acknowledged_count",
)


def _matches_record(export: Export) -> bool:
    """Whether the record as held now would give the export's content.

    An export made before each guided-response answer was shown once holds its answers twice: it is compared with
    the record written that way too, so that it still matches an unchanged record.
    """
    now = _current_content(export)
    if now is None:
        return False
    if reports.content_digest(now) == export.digest:
        return True
    if isinstance(now, rd.PeriodSummary):
        # A summary exported before it counted referrals, urgency and vulnerable groups holds only the earlier fields.
        earlier = {name: getattr(now, name) for name in EARLIER_SUMMARY_FIELDS}
        return reports.content_digest(earlier) == export.digest
    return reports.content_digest(_current_content(export, _lines_with_answers_twice)) == export.digest


def export_author(export: Export) -> str:
    """Who generated an export, by the name the document was given."""
    if export.generated_by_name:
        return export.generated_by_name
    name = store.display_name(export.generated_by_id) if export.generated_by_id else None
    return name or "Command line"


def _first_change_after(export: Export) -> store.ChangeRow | None:
    """The first chronology entry recorded after the export, among the records it covered."""
    selection = None
    if export.kind in _REBUILDERS:
        return None  # another feature's record: its own chronology, not the children's
    if export.subject_id is not None and export.kind == "concern":
        selection = store.one_concern(export.school_id, export.subject_id)
    elif export.subject_id is not None and export.kind in ("child_file", "transfer"):
        selection = store.concerns_about(export.school_id, export.subject_id, _author_viewer(export))
    return store.first_change_after(export.school_id, selection, export.generated_at)


def _altered(pdf: bytes, school_id: int | None) -> Verification:
    """The answer for a file no export has: one carrying a known verification code was changed after export."""
    embedded = reports.read_verification(pdf)
    if embedded:
        original = store.export_of_content(embedded, school_id)
        if original is not None:
            return Verification(
                "altered",
                "This file is NOT the document as exported: it carries the verification code of an export made "
                f"on {original.generated_at:%d %b %Y at %H:%M} UTC, but the file has been changed since.",
                original,
            )
    return Verification("unknown", "This file was not exported by Safeguard here, or it has been changed.")


def verify(pdf: bytes, school_id: int | None = None) -> Verification:
    """Say whether ``pdf`` is an unaltered Safeguard export, and whether it matches the record as held now.

    :param school_id: limit the search to one school's exports (the web page); ``None`` searches all (the CLI).
    """
    export = store.export_of_file(hashlib.sha256(pdf).hexdigest(), school_id)
    if export is None:
        return _altered(pdf, school_id)
    when = f"{export.generated_at:%d %b %Y at %H:%M} UTC by {export_author(export)}"
    if _matches_record(export):
        return Verification(
            "matches", f"This PDF is unaltered and matches the record as held now (exported {when}).", export
        )
    change = _first_change_after(export)
    if change is not None:
        message = (
            f"This PDF is unaltered (exported {when}), but the record has changed since: it diverged on "
            f"{change.at:%d %b %Y at %H:%M} UTC ({change.summary})."
        )
    else:
        message = f"This PDF is unaltered (exported {when}), but the record has changed since it was exported."
    return Verification("changed", message, export)
