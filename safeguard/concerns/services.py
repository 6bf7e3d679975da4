"""The rules of the concern workflow: logging, routing, acknowledging, actions, decisions, status and escalation.

Services check the rules and call the store (:mod:`safeguard.concerns.store`) to read and write; the request (or
the command) commits once. Every change to a concern is an append-only chronology entry, and moves the concern's
version on, so that a DSL acting on a page that is out of date is told so instead of overwriting a colleague's work.
Every free text a person writes into a record passes the terminology gate here (:func:`check_wording`).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import filetype
from flask import current_app

from safeguard import protocols
from safeguard.access import store as access_store
from safeguard.audit import records
from safeguard.audit import services as audit
from safeguard.auth import permissions
from safeguard.auth import store as accounts
from safeguard.auth.models import User
from safeguard.auth.permissions import Viewer
from safeguard.bodymap import services as bodymap
from safeguard.calendar import services as calendar_services
from safeguard.concerns import store
from safeguard.concerns.models import Concern
from safeguard.concerns.states import (
    ACTION_KINDS,
    DECISION_KINDS,
    REFERRAL_KINDS,
    REFERRAL_TARGETS,
    REFERRAL_TARGETS_IN_TEXT,
    TRANSITIONS,
    EventKind,
    Part,
    Status,
)
from safeguard.concerns.store import StaleConcern
from safeguard.core import storage
from safeguard.core import uploads as uploads_rules
from safeguard.core.formatting import (
    Excerpt,
    excerpt,
    format_date,
    local_datetime,
    local_today,
    shorten,
    zone_named,
)
from safeguard.core.names import fold
from safeguard.core.schooldays import add_school_days
from safeguard.core.sqltypes import utcnow
from safeguard.notifications import services as notifications
from safeguard.schools.models import School
from safeguard.terminology import Category, get_vocabulary, wording_problems

__all__ = ["AlreadyDone", "ConcernError", "StaleConcern", "WordingError"]

logger = logging.getLogger("safeguard.concerns")

# A reporter's clock may run a little ahead of the server's; anything later than this is "in the future".
CLOCK_SKEW = timedelta(minutes=5)
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# A chronology entry's one line, at most (the length of concern_events.summary).
SUMMARY_LENGTH = 500
MAX_ATTACHMENTS = 5
# Content types accepted for attachments, sniffed from the bytes: scans, photos of a body map, letters.
ALLOWED_TYPES = {
    "application/pdf": "PDF document",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/heic": "HEIC image",
    "image/tiff": "TIFF scan",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
}


class ConcernError(ValueError):
    """A rule was broken; the message is fit to show, beside ``field`` when given."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.messages = [message]


class AlreadyDone(ConcernError):
    """Someone else did it first (another DSL acknowledged the concern, or marked the follow-up done): nothing was
    changed, and the message says who and when."""


class WordingError(ConcernError):
    """Text uses terms to avoid and no reason was given for keeping them; each message names a term."""

    def __init__(self, messages: list[str], field: str) -> None:
        super().__init__(" ".join(messages), field)
        self.messages = messages


def check_wording(texts: dict[str, str], kept_reason: str | None) -> str | None:
    """The terminology gate for free text written into a record: refuse terms to avoid unless the writer gave a
    reason for keeping them, and return that reason (stripped) to be stored with the text.

    :param texts: each field's name and text, as the writer typed it.
    """
    reason = (kept_reason or "").strip() or None
    for name, text in texts.items():
        problems = wording_problems(text or "", reason)
        if problems:
            raise WordingError(problems, field=name)
    return reason


@dataclass(frozen=True)
class Upload:
    """A file the reporter attached."""

    filename: str
    data: bytes
    description: str = ""


@dataclass(frozen=True)
class PupilRole:
    """A pupil and their part in the concern."""

    pupil_id: int
    part: Part


@dataclass(frozen=True)
class NewConcern:
    """What a member of staff wrote on the "Log a concern" form."""

    pupils: Sequence[PupilRole]
    observed_at: datetime
    category_ids: Sequence[str]
    account: str
    location: str = ""
    already_done: str = ""
    immediate_danger: bool = False
    # Why the writer kept terms the checker flagged (for example, quoting the name of an offence).
    wording_kept_reason: str | None = None
    uploads: Sequence[Upload] = ()
    # The body map: marks seen on the children (rows left blank are set aside).
    marks: Sequence[bodymap.NewMark] = ()


# ---------------------------------------------------------------------------------------------------------------
# Logging a concern


def acknowledgement_due(school: School, logged_at: datetime, urgent: bool) -> datetime:
    """When a concern must be acknowledged by, by the school's settings.

    ``URGENT_ACK_SECONDS``, when configured, replaces the urgent minutes: for tests and demonstrations of escalation,
    which would otherwise wait a quarter of an hour.
    """
    if urgent:
        seconds = current_app.config.get("URGENT_ACK_SECONDS")
        if seconds:
            return logged_at + timedelta(seconds=int(seconds))
        return logged_at + timedelta(minutes=school.urgent_ack_minutes)
    calendar = calendar_services.calendar(school.id)
    return add_school_days(logged_at, school.routine_ack_school_days, school.timezone, calendar)


def _sniff(upload: Upload) -> str:
    kind = filetype.guess(upload.data)
    mime = kind.mime if kind else None
    if mime not in ALLOWED_TYPES:
        raise ConcernError(
            f"{uploads_rules.safe_filename(upload.filename)}: this kind of file cannot be attached. Attach a PDF, a Word document or a photo "
            "or scan (JPEG, PNG, HEIC, TIFF).",
            field="attachments",
        )
    return str(mime)


def _imagery_refused(categories: Sequence[Category], body_map: bool) -> str | None:
    """Why an image cannot be attached to this concern, or ``None`` when it can."""
    sensitive = [c for c in categories if c.sensitive_imagery]
    if sensitive:
        return (
            "Images cannot be attached to a concern about "
            f"{sensitive[0].label.lower()}: imagery of a child is never uploaded, viewed, copied or forwarded. "
            f"Describe it in words only. {sensitive[0].guidance or ''}".strip()
        )
    if body_map:
        return (
            "Images cannot be attached to a concern with a body map: staff never photograph a child's injuries. "
            "Describe each mark on the body map instead (where it is, its size, shape and colour)."
        )
    return None


