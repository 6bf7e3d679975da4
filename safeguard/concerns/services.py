"""The rules of the concern workflow: logging, routing, acknowledging, actions, decisions, status and escalation.

Services validate, change the session and ``flush()``; the request (or CLI command) commits once. Every change
to a concern is an append-only :class:`ConcernEvent` and bumps the concern's version, so that a DSL acting on a
page that is out of date is told so instead of overwriting a colleague's work.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

import filetype
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from safeguard import protocols
from safeguard.audit import services as audit
from safeguard.auth.models import Role, User, users_with_role
from safeguard.concerns.models import (
    TRANSITIONS,
    Attachment,
    Concern,
    ConcernCategory,
    ConcernEvent,
    ConcernLink,
    ConcernPupil,
    ConcernSequence,
    EventKind,
    FollowUp,
    Part,
    Status,
)
from safeguard.core import storage
from safeguard.core.extensions import db
from safeguard.core.schooldays import add_school_days
from safeguard.core.sqltypes import json_rows, utcnow
from safeguard.core.statements import transaction_connection
from safeguard.notifications import services as notifications
from safeguard.pupils.models import Pupil
from safeguard.schools.models import School
from safeguard.terminology import get_vocabulary

logger = logging.getLogger("safeguard.concerns")

# A reporter's clock may run a little ahead of the server's; anything later than this is "in the future".
CLOCK_SKEW = timedelta(minutes=5)
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
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


class StaleConcern(Exception):
    """The concern changed after the person opened it; nothing was saved."""

    def __init__(self, concern: Concern, seen_version: int) -> None:
        super().__init__("This concern was changed by someone else after you opened it.")
        self.concern = concern
        self.seen_version = seen_version


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


# ---------------------------------------------------------------------------------------------------------------
# Logging a concern


# Logging a concern runs these on every concern: built once (building a statement cost as much as running it), and
# run as plain statements on the transaction's connection (see safeguard.core.statements).
_TAKE_NUMBER = (
    ConcernSequence.__table__.update()
    .where(
        ConcernSequence.__table__.c.school_id == bindparam("for_school"),
        ConcernSequence.__table__.c.year == bindparam("for_year"),
    )
    .values(last_number=ConcernSequence.__table__.c.last_number + 1)
    .returning(ConcernSequence.__table__.c.last_number)
)
# What logging reads before it takes the number, in one statement: how many of the chosen pupils are on the school's
# roll, and the DSLs to alert (as JSON: id and e-mail address).
_BEFORE_LOGGING = select(
    select(func.count())
    .where(Pupil.school_id == bindparam("school_id"), Pupil.id.in_(bindparam("pupil_ids", expanding=True)))
    .scalar_subquery()
    .label("pupils_on_roll"),
    users_with_role(bindparam("school_id"), Role.DSL)
    .with_only_columns(json_rows(User.id, User.email))
    .order_by(None)
    .scalar_subquery()
    .label("dsls"),
)
_ADD_CONCERN = Concern.__table__.insert().returning(Concern.__table__.c.id)
_SET_REFERENCE = (
    Concern.__table__.update()
    .where(Concern.__table__.c.id == bindparam("concern_id"))
    .values(reference=bindparam("reference"))
)
# A new concern's columns that its later life fills in: empty when it is logged.
_SET_LATER = (
    "assignee_id",
    "level_of_need",
    "outcome",
    "outcome_rationale",
    "acknowledged_at",
    "acknowledged_by_id",
    "escalated_at",
    "closed_at",
)
_ADD_PUPILS = ConcernPupil.__table__.insert()
_ADD_CATEGORIES = ConcernCategory.__table__.insert()
_ADD_EVENT = ConcernEvent.__table__.insert()


class Recipient(NamedTuple):
    """A member of staff to alert: who, and where the e-mail goes."""

    id: int
    email: str


def _start_year(dialect: str):
    """The statement that creates a school's numbering row for a year unless it exists (PostgreSQL or SQLite)."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(ConcernSequence.__table__).on_conflict_do_nothing()


