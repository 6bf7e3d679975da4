"""The plain data the PDF documents are built from. Nothing here touches the database.

Times are aware UTC datetimes; the documents show them in the school's time zone, which each page names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

PART_LABELS = {
    "subject": "The child the concern is about",
    "harmed": "A child who may have caused harm",
    "witness": "A witness",
}


@dataclass(frozen=True)
class SchoolInfo:
    """The school, as a report's header shows it."""

    name: str
    code: str
    dsl_contact: str
    protective_marking: str


@dataclass(frozen=True)
class PupilInfo:
    """A pupil's details."""

    id: int
    upn: str
    legal_name: str
    preferred_name: str | None
    date_of_birth: date
    year_group: str
    class_name: str
    flags: tuple[str, ...]
    left_on: date | None
    destination: str | None


@dataclass(frozen=True)
class PupilLink:
    """A pupil's part in a concern: ``subject``, ``harmed`` or ``witness``."""

    pupil: PupilInfo
    part: str


@dataclass(frozen=True)
class Addendum:
    """Information added after the original account."""

    at: datetime
    author: str
    text: str


@dataclass(frozen=True)
class EventInfo:
    """One line of the chronology."""

    at: datetime
    actor: str
    kind: str
    summary: str
    details: tuple[str, ...] = ()
    follow_up_on: date | None = None


# A field added to the record after exports were made: left out of the content's digest while it is empty, so that
# an export made before it existed still matches a record that has nothing in it (see base.content_digest).
OMITTED_WHEN_EMPTY = {"omitted_when_empty": True}


@dataclass(frozen=True)
class MarkInfo:
    """A mark on a child's body map, numbered as on its concern's outlines."""

    number: int
    pupil_id: int
    child: str
    region: str
    # The outline it is drawn on, its label, and its place as fractions of the outline's width and height.
    view: str
    view_label: str
    x: float
    y: float
    placed_on_outline: bool
    kind: str
    length_cm: float
    width_cm: float | None
    shape: str
    colour: str
    seen_at: datetime
    child_words: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class ConcernInfo:
    """Everything recorded about one concern."""

    id: int
    reference: str
    status: str
    urgent: bool
    level_of_need: str | None
    outcome: str | None
    outcome_rationale: str | None
    reporter: str
    reporter_role: str
    observed_at: datetime
    logged_at: datetime
    acknowledged_at: datetime | None
    location: str
    categories: tuple[tuple[str, str], ...]
    vocabulary_version: str
    account: str
    already_done: str
    pupils: tuple[PupilLink, ...]
    addenda: tuple[Addendum, ...]
    events: tuple[EventInfo, ...]
    kept_wording_reason: str | None
    # The body map's marks, in the order they were recorded.
    marks: tuple[MarkInfo, ...] = field(default=(), metadata=OMITTED_WHEN_EMPTY)


@dataclass(frozen=True)
class ChildFile:
    """Every concern about one child."""

    school: SchoolInfo
    pupil: PupilInfo
    concerns: tuple[ConcernInfo, ...]
    include_other_children: bool


@dataclass(frozen=True)
class TransferInfo:
    """The child's file sent to the next school."""

    child_file: ChildFile
    to_school: str
    method: str
    sent_on: date
    sent_by: str


@dataclass(frozen=True)
class MonitoringReview:
    """The period's alerts from the filtering and monitoring software, counted for the annual review of filtering and
    monitoring: by vendor, category, severity and outcome (no child, username or text)."""

    total: int
    below_tray: int
    by_vendor: tuple[tuple[str, int], ...]
    by_category: tuple[tuple[str, int], ...]
    by_severity: tuple[tuple[str, int], ...]
    by_outcome: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class PeriodSummary:
    """Counts and times for a period: no child's name or identifying detail."""

    school: SchoolInfo
    period_from: date
    period_to: date
    total: int
    by_category: tuple[tuple[str, int], ...]
    by_status: tuple[tuple[str, int], ...]
    by_level_of_need: tuple[tuple[str, int], ...]
    by_month: tuple[tuple[str, int], ...]
    ack_median_minutes: float | None
    ack_p90_minutes: float | None
    acknowledged_count: int
    # Added after the first summaries were exported: exports.services compares an earlier summary's digest with
    # the fields above only (EARLIER_SUMMARY_FIELDS there).
    urgent_count: int = 0
    # Acknowledged after the time to acknowledge, or not yet acknowledged with that time passed.
    acknowledged_late_count: int = 0
    referrals_by_agency: tuple[tuple[str, int], ...] = ()
    # (group, children, concerns): each count as shown, "fewer than 5" for a small group, so no child is identified.
    by_vulnerable_group: tuple[tuple[str, str, str], ...] = ()
    # None when no alert arrived in the period; left out of the digest then, so earlier summaries still verify.
    monitoring: MonitoringReview | None = field(default=None, metadata=OMITTED_WHEN_EMPTY)


# The zone of a school that has not chosen one (the schools table's default).
DEFAULT_ZONE = "Europe/London"


@dataclass(frozen=True)
class ExportMeta:
    """Who exported, when, why, and the school's time zone the times are shown in (not part of the record content:
    the record's times are the same instants whatever zone a document shows them in)."""

    generated_by: str
    generated_at: datetime
    reason: str
    zone: str = DEFAULT_ZONE  # an IANA name, for example Europe/Paris
    # The school's last signed checkpoint of its chains (safeguard.audit.anchors), printed in every page's footer.
    checkpoint: str = ""
