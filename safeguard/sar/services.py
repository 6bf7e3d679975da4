"""The rules of subject access: logging a request, its clock, assembling what is held, redacting, releasing.

What is held about the child is assembled from the record as the child's file shows it (other children already
called Child B, C…: :mod:`safeguard.reports.redaction`), split into passages (an account, a chronology entry, what
the child said about a mark, an attachment's name…). A redaction is a span of one passage with its reason; the
redaction log keeps every one, withdrawn ones too. The release is a PDF in which each redaction is a black box
labelled with its reason; it is logged like an export, so ``verify-pdf`` recognises it, and audited.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from safeguard.audit import services as audit
from safeguard.auth import permissions
from safeguard.auth.models import User
from safeguard.concerns.services import WordingError, check_wording
from safeguard.core.sqltypes import utcnow
from safeguard.exports import services as exports
from safeguard.exports import store as exports_store
from safeguard.exports.models import Export
from safeguard.notifications import services as notifications
from safeguard.pupils.models import Pupil
from safeguard.reports import data as rd
from safeguard.reports.redaction import redact
from safeguard.reports.sar import PassageInfo, Piece, SarReleaseInfo, SectionInfo, build_subject_access_release
from safeguard.retention import store as retention_store
from safeguard.sar import clock, store
from safeguard.sar.models import SarRedaction, SubjectAccessRequest
from safeguard.schools.models import School

RELATIONSHIPS = {
    "parent": "A parent with parental responsibility",
    "child": "The child",
    "third-party": "A third party with the authority to ask (a solicitor, an advocate)",
}
STOP_REASONS = {
    "clarification": "Awaiting clarification of the request",
    "identity": "Awaiting proof of identity or authority",
}
REDACTION_REASONS = {
    "another-child": "another child",
    "another-adult": "another adult",
    "serious-harm": "serious harm",
    "other-agency": "another agency's information, pending its view",
    "legal-privilege": "legal privilege",
}
NOTE_LENGTH = 2000


class SarError(ValueError):
    """A request or a redaction breaks a rule; the message is fit to show, ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _today(school: School, now: datetime) -> date:
    return now.astimezone(ZoneInfo(school.timezone)).date()


def _wording(texts: dict[str, str]) -> None:
    try:
        check_wording(texts, None)
    except WordingError as error:
        raise SarError(str(error), error.field) from None


def due_on(request: SubjectAccessRequest, today: date) -> date:
    """When the response is due (the clock's rule)."""
    return clock.due_on(request.received_on, request.months, request.stopped_days, request.stopped_on, today)


@dataclass(frozen=True)
class Clock:
    """A request's clock as the pages show it."""

    due_on: date
    days_left: int
    stopped: bool
    overdue: bool


def clock_of(request: SubjectAccessRequest, today: date) -> Clock:
    """Due date, days left, stopped or overdue."""
    due = due_on(request, today)
    left = clock.days_left(due, today)
    stopped = request.stopped_on is not None
    return Clock(due, left, stopped, request.status == "open" and not stopped and left < 0)


# ---------------------------------------------------------------------------------------------------------------
# Logging and the clock


@dataclass(frozen=True)
class NewRequest:
    """A request as the DSL entered it."""

    pupil_id: int
    requester_name: str
    relationship: str
    competence_note: str
    received_on: date


