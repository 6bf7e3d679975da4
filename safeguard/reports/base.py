"""What every Safeguard document shares: the embedded Unicode font, styles, the marked page frame with
"Page x of y", who generated it and when, and the verification code of the record content."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from io import BytesIO
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import CondPageBreak, Paragraph, SimpleDocTemplate

from safeguard.core.formatting import format_local, local_date
from safeguard.reports.data import ExportMeta, SchoolInfo
from safeguard.reports.layout import Cell, Contents, Grid, define_page_numbers
from safeguard.reports.typeface import FONT, FONT_BOLD, FONT_ITALIC, register_fonts

__all__ = ["FONT", "FONT_BOLD", "FONT_ITALIC", "register_fonts"]

DIGEST_PREFIX = "safeguard-digest:"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X, MARGIN_Y = 15 * mm, 22 * mm
FRAME_HEIGHT = PAGE_HEIGHT - 2 * MARGIN_Y - 12  # the frame's own padding


@functools.cache
def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles in the embedded font (made once: documents share them and never change them)."""
    register_fonts()
    base = getSampleStyleSheet()
    made = {
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=9.5, leading=13),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontName=FONT, fontSize=8, leading=10.5),
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontName=FONT_BOLD, fontSize=17, leading=21, spaceAfter=4
        ),
        "h1": ParagraphStyle(
            "h1", parent=base["Heading1"], fontName=FONT_BOLD, fontSize=14, leading=18, spaceBefore=10
        ),
        "h2": ParagraphStyle(
            "h2", parent=base["Heading2"], fontName=FONT_BOLD, fontSize=11.5, leading=15, spaceBefore=8, keepWithNext=1
        ),
        "h3": ParagraphStyle(
            "h3", parent=base["Heading3"], fontName=FONT_BOLD, fontSize=10, leading=13, spaceBefore=6, keepWithNext=0
        ),
        "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8.5, leading=11),
        "cellbold": ParagraphStyle("cellbold", fontName=FONT_BOLD, fontSize=8.5, leading=11),
        "account": ParagraphStyle(
            "account",
            parent=base["BodyText"],
            fontName=FONT,
            fontSize=9.5,
            leading=13.5,
            borderColor=colors.HexColor("#9aa5b1"),
            borderWidth=0.6,
            borderPadding=6,
            leftIndent=6,
            rightIndent=6,
            spaceBefore=6,
            spaceAfter=10,
        ),
        "warning": ParagraphStyle(
            "warning", fontName=FONT_BOLD, fontSize=9.5, leading=13, textColor=colors.HexColor("#8a1c1c")
        ),
        "centre": ParagraphStyle("centre", fontName=FONT, fontSize=9, leading=12, alignment=TA_CENTER),
    }
    return made


def text(value: object) -> str:
    """Escape text for a Paragraph, keeping the writer's line breaks."""
    return escape(str(value or "")).replace("\n", "<br/>")


def local(value: datetime | None, zone: ZoneInfo) -> str:
    """A time in the school's zone, for example ``23 Nov 2026, 14:05``; a dash when there is none.

    The zone is named once, in every page's header (:func:`zone_note`), rather than beside each time.
    """
    if value is None:
        return "—"
    return format_local(value.astimezone(zone))


