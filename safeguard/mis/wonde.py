"""A pull connector for Wonde, the MIS broker: its paginated ``students``, ``contacts`` and ``employees``, read with
``updated_after`` since the last complete sync, turned into the MIS sync's records and applied in batches.

Wonde's shape (https://docs.wonde.com/docs/api/sync): ``GET {base}/schools/{id}/students?include=...&page=N`` answers
``{"data": [...], "meta": {"pagination": {"next": url-or-null, "more": bool, "current_page": N}}}``; dates are
objects ``{"date": "2012-09-01 00:00:00.000000", "timezone": "Europe/London"}``; included relations are wrapped in
``{"data": ...}``. Only the fields Safeguard keeps are read.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from safeguard.api.problems import FieldProblem, pointer
from safeguard.core.sqltypes import utcnow
from safeguard.mis import services
from safeguard.mis.schemas import MAX_BATCH, PupilRecord, StaffRecord, SyncAnswer
from safeguard.schools.models import School

# No page is followed past this: a broker answering "more" for ever must not keep the command running.
MAX_PAGES = 2000
TIMEOUT_SECONDS = 30
STUDENT_INCLUDES = "contacts,contact_details,education_details,extended_details,year,registration_group"
EMPLOYEE_INCLUDES = "contact_details,employment_details"
_SEN = {"K": "sen_support", "E": "ehc_plan", "S": "ehc_plan", "A": "sen_support", "P": "sen_support", "N": "none"}


class BrokerError(RuntimeError):
    """The broker could not be read (down, refused the token, answered something not in its shape)."""


@dataclass(frozen=True)
class Broker:
    """Where the school is at Wonde, and its access token."""

    base_url: str
    school_id: str
    token: str

    def pages(self, resource: str, params: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
        """Each page's records of ``resource`` (students, contacts, employees), following ``meta.pagination.next``."""
        query = urllib.parse.urlencode({**params, "per_page": "200"})
        url: str | None = f"{self.base_url.rstrip('/')}/schools/{urllib.parse.quote(self.school_id)}/{resource}?{query}"
        for _ in range(MAX_PAGES):
            if url is None:
                return
            body = self._get(url)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise BrokerError(f"Wonde's {resource} page has no list of data")
            yield [record for record in data if isinstance(record, dict)]
            pagination = (body.get("meta") or {}).get("pagination") or {}
            url = pagination.get("next") if pagination.get("more", pagination.get("next") is not None) else None
            if url is not None and not str(url).startswith(self.base_url.rstrip("/")):
                raise BrokerError("Wonde's next page is at another address: not followed")
        raise BrokerError(f"Wonde's {resource} ran past {MAX_PAGES} pages")

    def _get(self, url: str) -> Any:
        request = urllib.request.Request(  # noqa: S310 (the base URL is the deployment's own setting, http(s) only)
            url, headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        )
        if not url.startswith(("https://", "http://")):
            raise BrokerError("the broker's address must be http(s)")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                return json.loads(answer.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            error.close()
            raise BrokerError(f"Wonde answered {error.code} for {url.split('?')[0]}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise BrokerError(f"Wonde could not be reached: {error}") from None
        except (ValueError, UnicodeDecodeError):
            raise BrokerError("Wonde's answer was not JSON") from None


def _inner(value: Any) -> Any:
    """An included relation's content (Wonde wraps each in ``{"data": ...}``)."""
    return value.get("data") if isinstance(value, dict) and "data" in value else value


def _date(value: Any) -> date | None:
    """A Wonde date (``{"date": "2012-09-01 00:00:00.000000", ...}`` or a plain string) as a date."""
    text = value.get("date") if isinstance(value, dict) else value
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _email(details: Any) -> str | None:
    emails = (_inner(details) or {}).get("emails") if isinstance(_inner(details), dict) else None
    if isinstance(emails, dict):
        return emails.get("email") or emails.get("primary") or None
    return None


def _contact(entry: dict[str, Any], directory: dict[str, dict[str, Any]]) -> dict[str, Any]:
    relation = entry.get("relationship") or {}
    known = directory.get(str(entry.get("id")), {})
    details = _inner(known.get("contact_details") or entry.get("contact_details")) or {}
    phones = details.get("telephones") or {} if isinstance(details, dict) else {}
    name = " ".join(str(entry.get(k) or "") for k in ("title", "forename", "surname")).strip()
    return {
        "contact_id": str(entry.get("id") or ""),
        "name": name or "(no name)",
        "relationship": str(relation.get("relationship") or "")[:60],
        "parental_responsibility": bool(relation.get("parental_responsibility")),
        "priority": relation.get("priority") if isinstance(relation.get("priority"), int) else None,
        "phone": str(phones.get("phone") or phones.get("mobile") or phones.get("home") or "")[:40],
        "email": str(_email(details) or "")[:254],
    }


def _placement(student: dict[str, Any]) -> dict[str, Any]:
    """The year and form group, SEN and care status Wonde gives a student (only those it gives)."""
    fields: dict[str, Any] = {}
    year = _inner(student.get("year")) or {}
    form = _inner(student.get("registration_group")) or {}
    extended = _inner(student.get("extended_details")) or {}
    if isinstance(year, dict) and year.get("name"):
        fields["year_group"] = str(year["name"])[:20]
    if isinstance(form, dict) and form.get("name"):
        fields["form_group"] = str(form["name"])[:40]
    if not isinstance(extended, dict):
        return fields
    if extended.get("sen_status") in _SEN:
        fields["sen_status"] = _SEN[extended["sen_status"]]
    if isinstance(extended.get("in_lea_care"), bool):
        fields["looked_after"] = extended["in_lea_care"]
    if isinstance(extended.get("ever_in_care"), bool):
        fields["previously_looked_after"] = extended["ever_in_care"] and not extended.get("in_lea_care")
    return fields


def _accounts(student: dict[str, Any]) -> dict[str, Any]:
    """The student's school e-mail address and device username (alerts are matched by them)."""
    fields: dict[str, Any] = {}
    email = _email(student.get("contact_details"))
    if email:
        fields["email"] = email
    username = student.get("username") or (email.split("@")[0] if email else None)
    if username:
        fields["username"] = username
    return fields


def _leaving(education: Any) -> dict[str, Any] | None:
    left_on = _date(education.get("leaving_date")) if isinstance(education, dict) else None
    if left_on is None:
        return None
    return {"left_on": left_on, "destination": education.get("destination") or None}


def pupil_fields(student: dict[str, Any], directory: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A Wonde student as the fields of a :class:`PupilRecord`."""
    education = _inner(student.get("education_details")) or {}
    upn = student.get("upn") or (education.get("upn") if isinstance(education, dict) else None)
    legal_first = student.get("legal_forename") or student.get("forename") or ""
    fields: dict[str, Any] = {
        "upn": upn or "",
        "legal_first_name": legal_first,
        "legal_last_name": student.get("legal_surname") or student.get("surname") or "",
        "date_of_birth": _date(student.get("date_of_birth")),
        "mis_id": str(student.get("id") or "") or None,
        "contacts": [_contact(c, directory) for c in (_inner(student.get("contacts")) or []) if isinstance(c, dict)],
        "leaving": _leaving(education),
        **_placement(student),
        **_accounts(student),
    }
    if student.get("forename") and student["forename"] != legal_first:
        fields["preferred_name"] = student["forename"]
    return fields


def staff_fields(employee: dict[str, Any]) -> dict[str, Any]:
    """A Wonde employee as the fields of a :class:`StaffRecord`."""
    employment = _inner(employee.get("employment_details")) or {}
    name = " ".join(str(employee.get(k) or "") for k in ("title", "forename", "surname")).strip()
    ended = _date(employment.get("employment_end_date")) if isinstance(employment, dict) else None
    current = employment.get("current") if isinstance(employment, dict) else None
    left_on = ended if ended and ended <= utcnow().date() else (utcnow().date() if current is False else None)
    return {"email": _email(employee.get("contact_details")) or "", "display_name": name, "left_on": left_on}


def _records(model: type[PupilRecord] | type[StaffRecord], rows: list[dict[str, Any]]) -> list[Any]:
    """Validate every row; :class:`services.BatchRejected` listing every bad one."""
    records, problems = [], []
    for index, row in enumerate(rows):
        try:
            records.append(model.model_validate(row))
        except ValidationError as error:
            for item in error.errors(include_url=False, include_input=False):
                problems.append(FieldProblem(pointer(["records", index, *item["loc"]]), item["msg"], index))
    if problems:
        raise services.BatchRejected(problems)
    return records


@dataclass(frozen=True)
class Synced:
    """What a pull did, for pupils and for staff."""

    pupils: SyncAnswer
    staff: SyncAnswer


def _total(answers: list[SyncAnswer]) -> SyncAnswer:
    return SyncAnswer(
        received=sum(a.received for a in answers),
        created=sum(a.created for a in answers),
        updated=sum(a.updated for a in answers),
        unchanged=sum(a.unchanged for a in answers),
        left=sum(a.left for a in answers),
    )


def sync(school: School, broker: Broker, *, full: bool = False, now: datetime | None = None) -> Synced:
    """Read the broker (what changed since the last complete sync, or everything) and apply it: pupils, then staff.
    Nothing is applied unless every record is good; the time of the sync is kept for the next one."""
    now = now or utcnow()
    params: dict[str, str] = {}
    if school.mis_synced_at is not None and not full:
        params["updated_after"] = school.mis_synced_at.strftime("%Y-%m-%d %H:%M:%S")
    directory = {
        str(contact.get("id")): contact
        for page in broker.pages("contacts", {"include": "contact_details"})
        for contact in page
    }
    students = [s for page in broker.pages("students", {**params, "include": STUDENT_INCLUDES}) for s in page]
    employees = [e for page in broker.pages("employees", {**params, "include": EMPLOYEE_INCLUDES}) for e in page]
    pupils = _records(PupilRecord, [pupil_fields(s, directory) for s in students])
    staff = _records(StaffRecord, [staff_fields(e) for e in employees if _email(e.get("contact_details"))])
    pupil_answers = [
        services.sync_pupils(school, pupils[start : start + MAX_BATCH], source="Wonde")
        for start in range(0, len(pupils), MAX_BATCH)
    ]
    staff_answers = [
        services.sync_staff(school, staff[start : start + MAX_BATCH], source="Wonde")
        for start in range(0, len(staff), MAX_BATCH)
    ]
    school.mis_synced_at = now
    return Synced(_total(pupil_answers), _total(staff_answers))
