"""The rules of the body map: what a mark must say, where it is drawn, and the child's combined map over a period.

A mark is recorded with the concern as logged, or added to it later in a new chronology entry; it is never changed
(the database refuses too). The concerns' services own the entries and call :func:`check_marks` and
:func:`record_marks`; this module knows nothing of concerns beyond their ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from safeguard.auth.permissions import Viewer
from safeguard.bodymap import store
from safeguard.terminology import get_vocabulary
from safeguard.terminology.model import BODY_VIEWS, BodyMapVocabulary, BodyRegion

# A reporter's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
MAX_MARKS = 30
MAX_CM = 100.0
TEXT_LENGTH = 200
WORDS_LENGTH = 5000
_NUMBER = re.compile(r"^\s*(\d{1,3}(?:[.,]\d{1,2})?)\s*(?:cm)?\s*$", re.IGNORECASE)


class BodyMapError(ValueError):
    """A mark breaks a rule; the message names the mark by its number and is fit to show."""


@dataclass(frozen=True)
class NewMark:
    """One mark as the person entered it (text as typed; the place as the outline sent it, when tapped)."""

    region_id: str = ""
    side: str = ""
    view: str = ""
    x: str = ""
    y: str = ""
    kind: str = ""
    length_cm: str = ""
    width_cm: str = ""
    shape: str = ""
    colour: str = ""
    seen_at: datetime | None = None
    child_words: str = ""
    pupil_id: int | None = None

    @property
    def blank(self) -> bool:
        """Whether nothing was entered (the empty row a form always offers)."""
        typed = (self.region_id, self.view, self.kind, self.length_cm, self.width_cm, self.shape, self.colour)
        return not any(v.strip() for v in (*typed, self.child_words)) and self.seen_at is None


@dataclass(frozen=True)
class Child:
    """A child of the concern a mark may be on."""

    pupil_id: int
    is_subject: bool


@dataclass(frozen=True)
class CheckedMark:
    """A mark that passed every rule, as it will be stored."""

    pupil_id: int
    region_id: str
    region_label: str
    side: str | None
    view: str
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


def body_map() -> BodyMapVocabulary:
    """The body map's regions and kinds of mark, from the vocabulary in force."""
    return get_vocabulary().body_map


def _point(mark: NewMark) -> tuple[str, float, float] | None:
    """The place tapped on an outline, or ``None`` when none was sent (or it is not a place on an outline)."""
    try:
        x, y = float(mark.x), float(mark.y)
    except ValueError:
        return None
    if mark.view not in BODY_VIEWS or not (0 <= x <= 1 and 0 <= y <= 1):
        return None
    return mark.view, x, y


def _region(number: int, mark: NewMark, vocabulary: BodyMapVocabulary) -> tuple[BodyRegion, str | None]:
    """The region and side: as chosen from the list, or where the mark was placed on the outline."""
    point = _point(mark)
    tapped = vocabulary.region_at(*point) if point else None
    if not mark.region_id.strip():
        if tapped is None:
            where = " (the place tapped is not on the body)" if point else ""
            raise BodyMapError(f"Mark {number}: choose the part of the body from the list{where}.")
        return tapped
    region = vocabulary.regions.get(mark.region_id.strip())
    if region is None:
        raise BodyMapError(f"Mark {number}: choose the part of the body from the list.")
    if not region.sided:
        return region, None
    side = mark.side.strip()
    if side not in ("left", "right") and tapped is not None and tapped[0].id == region.id:
        side = tapped[1] or ""
    if side not in ("left", "right"):
        raise BodyMapError(f"Mark {number}: say which side of the body it is on: the child's left or right.")
    return region, side


def _place(
    mark: NewMark, region: BodyRegion, side: str | None, vocabulary: BodyMapVocabulary
) -> tuple[str, float, float, bool]:
    """Where the mark is drawn: where it was placed, when that is on the region chosen; else the region's centre
    (a region chosen from the list after a tap elsewhere is drawn where the words say)."""
    point = _point(mark)
    if point is not None:
        box = region.box_on(point[0], side)
        if box is not None and box[0] <= point[1] <= box[2] and box[1] <= point[2] <= box[3]:
            return (*point, True)
    return (*vocabulary.place(region, side), False)


