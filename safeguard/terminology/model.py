"""The vocabulary's data types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Severity = Literal["avoid", "caution"]
# How a preferred term reads in a flagged form's place (see grammar.py): a countable or uncountable noun, an -ing
# form, a predicate after "is" or "was", or a verb in the past, the present (after he, she or a name) or the base
# form (after "to", "will", "did"...).
UseKind = Literal["count", "mass", "ing", "after-be", "past", "present", "base"]


@dataclass
class Category:
    """A category of concern (a leaf) or a group of categories (``parent`` is ``None``)."""

    id: str
    label: str
    definition: str
    source: str
    parent: str | None = None
    sensitive_imagery: bool = False
    urgent_by_default: bool = False
    # Handling guidance shown to the person logging a concern in this category.
    guidance: str | None = None
    children: list[Category] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        """Whether this is a group rather than a category a concern can be filed under."""
        return self.parent is None


@dataclass(frozen=True)
class Use:
    """How one preferred term is written in place of some forms of a term, so that the sentence still reads."""

    forms: tuple[str, ...]
    kind: UseKind
    # The words put in the form's place.
    say: str
    # The preferred term these words write (one of the term's ``preferred``).
    preferred: str
    # For a noun: the words in place of the plural form ("children who are being sexually exploited").
    plural: str | None = None
    # After "has", "had", "was", "been"...: "been sexually exploited" for "slept around" in "she had slept around".
    participle: str | None = None
    # A verb's object: a preposition put before it ("with"), "direct" (it follows as it is), "no" (none may follow);
    # ``None``: what follows is not looked at.
    object: str | None = None
    # For a noun: the words that stand before another noun ("domestic abuse" in "a domestic abuse incident").
    modifier: str | None = None


@dataclass(frozen=True)
class Term:
    """A term to avoid or use with caution, with its variants and what to say instead."""

    id: str
    term: str
    variants: tuple[str, ...]
    severity: Severity
    preferred: tuple[str, ...]
    reason: str
    source: str
    # How the preferred terms read in place of the forms; a form no use covers gets no replacement offered.
    uses: tuple[Use, ...] = ()

    @property
    def forms(self) -> tuple[str, ...]:
        """The term and every variant."""
        return (self.term, *self.variants)


@dataclass(frozen=True)
class Agency:
    """Somewhere a concern can be reported."""

    id: str
    name: str
    kind: str
    country: str
    # A web address or a telephone number.
    address: str
    # When the entry was last confirmed: numbers and addresses change.
    checked: date
    source: str = ""

    @property
    def is_web(self) -> bool:
        """Whether the address is a web address (rather than a telephone number)."""
        return self.address.startswith(("http://", "https://"))


# The outlines of the body map: front, back, each side, and a closer outline of the head and face.
BODY_VIEWS = ("front", "back", "left", "right", "head")
# A side of the body, always the child's own.
Side = Literal["left", "right"]
# A box on an outline: left, top, right, bottom, as fractions (0 to 1) of the outline's width and height.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class BodyRegion:
    """A part of the body a mark is recorded on, and where it is on each outline it appears on."""

    id: str
    label: str
    # Whether the child has a left and a right one (a forearm), or one (the chest).
    sided: bool
    # By outline (``front``, ``back``, ``side``, ``head``): the box on the viewer's left for a sided region on the
    # front, back and head; on the outline of the child's left side for ``side`` (see body-map.yaml).
    boxes: dict[str, Box]

    def named(self, side: str | None) -> str:
        """The region as the record writes it: "Left forearm", "Chest"."""
        return f"{side.capitalize()} {self.label[0].lower()}{self.label[1:]}" if self.sided and side else self.label

    def box_on(self, view: str, side: str | None) -> Box | None:
        """The region's box on an outline (``view`` one of :data:`BODY_VIEWS`) for the child's ``side``, or
        ``None`` when the region is not drawn on it (or not on that side of a side outline)."""
        if view in ("left", "right"):
            box = self.boxes.get("side")
            if box is None or (self.sided and side != view):
                return None
            return _mirrored(box) if view == "right" else box
        box = self.boxes.get(view)
        if box is None:
            return None
        # The viewer's left is the child's right on the front and the head, and the child's left on the back.
        viewers_left = "left" if view == "back" else "right"
        return box if not self.sided or side == viewers_left else _mirrored(box)

    def sides_on(self, view: str) -> tuple[str | None, ...]:
        """The sides of the region drawn on an outline: ``(None,)`` for a region with no sides."""
        if not self.sided:
            return (None,)
        return tuple(side for side in ("left", "right") if self.box_on(view, side) is not None)


def _mirrored(box: Box) -> Box:
    left, top, right, bottom = box
    return (1 - right, top, 1 - left, bottom)


@dataclass(frozen=True)
class BodyMapVocabulary:
    """The body map's controlled lists: the outlines, the regions with their places, the kinds of mark."""

    views: dict[str, str]
    regions: dict[str, BodyRegion]
    kinds: dict[str, str]

    def region_at(self, view: str, x: float, y: float) -> tuple[BodyRegion, str | None] | None:
        """The region and side at a point of an outline (fractions of its width and height): the smallest box
        holding the point, or ``None`` when the point is on no region."""
        found = [
            ((box[2] - box[0]) * (box[3] - box[1]), region, side)
            for region in self.regions.values()
            for side in region.sides_on(view)
            if (box := region.box_on(view, side)) is not None and box[0] <= x <= box[2] and box[1] <= y <= box[3]
        ]
        if not found:
            return None
        _, region, side = min(found, key=lambda item: item[0])
        return region, side

    def place(self, region: BodyRegion, side: str | None) -> tuple[str, float, float]:
        """Where a mark chosen from the list is drawn: on the first outline showing the region, at the point of its
        box nearest the centre that a tap would read as this region (a smaller region, such as the arm on the side
        of the body, may lie over the centre)."""
        first: tuple[str, float, float] | None = None
        for view in BODY_VIEWS:
            box = region.box_on(view, side)
            if box is None:
                continue
            for x, y in _points_from_centre(box):
                if first is None:
                    first = (view, x, y)
                found = self.region_at(view, x, y)
                if found is not None and found[0].id == region.id and found[1] == side:
                    return view, x, y
        if first is None:
            raise ValueError(f"the region {region.id!r} is on no outline")
        return first


