"""Pupil rules: importing the MIS export, and marking a pupil as left.

The import validates every row first and imports nothing if any row is bad; it upserts by UPN within the
school only, and never marks pupils as left or deletes them because they are missing from a file.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from safeguard.audit import services as audit
from safeguard.auth.models import User
from safeguard.core.extensions import db
from safeguard.pupils.models import PUPIL_FLAGS, Pupil
from safeguard.schools.models import School

# Header names as the common MIS exports write them, for each field (compared case- and space-insensitively).
HEADERS: dict[str, tuple[str, ...]] = {
    "upn": ("upn", "unique pupil number"),
    "legal_first_name": ("legal forename", "forename", "first name", "legal first name", "firstname"),
    "legal_last_name": ("legal surname", "surname", "last name", "legal last name", "lastname", "family name"),
    "preferred_name": ("preferred forename", "preferred name", "known as", "preferred first name"),
    "date_of_birth": ("dob", "date of birth", "birth date"),
    "year_group": ("year", "year group", "nc year", "national curriculum year"),
    "class_name": ("reg group", "registration group", "class", "form", "tutor group"),
    "child_protection_plan": ("cp plan", "child protection plan", "cpp"),
    "child_in_need": ("cin", "child in need"),
    "looked_after": ("lac", "cla", "looked after", "looked-after", "child looked after"),
    "previously_looked_after": ("plac", "previously looked after", "previously looked-after"),
    "send": ("sen", "send", "sen status", "sen provision"),
    "left_on": ("leaving date", "date of leaving", "left on"),
    "destination_school": ("destination", "destination school", "next school"),
}
REQUIRED = ("upn", "legal_first_name", "legal_last_name", "date_of_birth")
FIELD_LABELS = {
    "upn": "UPN",
    "legal_first_name": "legal forename",
    "legal_last_name": "legal surname",
    "preferred_name": "preferred forename",
    "date_of_birth": "date of birth",
    "year_group": "year group",
    "class_name": "class",
    "left_on": "leaving date",
    "destination_school": "destination",
    **PUPIL_FLAGS,
}
# England's UPN: 13 characters, a check letter then 12 digits; a temporary UPN ends in a letter instead.
UPN_PATTERN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
_TRUE = {"y", "yes", "true", "1", "x"}
_FALSE = {"", "n", "no", "false", "0"}
# SEN status codes: K (SEN support) and E (EHC plan) mean SEND; N means none.
_SEN_CODES = {"k": True, "e": True, "s": True, "a": True, "p": True, "n": False}
MAX_ROWS = 20_000


class ImportError_(ValueError):
    """The file cannot be read at all (not CSV, wrong headers, too large)."""


@dataclass
class RowProblem:
    """A bad row: its line number as a spreadsheet shows it (the header is line 1) and why."""

    line: int
    reason: str


@dataclass
class Change:
    """A pupil the import would change, with each field's value before and after."""

    pupil: Pupil
    fields: dict[str, tuple[object, object]]