def check_attachments(uploads: Sequence[Upload], categories: Sequence[Category], body_map: bool = False) -> list[str]:
    """Validate attachments; return their sniffed content types. Imagery is refused for sensitive categories, and
    with a body map (injuries are described and drawn, never photographed)."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise ConcernError(f"Attach at most {MAX_ATTACHMENTS} files.", field="attachments")
    refused = _imagery_refused(categories, body_map)
    types = []
    for upload in uploads:
        name = uploads_rules.safe_filename(upload.filename)
        if not upload.data:
            raise ConcernError(f"{name}: the file is empty.", field="attachments")
        if len(upload.data) > MAX_ATTACHMENT_BYTES:
            raise ConcernError(
                f"{name}: files can be at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB.",
                field="attachments",
            )
        mime = _sniff(upload)
        if refused and mime.startswith(("image/", "video/")):
            raise ConcernError(refused, field="attachments")
        try:
            uploads_rules.check_upload(upload.data, mime)
        except uploads_rules.UploadRefused as error:
            raise ConcernError(f"{name}: {error}", field="attachments") from None
        types.append(mime)
    return types


def _check_children(pupils: Sequence[PupilRole]) -> None:
    if not pupils:
        raise ConcernError("Choose at least one pupil.", field="pupils")
    if not any(p.part == Part.SUBJECT for p in pupils):
        raise ConcernError("Mark at least one child as the child the concern is about.", field="pupils")
    ids = [p.pupil_id for p in pupils]
    if len(set(ids)) != len(ids):
        raise ConcernError("Each pupil can be added once.", field="pupils")


def _categories(category_ids: Sequence[str]) -> list[Category]:
    if not category_ids:
        raise ConcernError("Choose at least one category.", field="categories")
    vocabulary = get_vocabulary()
    categories = [vocabulary.category(category_id) for category_id in dict.fromkeys(category_ids)]
    if any(c is None or c.parent is None for c in categories):
        raise ConcernError("Choose categories from the list.", field="categories")
    return [c for c in categories if c is not None]


@dataclass(frozen=True)
class _Checked:
    """A new concern that passed every rule, with what the rules found."""

    account: str
    kept_reason: str | None
    categories: list[Category]
    content_types: list[str]
    urgent: bool
    team: accounts.Team
    marks: list[bodymap.CheckedMark]


@dataclass(frozen=True)
class Routing:
    """Whom a new concern was sent to: what the reporter is told and the first chronology entry says, kept in that
    entry's detail (``routing``) so that both always say what was actually done."""

    # DSLs alerted by e-mail and in the app: the team's cover, and DSLs locked out for now (they still need to know).
    dsls: int
    # DSLs away today: alerted in the app only; they see it on their return, and are not counted as cover.
    away: int
    # Heads alerted by e-mail and in the app because no DSL is cover.
    heads: int
    # No DSL is cover (all away, locked out, or none active): the head was alerted instead.
    no_cover: bool

    @classmethod
    def of(cls, detail: dict[str, Any] | None) -> Routing | None:
        """The routing kept in a first chronology entry's detail; ``None`` for a concern logged before it was kept."""
        kept = (detail or {}).get("routing")
        return cls(**kept) if kept else None

    @property
    def nobody(self) -> bool:
        """Nobody at all could be alerted by e-mail: no DSL and no head is active."""
        return not self.dsls and not self.heads

    def summary(self) -> str:
        """The routing in one line, for the chronology."""
        if self.nobody:
            said = "no DSL or head is active: nobody could be alerted by Safeguard"
        elif self.no_cover:
            said = f"no DSL available: the head alerted by e-mail and in the app ({_people(self.heads)})"
            if self.dsls:
                said += f", and {_people(self.dsls, 'DSL')} locked out of Safeguard for now"
        else:
            said = f"the DSL team alerted by e-mail and in the app ({_people(self.dsls)})"
        if self.away:
            said += f"; {_people(self.away, 'DSL')} away, alerted in the app only"
        return said


def _people(count: int, what: str = "person") -> str:
    plural = {"person": "people", "DSL": "DSLs"}[what]
    return f"{count} {what if count == 1 else plural}"


def _only_who_may_see(
    concern: Concern,
    team: accounts.Team,
    routed: tuple[list[accounts.Recipient], list[accounts.Recipient], Routing],
    now: datetime,
) -> tuple[list[accounts.Recipient], list[accounts.Recipient], Routing]:
    """The routing narrowed to the people who may see the new concern: a child whose file is restricted alerts its
    named people only (an alert names the reference), and the reporter is told what was done."""
    alerted, in_app_only, routing = routed
    allowed = access_store.who_may_see(concern.school_id, concern.id, [p.id for p in alerted + in_app_only], now)
    if len(allowed) == len({p.id for p in alerted + in_app_only}):
        return routed
    heads = {h.id for h in team.heads} if routing.heads else set()
    alerted, in_app_only = [p for p in alerted if p.id in allowed], [p for p in in_app_only if p.id in allowed]
    told_heads = len([p for p in alerted if p.id in heads])
    return alerted, in_app_only, Routing(len(alerted) - told_heads, len(in_app_only), told_heads, routing.no_cover)


def route(team: accounts.Team) -> tuple[list[accounts.Recipient], list[accounts.Recipient], Routing]:
    """Whom a new concern goes to: every DSL not away (by e-mail and in the app); DSLs away in the app only; and the
    head too when no DSL is the team's cover. Returns (alerted by e-mail and in the app, in the app only, routing)."""
    dsls = team.cover + team.locked
    heads = [] if team.cover else [head for head in team.heads if head.id not in {d.id for d in dsls}]
    away = [dsl for dsl in team.away if dsl.id not in {h.id for h in heads}]
    return dsls + heads, away, Routing(len(dsls), len(away), len(heads), not team.cover)


def check_marks(
    marks: Sequence[bodymap.NewMark],
    children: Sequence[tuple[int, Part]],
    seen_by_default: datetime,
    now: datetime,
    first_number: int = 1,
) -> list[bodymap.CheckedMark]:
    """The body map's rules for marks on a concern's children, as a :class:`ConcernError` beside the marks.

    :param first_number: the number of the concern's next mark (the form's first row).
    """
    try:
        subjects = [bodymap.Child(pid, part == Part.SUBJECT) for pid, part in children]
        return bodymap.check_marks(marks, subjects, seen_by_default, now, first_number)
    except bodymap.BodyMapError as error:
        raise ConcernError(str(error), field="marks") from None


