"""The outlines marks are placed on: one drawing, shown by the pages as SVG and by the PDFs with ReportLab.

A child's proportions (a head about a fifth of the height), neutral and ungendered. Each outline is a few simple
shapes in its own units (``width`` by ``height``); a mark's place is stored as fractions of those, so it lands on
the same spot however large the outline is drawn. The boxes that say which part of the body a point is on are
vocabulary data (``terminology/<locale>/body-map.yaml``), drawn to fit these shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ShapeKind = Literal["ellipse", "rect", "polygon", "line"]


@dataclass(frozen=True)
class Shape:
    """One shape of an outline. ``points``: an ellipse's centre and radii (cx, cy, rx, ry); a rectangle's corner and
    size (x, y, w, h); a polygon's or a line's points (x1, y1, x2, y2...)."""

    kind: ShapeKind
    points: tuple[float, ...]
    # A feature (the eyes on the head outline) drawn lighter than the silhouette.
    feature: bool = False

    def mirrored(self, width: float) -> Shape:
        """The shape reflected left to right within an outline ``width`` wide."""
        p = self.points
        if self.kind == "ellipse":
            return Shape(self.kind, (width - p[0], *p[1:]), self.feature)
        if self.kind == "rect":
            return Shape(self.kind, (width - p[0] - p[2], *p[1:]), self.feature)
        flipped = tuple(width - v if i % 2 == 0 else v for i, v in enumerate(p))
        return Shape(self.kind, flipped, self.feature)

    @property
    def svg_points(self) -> str:
        """A polygon's or a line's points as SVG writes them."""
        return " ".join(f"{self.points[i]:g},{self.points[i + 1]:g}" for i in range(0, len(self.points), 2))


@dataclass(frozen=True)
class Outline:
    """One view of the body: its id (``front``, ``back``, ``left``, ``right``, ``head``), size and shapes."""

    view: str
    width: float
    height: float
    shapes: tuple[Shape, ...]


def _symmetric(centre: tuple[Shape, ...], one_side: tuple[Shape, ...], width: float = 100) -> tuple[Shape, ...]:
    return centre + one_side + tuple(shape.mirrored(width) for shape in one_side)


# Front and back share the silhouette: head, neck, trunk, and each arm, hand, leg and foot.
_BODY = _symmetric(
    (
        Shape("ellipse", (50, 20, 14, 16)),
        Shape("rect", (44, 34, 12, 9)),
        Shape("polygon", (31, 46, 37, 41, 63, 41, 69, 46, 67, 90, 68, 104, 32, 104, 33, 90)),
    ),
    (
        Shape("ellipse", (35.5, 21, 2.2, 4.5)),
        Shape("polygon", (31, 44, 24, 50, 21, 77, 17, 106, 23, 107, 27, 79, 31, 60)),
        Shape("ellipse", (20, 113, 4.2, 7)),
        Shape("polygon", (32, 103, 49, 106, 47, 145, 46, 182, 36, 182, 34, 145)),
        Shape("ellipse", (41, 186, 6, 3.5)),
    ),
)
# The front has a face, so that it is not mistaken for the back.
_FACE = _symmetric(
    (Shape("line", (46.5, 27, 50, 28, 53.5, 27), feature=True),),
    (Shape("ellipse", (44.5, 18.5, 1.8, 1), feature=True),),
)
# The child's left side, facing the viewer's left: the right side is its mirror.
_LEFT_SIDE = (
    Shape("ellipse", (50, 20, 15, 16)),
    Shape("ellipse", (35.5, 21, 2, 3)),
    Shape("ellipse", (54, 21, 2.5, 4.5)),
    Shape("rect", (45, 34, 10, 9)),
    Shape("polygon", (39, 46, 44, 41, 57, 41, 61, 46, 62, 75, 60, 92, 62, 104, 38, 104, 39, 90, 37, 72)),
    Shape("polygon", (39, 102, 61, 102, 58, 145, 56, 182, 46, 182, 43, 145)),
    Shape("ellipse", (45, 186, 8, 3.5)),
    Shape("polygon", (45, 44, 55, 44, 55, 78, 54, 106, 47, 106, 47, 78)),
    Shape("ellipse", (50.5, 113, 4, 7)),
)
_HEAD = _symmetric(
    (
        Shape("rect", (36, 92, 28, 26)),
        Shape("ellipse", (50, 56, 34, 44)),
        Shape("line", (50, 50, 46, 67, 53, 68), feature=True),
        Shape("line", (40, 79, 50, 82, 60, 79), feature=True),
    ),
    (
        Shape("ellipse", (14, 58, 5, 11)),
        Shape("ellipse", (36, 48, 7, 3.5), feature=True),
    ),
)

OUTLINES: dict[str, Outline] = {
    "front": Outline("front", 100, 200, _BODY + _FACE),
    "back": Outline("back", 100, 200, _BODY),
    "left": Outline("left", 100, 200, _LEFT_SIDE),
    "right": Outline("right", 100, 200, tuple(shape.mirrored(100) for shape in _LEFT_SIDE)),
    "head": Outline("head", 100, 120, _HEAD),
}