@dataclass
class Preview:
    """What an import would do, or did."""

    added: list[dict] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    not_in_file: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every row is good (only then is anything imported)."""
        return not self.problems


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Older MIS versions export Windows-1252; anything else is refused rather than guessed.
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportError_("The file is not text in UTF-8 or Windows-1252. Export it again as CSV.") from None


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s_]+", " ", (name or "").strip().lower())


def _map_headers(headers: list[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = _normalise_header(header)
        for field_name, names in HEADERS.items():
            if key in names and field_name not in mapping:
                mapping[field_name] = index
    missing = [FIELD_LABELS[f] for f in REQUIRED if f not in mapping]
    if missing:
        raise ImportError_(
            "The file's first line must name the columns. Missing: " + ", ".join(missing) + ". "
            "Accepted names include UPN, Legal Forename, Legal Surname and DOB."
        )
    return mapping


def _parse_date(value: str) -> date:
    value = value.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def _parse_flag(value: str, field_name: str) -> bool:
    key = value.strip().lower()
    if field_name == "send" and key in _SEN_CODES:
        return _SEN_CODES[key]
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(value)


def parse(data: bytes, today: date) -> tuple[list[dict], list[RowProblem]]:
    """Read and validate every row; return the good rows and every problem."""
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        headers = next(reader)
    except StopIteration:
        raise ImportError_("The file is empty.") from None
    mapping = _map_headers(headers)
    rows: list[dict] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        if line > MAX_ROWS + 1:
            raise ImportError_(f"The file has more than {MAX_ROWS:,} pupils; split it into smaller files.")
        if not any(cell.strip() for cell in raw):
            continue
        values = {f: (raw[i].strip() if i < len(raw) else "") for f, i in mapping.items()}
        reasons: list[str] = []
        upn = values["upn"].upper().replace(" ", "")
        if not upn:
            reasons.append("the UPN is missing")
        elif not UPN_PATTERN.match(upn):
            reasons.append(f"the UPN {values['upn']!r} is not 13 characters: a letter, 11 digits and a digit or letter")
        elif upn in seen:
            reasons.append(f"the UPN {upn} is also on line {seen[upn]}")
        for name in ("legal_first_name", "legal_last_name"):
            if not values[name]:
                reasons.append(f"the {FIELD_LABELS[name]} is missing")
            elif len(values[name]) > 100:
                reasons.append(f"the {FIELD_LABELS[name]} is longer than 100 characters")
        row: dict = {
            "upn": upn,
            "legal_first_name": values["legal_first_name"],
            "legal_last_name": values["legal_last_name"],
            "preferred_name": values.get("preferred_name") or None,
            "year_group": values.get("year_group", "")[:20],
            "class_name": values.get("class_name", "")[:40],
            "destination_school": values.get("destination_school") or None,
        }
        try:
            born = _parse_date(values["date_of_birth"])
            if born > today:
                reasons.append(f"the date of birth {values['date_of_birth']} is in the future")
            elif born.year < today.year - 30:
                reasons.append(f"the date of birth {values['date_of_birth']} is not a pupil's")
            row["date_of_birth"] = born
        except ValueError:
            reasons.append(f"the date of birth {values['date_of_birth']!r} is not a date (write it as DD/MM/YYYY)")
        if values.get("left_on"):
            try:
                row["left_on"] = _parse_date(values["left_on"])
            except ValueError:
                reasons.append(f"the leaving date {values['left_on']!r} is not a date")
        for flag in PUPIL_FLAGS:
            if flag in values:
                try:
                    row[flag] = _parse_flag(values[flag], flag)
                except ValueError:
                    reasons.append(f"{FIELD_LABELS[flag]} {values[flag]!r} is not yes or no")
        if reasons:
            problems.append(RowProblem(line, "; ".join(reasons)))
        else:
            seen[upn] = line
            rows.append(row)
    if not rows and not problems:
        raise ImportError_("The file has no pupils in it.")
    return rows, problems


def preview(school: School, data: bytes, today: date) -> Preview:
    """What importing ``data`` would do for ``school``, without changing anything."""
    rows, problems = parse(data, today)
    result = Preview(problems=problems)
    existing = {p.upn: p for p in db.session.scalars(select(Pupil).where(Pupil.school_id == school.id))}
    for row in rows:
        pupil = existing.get(row["upn"])
        if pupil is None:
            result.added.append(row)
            continue
        differences = {
            key: (getattr(pupil, key), value)
            for key, value in row.items()
            if key != "upn" and getattr(pupil, key) != value
        }
        if differences:
            result.changed.append(Change(pupil, differences))
        else:
            result.unchanged += 1
    in_file = {row["upn"] for row in rows}
    result.not_in_file = sum(1 for upn, p in existing.items() if upn not in in_file and p.left_on is None)
    return result


def apply_import(school: School, data: bytes, today: date, actor: User | None) -> Preview:
    """Import the file if every row is good; otherwise change nothing. Return what was (or would be) done."""
    result = preview(school, data, today)
    if not result.ok:
        return result
    for row in result.added:
        db.session.add(Pupil(school_id=school.id, **row))
    for change in result.changed:
        for key, (_, after) in change.fields.items():
            setattr(change.pupil, key, after)
    db.session.flush()
    audit.record(
        "pupils.imported",
        f"Pupils imported: {len(result.added)} added, {len(result.changed)} changed, {result.unchanged} unchanged",
        school_id=school.id,
        actor_id=actor.id if actor else None,
        detail={"added": len(result.added), "changed": len(result.changed), "unchanged": result.unchanged},
    )
    return result


class PupilError(ValueError):
    """A rule about pupils was broken; the message is fit to show beside ``field``."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def mark_left(pupil: Pupil, left_on: date, destination: str, actor: User, today: date) -> None:
    """Record that a pupil has left (the record and every concern about them are kept)."""
    if left_on > today:
        raise PupilError("The leaving date cannot be in the future.", field="left_on")
    pupil.left_on = left_on
    pupil.destination_school = (destination or "").strip()[:200] or None
    db.session.flush()
    audit.record(
        "pupil.left",
        "Pupil marked as left",
        school_id=pupil.school_id,
        actor_id=actor.id,
        subject_type="pupil",
        subject_id=pupil.id,
        detail={"left_on": left_on.isoformat()},
    )