def _next_reference(school: School, year: int) -> str:
    """Take the next number in the school's year; the row update serialises concurrent loggers."""
    connection = transaction_connection()
    values = {"for_school": school.id, "for_year": year}
    updated = connection.execute(_TAKE_NUMBER, values).scalar()
    if updated is None:
        # The school's first concern of the year. Two people may log it at the same moment: both find no row, one
        # creates it and the other's insert waits for that and does nothing; then each takes a number from it.
        # (Inserting the row with the first number, as before, failed the second person's concern on the unique
        # key: found by logging from four workers at once.)
        start = {"school_id": school.id, "year": year, "last_number": 0}
        connection.execute(_start_year(connection.dialect.name), start)
        updated = connection.execute(_TAKE_NUMBER, values).scalar_one()
    return f"{school.code}-{year}-{updated:04d}"


def acknowledgement_due(school: School, logged_at: datetime, urgent: bool) -> datetime:
    """When a concern must be acknowledged by, by the school's settings."""
    if urgent:
        return logged_at + timedelta(minutes=school.urgent_ack_minutes)
    return add_school_days(logged_at, school.routine_ack_school_days, school.timezone)


def _sniff(upload: Upload) -> str:
    kind = filetype.guess(upload.data)
    mime = kind.mime if kind else None
    if mime not in ALLOWED_TYPES:
        raise ConcernError(
            f"{upload.filename}: this kind of file cannot be attached. Attach a PDF, a Word document or a photo "
            "or scan (JPEG, PNG, HEIC, TIFF).",
            field="attachments",
        )
    return mime


def check_attachments(uploads: Sequence[Upload], category_ids: Sequence[str]) -> list[str]:
    """Validate attachments; return their sniffed content types. Imagery is refused for sensitive categories."""
    vocabulary = get_vocabulary()
    if len(uploads) > MAX_ATTACHMENTS:
        raise ConcernError(f"Attach at most {MAX_ATTACHMENTS} files.", field="attachments")
    sensitive = [c for c in (vocabulary.category(i) for i in category_ids) if c and c.sensitive_imagery]
    types = []
    for upload in uploads:
        if not upload.data:
            raise ConcernError(f"{upload.filename}: the file is empty.", field="attachments")
        if len(upload.data) > MAX_ATTACHMENT_BYTES:
            raise ConcernError(
                f"{upload.filename}: files can be at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB.",
                field="attachments",
            )
        mime = _sniff(upload)
        if sensitive and (mime.startswith("image/") or mime.startswith("video/")):
            guidance = sensitive[0].guidance or ""
            raise ConcernError(
                "Images cannot be attached to a concern about "
                f"{sensitive[0].label.lower()}: imagery of a child is never uploaded, viewed, copied or forwarded. "
                f"Describe it in words only. {guidance}".strip(),
                field="attachments",
            )
        types.append(mime)
    return types