def log_request(school: School, user: User, new: NewRequest, now: datetime) -> SubjectAccessRequest:
    """Log a request; its clock runs from the day it was received."""
    child = store.pupil(school.id, new.pupil_id)
    if child is None or not permissions.can_handle_subject_access(user, child):
        raise SarError("Choose a child on the school's roll.", "pupil_id")
    name = (new.requester_name or "").strip()
    if len(name) < 2:
        raise SarError("Enter the name of the person asking.", "requester_name")
    if new.relationship not in RELATIONSHIPS:
        raise SarError("Choose who is asking.", "relationship")
    note = (new.competence_note or "").strip()
    if new.relationship == "child" and len(note) < 5:
        raise SarError(
            "Note whether the child is competent to make the request (their age and understanding).", "competence_note"
        )
    if new.relationship == "third-party" and len(note) < 5:
        raise SarError("Note the authority the third party holds (a signed consent, a court order).", "competence_note")
    if len(note) > NOTE_LENGTH:
        raise SarError(f"Keep the note to {NOTE_LENGTH} characters.", "competence_note")
    if new.received_on > _today(school, now):
        raise SarError("The date received cannot be in the future.", "received_on")
    _wording({"competence_note": note})
    request = SubjectAccessRequest(
        school_id=school.id,
        reference=store.next_reference(school.id, school.code, _today(school, now).year),
        pupil_id=child.id,
        requester_name=name[:200],
        relationship=new.relationship,
        competence_note=note,
        received_on=new.received_on,
        months=1,
        stopped_days=0,
        status="open",
        logged_by_id=user.id,
        logged_at=now,
    )
    store.add(request)
    _history(
        request,
        user,
        f"Request logged ({RELATIONSHIPS[new.relationship].lower()}), received on "
        f"{new.received_on:%d %b %Y}; due on {due_on(request, _today(school, now)):%d %b %Y}",
        now,
    )
    audit.record(
        "sar.logged",
        "Subject access request logged",
        school_id=school.id,
        actor_id=user.id,
        subject_type="sar",
        subject_id=request.id,
        detail={"pupil": child.id, "relationship": new.relationship, "received_on": new.received_on.isoformat()},
    )
    return request


def _history(request: SubjectAccessRequest, user: User | None, summary: str, now: datetime) -> None:
    store.add_event(request.school_id, request.id, user.id if user else None, summary, now)


def _check_open(request: SubjectAccessRequest) -> None:
    if request.status != "open":
        raise SarError("This request has been released; its clock no longer runs.")


def stop_clock(request: SubjectAccessRequest, user: User, reason: str, school: School, now: datetime) -> None:
    """Stop the clock while the school awaits clarification or proof of identity."""
    _check_open(request)
    if reason not in STOP_REASONS:
        raise SarError("Choose why the clock stops.", "reason")
    if request.stopped_on is not None:
        raise SarError("The clock is already stopped.")
    request.stopped_on, request.stopped_for = _today(school, now), reason
    _history(request, user, f"Clock stopped: {STOP_REASONS[reason].lower()}", now)
    audit.record(
        "sar.clock_stopped",
        "Subject access clock stopped",
        school_id=request.school_id,
        actor_id=user.id,
        subject_type="sar",
        subject_id=request.id,
        detail={"reason": reason},
    )


def restart_clock(request: SubjectAccessRequest, user: User, school: School, now: datetime) -> None:
    """Restart the clock: the days it was stopped are added to the due date."""
    _check_open(request)
    if request.stopped_on is None:
        raise SarError("The clock is running.")
    today = _today(school, now)
    stopped = max(0, (today - request.stopped_on).days)
    request.stopped_days += stopped
    request.stopped_on, request.stopped_for = None, None
    _history(request, user, f"Clock restarted after {stopped} day(s); due on {due_on(request, today):%d %b %Y}", now)
    audit.record(
        "sar.clock_restarted",
        "Subject access clock restarted",
        school_id=request.school_id,
        actor_id=user.id,
        subject_type="sar",
        subject_id=request.id,
        detail={"stopped_days": stopped},
    )


def extend(request: SubjectAccessRequest, user: User, months: int, reason: str, school: School, now: datetime) -> None:
    """Extend the time allowed to two or three months from receipt (a complex or numerous request), with a reason."""
    _check_open(request)
    if months not in (2, 3) or months <= request.months:
        raise SarError("Extend to two or three months from receipt, longer than now.", "months")
    reason = (reason or "").strip()
    if len(reason) < 5 or len(reason) > 500:
        raise SarError("Give the reason for the extension (5 to 500 characters).", "reason")
    _wording({"reason": reason})
    request.months, request.extension_reason = months, reason
    _history(
        request,
        user,
        f"Extended to {months} months: {reason}; due on {due_on(request, _today(school, now)):%d %b %Y}",
        now,
    )
    audit.record(
        "sar.extended",
        "Subject access request extended",
        school_id=request.school_id,
        actor_id=user.id,
        subject_type="sar",
        subject_id=request.id,
        detail={"months": months},
    )


