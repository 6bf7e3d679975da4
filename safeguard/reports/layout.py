"""Fast flowables for the documents' tables and contents.

A child's file holds thousands of table rows. ReportLab's ``Table`` of ``Paragraph`` cells parses markup and
measures every cell again on each layout pass, and a ``TableOfContents`` needs the whole document laid out
several times until its page numbers settle: a 200-concern file took 13 s. These flowables wrap plain text once
with the font's metrics, draw it with text objects, and let the contents refer to page numbers that are only
known at the end (PDF form XObjects drawn now, defined when the document is saved), so the document is laid out
once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.colors import Color
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.platypus.flowables import Flowable

from safeguard.reports.typeface import FONT, FONT_BOLD, FONT_ITALIC

# Text kinds a cell may mix, line by line: (font, size, leading).
KINDS: dict[str, tuple[str, float, float]] = {
    "plain": (FONT, 8.5, 11.0),
    "bold": (FONT_BOLD, 8.5, 11.0),
    "italic": (FONT_ITALIC, 8.5, 11.0),
    "small": (FONT, 7.0, 9.5),
}
PADDING = 4.0
GRID_COLOUR = colors.HexColor("#c8ced6")
HEADER_FILL = colors.HexColor("#e3e8ef")
ZEBRA_FILL = colors.HexColor("#f7f8fa")

# A cell is plain text, or parts of several kinds, each starting on a new line: (("Physical abuse", "plain"),
# ("Vocabulary version 2026.11.1", "small")).
Cell = str | Sequence[tuple[str, str]]


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width``, at spaces, keeping the writer's line breaks.

    A word wider than the line (a long URL, a string with no spaces) is broken between characters rather than
    running off the page: every character of the record must be on the page.
    """
    lines: list[str] = []
    # The font's own measure, without pdfmetrics' lookup by name on every call: wrapping measures every word.
    measure = getFont(font).stringWidth
    space = measure(" ", size)
    for paragraph in text.split("\n"):
        if measure(paragraph, size) <= width:
            lines.append(paragraph)
            continue
        current: list[str] = []
        used = 0.0
        for word in paragraph.split(" "):
            measured = measure(word, size)
            if current and used + space + measured <= width:
                current.append(word)
                used += space + measured
                continue
            if current:
                lines.append(" ".join(current))
                current, used = [], 0.0
            if measured <= width:
                current, used = [word], measured
                continue
            # A word longer than a line: break it where it fills the line.
            piece = ""
            for char in word:
                if piece and measure(piece + char, size) > width:
                    lines.append(piece)
                    piece = ""
                piece += char
            current, used = [piece], measure(piece, size)
        lines.append(" ".join(current))
    return lines


@dataclass
class _Row:
    """A laid-out row: each cell's lines as (text, font, size, leading), and the row's height."""

    cells: list[list[tuple[str, str, float, float]]]
    height: float
    fill: Color | None = None


def _lay_cell(cell: Cell, width: float, default_kind: str) -> list[tuple[str, str, float, float]]:
    parts = ((cell, default_kind),) if isinstance(cell, str) else cell
    lines: list[tuple[str, str, float, float]] = []
    for text, kind in parts:
        font, size, leading = KINDS[kind]
        lines.extend((line, font, size, leading) for line in wrap(text, font, size, width))
    return lines


def _height(lines: list[tuple[str, str, float, float]]) -> float:
    return sum(line[3] for line in lines) + 2 * PADDING


class Grid(Flowable):
    """A table of plain-text cells that splits across pages between rows, repeating its header row.

    A row taller than a whole page (a very long chronology entry) continues on the next page rather than being
    cut off. ``label_column`` sets the first column in bold, for tables of labels and values.
    """

    def __init__(
        self,
        rows: Sequence[Sequence[Cell]],
        widths: Sequence[float],
        *,
        header: bool = True,
        zebra: bool = True,
        label_column: bool = False,
        max_height: float = 700.0,
        _laid: tuple[_Row | None, list[_Row]] | None = None,
    ) -> None:
        super().__init__()
        self.widths = list(widths)
        self.max_height = max_height
        if _laid is not None:
            self.head, self.body = _laid
        else:
            text_widths = [w - 2 * PADDING for w in self.widths]

            def lay(row: Sequence[Cell], kinds: Sequence[str]) -> _Row:
                cells = [_lay_cell(c, w, k) for c, w, k in zip(row, text_widths, kinds, strict=True)]
                return _Row(cells, max(_height(c) for c in cells))

            body_kinds = ["bold" if label_column and i == 0 else "plain" for i in range(len(self.widths))]
            self.head = lay(rows[0], ["bold"] * len(self.widths)) if header else None
            if self.head:
                self.head.fill = HEADER_FILL
            self.body = [lay(row, body_kinds) for row in rows[1 if header else 0 :]]
            if zebra:
                for n, row in enumerate(self.body):
                    row.fill = ZEBRA_FILL if n % 2 else None
        self.width = sum(self.widths)
        self.height = sum(r.height for r in self._rows())

    def _rows(self) -> list[_Row]:
        return ([self.head] if self.head else []) + self.body

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """The size is fixed when the rows are laid out."""
        return self.width, self.height

    def _part(self, body: list[_Row]) -> Grid:
        return Grid([], self.widths, max_height=self.max_height, _laid=(self.head, body))

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        """The rows that fit in ``availHeight``, and the rest under the same header; [] to move to the next page."""
        room = availHeight - (self.head.height if self.head else 0)
        if room < 0:
            return []  # not even the header fits here
        taken, used = 0, 0.0
        while taken < len(self.body) and used + self.body[taken].height <= room:
            used += self.body[taken].height
            taken += 1
        if taken == len(self.body):
            return [self]
        rest = list(self.body[taken:])
        row = rest[0]
        # Move a row that would fit on a page of its own to the next page; continue a longer one across pages.
        if row.height > self.max_height - (self.head.height if self.head else 0) and room - used > 3 * 11 + 2 * PADDING:
            first, second = _split_row(row, room - used)
            if first is not None:
                return [self._part([*self.body[:taken], first]), self._part([second, *rest[1:]])]
        if taken == 0:
            return []
        return [self._part(self.body[:taken]), self._part(rest)]

    def draw(self) -> None:
        """Fills, text, then the grid lines over them."""
        canvas = self.canv
        xs = [0.0]
        for w in self.widths:
            xs.append(xs[-1] + w)
        ys = [self.height]
        top = self.height
        for row in self._rows():
            bottom = top - row.height
            if row.fill is not None:
                canvas.setFillColor(row.fill)
                canvas.rect(0, bottom, self.width, row.height, stroke=0, fill=1)
            canvas.setFillColor(colors.black)
            for x, lines in zip(xs, row.cells, strict=False):
                if not lines:
                    continue
                # The first baseline sits a font size below the top of the cell, as ReportLab's Table places it.
                text = canvas.beginText(x + PADDING, top - PADDING - lines[0][2])
                current = None
                for line, font, size, leading in lines:
                    if (font, size, leading) != current:
                        text.setFont(font, size, leading)
                        current = (font, size, leading)
                    text.textLine(line)
                canvas.drawText(text)
            top = bottom
            ys.append(top)
        canvas.setStrokeColor(GRID_COLOUR)
        canvas.setLineWidth(0.4)
        canvas.grid(xs, ys)