def _check_new_concern(school: School, new: NewConcern, now: datetime) -> _Checked:
    """Every rule a new concern must pass, in the order a reporter would fix them."""
    account = (new.account or "").strip()
    if not account:
        raise ConcernError("Describe what happened.", field="account")
    kept_reason = check_wording({"account": account, "already_done": new.already_done}, new.wording_kept_reason)
    if new.observed_at > now + CLOCK_SKEW:
        raise ConcernError("The time it happened cannot be in the future.", field="observed_at")
    _check_children(new.pupils)
    before = store.before_logging(
        school.id, [p.pupil_id for p in new.pupils], local_today(zone_named(school.timezone), now), now
    )
    if before.pupils_on_roll != len(new.pupils):
        raise ConcernError("A pupil chosen is not on this school's roll.", field="pupils")
    categories = _categories(new.category_ids)
    marks = check_marks(new.marks, [(p.pupil_id, p.part) for p in new.pupils], new.observed_at, now)
    check_wording({"marks": bodymap.written_text(marks)}, kept_reason)
    content_types = check_attachments(new.uploads, categories, body_map=bool(marks))
    urgent = new.immediate_danger or any(c.urgent_by_default for c in categories)
    return _Checked(account, kept_reason, categories, content_types, urgent, before.team, marks)


def _add_concern(reporter: User, new: NewConcern, checked: _Checked, now: datetime) -> Concern:
    """Add the concern's row under a placeholder reference no one else sees (sealed later: see :func:`log_concern`)."""
    school = reporter.school
    columns = {
        "school_id": school.id,
        "reference": f"pending-{secrets.token_hex(8)}",  # unique, and never committed
        "reporter_id": reporter.id,
        "observed_at": new.observed_at,
        "logged_at": now,
        "location": (new.location or "").strip()[:200],
        "account": checked.account,
        "already_done": (new.already_done or "").strip(),
        "urgent": checked.urgent,
        "immediate_danger": new.immediate_danger,
        "vocabulary_version": get_vocabulary().version,
        "wording_kept_reason": checked.kept_reason,
        "status": Status.NEW.value,
        "ack_due_at": acknowledgement_due(school, now, checked.urgent),
        "updated_at": now,
        "version": 1,
    }
    return store.insert_concern(columns)


def _marks_count(marks: Sequence[object]) -> str:
    return f"{len(marks)} mark" + ("" if len(marks) == 1 else "s")


def _first_entry(concern: Concern, reporter: User, checked: _Checked, routing: Routing, now: datetime) -> None:
    """The chronology's first entry: who logged the concern, whether it was marked urgent, its body map, and who was
    alerted."""
    body_map = f" — body map: {_marks_count(checked.marks)}" if checked.marks else ""
    event_id = _event(
        concern,
        reporter,
        EventKind.LOGGED,
        f"Concern logged by {reporter.display_name}"
        + (" — marked urgent" if checked.urgent else "")
        + body_map
        + f"; {routing.summary()}",
        detail={
            "urgent": checked.urgent,
            "immediate_danger": concern.immediate_danger,
            "categories": [c.id for c in checked.categories],
            "routing": asdict(routing),
            **({"body_marks": len(checked.marks)} if checked.marks else {}),
        },
        visible_to_reporter=True,
        at=now,
    )
    bodymap.record_marks(concern.school_id, concern.id, event_id, reporter.id, checked.marks, now)


def log_concern(reporter: User, new: NewConcern, *, now: datetime | None = None) -> Concern:
    """Record a new concern, route it to the DSL team and return it.

    Two things of the school are held from the moment they are first written to the commit, and everyone else who
    writes to them waits: its records chain (which seals the concern and its first entry, and to which every view of
    a record in the school appends its audit row) and its numbering. So they are written last: the concern, its
    children, categories and attachments go in first; then the seals, the first chronology entry, the number, and what
    shows it (the alerts and the audit row).
    """
    now = now or utcnow()
    checked = _check_new_concern(reporter.school, new, now)
    concern = _add_concern(reporter, new, checked, now)
    store.insert_children(concern.id, concern.school_id, [(p.pupil_id, p.part) for p in new.pupils])
    store.insert_categories(concern.id, concern.school_id, [(c.id, c.label) for c in checked.categories])
    alerted, in_app_only, routing = route(checked.team)
    alerted, in_app_only, routing = _only_who_may_see(concern, checked.team, (alerted, in_app_only, routing), now)
    for upload, content_type in zip(new.uploads, checked.content_types, strict=True):
        _store_attachment(concern, reporter, upload, content_type)
    records.seal_concern(concern)
    _first_entry(concern, reporter, checked, routing, now)
    number = store.take_number(concern.school_id, now.year)
    store.set_reference(concern, f"{reporter.school.code}-{now.year}-{number:04d}")
    notifications.alert(
        alerted,
        school_id=concern.school_id,
        concern_id=concern.id,
        reference=concern.reference,
        urgent=checked.urgent,
        headline="Urgent concern logged" if checked.urgent else "New concern logged",
        in_app_only=in_app_only,
    )
    if routing.no_cover:
        logger.warning("concern %s logged while no DSL is available: routed to the head", concern.id)
    _audit(
        concern,
        reporter,
        "concern.logged",
        "Concern logged" + (" (urgent)" if checked.urgent else ""),
        {
            "urgent": checked.urgent,
            "pupils": len(new.pupils),
            "attachments": len(new.uploads),
            "no_dsl_available": routing.no_cover,
            "body_marks": len(checked.marks),
        },
    )
    return concern


def _store_attachment(concern: Concern, user: User, upload: Upload, content_type: str) -> None:
    stored = storage.save(concern.school_id, upload.data)
    store.insert_attachment(
        {
            "school_id": concern.school_id,
            "concern_id": concern.id,
            "uploaded_by_id": user.id,
            "uploaded_at": utcnow(),
            "original_name": uploads_rules.safe_filename(upload.filename),
            "content_type": content_type,
            "size": stored.size,
            "sha256": stored.sha256,
            "storage_name": stored.storage_name,
            "description": (upload.description or "")[:300],
        }
    )


# ---------------------------------------------------------------------------------------------------------------
# Events, versions and the audit


class _Record(Protocol):
    """A concern as an entry needs it: its id and school."""

    @property
    def id(self) -> int: ...

    @property
    def school_id(self) -> int: ...