def _centimetres(number: int, text: str, what: str, required: bool) -> float | None:
    if not text.strip():
        if required:
            raise BodyMapError(
                f"Mark {number}: give its {what} in centimetres, an estimate if need be (for example 3)."
            )
        return None
    match = _NUMBER.match(text)
    value = float(match.group(1).replace(",", ".")) if match else 0.0
    if not 0 < value <= MAX_CM:
        raise BodyMapError(f"Mark {number}: give its {what} as a number of centimetres, for example 3 or 2.5.")
    return value


def _child(number: int, mark: NewMark, children: Sequence[Child]) -> int:
    ids = [c.pupil_id for c in children]
    if mark.pupil_id is not None:
        if mark.pupil_id not in ids:
            raise BodyMapError(f"Mark {number}: choose a child of this concern.")
        return mark.pupil_id
    subjects = [c.pupil_id for c in children if c.is_subject]
    if len(subjects) == 1 or len(ids) == 1:
        return subjects[0] if len(subjects) == 1 else ids[0]
    raise BodyMapError(f"Mark {number}: choose which child the mark is on.")


def _texts(number: int, mark: NewMark, kind: str) -> tuple[str, str, str]:
    shape, colour, words = mark.shape.strip(), mark.colour.strip(), mark.child_words.strip()
    if len(shape) > TEXT_LENGTH or len(colour) > TEXT_LENGTH:
        raise BodyMapError(f"Mark {number}: write its shape and colour in at most {TEXT_LENGTH} characters each.")
    if len(words) > WORDS_LENGTH:
        raise BodyMapError(f"Mark {number}: the child's words can be at most {WORDS_LENGTH} characters.")
    if kind == "other" and not shape:
        raise BodyMapError(f"Mark {number}: describe the mark in “Shape”, since its kind is “other”.")
    return shape, colour, words


def _check_one(
    number: int, mark: NewMark, children: Sequence[Child], seen_by_default: datetime, now: datetime
) -> CheckedMark:
    vocabulary = body_map()
    region, side = _region(number, mark, vocabulary)
    view, x, y, placed = _place(mark, region, side, vocabulary)
    if mark.kind not in vocabulary.kinds:
        raise BodyMapError(f"Mark {number}: choose what kind of mark it is.")
    seen_at = mark.seen_at or seen_by_default
    if seen_at > now + CLOCK_SKEW:
        raise BodyMapError(f"Mark {number}: when it was seen cannot be in the future.")
    shape, colour, words = _texts(number, mark, mark.kind)
    return CheckedMark(
        pupil_id=_child(number, mark, children),
        region_id=region.id,
        region_label=region.named(side),
        side=side,
        view=view,
        x=x,
        y=y,
        placed_on_outline=placed,
        kind=mark.kind,
        length_cm=_centimetres(number, mark.length_cm, "length", required=True) or 0.0,
        width_cm=_centimetres(number, mark.width_cm, "width", required=False),
        shape=shape,
        colour=colour,
        seen_at=seen_at,
        child_words=words,
    )


def check_marks(
    marks: Sequence[NewMark],
    children: Sequence[Child],
    seen_by_default: datetime,
    now: datetime,
    first_number: int = 1,
) -> list[CheckedMark]:
    """Every rule a mark must pass; the rows left blank are set aside. Raises :class:`BodyMapError`.

    :param children: the concern's children: a mark is on one of them (the child the concern is about, when there
        is one and no other was chosen).
    :param seen_by_default: when a mark was seen if the person did not say (when the concern happened, or now).
    :param first_number: the number the form gives its first row (the concern's next mark): messages name rows so.
    """
    if sum(1 for mark in marks if not mark.blank) > MAX_MARKS:
        raise BodyMapError(f"Record at most {MAX_MARKS} marks at a time.")
    return [
        _check_one(first_number + row, mark, children, seen_by_default, now)
        for row, mark in enumerate(marks)
        if not mark.blank
    ]


