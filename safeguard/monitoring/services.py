"""The rules for monitoring alerts: receiving them (never an image), matching them to a pupil, the tray's outcomes,
the severity 5 alert to the DSL team, and the counts of the annual filtering and monitoring review.

The DfE's filtering and monitoring standards make the DSL responsible for alerts being "urgently picked up, acted
on and outcomes recorded": each alert in the tray ends attached to a concern (it becomes a chronology entry), as a
false positive, or as needing no further action, the last two with a reason.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from safeguard.api.problems import FieldProblem, pointer
from safeguard.audit import services as audit
from safeguard.auth.models import User
from safeguard.concerns import services as concerns
from safeguard.concerns import store as concerns_store
from safeguard.concerns.models import Concern
from safeguard.concerns.states import Part
from safeguard.core.formatting import local_datetime, local_today, zone_named
from safeguard.core.sqltypes import utcnow
from safeguard.monitoring import store
from safeguard.monitoring.models import NOTIFY_SEVERITY, OUTCOME_LABELS, MonitoringAlert, Outcome
from safeguard.monitoring.schemas import AlertIn
from safeguard.notifications import services as notifications
from safeguard.pupils import store as pupils_store
from safeguard.schools.models import School

# ---------------------------------------------------------------------------------------------------------------
# Never an image

# The first bytes of image formats, as base64 text begins when it carries one (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC).
_IMAGE_BASE64 = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UklGR", "Qk0", "SUkqAA", "TU0AKg", "AAAAGGZ0eXBoZWlj")
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"BM", b"II*\x00", b"MM\x00*")
# Names of fields that carry pictures in vendors' payloads.
_IMAGE_NAMES = re.compile(r"image|screenshot|screen_shot|snapshot|thumbnail|picture|photo|capture", re.IGNORECASE)
_BASE64_RUN = re.compile(r"^[A-Za-z0-9+/=_\-\s]{200,}$")
IMAGE_REFUSED = (
    "Images are never accepted: a screenshot may be child sexual abuse material, which must not be copied, stored "
    "or sent on. Send the alert's text fields only; the DSL follows the link to see the event in the vendor's console."
)


def _binary(value: str) -> bool:
    """Whether a string is a data URL, or base64 of an image or of anything long and not text."""
    head = value.lstrip()[:40]
    if head.lower().startswith("data:") or any(head.startswith(prefix) for prefix in _IMAGE_BASE64):
        return True
    if not _BASE64_RUN.match(value):
        return False
    try:
        decoded = base64.b64decode(re.sub(r"\s", "", value) + "==", validate=False)[:64]
    except (binascii.Error, ValueError):
        return False
    return decoded.startswith(_IMAGE_MAGIC) or sum(1 for b in decoded if b < 9 or 13 < b < 32) > 4


def imagery(payload: Any, location: tuple[str | int, ...] = ()) -> list[FieldProblem]:
    """Every place in a request body that carries an image (or other binary data): a field named as a picture, a
    data URL, base64 of an image or of anything that is not text."""
    found: list[FieldProblem] = []
    if isinstance(payload, dict):
        for name, value in payload.items():
            where = (*location, str(name))
            if _IMAGE_NAMES.search(str(name)) and value not in (None, "", [], {}):
                found.append(FieldProblem(pointer(where), "an image is never accepted"))
            else:
                found += imagery(value, where)
    elif isinstance(payload, list):
        for index, value in enumerate(payload[:1000]):
            found += imagery(value, (*location, index))
    elif isinstance(payload, str) and _binary(payload):
        found.append(FieldProblem(pointer(location), "an image or other binary data is never accepted"))
    return found


# ---------------------------------------------------------------------------------------------------------------
# Receiving


@dataclass(frozen=True)
class Received:
    """An alert as the API answers it, and whether it was new."""

    alert: store.AlertStatus
    created: bool


def _match(school_id: int, username: str) -> int | None:
    """The pupil whose MIS username or e-mail address is ``username``; ``None`` when none is, or more than one."""
    found = store.pupils_named(school_id, username.strip().lower())
    return found[0] if len(found) == 1 else None


def _notify(school: School, alert_id: int, vendor: str, now: datetime) -> None:
    """Alert the DSL team at once about a severity 5 alert, as an urgent concern is routed (DSLs away in the app
    only, the head too when no DSL is cover)."""
    team = store.dsl_team(school.id, local_today(zone_named(school.timezone), now), now)
    alerted, in_app_only, _ = concerns.route(team)
    when = local_datetime(now, zone=zone_named(school.timezone))
    notifications.alert_linked(
        alerted,
        school_id=school.id,
        path=f"/monitoring/alerts/{alert_id}",
        message=f"Severity 5 monitoring alert from {vendor}: triage it now",
        subject=f"URGENT: severity 5 monitoring alert ({vendor})",
        lines=(
            f"A severity 5 alert from the school's monitoring software ({vendor}) arrived at {when}.\n"
            "It waits in the monitoring tray: pick it up, act on it and record its outcome.\n"
        ),
        in_app_only=in_app_only,
    )


def receive_alert(school: School, token_id: int | None, sent: AlertIn, now: datetime | None = None) -> Received:
    """Record an alert from the monitoring software; a repeat (the same vendor and event id) is the first alert.

    Below the school's lowest severity it is counted, not shown; a severity 5 alert alerts the DSL team at once.
    """
    now = now or utcnow()
    pupil_id = _match(school.id, sent.username)
    in_tray = sent.severity >= school.monitoring_min_severity
    urgent = in_tray and sent.severity >= NOTIFY_SEVERITY
    added = store.insert_alert(
        {
            "school_id": school.id,
            "vendor": sent.vendor,
            "event_id": sent.event_id,
            "occurred_at": sent.occurred_at,
            "received_at": now,
            "username": sent.username,
            "category": sent.category,
            "severity": sent.severity,
            "excerpt": sent.excerpt,
            "link": str(sent.link),
            "in_tray": in_tray,
            "pupil_id": pupil_id,
            "outcome": Outcome.NEW.value,
            "token_id": token_id,
            "notified_at": now if urgent else None,
        }
    )
    if added is None:
        existing = store.status_by_event(school.id, sent.vendor, sent.event_id)
        if existing is None:  # never: the insert found it
            raise LookupError("a repeated alert vanished")
        return Received(existing, False)
    if urgent:
        _notify(school, added.id, sent.vendor, now)
    audit.record(
        "monitoring.alert_received",
        f"Monitoring alert received from {sent.vendor}, severity {sent.severity}"
        + ("" if in_tray else " (below the tray's severity: counted only)"),
        school_id=school.id,
        subject_type="monitoring_alert",
        subject_id=added.id,
        detail={"severity": sent.severity, "in_tray": in_tray, "matched": pupil_id is not None, "token_id": token_id},
    )
    return Received(added, True)


# ---------------------------------------------------------------------------------------------------------------
# The tray


class TriageError(ValueError):
    """A rule of the tray was broken; the message is fit to show beside ``field``."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _still_new(alert: MonitoringAlert) -> None:
    if alert.outcome != Outcome.NEW.value:
        raise TriageError(f"This alert was already dealt with: {OUTCOME_LABELS[Outcome(alert.outcome)].lower()}.")