def _points_from_centre(box: Box, steps: int = 8) -> list[tuple[float, float]]:
    """Points across a box on a grid, the centre first and then outwards."""
    left, top, right, bottom = box
    centre = ((left + right) / 2, (top + bottom) / 2)
    grid = [
        (round(left + (right - left) * i / steps, 4), round(top + (bottom - top) * j / steps, 4))
        for i in range(1, steps)
        for j in range(1, steps)
    ]
    return [
        (round(centre[0], 4), round(centre[1], 4)),
        *sorted(grid, key=lambda p: (p[0] - centre[0]) ** 2 + (p[1] - centre[1]) ** 2),
    ]


@dataclass
class Vocabulary:
    """One locale's reviewed vocabulary."""

    locale: str
    version: str
    sources: dict[str, str]
    groups: list[Category]
    categories: dict[str, Category]
    terms: list[Term]
    allowed: list[str]
    agencies: list[Agency]
    # The body map's regions and kinds of mark (``<locale>/body-map.yaml``).
    body_map: BodyMapVocabulary
    # Guided-response protocols by id (``<locale>/protocols/*.yaml``), validated with the rest.
    protocols: dict = field(default_factory=dict)
    # Pages' fragments built from this vocabulary, kept with it: it does not change once loaded (a new version is
    # a new object), and some are on every visit to the queue.
    rendered: dict = field(default_factory=dict, repr=False, compare=False)

    def category(self, category_id: str) -> Category | None:
        """The category or group with this id, or ``None``."""
        return self.categories.get(category_id)

    def agency(self, agency_id: str) -> Agency | None:
        """The agency with this id, or ``None``."""
        return next((a for a in self.agencies if a.id == agency_id), None)

    @property
    def leaves(self) -> list[Category]:
        """Every category a concern can be filed under, in display order."""
        return [child for group in self.groups for child in group.children]