def _event(
    concern: _Record,
    actor: User | None,
    kind: EventKind,
    summary: str,
    *,
    text: str | None = None,
    detail: dict[str, Any] | None = None,
    visible_to_reporter: bool = False,
    at: datetime | None = None,
) -> int:
    """Append an entry to the concern's chronology; return its id. (Eight parameters: an entry's columns, each
    optional but the first four, rather than a dictionary whose keys no checker sees.)"""
    columns = {
        "school_id": concern.school_id,
        "concern_id": concern.id,
        "at": at or utcnow(),
        "actor_id": actor.id if actor else None,
        "kind": kind.value,
        # A summary too long for its column is cut at a word, and says so; what it sums up is kept in full.
        "summary": shorten(summary, SUMMARY_LENGTH),
        "text": text,
        "detail": detail or {},
        "visible_to_reporter": visible_to_reporter,
    }
    event_id = store.insert_event(columns)
    # Sealed in the school's records chain as it was written (audit verify checks it against the row).
    records.seal_event(columns | {"id": event_id})
    return event_id


def check_version(concern: Concern, seen_version: int | None) -> int:
    """Refuse to act on a concern that changed after the person's page was loaded; return the version to change.

    :param seen_version: the version the person's page showed; ``None`` for actions safe whatever changed.
    """
    if seen_version is not None and seen_version != concern.version:
        raise StaleConcern(concern, seen_version)
    return concern.version


def _change(concern: Concern, seen_version: int | None, at: datetime | None = None, **values: Any) -> datetime:
    """Change the concern (or only move its version on) from the version the person saw; return when.

    :param at: when the change was made: the present, except for records entered afterwards (the demo's).
    """
    now = at or utcnow()
    store.update_concern(concern, check_version(concern, seen_version), updated_at=now, **values)
    return now


def _audit(concern: Concern, actor: User | None, kind: str, summary: str, detail: dict[str, Any] | None = None) -> None:
    audit.record(
        kind,
        f"{summary} ({concern.reference})",
        school_id=concern.school_id,
        actor_id=actor.id if actor else None,
        subject_type="concern",
        subject_id=concern.id,
        detail=detail,
    )


# ---------------------------------------------------------------------------------------------------------------
# What DSLs do


def _acknowledged_already(concern: Concern, dsl: User) -> str:
    """What a DSL is told when the concern they went to acknowledge was acknowledged by someone else first."""
    who = concern.acknowledged_by.display_name if concern.acknowledged_by else "Another DSL"
    if concern.acknowledged_by_id == dsl.id:
        who = "You"
    when = local_datetime(concern.acknowledged_at, zone=zone_named(dsl.school.timezone))
    return f"{who} acknowledged this concern at {when}, before this acknowledgement was sent: nothing more was changed."


def acknowledge(concern: Concern, dsl: User, seen_version: int | None, now: datetime | None = None) -> None:
    """Acknowledge a new concern: the reporter sees it was received by the DSL team, the clock stops.

    :param now: when it was acknowledged (the present, except when loading records kept elsewhere).
    """
    if concern.status != Status.NEW:
        raise AlreadyDone(_acknowledged_already(concern, dsl))
    now = now or utcnow()
    changes: dict[str, Any] = {
        "status": Status.ACKNOWLEDGED.value,
        "acknowledged_at": now,
        "acknowledged_by_id": dsl.id,
    }
    if concern.assignee_id is None:
        changes["assignee_id"] = dsl.id
    _change(concern, seen_version, at=now, **changes)
    _event(
        concern,
        dsl,
        EventKind.ACKNOWLEDGED,
        f"Acknowledged by {dsl.display_name}",
        detail={"before": Status.NEW.value, "after": Status.ACKNOWLEDGED.value},
        visible_to_reporter=True,
        at=now,
    )
    _audit(concern, dsl, "concern.status_changed", "Concern acknowledged", {"before": "new", "after": "acknowledged"})
    if "assignee_id" in changes:
        # Taking the concern on is a DSL action of its own, and the chronology says so (the reporter is not told).
        _event(
            concern,
            dsl,
            EventKind.ASSIGNED,
            f"Assigned to {dsl.display_name} on acknowledging it",
            detail={"before": None, "after": dsl.display_name, "on_acknowledgement": True},
            at=now,
        )
        _audit(concern, dsl, "concern.assigned", "Concern assigned on acknowledgement")


def assign(concern: Concern, dsl: User, assignee_id: int | None, seen_version: int | None) -> None:
    """Give the concern to an active DSL of the same school (or to nobody)."""
    assignee = None
    if assignee_id is not None:
        assignee = next((p for p in accounts.school_dsls(concern.school_id) if p.id == assignee_id), None)
        if assignee is None:
            raise ConcernError("Choose a designated safeguarding lead of this school.", field="assignee")
    if concern.assignee_id == (assignee.id if assignee else None):
        return
    before = concern.assignee.display_name if concern.assignee else None
    _change(concern, seen_version, assignee_id=assignee.id if assignee else None)
    _event(
        concern,
        dsl,
        EventKind.ASSIGNED,
        f"Assigned to {assignee.display_name}" if assignee else "Unassigned",
        detail={"before": before, "after": assignee.display_name if assignee else None},
    )
    _audit(concern, dsl, "concern.assigned", "Concern assigned")


def set_level_of_need(
    concern: Concern, dsl: User, level: str, seen_version: int | None, *, now: datetime | None = None
) -> None:
    """Set the level of need on the school's ladder.

    :param now: when it was set (the present, except for records entered afterwards).
    """
    if level not in dsl.school.level_of_need_choices:
        raise ConcernError("Choose a level of need from the list.", field="level")
    if concern.level_of_need == level:
        return
    before = concern.level_of_need
    at = _change(concern, seen_version, at=now, level_of_need=level)
    _event(
        concern,
        dsl,
        EventKind.LEVEL_OF_NEED,
        f"Level of need set to {level}" + (f" (was {before})" if before else ""),
        detail={"before": before, "after": level},
        at=at,
    )
    _audit(concern, dsl, "concern.level_of_need", "Level of need set", {"before": before, "after": level})


def _kept(reason: str | None) -> dict[str, str]:
    """The stored reason for keeping flagged wording, as an entry's detail holds it."""
    return {"wording_kept_reason": reason} if reason else {}


def add_note(
    concern: Concern, dsl: User, text: str, seen_version: int | None, wording_kept_reason: str | None = None
) -> int:
    """Add a DSL's note to the chronology; return the entry's id."""
    text = (text or "").strip()
    if not text:
        raise ConcernError("Write the note.", field="text")
    kept = check_wording({"text": text}, wording_kept_reason)
    _change(concern, seen_version)
    event_id = _event(concern, dsl, EventKind.NOTE, f"Note by {dsl.display_name}", text=text, detail=_kept(kept))
    _audit(concern, dsl, "concern.note", "Note added")
    return event_id