def alert_overdue(school: School, now: datetime) -> list[str]:
    """Alert the lead DSL (the school's first active DSL while it has named none), in the app and by e-mail, about
    each open request past its due date, once each; the references alerted."""
    today = _today(school, now)
    lead = retention_store.user(school.id, retention_store.lead_dsl_id(school.id))
    alerted = []
    for request in store.open_requests(school.id):
        if request.overdue_alerted_at is not None or not clock_of(request, today).overdue:
            continue
        request.overdue_alerted_at = now
        if lead is not None:
            notifications.alert_linked(
                [lead],
                school_id=school.id,
                path=f"/sar/{request.id}",
                message=f"Subject access request {request.reference} is overdue",
                subject=f"Subject access request {request.reference} is overdue",
                lines=(
                    f"The subject access request {request.reference} at {school.name} was due on "
                    f"{due_on(request, today):%d %b %Y} and has not been released.\n"
                ),
            )
        told = "the lead DSL was alerted" if lead is not None else "nobody could be alerted: the school has no DSL"
        _history(request, None, f"Overdue: {told}", now)
        audit.record(
            "sar.overdue_alerted",
            f"Overdue subject access request: {told}",
            school_id=school.id,
            subject_type="sar",
            subject_id=request.id,
        )
        alerted.append(request.reference)
    return alerted


def alert_overdue_everywhere(now: datetime) -> int:
    """The worker's pass: :func:`alert_overdue` in every school with a request that may have come due; how many
    requests were reported. A request's one-month limit is the law's, so its lateness is reported by the worker that
    runs all the time, not only by a scheduled ``retention review``."""
    return sum(len(alert_overdue(school, now)) for school in store.schools_watched())


# ---------------------------------------------------------------------------------------------------------------
# Assembling what is held


@dataclass(frozen=True)
class Passage:
    """A passage of the assembled file: its key (what redactions refer to), its label and its text."""

    key: str
    label: str
    text: str


@dataclass(frozen=True)
class Section:
    """A concern of the file, or another part of what is held."""

    title: str
    facts: tuple[tuple[str, str], ...]
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class Assembled:
    """Everything held about the child, other children already called Child B, C…"""

    child: rd.PupilInfo
    school: rd.SchoolInfo
    zone: str
    sections: tuple[Section, ...]
    attachments: tuple[tuple[str, datetime], ...]
    exports: tuple[tuple[str, datetime], ...]
    transfer: str

    def passage(self, key: str) -> Passage | None:
        """The passage with this key."""
        return next((p for s in self.sections for p in s.passages if p.key == key), None)


def _concern_section(concern: rd.ConcernInfo, zone: ZoneInfo) -> Section:
    def when(value: datetime) -> str:
        return value.astimezone(zone).strftime("%d %b %Y, %H:%M")

    key = f"c{concern.id}"
    passages = [Passage(f"{key}-account", "The account as recorded", concern.account)]
    if concern.already_done:
        passages.append(Passage(f"{key}-done", "What the reporter had already done", concern.already_done))
    passages += [
        Passage(f"{key}-addendum-{i}", f"Information added on {when(a.at)} by {a.author}", a.text)
        for i, a in enumerate(concern.addenda)
    ]
    passages += [
        Passage(f"{key}-event-{i}", f"Chronology, {when(e.at)}, {e.actor}", "\n".join((e.summary, *e.details)))
        for i, e in enumerate(concern.events)
    ]
    passages += [
        Passage(f"{key}-mark-{m.number}", f"Body map mark {m.number} ({m.region}): what the child said", m.child_words)
        for m in concern.marks
        if m.child_words
    ]
    if concern.outcome_rationale:
        passages.append(Passage(f"{key}-outcome", "The reasons for the outcome", concern.outcome_rationale))
    facts = (
        ("Status", concern.status),
        ("Happened or disclosed", when(concern.observed_at)),
        ("Where", concern.location or "—"),
        ("Categories", ", ".join(label for _, label in concern.categories)),
        ("Children", ", ".join(link.pupil.legal_name for link in concern.pupils)),
    )
    return Section(f"Concern {concern.reference}", facts, tuple(passages))


_EXPORT_KINDS = {
    "concern": "Concern report",
    "child_file": "The child's safeguarding file",
    "transfer": "Transfer record",
}