def log_concern(
    reporter: User,
    *,
    pupils: Sequence[PupilRole],
    observed_at: datetime,
    location: str,
    category_ids: Sequence[str],
    account: str,
    already_done: str,
    immediate_danger: bool,
    wording_kept_reason: str | None = None,
    uploads: Sequence[Upload] = (),
    now: datetime | None = None,
) -> Concern:
    """Record a new concern, route it to the DSL team and return it.

    The DSLs are alerted in the app and by e-mail (through the outbox, in this same transaction); an urgent
    concern is marked urgent in both.
    """
    now = now or utcnow()
    school = reporter.school
    vocabulary = get_vocabulary()
    account = (account or "").strip()
    if not account:
        raise ConcernError("Describe what happened.", field="account")
    if observed_at > now + CLOCK_SKEW:
        raise ConcernError("The time it happened cannot be in the future.", field="observed_at")
    if not pupils:
        raise ConcernError("Choose at least one pupil.", field="pupils")
    if not any(p.part == Part.SUBJECT for p in pupils):
        raise ConcernError("Mark at least one child as the child the concern is about.", field="pupils")
    ids = [p.pupil_id for p in pupils]
    if len(set(ids)) != len(ids):
        raise ConcernError("Each pupil can be added once.", field="pupils")
    connection = transaction_connection()
    on_roll, dsls = connection.execute(_BEFORE_LOGGING, {"school_id": school.id, "pupil_ids": ids}).one()
    if on_roll != len(ids):
        raise ConcernError("A pupil chosen is not on this school's roll.", field="pupils")
    if not category_ids:
        raise ConcernError("Choose at least one category.", field="categories")
    categories = []
    for category_id in dict.fromkeys(category_ids):
        category = vocabulary.category(category_id)
        if category is None or category.parent is None:
            raise ConcernError("Choose categories from the list.", field="categories")
        categories.append(category)
    content_types = check_attachments(uploads, [c.id for c in categories])

    urgent = immediate_danger or any(c.urgent_by_default for c in categories)
    recipients = [Recipient(*row) for row in sorted(dsls or ())]
    # The school's numbering is held from the moment a number is taken to the commit, and everyone else logging in
    # the school waits for it: so the number is taken last. Everything that does not show it (the concern's row,
    # its children, categories, first chronology entry and attachments) goes in first, the concern under a
    # placeholder no one else can see; then the number, the reference written over the placeholder, and what shows
    # it (the alerts and the audit row). The wait for the numbering was most of the time of logging under load.
    columns = (
        {
            "school_id": school.id,
            "reference": f"pending-{secrets.token_hex(8)}",  # unique, and never committed
            "reporter_id": reporter.id,
            "observed_at": observed_at,
            "logged_at": now,
            "location": (location or "").strip()[:200],
            "account": account,
            "already_done": (already_done or "").strip(),
            "urgent": urgent,
            "immediate_danger": immediate_danger,
            "vocabulary_version": vocabulary.version,
            "wording_kept_reason": (wording_kept_reason or "").strip() or None,
            "status": Status.NEW.value,
            "ack_due_at": acknowledgement_due(school, now, urgent),
            "updated_at": now,
            "version": 1,  # the first version, as the mapper's version counter starts it
        }
        | dict.fromkeys(_SET_LATER)
    )
    # Inserted as a row and then handed to the session as the object it is (no statement): the unit of work's
    # flush of a new concern cost more than the insert itself. The object holds every column, so reading one does
    # not go back to the database; later changes go through the session and its version check, as for any concern.
    concern = Concern(id=connection.execute(_ADD_CONCERN, columns).scalar_one(), **columns)
    make_transient_to_detached(concern)
    db.session.add(concern)
    # The children, the categories and the first entry of the chronology as rows, not objects: nothing in the
    # request reads them back, and the unit of work's bookkeeping for them cost more than the inserts.
    connection.execute(
        _ADD_PUPILS,
        [
            {
                "concern_id": concern.id,
                "pupil_id": role.pupil_id,
                "school_id": school.id,
                "part": role.part.value,
                "position": position,
            }
            for position, role in enumerate(pupils)
        ],
    )
    connection.execute(
        _ADD_CATEGORIES,
        [
            {
                "concern_id": concern.id,
                "category_id": category.id,
                "school_id": school.id,
                "label": category.label,
                "position": position,
            }
            for position, category in enumerate(categories)
        ],
    )
    connection.execute(
        _ADD_EVENT,
        [
            _event_row(
                concern,
                reporter,
                EventKind.LOGGED,
                f"Concern logged by {reporter.display_name}" + (" — marked urgent" if urgent else ""),
                detail={
                    "urgent": urgent,
                    "immediate_danger": immediate_danger,
                    "categories": [c.id for c in categories],
                },
                visible_to_reporter=True,
                at=now,
            )
        ],
    )
    for upload, content_type in zip(uploads, content_types, strict=True):
        _store_attachment(concern, reporter, upload, content_type)
    reference = _next_reference(school, now.year)
    connection.execute(_SET_REFERENCE, {"concern_id": concern.id, "reference": reference})
    set_committed_value(concern, "reference", reference)
    notifications.alert(
        recipients,
        school_id=school.id,
        concern_id=concern.id,
        reference=concern.reference,
        urgent=urgent,
        headline="Urgent concern logged" if urgent else "New concern logged",
    )
    audit.record(
        "concern.logged",
        f"Concern {concern.reference} logged" + (" (urgent)" if urgent else ""),
        school_id=school.id,
        actor_id=reporter.id,
        subject_type="concern",
        subject_id=concern.id,
        detail={"urgent": urgent, "pupils": len(pupils), "attachments": len(uploads)},
    )
    db.session.flush()
    return concern