def add_addendum(concern: Concern, author: User, text: str, wording_kept_reason: str | None = None) -> int:
    """Add information to a concern (the reporter or a DSL); the original account stays as it was."""
    text = (text or "").strip()
    if not text:
        raise ConcernError("Write the information you want to add.", field="text")
    kept = check_wording({"text": text}, wording_kept_reason)
    # Added information is never refused for being late: whatever changed meanwhile, it goes in.
    _change(concern, None)
    event_id = _event(
        concern,
        author,
        EventKind.ADDENDUM,
        f"Information added by {author.display_name}",
        text=text,
        detail=_kept(kept),
        visible_to_reporter=author.id == concern.reporter_id,
    )
    _audit(concern, author, "concern.addendum", "Information added")
    return event_id


def add_monitoring_alert(
    concern: Concern, dsl: User, summary: str, text: str, detail: dict[str, Any], wording_kept_reason: str | None
) -> int:
    """Add an alert of the school's monitoring software to the chronology (a DSL attached it from the tray); return
    the entry's id. The alert's text passes the terminology gate like any text written into a record.

    :param detail: the alert's facts (vendor, event id, category, severity, when, the link to the vendor's console).
    """
    kept = check_wording({"excerpt": text}, wording_kept_reason)
    _change(concern, None)
    event_id = _event(
        concern, dsl, EventKind.MONITORING_ALERT, summary, text=text or None, detail={**detail, **_kept(kept)}
    )
    _audit(concern, dsl, "concern.monitoring_alert", "Monitoring alert attached", {"alert_id": detail.get("alert_id")})
    return event_id


def add_marks(
    concern: Concern,
    author: User,
    marks: Sequence[bodymap.NewMark],
    note: str = "",
    wording_kept_reason: str | None = None,
    now: datetime | None = None,
) -> int:
    """Add marks to a concern's body map in a new entry (the reporter or a DSL); the marks recorded before are
    never changed: a correction is a new mark. Return the entry's id."""
    now = now or utcnow()
    children = [(link.pupil_id, Part(link.part)) for link in concern.pupil_links]
    checked = check_marks(marks, children, now, now, bodymap.next_number(concern.school_id, concern.id))
    if not checked:
        raise ConcernError(
            "Place a mark on the body map, or choose its part of the body from the list, and describe it.",
            field="marks",
        )
    note = (note or "").strip()
    kept = check_wording({"note": note, "marks": bodymap.written_text(checked)}, wording_kept_reason)
    _change(concern, None, at=now)
    event_id = _event(
        concern,
        author,
        EventKind.ADDENDUM,
        f"Body map: {_marks_count(checked)} added by {author.display_name}",
        text=note or None,
        detail={"body_marks": len(checked), **_kept(kept)},
        visible_to_reporter=author.id == concern.reporter_id,
        at=now,
    )
    bodymap.record_marks(concern.school_id, concern.id, event_id, author.id, checked, now)
    _audit(concern, author, "concern.body_map", "Body map marks added", {"body_marks": len(checked)})
    return event_id


@dataclass
class ActionInput:
    """What the DSL entered for an action."""

    kind: str
    details: str = ""
    reason: str = ""
    target: str = ""
    agency_id: str = ""
    on: date | None = None
    external_reference: str = ""
    follow_up_on: date | None = None
    follow_up_what: str = ""
    wording_kept_reason: str | None = None


def _with_reference(summary: str, external_reference: str) -> str:
    return f"{summary}, reference {external_reference}" if external_reference else summary


def _describe_action(action: ActionInput) -> tuple[str, dict[str, Any]]:
    """The action's line in the chronology and its structured facts, after checking what its kind needs."""
    reference = action.external_reference.strip()
    detail: dict[str, Any] = {"action": action.kind, "on": action.on.isoformat() if action.on else None}
    if action.kind == "not_informing_parents":
        if not action.reason.strip():
            raise ConcernError("Record why parents or carers are not being informed.", field="reason")
        return ACTION_KINDS[action.kind], detail | {"reason": action.reason.strip()}
    if action.kind == "referral":
        if action.target not in REFERRAL_TARGETS:
            raise ConcernError("Choose who the referral was made to.", field="target")
        summary = f"Referral to {REFERRAL_TARGETS_IN_TEXT[action.target]}"
        return _with_reference(summary, reference), detail | {
            "target": action.target,
            "external_reference": reference or None,
        }
    if action.kind == "agency_report":
        agency = get_vocabulary().agency(action.agency_id)
        if agency is None:
            raise ConcernError("Choose the agency the report was made to.", field="agency_id")
        facts = {"agency": agency.id, "agency_name": agency.name, "external_reference": reference or None}
        return _with_reference(f"Report to {agency.name}", reference), detail | facts
    if action.kind == "other" and not action.details.strip():
        raise ConcernError("Describe what was done.", field="details")
    return ACTION_KINDS[action.kind], detail


def record_action(
    concern: Concern, dsl: User, action: ActionInput, seen_version: int | None, *, now: datetime | None = None
) -> int:
    """Record something done about the concern; a referral or agency report names who and carries its reference.

    Recording a referral moves an acknowledged or in-progress concern to "referred". Returns the entry's id.

    :param now: when it was recorded (the present, except for records entered afterwards).
    """
    if action.kind not in ACTION_KINDS:
        raise ConcernError("Choose what was done.", field="kind")
    today = local_today(zone_named(dsl.school.timezone), now)
    if action.on and action.on > today + timedelta(days=1):
        raise ConcernError("The date of an action cannot be in the future.", field="on")
    if action.follow_up_on and action.follow_up_on < today:
        raise ConcernError("A follow-up date must be today or later.", field="follow_up_on")
    summary, detail = _describe_action(action)
    kept = check_wording({"reason": action.reason, "details": action.details}, action.wording_kept_reason)
    if action.on:
        summary += f" on {format_date(action.on)}"
    referred = action.kind == "referral" and concern.status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS)
    before = concern.status_enum
    at = _change(concern, seen_version, at=now, **({"status": Status.REFERRED.value} if referred else {}))
    kind = EventKind.REFERRAL if action.kind in REFERRAL_KINDS else EventKind.ACTION
    text = action.details.strip() or None
    event_id = _event(concern, dsl, kind, summary, text=text, detail=detail | _kept(kept), at=at)
    if action.follow_up_on:
        what = shorten(action.follow_up_what.strip() or f"Follow up: {summary}", 300)
        store.insert_follow_up(concern, event_id, action.follow_up_on, what)
    if referred:
        _status_event(concern, dsl, before, Status.REFERRED, at=at)
    _audit(concern, dsl, "concern.action", summary, {"action": action.kind})
    return event_id