def _split_row(row: _Row, room: float) -> tuple[_Row | None, _Row]:
    """Cut a row at the last whole line of each cell that fits in ``room``; the rest goes on, marked as continued."""
    firsts, seconds = [], []
    for lines in row.cells:
        used, cut = 2 * PADDING, 0
        while cut < len(lines) and used + lines[cut][3] <= room:
            used += lines[cut][3]
            cut += 1
        firsts.append(lines[:cut])
        rest = lines[cut:]
        if rest:
            _font, size, leading = KINDS["italic"]
            rest = [("(continued)", FONT_ITALIC, size, leading), *rest]
        seconds.append(rest)
    if not any(firsts):
        return None, row
    first = _Row(firsts, max(_height(c) for c in firsts), row.fill)
    second = _Row(seconds, max(_height(c) for c in seconds), row.fill)
    return first, second


class Contents(Flowable):
    """A table of contents whose page numbers are filled in when the document is saved.

    Each entry's page number is a PDF form XObject named after its heading's key: ``draw`` places it now and
    :func:`define_page_numbers` defines it at the end, once every heading has been placed. The number of entries
    is known before layout, so the contents take the same space whatever the numbers turn out to be, and one
    layout pass is enough. Each line links to its heading.
    """

    leading = 13.0
    size = 9.0

    def __init__(self, entries: Sequence[tuple[str, str]], _first: int = 0) -> None:
        super().__init__()
        self.entries = list(entries)  # (title, key)
        self._first = _first

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        """One line per entry."""
        self.width = availWidth
        self.height = self.leading * len(self.entries)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        """As many entries as fit; the rest on the next page."""
        fit = int(availHeight // self.leading)
        if fit >= len(self.entries):
            return [self]
        if fit == 0:
            return []
        return [Contents(self.entries[:fit]), Contents(self.entries[fit:])]

    def draw(self) -> None:
        """Title, dotted leader, and the page number form for each entry."""
        canvas = self.canv
        number_room = 30.0
        dot = stringWidth(". ", FONT, self.size)
        y = self.height
        for title, key in self.entries:
            baseline = y - self.size - 1
            shown = title
            limit = self.width - number_room - 12
            if stringWidth(shown, FONT, self.size) > limit:
                # Cut after the last whole word that fits, and say so.
                while shown and stringWidth(shown + "…", FONT, self.size) > limit:
                    shown = shown[:-1]
                whole = shown if title[len(shown) : len(shown) + 1] == " " else shown.rpartition(" ")[0]
                shown = (whole or shown).rstrip(" ,;:") + "…"
            canvas.setFont(FONT, self.size)
            canvas.setFillColor(colors.black)
            canvas.drawString(0, baseline, shown)
            start = stringWidth(shown, FONT, self.size) + 6
            dots = int((self.width - number_room - start) // dot)
            if dots > 0:
                canvas.setFillColor(colors.HexColor("#8a94a0"))
                canvas.drawRightString(self.width - number_room + 4, baseline, ". " * dots)
                canvas.setFillColor(colors.black)
            canvas.saveState()
            canvas.translate(self.width, baseline)
            canvas.doForm(page_number_form(key))
            canvas.restoreState()
            canvas.linkRect("", key, (0, y - self.leading, self.width, y), relative=1, thickness=0)
            y -= self.leading


def page_number_form(key: str) -> str:
    """The name of the form XObject that shows the page number of heading ``key``."""
    return f"pageof-{key}"


def define_page_numbers(canvas, pages: dict[str, int], size: float = Contents.size) -> None:
    """Define each heading's page number form, right-aligned on its origin (called when saving)."""
    for key, page in pages.items():
        canvas.beginForm(page_number_form(key), lowerx=-60, lowery=-4, upperx=0, uppery=14)
        canvas.setFont(FONT, size)
        canvas.drawRightString(0, 0, str(page))
        canvas.endForm()
