"""The retention schedule (``terminology/<locale>/retention.yaml``): reviewed data, validated like the vocabulary.

The schema below is the file's format; what a schema cannot say (each kind of record listed once, a source that
``sources`` names, a category of the vocabulary) is checked after it. Every problem is reported as
``file: record: field: message``. The app refuses to start on an invalid schedule, and
``flask --app safeguard retention lint`` reports every problem.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from safeguard.core.datafiles import DataFileError, Schema, at_least_one, duplicate_ids, load, problem

FILE_NAME = "retention.yaml"
# The kinds of record the schedule must cover, each once (the list; the app reads them by these ids).
KINDS = ("child-file", "concerns-about-adults", "attachments", "pupil-imports", "outbox", "audit")
CHILD_FILE = "child-file"
OUTBOX = "outbox"
Start = Literal["date-of-birth", "last-entry", "created", "sent"]


class ScheduleError(DataFileError):
    """The retention schedule is invalid; ``problems`` lists ``file: record: field: message`` for each."""

    title = "invalid retention schedule"


class LongerEntry(Schema):
    """``longer_for``: a longer period for a child's file holding a concern of one of these categories."""

    categories: Annotated[tuple[str, ...], at_least_one("must list at least one category")]
    from_: Start = Field(alias="from")
    years: int = Field(gt=0, le=200)
    source: str


class RecordEntry(Schema):
    """One kind of record: how long it is kept, from when, and what happens then."""

    id: str
    label: str
    from_: Start = Field(alias="from")
    years: int | None = Field(None, gt=0, le=200)
    days: int | None = Field(None, gt=0, le=36500)
    then: Literal["review", "delete"]
    source: str
    note: str = ""
    longer_for: tuple[LongerEntry, ...] = ()

    @model_validator(mode="after")
    def _one_period(self) -> RecordEntry:
        if (self.years is None) == (self.days is None):
            raise ValueError("give the period in years or in days (one of them)")
        return self


class ScheduleFile(Schema):
    """``retention.yaml``."""

    entry_lists: ClassVar[Mapping[str, str]] = {"records": "record"}
    part_lists: ClassVar[Mapping[str, str]] = {"longer_for": "longer period"}
    file_entry: ClassVar[str] = "(schedule)"

    version: str
    sources: dict[str, str]
    records: Annotated[tuple[RecordEntry, ...], at_least_one("must list the kinds of record")]

    def problems(self, category_ids: Iterable[str] | None) -> list[str]:
        """Each kind listed once, sources named, categories known (when ``category_ids`` is given)."""
        found = duplicate_ids(FILE_NAME, self.records) + _kinds(self.records)
        known = set(category_ids) if category_ids is not None else None
        for record in self.records:
            found += _record_problems(record, self.sources, known)
        return found


def _kinds(records: tuple[RecordEntry, ...]) -> list[str]:
    """Every kind of :data:`KINDS` listed, and nothing else."""
    listed = {record.id for record in records}
    found = [
        problem(FILE_NAME, r.id, "id", f"is not a kind of record (known: {', '.join(KINDS)})")
        for r in records
        if r.id not in KINDS
    ]
    return found + [
        problem(FILE_NAME, "(schedule)", "records", f"must list {kind!r}") for kind in KINDS if kind not in listed
    ]


def _record_problems(record: RecordEntry, sources: Mapping[str, str], known: set[str] | None) -> list[str]:
    """A record's sources are named, and its longer periods are longer and about categories of the vocabulary."""
    named = [record.source, *(longer.source for longer in record.longer_for)]
    found = [
        problem(FILE_NAME, record.id, "source", f"{source!r} is not one of the sources")
        for source in named
        if source not in sources
    ]
    if record.longer_for and record.id != CHILD_FILE:
        found.append(problem(FILE_NAME, record.id, "longer_for", "applies only to the child-file"))
    for longer in record.longer_for:
        if record.years is not None and longer.years < record.years and longer.from_ == record.from_:
            found.append(problem(FILE_NAME, record.id, "longer_for", "must not be shorter than the period"))
        if known is not None:
            found += [
                problem(FILE_NAME, record.id, "longer_for", f"{c!r} is not a category of the vocabulary")
                for c in longer.categories
                if c not in known
            ]
    return found