def _decided(alert: MonitoringAlert, dsl: User, outcome: Outcome, now: datetime, **values: Any) -> None:
    """End the alert with ``outcome``, unless another DSL ended it first."""
    if not store.update_alert(
        alert.school_id,
        alert.id,
        Outcome.NEW.value,
        outcome=outcome.value,
        decided_by_id=dsl.id,
        decided_at=now,
        **values,
    ):
        raise TriageError("Another DSL dealt with this alert meanwhile: nothing more was changed.")


def match_pupil(alert: MonitoringAlert, dsl: User, pupil_id: int | None) -> None:
    """Match an unmatched alert to a pupil of the school, by hand."""
    _still_new(alert)
    if pupil_id is None or not pupils_store.on_roll(alert.school_id, [pupil_id]):
        raise TriageError("Choose a pupil of this school.", field="pupil_id")
    if not store.update_alert(alert.school_id, alert.id, Outcome.NEW.value, pupil_id=pupil_id, matched_by_id=dsl.id):
        raise TriageError("Another DSL dealt with this alert meanwhile: nothing more was changed.")
    audit.record(
        "monitoring.alert_matched",
        "Monitoring alert matched to a pupil by hand",
        school_id=alert.school_id,
        actor_id=dsl.id,
        subject_type="monitoring_alert",
        subject_id=alert.id,
        detail={"pupil_id": pupil_id},
    )


def close(alert: MonitoringAlert, dsl: User, outcome: Outcome, reason: str, kept_reason: str | None) -> None:
    """End an alert as a false positive or as needing no further action, with the reason (through the terminology
    gate, like every text written into a record)."""
    if outcome not in (Outcome.FALSE_POSITIVE, Outcome.NO_FURTHER_ACTION):
        raise TriageError("Choose false positive or no further action.", field="outcome")
    _still_new(alert)
    reason = (reason or "").strip()
    if not reason:
        raise TriageError("Say why: the reason is kept with the alert's outcome.", field="reason")
    try:
        kept = concerns.check_wording({"reason": reason}, kept_reason)
    except concerns.WordingError as error:
        raise TriageError(str(error), field="reason") from None
    now = utcnow()
    _decided(alert, dsl, outcome, now, reason=reason, wording_kept_reason=kept)
    audit.record(
        "monitoring.alert_closed",
        f"Monitoring alert closed: {OUTCOME_LABELS[outcome].lower()}",
        school_id=alert.school_id,
        actor_id=dsl.id,
        subject_type="monitoring_alert",
        subject_id=alert.id,
        detail={"outcome": outcome.value},
    )