def assemble(request: SubjectAccessRequest) -> Assembled:
    """Everything held about the request's child: concerns (with chronology and body map notes), the attachments'
    list, documents exported, the transfer."""
    child = store.pupil(request.school_id, request.pupil_id)
    if child is None:
        raise SarError("The child's record is no longer held.")
    file, _aliases = redact(exports.child_file(child, include_other_children=False))
    school = exports_store.school(request.school_id)
    zone = ZoneInfo(school.timezone)
    sections = [_concern_section(concern, zone) for concern in file.concerns]
    found = store.attachments(request.school_id, child.id)
    attachments = tuple((a.original_name, a.uploaded_at) for a in found)
    listed = store.exports(request.school_id, child.id, [c.id for c in file.concerns])
    exported = tuple((f"{_EXPORT_KINDS.get(e.kind, e.kind)}: {e.reason}", e.generated_at) for e in listed)
    others = [Passage(f"attachment-{a.id}", "Attachment's name", a.original_name) for a in found]
    others += [
        Passage(f"export-{e.id}", f"Document exported: {_EXPORT_KINDS.get(e.kind, e.kind)}", e.reason) for e in listed
    ]
    if others:
        sections.append(Section("Attachments and documents exported", (), tuple(others)))
    transfer = "The file has not been transferred."
    if child.transfer_sent_at is not None:
        transfer = f"Sent to {child.transfer_to} ({child.transfer_method}) on {child.transfer_sent_at:%d %b %Y}" + (
            f"; receipt confirmed on {child.transfer_confirmed_at:%d %b %Y}." if child.transfer_confirmed_at else "."
        )
    return Assembled(file.pupil, file.school, school.timezone, tuple(sections), attachments, exported, transfer)


# ---------------------------------------------------------------------------------------------------------------
# Redacting


def active_spans(request: SubjectAccessRequest) -> dict[str, list[tuple[int, int, str]]]:
    """The redactions in force, by passage: (start, end, reason), in order, overlapping ones merged (the first
    reason kept)."""
    found: dict[str, list[tuple[int, int, str]]] = {}
    for row in store.redactions(request.school_id, request.id):
        if row.withdrawn_at is None:
            found.setdefault(row.passage, []).append((row.start, row.end, row.reason))
    for key, spans in found.items():
        spans.sort()
        merged: list[tuple[int, int, str]] = []
        for start, end, reason in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end), merged[-1][2])
            else:
                merged.append((start, end, reason))
        found[key] = merged
    return found


def pieces(text: str, spans: Iterable[tuple[int, int, str]]) -> tuple[Piece, ...]:
    """A passage's text cut into runs: kept text, and redactions (their reason's wording, no text)."""
    made: list[Piece] = []
    at = 0
    for start, end, reason in spans:
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            made.append(Piece(text[at:start]))
        made.append(Piece("", REDACTION_REASONS.get(reason, reason)))
        at = end
    if at < len(text):
        made.append(Piece(text[at:]))
    return tuple(made)


@dataclass(frozen=True)
class NewRedaction:
    """A redaction as the DSL asked for it: a span (start and end, from the page's selection), words to find, or the
    whole passage, and the reason."""

    passage: str
    reason: str
    start: int | None = None
    end: int | None = None
    words: str = ""
    whole: bool = False


def _spans(passage: Passage, new: NewRedaction) -> list[tuple[int, int]]:
    if new.whole:
        return [(0, len(passage.text))]
    if new.start is not None and new.end is not None:
        if not 0 <= new.start < new.end <= len(passage.text):
            raise SarError("The selection is not within the passage: select the words again.", "words")
        return [(new.start, new.end)]
    words = (new.words or "").strip()
    if not words:
        raise SarError("Select the words to redact, type them, or choose the whole passage.", "words")
    found = [(m.start(), m.end()) for m in re.finditer(re.escape(words), passage.text, re.IGNORECASE)]
    if not found:
        raise SarError("Those words are not in the passage: type them exactly as they appear.", "words")
    return found


def add_redaction(request: SubjectAccessRequest, user: User, new: NewRedaction, now: datetime) -> int:
    """Redact a span (or every place some words appear) of one passage; how many redactions were made."""
    _check_open(request)
    if new.reason not in REDACTION_REASONS:
        raise SarError("Choose the reason for the redaction.", "reason")
    passage = assemble(request).passage(new.passage)
    if passage is None:
        raise SarError("That passage is not in the file.", "passage")
    spans = _spans(passage, new)
    store.add_redactions(
        [
            {
                "school_id": request.school_id,
                "request_id": request.id,
                "passage": passage.key,
                "start": start,
                "end": end,
                "reason": new.reason,
                "made_by_id": user.id,
                "made_at": now,
            }
            for start, end in spans
        ]
    )
    audit.record(
        "sar.redacted",
        "Passage redacted for a subject access request",
        school_id=request.school_id,
        actor_id=user.id,
        subject_type="sar",
        subject_id=request.id,
        detail={"passage": passage.key, "spans": [list(s) for s in spans], "reason": new.reason},
    )
    return len(spans)


