"""Pupil rules: importing the MIS export, and marking a pupil as left.

The import validates every row first and imports nothing if any row is bad; it upserts by UPN within the
school only, and never marks pupils as left or deletes them because they are missing from a file. Between its
preview and its confirmation the uploaded file waits in ``instance/imports``, for ``IMPORT_STASH_MINUTES`` at most.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from safeguard.adults import store as adults_store
from safeguard.adults.services import viewer as adults_viewer
from safeguard.audit import services as audit
from safeguard.auth.models import User
from safeguard.core.extensions import db
from safeguard.core.statements import transaction_connection
from safeguard.mis import store as mis_store
from safeguard.pupils.models import PUPIL_FLAGS, Pupil
from safeguard.schools.models import School
from safeguard.transfers import store as transfers_store

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

    added: list[dict[str, Any]] = field(default_factory=list)
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


def _read(data: bytes) -> tuple[Iterator[list[str]], dict[str, int]]:
    """The file's rows after the header, and the column of each field the header names."""
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
    return reader, _map_headers(headers)


def _check_upn(raw: str, seen: dict[str, int]) -> tuple[str, list[str]]:
    """The UPN as stored (capitals, no spaces), and what is wrong with it."""
    upn = raw.upper().replace(" ", "")
    if not upn:
        return upn, ["the UPN is missing"]
    if not UPN_PATTERN.match(upn):
        return upn, [f"the UPN {raw!r} is not 13 characters: a letter, 11 digits and a digit or letter"]
    if upn in seen:
        return upn, [f"the UPN {upn} is also on line {seen[upn]}"]
    return upn, []


def _check_names(values: dict[str, str]) -> list[str]:
    """What is wrong with the legal names."""
    reasons = []
    for name in ("legal_first_name", "legal_last_name"):
        if not values[name]:
            reasons.append(f"the {FIELD_LABELS[name]} is missing")
        elif len(values[name]) > 100:
            reasons.append(f"the {FIELD_LABELS[name]} is longer than 100 characters")
    return reasons


def _check_dates(values: dict[str, str], row: dict[str, Any], today: date) -> list[str]:
    """Put the date of birth and leaving date into ``row``; return what is wrong with them."""
    reasons = []
    written = values["date_of_birth"]
    try:
        born = _parse_date(written)
    except ValueError:
        reasons.append(f"the date of birth {written!r} is not a date (write it as DD/MM/YYYY)")
    else:
        if born > today:
            reasons.append(f"the date of birth {written} is in the future")
        elif born.year < today.year - 30:
            reasons.append(f"the date of birth {written} is not a pupil's")
        row["date_of_birth"] = born
    if values.get("left_on"):
        try:
            row["left_on"] = _parse_date(values["left_on"])
        except ValueError:
            reasons.append(f"the leaving date {values['left_on']!r} is not a date")
    return reasons


def _check_flags(values: dict[str, str], row: dict[str, Any]) -> list[str]:
    """Put the flags the file has into ``row``; return what is wrong with them."""
    reasons = []
    for flag in PUPIL_FLAGS:
        if flag in values:
            try:
                row[flag] = _parse_flag(values[flag], flag)
            except ValueError:
                reasons.append(f"{FIELD_LABELS[flag]} {values[flag]!r} is not yes or no")
    return reasons


def _check_row(values: dict[str, str], seen: dict[str, int], today: date) -> tuple[dict[str, Any], list[str]]:
    """One row of the file as a pupil's fields, and every reason it cannot be imported."""
    upn, reasons = _check_upn(values["upn"], seen)
    reasons += _check_names(values)
    row: dict[str, Any] = {
        "upn": upn,
        "legal_first_name": values["legal_first_name"],
        "legal_last_name": values["legal_last_name"],
        "preferred_name": values.get("preferred_name") or None,
        "year_group": values.get("year_group", "")[:20],
        "class_name": values.get("class_name", "")[:40],
        "destination_school": values.get("destination_school") or None,
    }
    reasons += _check_dates(values, row, today)
    reasons += _check_flags(values, row)
    return row, reasons


def parse(data: bytes, today: date) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """Read and validate every row; return the good rows and every problem."""
    reader, mapping = _read(data)
    rows: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        if line > MAX_ROWS + 1:
            raise ImportError_(f"The file has more than {MAX_ROWS:,} pupils; split it into smaller files.")
        if not any(cell.strip() for cell in raw):
            continue
        values = {f: (raw[i].strip() if i < len(raw) else "") for f, i in mapping.items()}
        row, reasons = _check_row(values, seen, today)
        if reasons:
            problems.append(RowProblem(line, "; ".join(reasons)))
        else:
            seen[row["upn"]] = line
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


# A file of the roll (names, dates of birth, child protection flags) waits between the preview and the confirmation
# and no longer: it is deleted on confirmation, on cancelling, and once older than IMPORT_STASH_MINUTES (by the
# notify worker's sweep, or when it is next asked for).
_TOKEN = re.compile(r"[0-9a-f]{32}")


