"""The MIS sync: pupils by UPN and staff by e-mail address, created, updated and marked as leavers, never deleted.

A batch is checked whole before anything is written: one bad record and nothing is applied, and every problem is
listed with its record's index. A field a record leaves out keeps what Safeguard holds. The school's pupils come from
the MIS (pushed to ``PUT /api/v1/pupils``, or pulled from a broker by ``flask --app safeguard mis sync``), from the
CSV import, or by hand; staff accounts made by a sync hold the staff role only, and their roles are never changed
by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from safeguard.api.problems import FieldProblem
from safeguard.audit import services as audit
from safeguard.auth import services as accounts
from safeguard.auth.models import Role
from safeguard.core.emails import InvalidEmail, normalise_emails
from safeguard.core.names import search_key
from safeguard.core.sqltypes import utcnow
from safeguard.mis import store
from safeguard.mis.schemas import MAX_BATCH, PupilRecord, StaffRecord, SyncAnswer
from safeguard.pupils.services import UPN_PATTERN
from safeguard.schools.models import School

__all__ = ["MAX_BATCH", "BatchRejected", "sync_pupils", "sync_staff"]

_SEND = {"none": False, "sen_support": True, "ehc_plan": True}


class BatchRejected(ValueError):
    """Records of a batch break the rules: nothing was applied. Each problem names its record's index."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the batch: nothing was applied.")
        self.problems = problems


@dataclass
class _Checker:
    """Collects a batch's problems, each with its record's index and field."""

    problems: list[FieldProblem]

    def add(self, index: int, field: str, detail: str) -> None:
        self.problems.append(FieldProblem(f"/records/{index}/{field}", detail, index))


def _addresses(values: Sequence[str | None]) -> list[str | InvalidEmail | None]:
    """Each address by the one rule (core/emails, a batch at a time); ``None`` where none was given."""
    given = [value for value in values if value]
    checked = iter(normalise_emails(given))
    return [next(checked) if value else None for value in values]


def _address(checked: str | InvalidEmail | None, index: int, field: str, checker: _Checker) -> str | None:
    """A checked address, or ``None`` after noting its problem."""
    if isinstance(checked, InvalidEmail):
        checker.add(index, field, str(checked))
        return None
    return checked


# Fields a record may leave out, with the column each sets and how its value is kept (None: as sent).
_OPTIONAL: dict[str, tuple[str, Any]] = {
    "preferred_name": ("preferred_name", lambda v: v or None),
    "year_group": ("year_group", lambda v: v or ""),
    "form_group": ("class_name", lambda v: v or ""),
    "looked_after": ("looked_after", bool),
    "previously_looked_after": ("previously_looked_after", bool),
    "username": ("username", lambda v: (v or "").strip().lower() or None),
    "mis_id": ("mis_id", lambda v: v or None),
}


def _check_identity(record: PupilRecord, index: int, today: date, checker: _Checker) -> str:
    """The UPN as stored (capitals, no spaces), after checking it and the date of birth."""
    upn = record.upn.upper().replace(" ", "")
    if not UPN_PATTERN.match(upn):
        checker.add(index, "upn", "a UPN is 13 characters: a letter, 11 digits and a digit or letter")
    if record.date_of_birth > today:
        checker.add(index, "date_of_birth", "the date of birth is in the future")
    elif record.date_of_birth.year < today.year - 30:
        checker.add(index, "date_of_birth", "the date of birth is not a pupil's")
    return upn


def _check_leaving(record: PupilRecord, index: int, today: date, checker: _Checker) -> dict[str, Any]:
    """The leaving date and destination a record sets."""
    leaving = record.leaving
    if leaving is None:
        return {"left_on": None, "destination_school": None}
    if leaving.left_on > today:
        checker.add(index, "leaving/left_on", "the leaving date is in the future")
    return {"left_on": leaving.left_on, "destination_school": leaving.destination or None}


def _check_contacts(record: PupilRecord, index: int, checker: _Checker) -> None:
    seen: set[str] = set()
    for number, contact in enumerate(record.contacts or ()):
        if contact.contact_id in seen:
            checker.add(index, f"contacts/{number}/contact_id", "the same contact is listed twice")
        seen.add(contact.contact_id)


def _check_pupil(
    record: PupilRecord, index: int, today: date, checker: _Checker, email: str | InvalidEmail | None
) -> dict[str, Any]:
    """The columns a record sets (only the fields it sent), after checking them.

    :param email: the record's e-mail address as checked (see :func:`_addresses`).
    """
    sent = record.model_fields_set
    values: dict[str, Any] = {
        "upn": _check_identity(record, index, today, checker),
        "legal_first_name": record.legal_first_name,
        "legal_last_name": record.legal_last_name,
        "date_of_birth": record.date_of_birth,
    }
    for name, (column, keep) in _OPTIONAL.items():
        if name in sent:
            values[column] = keep(getattr(record, name))
    if "sen_status" in sent:
        values["sen_status"] = record.sen_status or ""
        values["send"] = _SEND.get(record.sen_status or "none", False)
    if "email" in sent:
        values["email"] = _address(email, index, "email", checker)
    if "leaving" in sent:
        values.update(_check_leaving(record, index, today, checker))
    _check_contacts(record, index, checker)
    return values


def _check_unique(values: list[dict[str, Any]], checker: _Checker) -> None:
    """No UPN, username or e-mail address twice in a batch (an alert must match one child)."""
    for key, field in (("upn", "upn"), ("username", "username"), ("email", "email")):
        first: dict[str, int] = {}
        for index, row in enumerate(values):
            value = row.get(key)
            if not value:
                continue
            if value in first:
                checker.add(index, field, f"the same {field} as record {first[value]}")
            else:
                first[value] = index