def day(value: date | None) -> str:
    """A calendar date (a birthday, a follow-up date), for example ``14 Mar 2015``; a dash when there is none."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        raise TypeError("a time is shown with local(), in the school's zone")
    return local_date(value)


def zone_note(zone: str) -> str:
    """The line in every page's header that says which zone the document's times are in."""
    return f"Times are in the school's time zone, {zone}"


def grid(rows: list[list[Cell]], widths: list[float], header: bool = True, zebra: bool = True) -> Grid:
    """A table of plain-text cells that splits across pages, with a repeated header row."""
    return Grid(rows, widths, header=header, zebra=zebra, max_height=FRAME_HEIGHT)


def key_values(pairs: Sequence[tuple[str, Cell]], width: float) -> Grid:
    """A two-column table of labels (in bold) and values."""
    return Grid(
        [list(pair) for pair in pairs],
        [width * 0.28, width * 0.72],
        header=False,
        zebra=False,
        label_column=True,
        max_height=FRAME_HEIGHT,
    )


def subheading(title: str) -> list:
    """A section heading kept with what follows it.

    A conditional page break does what ``keepWithNext`` does for a heading followed by a table, without ReportLab
    laying the pair out twice (a child's file has a thousand of these).
    """
    return [CondPageBreak(30 * mm), Paragraph(text(title), styles()["h3"])]


class Heading(Paragraph):
    """A heading; with a ``key`` it is a PDF bookmark and its page number appears in the document's contents."""

    def __init__(self, title: str, style: ParagraphStyle, key: str | None = None) -> None:
        super().__init__(text(title), style)
        self.outline_key = key
        self.outline_title = title


def _plain(obj):
    if dataclasses.is_dataclass(obj):
        return {
            f.name: _plain(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if getattr(obj, f.name) or not f.metadata.get("omitted_when_empty")
        }
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, datetime):
        return obj.astimezone(ZoneInfo("UTC")).isoformat(timespec="microseconds")
    if isinstance(obj, date):
        return obj.isoformat()
    return obj


def content_digest(obj) -> str:
    """SHA-256 of a canonical JSON of the record content (stable across runs and machines)."""
    encoded = json.dumps(_plain(obj), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def verification_code(digest: str) -> str:
    """The short form printed on every page, for example ``3F2A-9C1B-77D0-12EE-A0B4``."""
    short = digest[:20].upper()
    return "-".join(short[i : i + 4] for i in range(0, 20, 4))


def read_verification(pdf: bytes) -> str | None:
    """The full digest embedded in a Safeguard PDF's metadata, or ``None``."""
    match = re.search(rb"safeguard-digest:([0-9a-f]{64})", pdf)
    return match.group(1).decode() if match else None


class _Frame:
    """Draws the protective marking, the titles and the footer on each page, then "Page x of y".

    It also holds the pages the contents' headings landed on, so that their page numbers can be defined when the
    document is saved.
    """

    def __init__(self, school: SchoolInfo, title: str, meta: ExportMeta, digest: str) -> None:
        self.school, self.title, self.meta, self.digest = school, title, meta, digest
        self.heading_pages: dict[str, int] = {}
        self.sections: list[tuple[int, str]] = []  # (page, title) of each keyed heading, in order
        self.contents_keys: list[str] = []

    def canvas_class(self):
        frame = self

        class NumberedCanvas(rl_canvas.Canvas):
            """Keeps every page until the end so that each can say how many pages there are."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self._pages: list[dict] = []

            def showPage(self):
                self._pages.append(dict(self.__dict__))
                self._startPage()

            def save(self):
                total = len(self._pages)
                for state in self._pages:
                    self.__dict__.update(state)
                    frame.decorate(self, total)
                    super().showPage()
                # A heading the contents list but the story never placed would leave a dangling form: show a dash.
                pages = {key: frame.heading_pages.get(key, "—") for key in frame.contents_keys}
                define_page_numbers(self, pages)
                super().save()

        return NumberedCanvas

    def decorate(self, canvas, total: int) -> None:
        """The page's furniture: marking at top and bottom, title, page x of y, generated by, verification code."""
        width, height = PAGE_WIDTH, PAGE_HEIGHT
        marking = self.school.protective_marking or "OFFICIAL-SENSITIVE"
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#8a1c1c"))
        canvas.setFont(FONT_BOLD, 9)
        canvas.drawCentredString(width / 2, height - 10 * mm, marking)
        canvas.drawCentredString(width / 2, 7 * mm, marking)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.setFont(FONT, 7.5)
        canvas.drawString(MARGIN_X, height - 15 * mm, f"{self.school.name} — {self.title}")
        canvas.drawRightString(width - MARGIN_X, height - 15 * mm, f"Page {canvas.getPageNumber()} of {total}")
        canvas.drawRightString(width - MARGIN_X, height - 20.5 * mm, zone_note(self.meta.zone))
        canvas.setStrokeColor(colors.HexColor("#c8ced6"))
        canvas.line(MARGIN_X, height - 17 * mm, width - MARGIN_X, height - 17 * mm)
        canvas.line(MARGIN_X, 16 * mm, width - MARGIN_X, 16 * mm)
        generated_at = local(self.meta.generated_at, ZoneInfo(self.meta.zone))
        canvas.drawString(MARGIN_X, 12.4 * mm, f"Generated by {self.meta.generated_by} on {generated_at}")
        canvas.drawRightString(width - MARGIN_X, 12.4 * mm, f"Verification code {verification_code(self.digest)}")
        if self.meta.checkpoint:
            canvas.setFont(FONT, 6.5)
            canvas.drawString(MARGIN_X, 10.2 * mm, self.meta.checkpoint)
            canvas.setFont(FONT, 7.5)
        # A page that carries on a section begun earlier (a long chronology) says which, so a reader holding one
        # page knows which concern it belongs to.
        page = canvas.getPageNumber()
        section = next((title for start, title in reversed(self.sections) if start <= page), None)
        started_here = any(start == page for start, _ in self.sections)
        if section and not started_here:
            canvas.setFont(FONT_ITALIC, 7.5)
            canvas.drawString(MARGIN_X, height - 20.5 * mm, f"{section} (continued)")
        canvas.restoreState()


class SafeguardDoc(SimpleDocTemplate):
    """A document whose keyed headings become PDF bookmarks and give the contents their page numbers."""

    frame_state: _Frame

    def afterFlowable(self, flowable) -> None:
        """Bookmark each keyed heading and note its page."""
        key = getattr(flowable, "outline_key", None)
        if key:
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.outline_title, key, level=0)
            self.frame_state.heading_pages[key] = self.page
            self.frame_state.sections.append((self.page, flowable.outline_title))


def build(
    story_for: Callable[[float], list],
    *,
    school: SchoolInfo,
    title: str,
    subject: str,
    meta: ExportMeta,
    content,
) -> bytes:
    """Build a document into bytes: ``story_for(width)`` gives the flowables; the frame and metadata are added.

    The document is laid out once: a :class:`~safeguard.reports.layout.Contents` in the story gets its page
    numbers when the document is saved.
    """
    register_fonts()
    digest = content_digest(content)
    buffer = BytesIO()
    doc = SafeguardDoc(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_Y,
        bottomMargin=MARGIN_Y,
        title=title,
        author=school.name,
        subject=subject,
        creator="Safeguard",
        # ReportLab takes a string here too (types-reportlab says a list only).
        keywords=f"{DIGEST_PREFIX}{digest}",  # type: ignore[arg-type]
        lang="en-GB",
    )
    frame = _Frame(school, title, meta, digest)
    doc.frame_state = frame
    story = story_for(doc.width)
    frame.contents_keys = [key for item in story if isinstance(item, Contents) for _, key in item.entries]
    doc.build(story, canvasmaker=frame.canvas_class())
    return buffer.getvalue()