def stash_folder() -> Path:
    """The folder (``instance/imports``) where files wait between their preview and their confirmation."""
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _stash_paths(token: str) -> tuple[Path, Path] | None:
    if not _TOKEN.fullmatch(token or ""):  # our own tokens only: never a path from outside
        return None
    folder = stash_folder()
    return folder / f"{token}.csv", folder / f"{token}.json"


def stash_import(data: bytes, user_id: int, school_id: int) -> str:
    """Keep a previewed file for its confirmation by the same person; return the token that names it."""
    token = secrets.token_hex(16)
    paths = _stash_paths(token)
    if paths is None:  # never: token_hex gives a token of the form _stash_paths accepts
        raise ValueError("not a stash token")
    data_path, meta_path = paths
    data_path.write_bytes(data)
    data_path.chmod(0o600)
    meta_path.write_text(json.dumps({"user": user_id, "school": school_id}), encoding="utf-8")
    return token


def _belongs_to(token: str, user_id: int, school_id: int) -> bool:
    """Whether ``token`` names a file this person stashed for this school."""
    paths = _stash_paths(token)
    if paths is None:
        return False
    try:
        meta: dict[str, object] = json.loads(paths[1].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta.get("user") == user_id and meta.get("school") == school_id


def take_stashed_import(token: str, user_id: int, school_id: int) -> bytes | None:
    """The file stashed under ``token`` by this person, deleted from the folder as it is handed over.

    None when there is no such file, it is someone else's, or it has expired (an expired file is deleted too).
    """
    paths = _stash_paths(token)
    if paths is None or not _belongs_to(token, user_id, school_id):
        return None
    data_path, _ = paths
    try:
        data = None if _expired(data_path, time.time()) else data_path.read_bytes()
    except OSError:
        data = None
    _drop(token)
    return data


def cancel_stashed_import(token: str, user_id: int, school_id: int) -> bool:
    """Delete this person's stashed file without importing it; return whether there was one."""
    if not _belongs_to(token, user_id, school_id):
        return False
    _drop(token)
    return True


def _drop(token: str) -> None:
    for path in _stash_paths(token) or ():
        path.unlink(missing_ok=True)


def _expired(path: Path, now: float) -> bool:
    """Whether a stashed file was written longer than ``IMPORT_STASH_MINUTES`` before ``now``."""
    return path.stat().st_mtime < now - float(current_app.config["IMPORT_STASH_MINUTES"]) * 60


def sweep_stashed_imports(now: float | None = None) -> int:
    """Delete every stashed file older than ``IMPORT_STASH_MINUTES``; return how many imports were removed.

    :param now: seconds since the epoch (the current time by default).
    """
    now = time.time() if now is None else now
    removed = 0
    for path in stash_folder().iterdir():
        try:
            if _expired(path, now):
                path.unlink()
                removed += 1 if path.suffix == ".csv" else 0
        except FileNotFoundError:  # taken or cancelled meanwhile
            continue
    return removed


class PupilError(ValueError):
    """A rule about pupils was broken; the message is fit to show beside ``field``."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def mark_left(pupil: Pupil, left_on: date, destination: str | None, actor: User, today: date) -> None:
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


def record_view(pupil: Pupil, user: User) -> None:
    """Audit that a person opened a child's safeguarding record (every view, even with a rejected action)."""
    audit.record_read(
        "pupil.viewed",
        "Pupil's safeguarding record viewed",
        school_id=pupil.school_id,
        actor_id=user.id,
        subject_type="pupil",
        subject_id=pupil.id,
    )


def record_search(words: str, results: int, user: User) -> None:
    """Audit a search for pupils (the list of pupils, or the type-ahead of the concern form)."""
    audit.record_search("pupil.searched", words.split(), results, school_id=user.school_id, actor_id=user.id)


# ---------------------------------------------------------------------------------------------------------------
# What a child's page shows around the chronology


@dataclass(frozen=True)
class Surroundings:
    """What a child's page shows beside their details, each part from the package that owns it."""

    received_files: list[transfers_store.ReceivedFile]
    # The concerns about adults involving the child that the reader may see (none for everyone else: the child's own
    # chronology never records them).
    adult_concerns: list[adults_store.CaseRow]
    contacts: list[mis_store.ContactRow]
    siblings: list[mis_store.Sibling]


_SURROUNDINGS = select(
    transfers_store.received_column(),
    adults_store.child_cases_column(),
    mis_store.contacts_column(),
    mis_store.siblings_column(),
)


def surroundings(reader: User, pupil: Pupil) -> Surroundings:
    """The files received for a child of the reader's school, the concerns about adults involving them, their
    contacts and the children who share one, in one statement (four small lists cost more in statements than in the
    rows they read). Every list is read in the reader's school, as the concerns about adults must be."""
    values = adults_viewer(reader).values(pupil_id=pupil.id)
    row = transaction_connection().execute(_SURROUNDINGS, values).one()
    return Surroundings(
        received_files=transfers_store.received_of(row.received),
        adult_concerns=adults_store.child_cases_of(row.adult_cases),
        contacts=mis_store.contacts_of(row.contacts),
        siblings=mis_store.siblings_of(row.siblings),
    )