def _contact_rows(upn: str, record: PupilRecord) -> list[dict[str, Any]]:
    """The child's contacts as rows of the batch (the store finds the child by ``upn``)."""
    return [
        {
            "upn": upn,
            "contact_key": contact.contact_id,
            "name": contact.name,
            "relationship": contact.relationship,
            "parental_responsibility": contact.parental_responsibility,
            "priority": contact.priority,
            "phone": contact.phone,
            "email": contact.email.lower(),
        }
        for contact in record.contacts or ()
    ]


_NAMES = ("legal_first_name", "legal_last_name", "preferred_name")


_DEFAULTS: dict[str, Any] = {
    "preferred_name": None,
    "year_group": "",
    "class_name": "",
    "sen_status": "",
    "send": False,
    "looked_after": False,
    "previously_looked_after": False,
    "username": None,
    "email": None,
    "mis_id": None,
    "left_on": None,
    "destination_school": None,
}


def sync_pupils(school: School, records: Sequence[PupilRecord], source: str, today: date | None = None) -> SyncAnswer:
    """Apply a batch of pupils from the MIS: create, update, mark leavers; all or nothing (:class:`BatchRejected`).

    :param source: what sent it, for the audit row (``token 3``, ``Wonde``).
    """
    today = today or utcnow().date()
    checker = _Checker([])
    emails = _addresses([record.email for record in records])
    values = [
        _check_pupil(record, index, today, checker, email)
        for index, (record, email) in enumerate(zip(records, emails, strict=True))
    ]
    _check_unique(values, checker)
    if checker.problems:
        raise BatchRejected(checker.problems)
    store.hold_roll(school.id)
    now = utcnow()
    existing = store.pupils_by_upn(school.id, [row["upn"] for row in values])
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    replaced: list[int] = []  # the pupils held whose contacts the batch replaces
    unchanged = left = 0
    for record, row in zip(records, values, strict=True):
        upn = row["upn"]
        if record.contacts is not None:
            contacts += _contact_rows(upn, record)
        held = existing.get(upn)
        if held is None:
            merged = {**_DEFAULTS, **row}
            merged["search_key"] = search_key(*(merged[name] for name in _NAMES), upn)
            new_rows.append(merged)
            left += merged["left_on"] is not None
            continue
        if record.contacts is not None:
            replaced.append(held["id"])
        merged = {column: row.get(column, held[column]) for column in store.SYNCED}
        if all(merged[column] == held[column] for column in store.SYNCED):
            unchanged += 1
            continue
        left += held["left_on"] is None and merged["left_on"] is not None
        renamed = any(merged[name] != held[name] for name in _NAMES)
        merged["search_key"] = search_key(*(merged[name] for name in _NAMES), upn) if renamed else held["search_key"]
        changed_rows.append({**merged, "pupil_id": held["id"]})
    store.insert_pupils(school.id, now, new_rows)
    store.update_pupils(school.id, now, changed_rows)
    store.replace_contacts(school.id, replaced, contacts)
    answer = SyncAnswer(
        received=len(records), created=len(new_rows), updated=len(changed_rows), unchanged=unchanged, left=left
    )
    audit.record(
        "pupils.synced",
        f"Pupils synced from the MIS ({source}): {answer.created} added, {answer.updated} changed, "
        f"{answer.unchanged} unchanged, {answer.left} marked as left",
        school_id=school.id,
        detail={**answer.model_dump(), "source": source},
    )
    return answer


def sync_staff(school: School, records: Sequence[StaffRecord], source: str) -> SyncAnswer:
    """Apply a batch of staff from the MIS: new accounts (staff role only, a password they set by reset), names
    updated, leavers' accounts deactivated; roles never changed; all or nothing (:class:`BatchRejected`)."""
    checker = _Checker([])
    emails = [
        _address(checked, index, "email", checker)
        for index, checked in enumerate(_addresses([record.email for record in records]))
    ]
    _check_unique([{"email": email} for email in emails], checker)
    store.hold_roll(school.id)
    held = store.users_by_email([email for email in emails if email])
    for index, email in enumerate(emails):
        user = held.get(email or "")
        if user is not None and user.school_id != school.id:
            checker.add(index, "email", "this address is an account's in another school of this deployment")
    if checker.problems:
        raise BatchRejected(checker.problems)
    created = updated = unchanged = left = 0
    for index, (record, email) in enumerate(zip(records, emails, strict=True)):
        user = held.get(email or "")
        if user is None:
            if record.left_on is not None:  # a leaver never known here: nothing to keep
                unchanged += 1
                continue
            accounts.create_user(school, email or "", record.display_name, {Role.STAFF})
            created += 1
            continue
        changes = 0
        if user.display_name != record.display_name:
            before = user.display_name
            user.display_name = record.display_name
            audit.record_about_user(
                "user.updated",
                "Account name changed by the MIS sync",
                user,
                detail={"before": {"display_name": before}, "source": source},
            )
            changes += 1
        if record.left_on is not None and user.active:
            try:
                accounts.set_active(user, False, actor=None)
            except accounts.AccountError as error:
                raise BatchRejected([FieldProblem(f"/records/{index}/left_on", str(error), index)]) from None
            left += 1
            changes += 1
        updated += changes > 0
        unchanged += changes == 0
    answer = SyncAnswer(received=len(records), created=created, updated=updated, unchanged=unchanged, left=left)
    audit.record(
        "staff.synced",
        f"Staff synced from the MIS ({source}): {created} added, {updated} changed, {left} deactivated as leavers",
        school_id=school.id,
        detail={**answer.model_dump(), "source": source},
    )
    return answer
