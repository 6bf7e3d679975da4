"""The PDF layout: nothing of the record is lost when text wraps or a table splits, and the contents point at
the right pages, although the document is laid out only once."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from benchmarks.reports_bench import child_file
from safeguard.reports import build_child_file, build_concern_report
from safeguard.reports.data import EventInfo, ExportMeta
from safeguard.reports.layout import KINDS, wrap
from safeguard.reports.typeface import register_fonts

META = ExportMeta("Priya Shah", datetime(2026, 11, 24, 9, 30, tzinfo=UTC), "Referral to children's social care")


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@settings(max_examples=200, deadline=None)
@given(
    text=st.lists(
        st.sampled_from([*"abcdefghij ABCDÉΩЖ\n-.,'\"", "supercalifragilisticexpialidocious" * 3]), max_size=200
    ).map("".join),
    width=st.floats(min_value=20, max_value=400),
)
def test_wrapped_lines_fit_and_keep_every_character(text, width):
    register_fonts()
    font, size, _ = KINDS["plain"]
    lines = wrap(text, font, size, width)
    for line in lines:
        # A line is never wider than its column, unless it is a single character that is itself wider.
        assert stringWidth(line, font, size) <= width + 0.01 or len(line) == 1
    # Only the spaces where a line was broken are gone: every other character is kept, in order.
    assert "".join(lines).replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_contents_give_the_page_each_concern_starts_on():
    file = child_file(concerns=30, events=150)
    pdf = build_child_file(file, META)
    pages = _pages(pdf)
    contents = pages[0]
    for concern in file.concerns:
        found = re.search(rf"Concern {concern.reference}(?: +\(URGENT\))?[\s.]*?(\d+)", contents)
        assert found, f"{concern.reference} is missing from the contents"
        page = int(found.group(1))
        assert f"Concern {concern.reference}" in pages[page - 1], (concern.reference, page)
        # ...and it is the first page with that heading (the summary chronology names the reference, not the heading).
        assert not any(f"Concern {concern.reference}" in p for p in pages[1 : page - 1])
    # The PDF outline (bookmarks) lists every concern for a reader's side panel.
    outline = [item.title for item in PdfReader(io.BytesIO(pdf)).outline]
    assert outline[0] == "Summary chronology" and len(outline) == 31


def test_a_chronology_entry_longer_than_a_page_continues_over_pages_with_its_header():
    concern = child_file(concerns=1, events=3).concerns[0]
    paragraph = "The social worker and the DSL went through the plan line by line with the family. "
    long_detail = " ".join(f"[{n}] {paragraph}" for n in range(300))
    long_event = EventInfo(
        at=concern.logged_at,
        actor="Priya Shah",
        kind="note",
        summary="Strategy meeting minutes",
        details=(long_detail,),
    )
    concern = replace(concern, events=(*concern.events, long_event))
    pages = _pages(build_concern_report(concern, child_file(1, 1).school, META))
    flat = " ".join(" ".join(pages).split())
    # Every numbered sentence made it onto some page, in order (a page break may fall inside a sentence).
    positions = [flat.find(f"[{n}] The") for n in range(300)]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    continued = [n for n, page in enumerate(pages) if "(continued)" in page]
    assert len(continued) >= 2
    for n in continued:
        assert re.search(r"When\s+Who\s+What", pages[n]), f"page {n + 1} lacks the table's header"


def test_a_word_wider_than_its_column_is_broken_not_lost():
    concern = child_file(concerns=1, events=1).concerns[0]
    link = "https://example.org/" + "a1b2c3d4" * 40
    concern = replace(concern, location=link)
    text = " ".join(_pages(build_concern_report(concern, child_file(1, 1).school, META))).replace("\n", "")
    assert link in text.replace(" ", "")


def test_a_page_carrying_on_a_concern_says_which_concern_it_belongs_to():
    file = child_file(concerns=2, events=2)
    notes = tuple(
        EventInfo(at=file.concerns[0].logged_at, actor="Priya Shah", kind="note", summary=f"Note {n} " + "detail " * 60)
        for n in range(40)
    )
    first = replace(file.concerns[0], events=file.concerns[0].events + notes)
    pages = _pages(build_child_file(replace(file, concerns=(first, file.concerns[1])), META))
    started = next(n for n, page in enumerate(pages) if f"Concern {first.reference}  (URGENT)" in page and n > 0)
    following = next(n for n, page in enumerate(pages) if f"Concern {file.concerns[1].reference}" in page and n > 1)
    assert following > started + 1, "the test needs the first concern to run over several pages"
    for n in range(started + 1, following):
        assert f"Concern {first.reference}  (URGENT) (continued)" in pages[n], f"page {n + 1}"
