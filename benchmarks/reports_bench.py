"""Building a child's file of 200 concerns and 1,000 events, against a bare ReportLab document of the same text."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate

from safeguard.reports import build_child_file
from safeguard.reports.base import register_fonts, text
from safeguard.reports.data import (
    Addendum,
    ChildFile,
    ConcernInfo,
    EventInfo,
    ExportMeta,
    PupilInfo,
    PupilLink,
    SchoolInfo,
)

SCHOOL = SchoolInfo("Oakfield Primary School", "OAK", "Priya Shah, DSL: 01632 960123", "OFFICIAL-SENSITIVE")
CHILD = PupilInfo(
    1, "A801000000001", "Amira Haddad", None, date(2015, 4, 12), "Year 6", "6B", ("Child in need",), None, None
)
OTHER = PupilInfo(2, "A801000000002", "Oliver Bennett", "Ollie", date(2015, 9, 30), "Year 6", "6B", (), None, None)
ACCOUNT = (
    'At morning break Amira told me "Ollie said he would hurt me if I told anyone". She was shaking and asked to '
    "stay inside. I reassured her and told her I had to pass it on to the DSL. Her sleeve was pulled down over a "
    "bruise on her left wrist, about 2 cm across."
)


def child_file(concerns: int = 200, events: int = 1000) -> ChildFile:
    """A realistic large file: ``concerns`` concerns sharing ``events`` chronology entries."""
    start = datetime(2021, 9, 6, 9, 0, tzinfo=UTC)
    per = max(1, events // concerns)
    made = []
    for n in range(concerns):
        logged = start + timedelta(days=7 * n)
        made.append(
            ConcernInfo(
                id=n + 1,
                reference=f"OAK-{logged.year}-{n + 1:04d}",
                status="Closed",
                urgent=n % 17 == 0,
                level_of_need="Child in need",
                outcome="Support from early help",
                outcome_rationale="Family engaged with early help; no further concerns for four weeks.",
                reporter="Hannah Lewis",
                reporter_role="Staff",
                observed_at=logged - timedelta(hours=1),
                logged_at=logged,
                acknowledged_at=logged + timedelta(minutes=12),
                location="Playground",
                categories=(("abuse-physical", "Physical abuse"), ("child-on-child-bullying", "Bullying")),
                vocabulary_version="2026.11.1",
                account=ACCOUNT,
                already_done="Listened, reassured, informed the DSL in person.",
                pupils=(PupilLink(CHILD, "subject"), PupilLink(OTHER, "harmed")),
                addenda=(Addendum(logged + timedelta(days=1), "Hannah Lewis", "Amira said it had happened before."),),
                events=tuple(
                    EventInfo(
                        at=logged + timedelta(hours=k),
                        actor="Priya Shah",
                        kind="action",
                        summary=f"Action {k + 1}: spoke with the child and her mother",
                        details=("Mother agreed to meet the class teacher on Friday.",),
                    )
                    for k in range(per)
                ),
                kept_wording_reason=None,
            )
        )
    return ChildFile(SCHOOL, CHILD, tuple(made), include_other_children=False)


def bare_document(file: ChildFile) -> bytes:
    """The same text in a plain ReportLab document: no tables, frame, fonts or contents."""
    register_fonts()
    style = getSampleStyleSheet()["BodyText"]
    story = []
    for concern in file.concerns:
        story.append(Paragraph(text(concern.reference), style))
        story.append(Paragraph(text(concern.account), style))
        for event in concern.events:
            story.append(Paragraph(text(f"{event.at} {event.actor} {event.summary} {' '.join(event.details)}"), style))
    buffer = BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def run(repeat: int = 3) -> dict:
    """Seconds to build the file, and to build the bare document, median of ``repeat``."""
    file = child_file()
    meta = ExportMeta("Priya Shah", datetime.now(UTC), "Benchmark")
    ours, bare = [], []
    pages = 0
    for _ in range(repeat):
        start = time.perf_counter()
        pdf = build_child_file(file, meta)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        bare_document(file)
        bare.append(time.perf_counter() - start)
        pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    return {
        "concerns": len(file.concerns),
        "events": sum(len(c.events) for c in file.concerns),
        "seconds": statistics.median(ours),
        "bare_seconds": statistics.median(bare),
        "ratio": statistics.median(ours) / statistics.median(bare),
        "pages": pages,
        "repeat": repeat,
    }


def markdown(result: dict) -> str:
    """The results section."""
    return (
        "## PDF: a child's safeguarding file\n\n"
        f"{result['concerns']} concerns and {result['events']:,} chronology entries (about {result['pages']} pages), "
        f"median of {result['repeat']} builds.\n\n"
        "| measure | value |\n|---|---|\n"
        f"| Safeguard's child's file (tables, contents, redaction, marking, page x of y) | {result['seconds']:.2f} s |\n"
        f"| bare ReportLab document with the same text | {result['bare_seconds']:.2f} s |\n"
        f"| ratio | {result['ratio']:.2f}× |\n\n"
        f"Aims: under 2 s — {'met' if result['seconds'] < 2 else 'NOT met'}; "
        f"within 1.5× of the bare document — {'met' if result['ratio'] <= 1.5 else 'NOT met'}.\n"
    )
