"""The body map in the PDFs: the outlines drawn as vector graphics with numbered marks, and a table of the marks.

The outlines are the pages' own (:mod:`safeguard.bodymap.outlines`), so a mark is drawn on paper where it was placed
on the screen. The numbers on the drawing are the numbers in the table, which holds every detail in words: a
drawing alone cannot be searched, copied or read aloud.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from reportlab.graphics.shapes import Circle, Drawing, Ellipse, Group, Polygon, PolyLine, Rect, SolidShape, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from safeguard.bodymap.outlines import OUTLINES, Outline, Shape
from safeguard.core.formatting import centimetres
from safeguard.reports.base import FONT, FONT_BOLD, grid, local
from safeguard.reports.data import MarkInfo

VIEWS = ("front", "back", "left", "right", "head")
VIEW_LABELS = {"front": "Front", "back": "Back", "left": "Left side", "right": "Right side", "head": "Head and face"}
_SKIN = colors.HexColor("#f3f1ed")
_LINE = colors.HexColor("#4a4a4a")
_FEATURE = colors.HexColor("#8a8a8a")
_MARK = colors.HexColor("#b02a37")
_CAPTION = 10  # points under each outline for its label
MARK_RADIUS = 2.4 * mm


def _shape(shape: Shape, scale: float, top: float, left: float) -> SolidShape | PolyLine:
    """One shape of an outline in the drawing's coordinates (ReportLab's y runs upwards)."""
    p = shape.points
    drawn: SolidShape
    if shape.kind == "ellipse":
        drawn = Ellipse(left + p[0] * scale, top - p[1] * scale, p[2] * scale, p[3] * scale)
    elif shape.kind == "rect":
        x, y, w, h = (v * scale for v in p)
        drawn = Rect(left + x, top - y - h, w, h, rx=3 * scale, ry=3 * scale)
    else:
        points = [left + v * scale if i % 2 == 0 else top - v * scale for i, v in enumerate(p)]
        if shape.kind == "line":
            return PolyLine(points, strokeColor=_FEATURE, strokeWidth=0.5)
        drawn = Polygon(points)
    drawn.strokeColor = _FEATURE if shape.feature else _LINE
    drawn.strokeWidth = 0.5 if shape.feature else 0.7
    drawn.fillColor = None if shape.feature else _SKIN
    return drawn


def _outline(
    outline: Outline, label: str, marks: Sequence[tuple[int, MarkInfo]], scale: float, left: float, top: float
) -> Group:
    group = Group()
    for shape in outline.shapes:
        group.add(_shape(shape, scale, top, left))
    for number, mark in marks:
        if mark.view != outline.view:
            continue
        x, y = left + mark.x * outline.width * scale, top - mark.y * outline.height * scale
        group.add(Circle(x, y, MARK_RADIUS, fillColor=_MARK, strokeColor=colors.white, strokeWidth=0.6))
        group.add(
            String(
                x, y - 2.3, str(number), fontName=FONT_BOLD, fontSize=6.5, fillColor=colors.white, textAnchor="middle"
            )
        )
    caption_x = left + outline.width * scale / 2
    group.add(String(caption_x, 2, label, fontName=FONT, fontSize=7.5, textAnchor="middle"))
    return group


def drawing(marks: Sequence[tuple[int, MarkInfo]], width: float) -> Drawing:
    """The five outlines side by side across ``width``, each mark a numbered dot where it was placed.

    :param marks: each mark with the number it has in the table beside it.
    """
    column = width / len(VIEWS)
    scale = (column - 4 * mm) / 100
    tallest = max(OUTLINES[view].height for view in VIEWS) * scale
    height = tallest + _CAPTION + 6
    made = Drawing(width, height)
    for index, view in enumerate(VIEWS):
        outline = OUTLINES[view]
        left = index * column + (column - outline.width * scale) / 2
        made.add(_outline(outline, VIEW_LABELS[view], marks, scale, left, height - 2))
    return made


def _size(mark: MarkInfo) -> str:
    return centimetres(mark.length_cm) + (f" × {centimetres(mark.width_cm)}" if mark.width_cm else "")


def table(
    marks: Sequence[tuple[int, MarkInfo]], width: float, zone: ZoneInfo, references: Sequence[str] = ()
) -> object:
    """The marks' details, numbered as on the drawing: where, kind, size, shape and colour, when seen, the child's
    own words, who recorded it and when. With ``references`` (one per mark), a column names each mark's concern."""
    children = {mark.child for _, mark in marks}
    head = ["No.", *(["Concern"] if references else []), "Where", "What", "Seen", "The child's words", "Recorded by"]
    rows: list[list] = [head]
    for index, (number, mark) in enumerate(marks):
        where = [
            (mark.region, "plain"),
            (mark.view_label + ("" if mark.placed_on_outline else ", chosen from the list"), "small"),
        ]
        if len(children) > 1:
            where.insert(0, (mark.child, "plain"))
        what = [(f"{mark.kind}, {_size(mark)}", "plain")]
        what += [(detail, "plain") for detail in (mark.shape, mark.colour) if detail]
        rows.append(
            [
                str(number),
                *([references[index]] if references else []),
                where,
                what,
                local(mark.seen_at, zone),
                mark.child_words or "—",
                [(mark.recorded_by, "plain"), (local(mark.recorded_at, zone), "small")],
            ]
        )
    fractions = (0.05, 0.17, 0.19, 0.18, 0.12, 0.16, 0.13) if references else (0.06, 0.2, 0.21, 0.14, 0.24, 0.15)
    return grid(rows, [width * f for f in fractions])