def withdraw_redaction(request: SubjectAccessRequest, redaction: SarRedaction, user: User, now: datetime) -> None:
    """Withdraw a redaction (the log keeps it, marked withdrawn)."""
    _check_open(request)
    if redaction.withdrawn_at is not None:
        raise SarError("That redaction was already withdrawn.")
    redaction.withdrawn_at, redaction.withdrawn_by_id = now, user.id
    audit.record(
        "sar.redaction_withdrawn",
        "Redaction withdrawn",
        school_id=request.school_id,
        actor_id=user.id,
        subject_type="sar",
        subject_id=request.id,
        detail={"redaction": redaction.id},
    )


# ---------------------------------------------------------------------------------------------------------------
# Releasing


def release_content(request: SubjectAccessRequest) -> SarReleaseInfo:
    """What the release holds: the assembled file with the redactions in force applied."""
    assembled = assemble(request)
    spans = active_spans(request)
    sections = tuple(
        SectionInfo(
            section.title,
            section.facts,
            tuple(PassageInfo(p.key, p.label, pieces(p.text, spans.get(p.key, ()))) for p in section.passages),
        )
        for section in assembled.sections
    )
    count = sum(1 for section in sections for p in section.passages for piece in p.pieces if piece.reason)
    return SarReleaseInfo(
        school=assembled.school,
        reference=request.reference,
        received_on=request.received_on,
        requester=RELATIONSHIPS[request.relationship].lower(),
        child=assembled.child,
        sections=sections,
        exports=assembled.exports,
        attachments=assembled.attachments,
        transfer=assembled.transfer,
        redactions=count,
    )


@dataclass(frozen=True)
class Released:
    """The release PDF and its file name."""

    pdf: bytes
    filename: str


def release(request: SubjectAccessRequest, user: User, school: School, now: datetime) -> Released:
    """Build the release PDF, log it like an export (for ``verify-pdf``), close the request and audit it."""
    _check_open(request)
    content = release_content(request)
    meta = rd.ExportMeta(
        generated_by=exports.operator_name(user),
        generated_at=now,
        reason=f"Subject access request {request.reference}",
        zone=school.timezone,
    )
    pdf = build_subject_access_release(content, meta)
    export = exports.log_document(
        "sar", request.school_id, request.pupil_id, content, pdf, json.dumps({"request": request.id}), user, meta
    )
    request.status, request.released_at, request.released_by_id, request.export_id = "released", now, user.id, export.id
    _history(request, user, f"Released as a PDF ({content.redactions} redaction(s))", now)
    audit.record(
        "sar.released",
        "Subject access request released",
        school_id=request.school_id,
        actor_id=user.id,
        subject_type="sar",
        subject_id=request.id,
        detail={"export": export.id, "redactions": content.redactions},
    )
    return Released(pdf, f"subject-access-{request.reference}.pdf")


def _rebuild(export: Export) -> object | None:
    """The content a release would hold now (for ``verify-pdf``)."""
    try:
        request_id = int(json.loads(export.parameters).get("request"))
    except (ValueError, TypeError, AttributeError):
        return None
    found = store.request(export.school_id, request_id)
    if found is None:
        return None
    try:
        return release_content(found)
    except SarError:
        return None


exports.register_rebuilder("sar", _rebuild)


def overdue_count(school: School, requests: Iterable[SubjectAccessRequest], now: datetime) -> int:
    """How many of ``requests`` are overdue."""
    today = _today(school, now)
    return sum(1 for r in requests if clock_of(r, today).overdue)


def now() -> datetime:
    """The current time."""
    return utcnow()


def with_pupils(
    school_id: int, requests: list[SubjectAccessRequest]
) -> list[tuple[SubjectAccessRequest, Pupil | None]]:
    """Each request with its child (one statement for the list)."""
    found = store.pupils_named(school_id, [r.pupil_id for r in requests])
    return [(r, found.get(r.pupil_id)) for r in requests]