def written_text(marks: Sequence[CheckedMark]) -> str:
    """The words staff wrote about the marks (their shapes and colours), for the terminology gate. The child's own
    words are recorded verbatim and never checked, as text in quotation marks is not."""
    return "\n".join(f"{m.shape}\n{m.colour}" for m in marks)


def record_marks(
    school_id: int, concern_id: int, event_id: int, recorded_by_id: int, marks: Sequence[CheckedMark], now: datetime
) -> None:
    """Store checked marks, recorded by the chronology entry ``event_id``."""
    store.insert_marks(
        [
            {
                **vars(mark),
                "school_id": school_id,
                "concern_id": concern_id,
                "event_id": event_id,
                "recorded_by_id": recorded_by_id,
                "recorded_at": now,
            }
            for mark in marks
        ]
    )


def next_number(school_id: int, concern_id: int) -> int:
    """The number the concern's next mark will have (marks are numbered in the order they were recorded)."""
    return store.count_marks(school_id, concern_id) + 1


def concern_marks(school_id: int, concern_id: int) -> list[store.MarkRow]:
    """A concern's marks, numbered by their order (the first is 1)."""
    return store.concern_marks(school_id, concern_id)


# The periods a child's combined body map can show, by the number of days before today (None: every mark); "dates"
# is the dates given.
PERIODS = {
    "3m": ("The last 3 months", 92),
    "12m": ("The last 12 months", 366),
    "all": ("Every mark", None),
    "dates": ("Between the dates below", None),
}
DEFAULT_PERIOD = "12m"


@dataclass(frozen=True)
class CombinedMap:
    """A child's marks across their concerns, for the period chosen (or the dates given)."""

    marks: list[store.MarkRow]
    # One of PERIODS, or "dates" when dates were given.
    period: str
    start: datetime | None
    end: datetime | None

    @property
    def numbered(self) -> list[tuple[int, store.MarkRow]]:
        """The marks with their numbers on the map (1 is the oldest)."""
        return list(enumerate(self.marks, 1))

    @property
    def last_day(self) -> datetime | None:
        """The last day the period covers (its end is the start of the next day)."""
        return self.end - timedelta(days=1) if self.end is not None else None


def combined_map(
    school_id: int,
    pupil_id: int,
    period: str,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    viewer: Viewer,
) -> CombinedMap:
    """The marks on a child seen in a period: one of :data:`PERIODS`; for ``dates``, from ``start`` up to ``end``
    (either may be open). Anything unknown, or ``dates`` without a date, is the default period."""
    if period not in PERIODS or (period == "dates" and start is None and end is None):
        period = DEFAULT_PERIOD
    if period != "dates":
        days = PERIODS[period][1]
        start, end = (now - timedelta(days=days) if days is not None else None), None
    low = start or datetime(1900, 1, 1, tzinfo=now.tzinfo)
    high = end or now + timedelta(days=1)
    return CombinedMap(store.pupil_marks(school_id, pupil_id, low, high, viewer), period, start, end)


def locate(view: str, x: str, y: str, region_id: str, side: str) -> dict[str, object]:
    """What the outlines' script shows for a tap (``view``, ``x``, ``y``) or a region chosen from the list
    (``region_id``, ``side``): the region, side and name, and where the mark is drawn (``region`` is ``None`` when
    the tap is on no part of the body, or the region is unknown)."""
    vocabulary = body_map()
    mark = NewMark(view=view, x=x, y=y, region_id=region_id, side=side)
    point = _point(mark)
    if region_id:
        region = vocabulary.regions.get(region_id)
        chosen = (region, side if side in ("left", "right") and region.sided else None) if region else None
    else:
        chosen = vocabulary.region_at(*point) if point else None
    if chosen is None:
        return {"region": None}
    region, side_found = chosen
    drawn = _place(mark, region, side_found, vocabulary) if not region.sided or side_found else None
    return {
        "region": region.id,
        "side": side_found or "",
        "label": region.named(side_found),
        "sided": region.sided,
        "view": drawn[0] if drawn else None,
        "x": drawn[1] if drawn else None,
        "y": drawn[2] if drawn else None,
    }