def _store_attachment(concern: Concern, user: User, upload: Upload, content_type: str) -> Attachment:
    stored = storage.save(concern.school_id, upload.data)
    attachment = Attachment(
        school_id=concern.school_id,
        concern_id=concern.id,
        uploaded_by_id=user.id,
        original_name=(upload.filename or "attachment")[-255:],
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_name=stored.storage_name,
        description=(upload.description or "")[:300],
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


# ---------------------------------------------------------------------------------------------------------------
# Events and optimistic locking


def _event_row(
    concern: Concern,
    actor: User | None,
    kind: EventKind,
    summary: str,
    *,
    text: str | None = None,
    detail: dict | None = None,
    visible_to_reporter: bool = False,
    at: datetime | None = None,
) -> dict:
    """The columns of a new chronology event: one place for its defaults and limits, as an object or as a row."""
    return {
        "school_id": concern.school_id,
        "concern_id": concern.id,
        "at": at or utcnow(),
        "actor_id": actor.id if actor else None,
        "kind": kind.value,
        "summary": summary[:500],
        "text": text,
        "detail": detail or {},
        "visible_to_reporter": visible_to_reporter,
    }


def _event(
    concern: Concern, actor: User | None, kind: EventKind, summary: str, *, bump: bool = True, **columns
) -> ConcernEvent:
    """Append an event; unless ``bump`` is false, touch the concern so that its version moves on.

    :param columns: the event's optional columns, as :func:`_event_row` takes them.
    """
    event = ConcernEvent(**_event_row(concern, actor, kind, summary, **columns))
    db.session.add(event)
    if bump:
        concern.updated_at = event.at
    db.session.flush()
    return event


def check_version(concern: Concern, seen_version: int | None) -> None:
    """Refuse to act on a concern that changed after the person's page was loaded."""
    if seen_version is not None and int(seen_version) != concern.version:
        raise StaleConcern(concern, int(seen_version))


def events_since(concern: Concern, version_seen_at: datetime | None) -> list[ConcernEvent]:
    """Events recorded after a moment, to show a DSL what changed while they were typing."""
    query = select(ConcernEvent).where(
        ConcernEvent.school_id == concern.school_id, ConcernEvent.concern_id == concern.id
    )
    if version_seen_at is not None:
        query = query.where(ConcernEvent.at > version_seen_at)
    return list(db.session.scalars(query.order_by(ConcernEvent.at, ConcernEvent.id)))


def _audit(concern: Concern, actor: User, kind: str, summary: str, detail: dict | None = None) -> None:
    audit.record(
        kind,
        f"{summary} ({concern.reference})",
        school_id=concern.school_id,
        actor_id=actor.id,
        subject_type="concern",
        subject_id=concern.id,
        detail=detail,
    )


# ---------------------------------------------------------------------------------------------------------------
# What DSLs do


def acknowledge(concern: Concern, dsl: User, seen_version: int | None, now: datetime | None = None) -> None:
    """Acknowledge a new concern: the reporter sees it was received by the DSL team, the clock stops.

    :param now: when it was acknowledged (the present, except when loading records kept elsewhere).
    """
    check_version(concern, seen_version)
    if concern.status != Status.NEW:
        raise ConcernError("This concern has already been acknowledged.")
    now = now or utcnow()
    concern.status = Status.ACKNOWLEDGED.value
    concern.acknowledged_at = now
    concern.acknowledged_by_id = dsl.id
    if concern.assignee_id is None:
        concern.assignee_id = dsl.id
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


def assign(concern: Concern, dsl: User, assignee_id: int | None, seen_version: int | None) -> None:
    """Give the concern to a DSL of the same school (or to nobody)."""
    check_version(concern, seen_version)
    assignee = None
    if assignee_id is not None:
        assignee = db.session.get(User, assignee_id)
        if (
            assignee is None
            or assignee.school_id != concern.school_id
            or not assignee.active
            or not assignee.has_role(Role.DSL)
        ):
            raise ConcernError("Choose a designated safeguarding lead of this school.", field="assignee")
    if concern.assignee_id == (assignee.id if assignee else None):
        return
    before = concern.assignee.display_name if concern.assignee else None
    concern.assignee_id = assignee.id if assignee else None
    _event(
        concern,
        dsl,
        EventKind.ASSIGNED,
        f"Assigned to {assignee.display_name}" if assignee else "Unassigned",
        detail={"before": before, "after": assignee.display_name if assignee else None},
    )
    _audit(concern, dsl, "concern.assigned", "Concern assigned")


def set_level_of_need(concern: Concern, dsl: User, level: str, seen_version: int | None) -> None:
    """Set the level of need on the school's ladder."""
    check_version(concern, seen_version)
    school = db.session.get(School, concern.school_id)
    if level not in school.level_of_need_choices:
        raise ConcernError("Choose a level of need from the list.", field="level")
    if concern.level_of_need == level:
        return
    before = concern.level_of_need
    concern.level_of_need = level
    _event(
        concern,
        dsl,
        EventKind.LEVEL_OF_NEED,
        f"Level of need set to {level}" + (f" (was {before})" if before else ""),
        detail={"before": before, "after": level},
    )
    _audit(concern, dsl, "concern.level_of_need", "Level of need set", {"before": before, "after": level})


def add_note(concern: Concern, dsl: User, text: str, seen_version: int | None) -> ConcernEvent:
    """Add a DSL's note to the chronology."""
    check_version(concern, seen_version)
    text = (text or "").strip()
    if not text:
        raise ConcernError("Write the note.", field="text")
    event = _event(concern, dsl, EventKind.NOTE, f"Note by {dsl.display_name}", text=text)
    _audit(concern, dsl, "concern.note", "Note added")
    return event


def add_addendum(concern: Concern, author: User, text: str) -> ConcernEvent:
    """Add information to a concern (the reporter or a DSL); the original account stays as it was."""
    text = (text or "").strip()
    if not text:
        raise ConcernError("Write the information you want to add.", field="text")
    event = _event(
        concern,
        author,
        EventKind.ADDENDUM,
        f"Information added by {author.display_name}",
        text=text,
        visible_to_reporter=author.id == concern.reporter_id,
    )
    _audit(concern, author, "concern.addendum", "Information added")
    return event


# Actions a DSL records, with what each needs.
ACTION_KINDS = {
    "spoke_with_child": "Spoke with the child",
    "informed_parents": "Informed parents or carers",
    "not_informing_parents": "Decided not to inform parents or carers",
    "referral": "Referral",
    "agency_report": "Report to an agency",
    "other": "Other action",
}
REFERRAL_TARGETS = {
    "childrens-social-care": "Children's social care",
    "police": "Police",
    "lado": "Local authority designated officer (LADO)",
    "early-help": "Early help",
    "camhs": "Child and adolescent mental health services (CAMHS)",
}


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
    extra: dict = field(default_factory=dict)


def record_action(concern: Concern, dsl: User, action: ActionInput, seen_version: int | None) -> ConcernEvent:
    """Record something done about the concern; a referral or agency report names who and carries its reference.

    Recording a referral moves an open concern to "referred".
    """
    check_version(concern, seen_version)
    if action.kind not in ACTION_KINDS:
        raise ConcernError("Choose what was done.", field="kind")
    today = utcnow().date()
    if action.on and action.on > today + timedelta(days=1):
        raise ConcernError("The date of an action cannot be in the future.", field="on")
    if action.follow_up_on and action.follow_up_on < today:
        raise ConcernError("A follow-up date must be today or later.", field="follow_up_on")
    detail: dict = {"action": action.kind, "on": action.on.isoformat() if action.on else None}
    if action.kind == "not_informing_parents":
        if not action.reason.strip():
            raise ConcernError("Record why parents or carers are not being informed.", field="reason")
        detail["reason"] = action.reason.strip()
        summary = "Decided not to inform parents or carers"
    elif action.kind == "referral":
        if action.target not in REFERRAL_TARGETS:
            raise ConcernError("Choose who the referral was made to.", field="target")
        detail |= {"target": action.target, "external_reference": action.external_reference.strip() or None}
        summary = f"Referral to {REFERRAL_TARGETS[action.target].lower().replace('lado', 'LADO')}"
        if action.external_reference.strip():
            summary += f", reference {action.external_reference.strip()}"
    elif action.kind == "agency_report":
        agency = get_vocabulary().agency(action.agency_id)
        if agency is None:
            raise ConcernError("Choose the agency the report was made to.", field="agency_id")
        detail |= {
            "agency": agency.id,
            "agency_name": agency.name,
            "external_reference": action.external_reference.strip() or None,
        }
        summary = f"Report to {agency.name}"
        if action.external_reference.strip():
            summary += f", reference {action.external_reference.strip()}"
    else:
        summary = ACTION_KINDS[action.kind]
    if action.kind == "other" and not action.details.strip():
        raise ConcernError("Describe what was done.", field="details")
    if action.on:
        summary += f" on {action.on.strftime('%d %b %Y')}"
    event = _event(
        concern,
        dsl,
        EventKind.REFERRAL if action.kind in ("referral", "agency_report") else EventKind.ACTION,
        summary,
        text=action.details.strip() or None,
        detail=detail,
    )
    if action.follow_up_on:
        db.session.add(
            FollowUp(
                school_id=concern.school_id,
                concern_id=concern.id,
                event_id=event.id,
                due_on=action.follow_up_on,
                what=(action.follow_up_what.strip() or f"Follow up: {summary}")[:300],
            )
        )
    if action.kind == "referral" and concern.status in (Status.ACKNOWLEDGED, Status.IN_PROGRESS):
        _set_status(concern, dsl, Status.REFERRED)
    _audit(concern, dsl, "concern.action", summary, {"action": action.kind})
    db.session.flush()
    return event


DECISION_KINDS = {
    "refer": "Refer to another agency",
    "not_to_refer": "Not to refer",
    "monitor": "Monitor in school",
    "early_help": "Offer early help",
    "no_further_action": "No further action",
    "other": "Other decision",
}


def record_decision(concern: Concern, dsl: User, decision: str, rationale: str, seen_version: int | None) -> None:
    """Record a decision with its rationale — a decision not to refer needs one as much as a referral."""
    check_version(concern, seen_version)
    if decision not in DECISION_KINDS:
        raise ConcernError("Choose the decision.", field="decision")
    rationale = (rationale or "").strip()
    if len(rationale) < 10:
        raise ConcernError("Record the rationale for this decision: why it was made.", field="rationale")
    _event(
        concern,
        dsl,
        EventKind.DECISION,
        f"Decision: {DECISION_KINDS[decision].lower()}",
        text=rationale,
        detail={"decision": decision},
    )
    _audit(concern, dsl, "concern.decision", "Decision recorded", {"decision": decision})


def _set_status(concern: Concern, actor: User, new: Status, text: str | None = None, extra: dict | None = None) -> None:
    before = concern.status_enum
    concern.status = new.value
    if new == Status.CLOSED:
        concern.closed_at = utcnow()
    _event(
        concern,
        actor,
        EventKind.STATUS,
        f"Status changed from {before.label.lower()} to {new.label.lower()}",
        text=text,
        detail={"before": before.value, "after": new.value, **(extra or {})},
    )
    _audit(concern, actor, "concern.status_changed", "Status changed", {"before": before.value, "after": new.value})


def change_status(
    concern: Concern,
    dsl: User,
    new_status: str,
    seen_version: int | None,
    *,
    outcome: str = "",
    rationale: str = "",
    unanswered_reason: str = "",
) -> None:
    """Move a concern along its life; closing needs an outcome and its rationale, reopening a reason."""
    check_version(concern, seen_version)
    try:
        new = Status(new_status)
    except ValueError:
        raise ConcernError("Choose a status from the list.", field="status") from None
    current = concern.status_enum
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
    extra: dict = {}
    text = None
    if new == Status.CLOSED:
        missing = [(p, step) for p, progress in protocol_progress(concern) for step in progress.missing_required]
        if missing and len(unanswered_reason.strip()) < 10:
            names = "; ".join(f"{p.title}: {step.text[:60]}" for p, step in missing[:3])
            raise ConcernError(
                f"Required guided-response steps are unanswered ({names}). Answer them, or record why they are "
                "left unanswered.",
                field="unanswered_reason",
            )
        outcome, rationale = (outcome or "").strip(), (rationale or "").strip()
        if not outcome:
            raise ConcernError("Record the outcome before closing the concern.", field="outcome")
        if len(rationale) < 10:
            raise ConcernError("Record the rationale for closing: why no more is needed.", field="rationale")
        concern.outcome = outcome[:200]
        concern.outcome_rationale = rationale
        extra = {"outcome": concern.outcome}
        text = rationale
        if unanswered_reason.strip():
            extra["unanswered_protocol_steps_reason"] = unanswered_reason.strip()
    elif current == Status.CLOSED:
        if len((rationale or "").strip()) < 5:
            raise ConcernError("Record why the concern is being reopened.", field="rationale")
        text = rationale.strip()
        concern.closed_at = None
    _set_status(concern, dsl, new, text=text, extra=extra)


def protocol_progress(concern: Concern) -> list[tuple[protocols.Protocol, protocols.Progress]]:
    """Each guided-response protocol for the concern's categories, and how far it has been walked."""
    vocabulary = get_vocabulary()
    attached = protocols.protocols_for(vocabulary.protocols, concern.category_ids)
    if not attached:
        return []
    details = db.session.scalars(
        select(ConcernEvent.detail)
        .where(
            ConcernEvent.school_id == concern.school_id,
            ConcernEvent.concern_id == concern.id,
            ConcernEvent.kind == EventKind.PROTOCOL_ANSWER.value,
        )
        .order_by(ConcernEvent.at, ConcernEvent.id)
    ).all()
    return [(p, protocols.walk(p, protocols.answers_from_events(details, p.id))) for p in attached]


def answer_protocol_step(
    concern: Concern, dsl: User, protocol_id: str, step_id: str, answer_id: str, reason: str, seen_version: int | None
) -> protocols.Answer:
    """Record a DSL's answer to a step of a guided response, as an event in the chronology."""
    check_version(concern, seen_version)
    current = {p.id: (p, progress) for p, progress in protocol_progress(concern)}
    if protocol_id not in current:
        raise ConcernError("That guided response does not apply to this concern.", field="answer")
    protocol, progress = current[protocol_id]
    problem = protocols.check_answer(protocol, progress.answered, step_id, answer_id, reason)
    if problem:
        raise ConcernError(problem, field="reason" if "reason" in problem else "answer")
    step = protocol.step(step_id)
    answer = step.answer(answer_id)
    _event(
        concern,
        dsl,
        EventKind.PROTOCOL_ANSWER,
        f"{protocol.title}: {step.text[:160]} — {answer.label}",
        text=reason.strip() or None,
        detail=protocols.event_detail(protocol, step, answer, reason),
    )
    _audit(concern, dsl, "concern.protocol_answer", "Guided response step answered", {"protocol": protocol.id})
    return answer


def link_concerns(concern: Concern, dsl: User, other_reference: str, seen_version: int | None) -> Concern:
    """Link two concerns of the school about one incident (both chronologies show the link)."""
    check_version(concern, seen_version)
    other = db.session.scalar(
        select(Concern).where(
            Concern.school_id == concern.school_id, Concern.reference == (other_reference or "").strip().upper()
        )
    )
    if other is None:
        raise ConcernError("No concern in this school has that reference.", field="reference")
    if other.id == concern.id:
        raise ConcernError("A concern cannot be linked to itself.", field="reference")
    exists = db.session.get(ConcernLink, (min(concern.id, other.id), max(concern.id, other.id)))
    if exists:
        raise ConcernError("These concerns are already linked.", field="reference")
    db.session.add(
        ConcernLink(
            concern_id=min(concern.id, other.id), related_id=max(concern.id, other.id), school_id=concern.school_id
        )
    )
    _event(concern, dsl, EventKind.LINKED, f"Linked to {other.reference}", detail={"related": other.id})
    _event(other, dsl, EventKind.LINKED, f"Linked to {concern.reference}", detail={"related": concern.id})
    _audit(concern, dsl, "concern.linked", f"Linked to {other.reference}")
    return other


def complete_follow_up(concern: Concern, dsl: User, follow_up_id: int, seen_version: int | None) -> None:
    """Mark a follow-up as done."""
    check_version(concern, seen_version)
    if not isinstance(follow_up_id, int) or not 0 < follow_up_id < 2**31:
        raise ConcernError("That follow-up is not on this concern.")
    follow_up = db.session.scalar(
        select(FollowUp).where(FollowUp.id == follow_up_id, FollowUp.concern_id == concern.id)
    )
    if follow_up is None:
        raise ConcernError("That follow-up is not on this concern.")
    if follow_up.done_at is not None:
        raise ConcernError("That follow-up is already done.")
    follow_up.done_at = utcnow()
    follow_up.done_by_id = dsl.id
    _event(
        concern, dsl, EventKind.FOLLOW_UP_DONE, f"Follow-up done: {follow_up.what}", detail={"follow_up": follow_up.id}
    )
    _audit(concern, dsl, "concern.follow_up_done", "Follow-up done")


def mark_seen(concern: Concern, user: User) -> int:
    """The person's alerts about the concern are read once they open it; return how many unread alerts they have
    left."""
    return notifications.mark_read(user, concern.id)


def record_view(concern: Concern, user: User) -> None:
    """Audit that a person opened a concern (every view is recorded)."""
    audit.record(
        "concern.viewed",
        f"Concern {concern.reference} viewed",
        school_id=concern.school_id,
        actor_id=user.id,
        subject_type="concern",
        subject_id=concern.id,
    )


# ---------------------------------------------------------------------------------------------------------------
# Escalation


def escalate_overdue(now: datetime | None = None) -> int:
    """Alert all DSLs and the head about each concern not acknowledged in time (once); return how many."""
    now = now or utcnow()
    overdue = db.session.scalars(
        select(Concern).where(
            Concern.status == Status.NEW.value, Concern.ack_due_at < now, Concern.escalated_at.is_(None)
        )
    ).all()
    for concern in overdue:
        recipients = {
            u.id: u
            for role in (Role.DSL, Role.HEAD)
            for u in db.session.scalars(users_with_role(concern.school_id, role))
        }
        notifications.alert(
            recipients.values(),
            school_id=concern.school_id,
            concern_id=concern.id,
            reference=concern.reference,
            urgent=True,
            headline="Concern not yet acknowledged",
        )
        concern.escalated_at = now
        _event(
            concern,
            None,
            EventKind.ESCALATED,
            f"Not acknowledged in time: all DSLs and the head alerted ({len(recipients)} people)",
            detail={"due": concern.ack_due_at.isoformat(), "alerted": len(recipients)},
            at=now,
            bump=False,
        )
        audit.record(
            "concern.escalated",
            f"Concern {concern.reference} escalated",
            school_id=concern.school_id,
            subject_type="concern",
            subject_id=concern.id,
        )
        logger.info("concern %s escalated", concern.id)
    db.session.flush()
    return len(overdue)