def record_decision(
    concern: Concern,
    dsl: User,
    decision: str,
    rationale: str,
    seen_version: int | None,
    wording_kept_reason: str | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """Record a decision with its rationale — a decision not to refer needs one as much as a referral.

    :param now: when it was made (the present, except for records entered afterwards).
    """
    if decision not in DECISION_KINDS:
        raise ConcernError("Choose the decision.", field="decision")
    rationale = (rationale or "").strip()
    if len(rationale) < 10:
        raise ConcernError("Record the rationale for this decision: why it was made.", field="rationale")
    kept = check_wording({"rationale": rationale}, wording_kept_reason)
    at = _change(concern, seen_version, at=now)
    detail = {"decision": decision} | _kept(kept)
    summary = f"Decision: {DECISION_KINDS[decision].lower()}"
    _event(concern, dsl, EventKind.DECISION, summary, text=rationale, detail=detail, at=at)
    _audit(concern, dsl, "concern.decision", "Decision recorded", {"decision": decision})


def _status_event(
    concern: Concern,
    actor: User,
    before: Status,
    after: Status,
    text: str | None = None,
    extra: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """The chronology entry and audit row of a change of status (the change itself is already written)."""
    _event(
        concern,
        actor,
        EventKind.STATUS,
        f"Status changed from {before.label.lower()} to {after.label.lower()}",
        text=text,
        detail={"before": before.value, "after": after.value, **(extra or {})},
        at=at,
    )
    _audit(concern, actor, "concern.status_changed", "Status changed", {"before": before.value, "after": after.value})


@dataclass(frozen=True)
class StatusChange:
    """What the DSL entered to move a concern along its life."""

    status: str
    outcome: str = ""
    rationale: str = ""
    unanswered_reason: str = ""
    # Why the concern is closed with a follow-up not yet done (asked only then).
    open_follow_ups_reason: str = ""
    wording_kept_reason: str | None = None


def _check_transition(current: Status, status: str) -> Status:
    try:
        new = Status(status)
    except ValueError:
        raise ConcernError("Choose a status from the list.", field="status") from None
    if new == current:
        raise ConcernError(f"The concern is already {current.label.lower()}.", field="status")
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(s.label.lower() for s in sorted(TRANSITIONS[current], key=list(Status).index))
        hint = " Acknowledge it first." if current == Status.NEW else ""
        raise ConcernError(
            f"A concern that is {current.label.lower()} cannot be moved to {new.label.lower()}; "
            f"it can be moved to: {allowed}.{hint}",
            field="status",
        )
    return new


def _closing(concern: Concern, change: StatusChange) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns and the entry's facts of closing a concern, after checking what closing needs."""
    unanswered = change.unanswered_reason.strip()
    missing = [(p, step) for p, progress in protocol_progress(concern) for step in progress.missing_required]
    if missing and len(unanswered) < 10:
        names = "; ".join(f"{p.title}: {step.text}" for p, step in missing[:3])
        raise ConcernError(
            f"Required guided-response steps are unanswered ({names}). Answer them, or record why they are "
            "left unanswered.",
            field="unanswered_reason",
        )
    outcome, rationale = change.outcome.strip(), change.rationale.strip()
    if not outcome:
        raise ConcernError("Record the outcome before closing the concern.", field="outcome")
    if len(rationale) < 10:
        raise ConcernError("Record the rationale for closing: why no more is needed.", field="rationale")
    columns = {"outcome": outcome[:200], "outcome_rationale": rationale, "closed_at": utcnow()}
    extra = {"outcome": outcome[:200]} | ({"unanswered_protocol_steps_reason": unanswered} if unanswered else {})
    return columns, extra | _open_follow_ups(concern, change.open_follow_ups_reason.strip())


def _open_follow_ups(concern: Concern, reason: str) -> dict[str, Any]:
    """Closing with a follow-up not yet done needs the reason, kept on the status entry; the facts of it."""
    still_open = [f for f in store.follow_ups(concern) if f.done_at is None]
    if not still_open:
        return {}
    if len(reason) < 10:
        named = "; ".join(f'"{f.what}" (due {format_date(f.due_on)})' for f in still_open[:3])
        one = len(still_open) == 1
        lead = "A follow-up is still open" if one else f"{len(still_open)} follow-ups are still open"
        it = "it" if one else "them"
        raise ConcernError(
            f"{lead}: {named}. Mark {it} done first, or record why the concern is closed with {it} open.",
            field="open_follow_ups_reason",
        )
    return {"open_follow_ups": [f.id for f in still_open], "open_follow_ups_reason": reason}


def change_status(concern: Concern, dsl: User, change: StatusChange, seen_version: int | None) -> None:
    """Move a concern along its life; closing needs an outcome and its rationale, reopening a reason."""
    current = concern.status_enum
    new = _check_transition(current, change.status)
    columns: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if new == Status.CLOSED:
        columns, extra = _closing(concern, change)
    elif current == Status.CLOSED:
        if len(change.rationale.strip()) < 5:
            raise ConcernError("Record why the concern is being reopened.", field="rationale")
        columns = {"closed_at": None}
    texts = {
        "outcome": change.outcome,
        "rationale": change.rationale,
        "unanswered_reason": change.unanswered_reason,
        "open_follow_ups_reason": change.open_follow_ups_reason,
    }
    kept = check_wording(texts, change.wording_kept_reason)
    _change(concern, seen_version, status=new.value, **columns)
    # A rationale given for any move is kept: it was typed for the record.
    text = change.rationale.strip() or None
    _status_event(concern, dsl, current, new, text=text, extra=extra | _kept(kept))


def protocol_progress(concern: Concern) -> list[tuple[protocols.Protocol, protocols.Progress]]:
    """Each guided-response protocol for the concern's categories, and how far it has been walked."""
    attached = protocols.protocols_for(get_vocabulary().protocols, concern.category_ids)
    if not attached:
        return []
    entries = store.guided_response_entries(concern)
    recorded = {
        protocols.recorded_target(detail["action"], detail.get("target") or detail.get("agency") or "")
        for detail in entries.referrals
        if detail.get("action")
    }
    return [(p, protocols.walk(p, protocols.answers_from_events(entries.answers, p.id), recorded)) for p in attached]


@dataclass(frozen=True)
class ProtocolAnswer:
    """A DSL's answer to one step of a guided response."""

    protocol_id: str
    step_id: str
    answer_id: str
    reason: str = ""
    wording_kept_reason: str | None = None


def answer_protocol_step(
    concern: Concern, dsl: User, given: ProtocolAnswer, seen_version: int | None
) -> protocols.Answer:
    """Record a DSL's answer to a step of a guided response, as an entry in the chronology."""
    current = {p.id: (p, progress) for p, progress in protocol_progress(concern)}
    if given.protocol_id not in current:
        raise ConcernError("That guided response does not apply to this concern.", field="answer")
    protocol, progress = current[given.protocol_id]
    problem = protocols.check_answer(protocol, progress.answered, given.step_id, given.answer_id, given.reason)
    if problem:
        raise ConcernError(problem, field="reason" if "reason" in problem else "answer")
    kept = check_wording({"reason": given.reason}, given.wording_kept_reason)
    step = protocol.step(given.step_id)
    answer = step.answer(given.answer_id) if step is not None else None
    if step is None or answer is None:  # check_answer has refused an unknown step or answer already
        raise ConcernError("That answer does not apply to this step.", field="answer")
    _change(concern, seen_version)
    # The step as the line's room allows, the answer always; the whole step is in the entry's detail, and the concern
    # page and the PDFs show it from there.
    room = SUMMARY_LENGTH - len(f"{protocol.title}:  — {answer.label}")
    _event(
        concern,
        dsl,
        EventKind.PROTOCOL_ANSWER,
        f"{protocol.title}: {shorten(step.text, room)} — {answer.label}",
        # The reason is the entry's text, as for every entry, and also in the answer's detail, as the protocol
        # records it; pages and documents show it once.
        text=given.reason.strip() or None,
        detail=protocols.event_detail(protocol, step, answer, given.reason) | _kept(kept),
    )
    _audit(concern, dsl, "concern.protocol_answer", "Guided response step answered", {"protocol": protocol.id})
    return answer


def link_concerns(concern: Concern, dsl: User, other_reference: str, seen_version: int | None) -> Concern:
    """Link two concerns of the school about one incident (both chronologies show the link)."""
    other = store.concern_by_reference(concern.school_id, other_reference or "")
    # One the person may not see is answered as one that does not exist (and a link never widens who sees it).
    if other is None or not permissions.can_view_concern(dsl, other):
        raise ConcernError("No concern in this school has that reference.", field="reference")
    if other.id == concern.id:
        raise ConcernError("A concern cannot be linked to itself.", field="reference")
    if store.are_linked(concern, other):
        raise ConcernError("These concerns are already linked.", field="reference")
    _change(concern, seen_version)
    _change(other, None)
    store.insert_link(concern, other)
    _event(concern, dsl, EventKind.LINKED, f"Linked to {other.reference}", detail={"related": other.id})
    _event(other, dsl, EventKind.LINKED, f"Linked to {concern.reference}", detail={"related": concern.id})
    _audit(concern, dsl, "concern.linked", f"Linked to {other.reference}")
    return other


def complete_follow_up(concern: Concern, dsl: User, follow_up_id: int | None, seen_version: int | None) -> None:
    """Mark a follow-up as done."""
    follow_up = store.follow_up(concern, follow_up_id) if follow_up_id else None
    if follow_up is None:
        raise ConcernError("That follow-up is not on this concern.")
    if follow_up.done_at is not None:
        when = local_datetime(follow_up.done_at, zone=zone_named(dsl.school.timezone))
        raise AlreadyDone(f"That follow-up was marked done at {when}, before this was sent: nothing more was changed.")
    now = _change(concern, seen_version)
    if not store.complete_follow_up(concern, follow_up.id, dsl.id, now):
        raise AlreadyDone(
            "That follow-up was marked done by someone else at the same moment: nothing more was changed."
        )
    _event(
        concern, dsl, EventKind.FOLLOW_UP_DONE, f"Follow-up done: {follow_up.what}", detail={"follow_up": follow_up.id}
    )
    _audit(concern, dsl, "concern.follow_up_done", "Follow-up done")


def mark_seen(concern: Concern, user: User) -> int:
    """The person's alerts about the concern are read once they open it; return how many unread alerts they have
    left."""
    return notifications.mark_read(user, concern.id)


def record_view(concern: Concern, user: User) -> None:
    """Audit that a person opened a concern (every view is recorded, even with a rejected action)."""
    audit.record_read(
        "concern.viewed",
        f"Concern {concern.reference} viewed",
        school_id=concern.school_id,
        actor_id=user.id,
        subject_type="concern",
        subject_id=concern.id,
    )


def record_search(words: str, results: int, user: User) -> None:
    """Audit a search of the queue (by a child's name, a UPN or a reference)."""
    audit.record_search("concern.searched", words.split(), results, school_id=user.school_id, actor_id=user.id)


# ---------------------------------------------------------------------------------------------------------------
# Escalation


def _escalate(concern: store.Unacknowledged, now: datetime) -> bool:
    """Alert the school's DSLs and head about one concern not acknowledged in time, once."""
    if not store.mark_escalated(concern.id, now):
        return False
    allowed = access_store.who_may_see(concern.school_id, concern.id, [r.id for r in concern.recipients], now)
    notifications.alert(
        [r for r in concern.recipients if r.id in allowed],
        school_id=concern.school_id,
        concern_id=concern.id,
        reference=concern.reference,
        # The concern's own urgency: escalating a routine concern does not make it urgent.
        urgent=concern.urgent,
        headline="Not acknowledged in time",
        escalated=True,
    )
    urgency = "urgent" if concern.urgent else "routine"
    _event(
        concern,
        None,
        EventKind.ESCALATED,
        f"Escalated: not acknowledged in time ({urgency} concern); all DSLs and the head alerted "
        f"({len(concern.recipients)} people)",
        detail={"due": concern.ack_due_at.isoformat(), "alerted": len(concern.recipients), "urgent": concern.urgent},
        at=now,
    )
    audit.record(
        "concern.escalated",
        f"Concern {concern.reference} escalated",
        school_id=concern.school_id,
        subject_type="concern",
        subject_id=concern.id,
    )
    logger.info("concern %s escalated", concern.id)
    return True


def escalate_overdue(now: datetime | None = None) -> int:
    """Alert all DSLs and the head about each concern not acknowledged in time (once), and the school's onward
    contact about each urgent one still not acknowledged after that (once); return how many escalations went out."""
    now = now or utcnow()
    escalated = sum(_escalate(concern, now) for concern in store.unacknowledged(now))
    return escalated + sum(_escalate_onward(concern, now) for concern in store.awaiting_onward(now))


def _escalate_onward(concern: store.AwaitingOnward, now: datetime) -> bool:
    """Send an urgent concern still not acknowledged after its escalation one step beyond the school (once)."""
    if not store.mark_onward_escalated(concern.id, now):
        return False
    notifications.alert_outside(
        concern.contact_email,
        school_id=concern.school_id,
        school_name=concern.school_name,
        reference=concern.reference,
        urgent=concern.urgent,
        escalated_at=local_datetime(concern.escalated_at, zone=zone_named(concern.timezone)) + f" {concern.timezone}",
    )
    contact = concern.contact_label or "the school's onward contact"
    _event(
        concern,
        None,
        EventKind.ESCALATED,
        f"Escalated beyond the school: still not acknowledged after every DSL and the head were alerted; "
        f"{contact} alerted by e-mail (reference and urgency only)",
        detail={"onward": True, "contact": contact, "escalated_at": concern.escalated_at.isoformat()},
        at=now,
    )
    audit.record(
        "concern.escalated_onward",
        f"Concern {concern.reference} escalated beyond the school",
        school_id=concern.school_id,
        subject_type="concern",
        subject_id=concern.id,
        detail={"contact": contact},
    )
    logger.info("concern %s escalated beyond the school", concern.id)
    return True


# ---------------------------------------------------------------------------------------------------------------
# A child's chronology, a year at a time


ALL_YEARS = "all"


@dataclass(frozen=True)
class ChronologyRequest:
    """What a DSL asked to see of a child's chronology. ``year`` is ``None`` for the latest year with entries, or
    :data:`ALL_YEARS`; the others narrow it to one concern, one category of concern or one kind of entry."""

    year: int | str | None = None
    concern_id: int | None = None
    category_id: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class ChronologyView:
    """A child's chronology as the page shows it: the entries chosen, newest first, and the choices around them."""

    entries: list[store.ChronologyEntry]
    years: list[int]
    shown: ChronologyRequest
    outline: store.ChronologyOutline

    @property
    def filtered(self) -> bool:
        """Whether anything but the year narrows the entries."""
        return bool(self.shown.concern_id or self.shown.category_id or self.shown.kind)


def _years(outline: store.ChronologyOutline, zone: ZoneInfo) -> list[int]:
    """Every calendar year (in the school's zone) from the child's first entry to their last, newest first."""
    if outline.first_at is None or outline.last_at is None:
        return []
    first, last = outline.first_at.astimezone(zone).year, outline.last_at.astimezone(zone).year
    return list(range(last, first - 1, -1))


def child_chronology(school: School, pupil_id: int, asked: ChronologyRequest, viewer: Viewer) -> ChronologyView:
    """A child's chronology, a calendar year of the school at a time (the latest by default) or every year, narrowed
    to what was asked for; a choice that does not belong to this child (another concern, a category none of their
    concerns has, a kind of entry that does not exist) is set aside rather than refused."""
    zone = zone_named(school.timezone)
    outline = store.chronology_outline(school.id, pupil_id, viewer)
    years = _years(outline, zone)
    year = asked.year if asked.year == ALL_YEARS or asked.year in years else (years[0] if years else ALL_YEARS)
    shown = ChronologyRequest(
        year=year,
        concern_id=asked.concern_id if asked.concern_id in {c for c, _ in outline.concerns} else None,
        category_id=asked.category_id if asked.category_id in {c for c, _ in outline.categories} else None,
        kind=asked.kind if asked.kind in {k.value for k in EventKind} else None,
    )
    start = end = None
    if isinstance(year, int):
        start, end = datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    only = store.ChronologyFilter(start, end, shown.concern_id, shown.category_id, shown.kind)
    return ChronologyView(store.pupil_chronology(school.id, pupil_id, viewer=viewer, only=only), years, shown, outline)


# ---------------------------------------------------------------------------------------------------------------
# Searching the words of the records


# The words a search uses, at most (every one must be found in an entry).
SEARCH_MAX_WORDS = 8
_SEARCH_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class FoundEntry:
    """An account or chronology entry a search found, with what the results page shows of it."""

    match: store.TextMatch
    # "Account as logged", or the kind of chronology entry ("Note", "Referral or report to an agency").
    label: str
    excerpt: Excerpt


@dataclass(frozen=True)
class TextSearch:
    """What a search of the records' words found: newest first, and whether there were more than are shown."""

    words: list[str]
    found: list[FoundEntry]
    more: bool


def search_words(query: str) -> list[str]:
    """The words of what was typed that a search looks for: letters and digits, each once, at most
    :data:`SEARCH_MAX_WORDS` (nothing typed is read as query syntax)."""
    return list(dict.fromkeys(word.lower() for word in _SEARCH_WORD.findall(query or "")))[:SEARCH_MAX_WORDS]


def _found_label(kind: str) -> str:
    if kind == "account":
        return "Account as logged"
    # A kind this version does not know (recorded by a later one) is named as it is stored, never an error.
    return EventKind(kind).label if kind in EventKind.__members__.values() else kind.replace("_", " ").capitalize()


def search_text(user: User, query: str) -> TextSearch:
    """Search the words of the school's accounts and chronology entries (notes, actions, decisions, addenda) for
    a DSL or the head, and record in the audit log that the search was made, what it returned and a keyed digest
    of its words (see :func:`safeguard.audit.services.words_digest`)."""
    words = search_words(query)
    if not any(len(word) >= 2 for word in words):
        raise ConcernError("Type a word to search for (two letters or more).", field="q")
    matches = store.text_matches(user.school_id, words, permissions.viewer(user, utcnow()))
    more, matches = len(matches) > store.TEXT_SEARCH_LIMIT, matches[: store.TEXT_SEARCH_LIMIT]
    audit.record_search(
        "search.text",
        words,
        len(matches),
        school_id=user.school_id,
        actor_id=user.id,
        detail={"more": more, "concerns": sorted({m.concern_id for m in matches})},
    )
    folded = [fold(word) for word in words]
    found = [FoundEntry(m, _found_label(m.kind), excerpt(m.text, folded)) for m in matches]
    return TextSearch(words, found, more)