@dataclass(frozen=True)
class Longer:
    """A longer period for files holding a concern of these categories."""

    categories: frozenset[str]
    start: str
    years: int
    source: str


@dataclass(frozen=True)
class Period:
    """How long one kind of record is kept."""

    id: str
    label: str
    start: str
    years: int | None
    days: int | None
    then: str
    source: str
    note: str
    longer: tuple[Longer, ...]

    @property
    def wording(self) -> str:
        """ "25 years from the date of birth", as the pages say it."""
        amount = f"{self.years} years" if self.years is not None else f"{self.days} days"
        return f"{amount} from {START_WORDS[self.start]}"


START_WORDS = {
    "date-of-birth": "the date of birth",
    "last-entry": "the last concern logged",
    "created": "when it was made",
    "sent": "when it was sent",
}


@dataclass(frozen=True)
class Schedule:
    """The validated schedule."""

    version: str
    sources: dict[str, str]
    periods: dict[str, Period]

    def period(self, kind: str) -> Period:
        """The period of a kind of record (every kind of :data:`KINDS` is there)."""
        return self.periods[kind]


def _schedule(file: ScheduleFile) -> Schedule:
    periods = {
        r.id: Period(
            id=r.id,
            label=r.label,
            start=r.from_,
            years=r.years,
            days=r.days,
            then=r.then,
            source=r.source,
            note=r.note,
            longer=tuple(Longer(frozenset(x.categories), x.from_, x.years, x.source) for x in r.longer_for),
        )
        for r in file.records
    }
    return Schedule(version=file.version, sources=dict(file.sources), periods=periods)


def load_schedule(folder: Path, category_ids: Iterable[str] | None = None) -> Schedule:
    """Read and validate ``folder/retention.yaml``; :class:`ScheduleError` lists every problem."""
    try:
        file = load(ScheduleFile, folder / FILE_NAME)
    except DataFileError as error:
        raise ScheduleError(error.problems) from None
    found = file.problems(category_ids)
    if found:
        raise ScheduleError(found)
    return _schedule(file)


_cache: dict[Path, Schedule] = {}
_lock = threading.Lock()


def cached_schedule(folder: Path, category_ids: Iterable[str]) -> Schedule:
    """The schedule of ``folder``, read once per process."""
    found = _cache.get(folder)
    if found is None:
        with _lock:
            found = _cache.get(folder) or load_schedule(folder, category_ids)
            _cache[folder] = found
    return found


def clear_cache() -> None:
    """Forget the schedules read (tests, and the lint command)."""
    _cache.clear()


def add_years(day: date, years: int) -> date:
    """``day`` ``years`` later; 29 February becomes 28 February in a year that has none."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def file_due(
    period: Period, born: date, last_logged: datetime | None, categories: Iterable[str], lengthened_years: int | None
) -> tuple[date, str]:
    """When a child's file comes due for review, and why (the rule that gave the date).

    :param lengthened_years: the school's own period, when it lengthened the schedule's (never shorter).
    """
    years = max(period.years or 0, lengthened_years or 0)
    due, basis = add_years(born, years), f"{years} years from the date of birth ({period.source})"
    held = set(categories)
    for longer in period.longer:
        if not (held & longer.categories):
            continue
        start = born if longer.start == "date-of-birth" or last_logged is None else last_logged.date()
        candidate = add_years(start, longer.years)
        if candidate > due:
            due, basis = candidate, f"{longer.years} years from {START_WORDS[longer.start]} ({longer.source})"
    return due, basis