def _entry(alert: MonitoringAlert, zone: str) -> tuple[str, dict[str, Any]]:
    """The chronology entry's summary and facts for an alert."""
    when = local_datetime(alert.occurred_at, zone=zone_named(zone))
    summary = f"Monitoring alert from {alert.vendor}: {alert.category}, severity {alert.severity}, at {when}"
    detail = {
        "alert_id": alert.id,
        "vendor": alert.vendor,
        "event_id": alert.event_id,
        "category": alert.category,
        "severity": alert.severity,
        "occurred_at": alert.occurred_at.isoformat(),
        "username": alert.username,
        "link": alert.link,
    }
    return summary, detail


def _attach(alert: MonitoringAlert, concern: Concern, dsl: User, kept_reason: str | None) -> None:
    summary, detail = _entry(alert, dsl.school.timezone)
    try:
        concerns.add_monitoring_alert(concern, dsl, summary, alert.excerpt, detail, kept_reason)
    except concerns.WordingError as error:
        raise TriageError(str(error), field="wording_kept_reason") from None
    _decided(alert, dsl, Outcome.ATTACHED, utcnow(), concern_id=concern.id)
    audit.record(
        "monitoring.alert_attached",
        f"Monitoring alert attached to {concern.reference}",
        school_id=alert.school_id,
        actor_id=dsl.id,
        subject_type="monitoring_alert",
        subject_id=alert.id,
        detail={"concern_id": concern.id},
    )


def attach_to_existing(alert: MonitoringAlert, dsl: User, reference: str, kept_reason: str | None) -> Concern:
    """Attach the alert to one of the school's concerns: it becomes an entry of the concern's chronology."""
    _still_new(alert)
    reference = (reference or "").strip().upper()
    concern = concerns_store.concern_by_reference(alert.school_id, reference) if reference else None
    if concern is None:
        raise TriageError("No concern of this school has that reference (for example OAK-2026-0042).", "reference")
    _attach(alert, concern, dsl, kept_reason)
    return concern


def attach_to_new(
    alert: MonitoringAlert, dsl: User, category_ids: Sequence[str], note: str, kept_reason: str | None
) -> Concern:
    """Log a new concern about the alert's pupil from the alert, and attach the alert to it."""
    _still_new(alert)
    if alert.pupil_id is None:
        raise TriageError("Match the alert to a pupil first.", field="pupil_id")
    summary, _ = _entry(alert, dsl.school.timezone)
    account = (note or "").strip() or f"{summary}. The alert is attached below."
    try:
        concern = concerns.log_concern(
            dsl,
            concerns.NewConcern(
                pupils=[concerns.PupilRole(alert.pupil_id, Part.SUBJECT)],
                observed_at=min(alert.occurred_at, utcnow()),
                category_ids=list(category_ids),
                account=account,
                location=f"Online: flagged by {alert.vendor}"[:200],
                immediate_danger=False,
                wording_kept_reason=kept_reason,
            ),
        )
    except concerns.ConcernError as error:
        raise TriageError(str(error), field=error.field) from None
    _attach(alert, concern, dsl, kept_reason)
    return concern


# ---------------------------------------------------------------------------------------------------------------
# The school's setting


def set_min_severity(school: School, severity: int, actor: User) -> None:
    """Set the lowest severity that enters the tray (alerts below are counted, not shown)."""
    if not 1 <= severity <= NOTIFY_SEVERITY:
        raise TriageError("Choose a severity from 1 to 5.", field="min_severity")
    before = school.monitoring_min_severity
    school.monitoring_min_severity = severity
    audit.record(
        "monitoring.threshold_changed",
        f"Lowest severity for the monitoring tray changed from {before} to {severity}",
        school_id=school.id,
        actor_id=actor.id,
        detail={"before": before, "after": severity},
    )


# ---------------------------------------------------------------------------------------------------------------
# The period summary


@dataclass
class Review:
    """The alerts of a period, counted for the annual filtering and monitoring review."""

    total: int = 0
    below_tray: int = 0
    by_vendor: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[int] = field(default_factory=Counter)
    by_outcome: Counter[str] = field(default_factory=Counter)


def review(school_id: int, start: datetime, end: datetime) -> Review:
    """The school's alerts from ``start`` to before ``end``, counted by vendor, category, severity and outcome (those
    below the tray's severity counted apart: they had no outcome)."""
    counted = Review()
    for row in store.tally(school_id, start, end):
        counted.total += row.count
        counted.by_vendor[row.vendor] += row.count
        counted.by_category[row.category] += row.count
        counted.by_severity[row.severity] += row.count
        if not row.in_tray:
            counted.below_tray += row.count
            counted.by_outcome["Below the tray's severity (counted only)"] += row.count
        else:
            counted.by_outcome[OUTCOME_LABELS[Outcome(row.outcome)]] += row.count
    return counted
