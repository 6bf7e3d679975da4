"""The four documents: the concern report, the child's safeguarding file, the transfer record, the period summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Paragraph, Spacer

from safeguard.core.formatting import shorten
from safeguard.reports import bodymap
from safeguard.reports.base import (
    FONT,
    FONT_BOLD,
    Heading,
    build,
    day,
    grid,
    key_values,
    local,
    styles,
    subheading,
    text,
)
from safeguard.reports.data import (
    PART_LABELS,
    ChildFile,
    ConcernInfo,
    ExportMeta,
    MonitoringReview,
    PeriodSummary,
    PupilInfo,
    SchoolInfo,
    TransferInfo,
)
from safeguard.reports.layout import Cell, Contents
from safeguard.reports.redaction import redact


def _school_block(school: SchoolInfo, width: float) -> list:
    return [key_values([("School", school.name), ("DSL contact", school.dsl_contact or "—")], width)]


def _pupil_rows(links, width: float) -> list:
    rows: list[list] = [["Name", "Part", "Date of birth", "UPN", "Year, class", "Flags"]]
    for link in links:
        p: PupilInfo = link.pupil
        name = p.legal_name + (f" (known as {p.preferred_name})" if p.preferred_name else "")
        if p.left_on:
            name += f" — left {day(p.left_on)}" + (f" for {p.destination}" if p.destination else "")
        rows.append(
            [
                name,
                PART_LABELS.get(link.part, link.part),
                day(p.date_of_birth) if p.upn != "redacted" else "—",
                p.upn,
                f"{p.year_group} {p.class_name}".strip() or "—",
                ", ".join(p.flags) or "—",
            ]
        )
    return [grid(rows, [width * f for f in (0.22, 0.19, 0.12, 0.17, 0.12, 0.18)])]


def _chronology(concern: ConcernInfo, width: float, zone: ZoneInfo) -> list:
    rows: list[list] = [["When", "Who", "What"]]
    for event in concern.events:
        what = [(event.summary, "plain"), *((detail, "plain") for detail in event.details)]
        if event.follow_up_on:
            what.append((f"Follow up by {day(event.follow_up_on)}", "italic"))
        rows.append([local(event.at, zone), event.actor, what])
    return [grid(rows, [width * 0.2, width * 0.2, width * 0.6])]


def concern_key(concern: ConcernInfo) -> str:
    """The bookmark of a concern's heading in a child's file."""
    return f"concern-{concern.id}"


def concern_title(concern: ConcernInfo) -> str:
    """A concern's heading."""
    return f"Concern {concern.reference}" + ("  (URGENT)" if concern.urgent else "")


def _concern_details(concern: ConcernInfo, width: float, zone: ZoneInfo) -> list:
    categories = [(label, "plain") for _, label in concern.categories]
    categories.append((f"Vocabulary version {concern.vocabulary_version}", "small"))
    acknowledged = local(concern.acknowledged_at, zone) if concern.acknowledged_at else "Not yet acknowledged"
    pairs: list[tuple[str, Cell]] = [
        ("Status", concern.status),
        ("Level of need", concern.level_of_need or "Not set"),
        ("Reported by", f"{concern.reporter} ({concern.reporter_role})"),
        ("Happened or disclosed", local(concern.observed_at, zone)),
        ("Where", concern.location or "—"),
        ("Logged", local(concern.logged_at, zone)),
        ("Acknowledged", acknowledged),
        ("Categories", categories),
    ]
    return [key_values(pairs, width)]


def _account(concern: ConcernInfo, zone: ZoneInfo) -> list:
    """The account as recorded, what the reporter had already done, and the information added later."""
    s = styles()
    story: list = [
        *subheading("Account as recorded (the child's words are in quotation marks, exactly as written)"),
        Paragraph(text(concern.account), s["account"]),
    ]
    if concern.kept_wording_reason:
        story.append(Paragraph(f"<b>Flagged wording kept because:</b> {text(concern.kept_wording_reason)}", s["small"]))
    if concern.already_done:
        story += [*subheading("What the reporter had already done"), Paragraph(text(concern.already_done), s["body"])]
    if concern.addenda:
        story += subheading("Information added later")
        for addendum in concern.addenda:
            written = Paragraph(f"{local(addendum.at, zone)} — {text(addendum.author)}", s["small"])
            story.append(KeepTogether([written, Paragraph(text(addendum.text), s["account"])]))
    return story


def _body_map(concern: ConcernInfo, width: float, zone: ZoneInfo) -> list:
    """The concern's body map: the outlines with its numbered marks, and their details."""
    if not concern.marks:
        return []
    numbered = [(mark.number, mark) for mark in concern.marks]
    return [
        *subheading("Body map (marks seen, drawn and described; staff never photograph injuries)"),
        bodymap.drawing(numbered, width),
        Spacer(1, 4),
        bodymap.table(numbered, width, zone),
    ]


def concern_story(
    concern: ConcernInfo, width: float, zone: ZoneInfo, heading: str = "h1", key: str | None = None
) -> list:
    """The flowables of one concern: details, children, account, addenda, chronology and outcome.

    :param zone: the school's time zone, which every time is shown in.
    """
    story: list = [CondPageBreak(60 * mm), Heading(concern_title(concern), styles()[heading], key)]
    story += _concern_details(concern, width, zone)
    story += [*subheading("Children"), *_pupil_rows(concern.pupils, width)]
    story += _account(concern, zone)
    story += _body_map(concern, width, zone)
    story += [*subheading("Chronology of actions, referrals and decisions"), *_chronology(concern, width, zone)]
    outcome = [("Outcome", concern.outcome or "Open — no outcome yet")]
    if concern.outcome_rationale:
        outcome.append(("Rationale", concern.outcome_rationale))
    story += [Spacer(1, 4), key_values(outcome, width)]
    return story


def build_concern_report(concern: ConcernInfo, school: SchoolInfo, meta: ExportMeta) -> bytes:
    """The concern report for a referral."""
    s = styles()

    def story(width: float) -> list:
        return [
            Paragraph(f"Safeguarding concern report — {text(concern.reference)}", s["title"]),
            Paragraph(f"Exported for: {text(meta.reason)}", s["small"]),
            Spacer(1, 4),
            *_school_block(school, width),
            *concern_story(concern, width, ZoneInfo(meta.zone), heading="h2"),
        ]

    return build(
        story,
        school=school,
        title=f"Concern report {concern.reference}",
        subject="Safeguarding concern report",
        meta=meta,
        content=concern,
    )


SUMMARY_KEY = "summary-chronology"
RECEIPT_KEY = "receipt"


def _the_child(file: ChildFile, aliases: dict[int, str], width: float) -> list:
    """The child's details, and how other children are shown."""
    s = styles()
    p = file.pupil
    left = (day(p.left_on) + (f", for {p.destination}" if p.destination else "")) if p.left_on else "On roll"
    story: list = [
        Paragraph("The child", s["h2"]),
        key_values(
            [
                ("Name", p.legal_name + (f" (known as {p.preferred_name})" if p.preferred_name else "")),
                ("Date of birth", day(p.date_of_birth)),
                ("UPN", p.upn),
                ("Year and class", f"{p.year_group} {p.class_name}".strip() or "—"),
                ("Flags", ", ".join(p.flags) or "None"),
                ("Left", left),
                ("Concerns in this file", str(len(file.concerns))),
            ],
            width,
        ),
    ]
    if file.include_other_children:
        named = "Other children are named in this file: the DSL chose to include them for this referral."
        story.append(Paragraph(named, s["warning"]))
    elif aliases:
        shown_as = ", ".join(sorted(set(aliases.values())))
        story.append(
            Paragraph(
                f"Other children are shown as {shown_as}: their details are not the receiving party's to see.",
                s["small"],
            )
        )
    return story


def _summary_chronology(shown: ChildFile, width: float, zone: ZoneInfo) -> list:
    """Every entry about the child, oldest first, one line each."""
    rows: list[list] = [["When", "Concern", "Child's part", "What"]]
    for concern in shown.concerns:
        part = next((link.part for link in concern.pupils if link.pupil.id == shown.pupil.id), "subject")
        for event in concern.events:
            rows.append([local(event.at, zone), concern.reference, PART_LABELS.get(part, part), event.summary])
    if len(rows) == 1:
        rows.append(["—", "No concerns recorded", "", ""])
    return [
        PageBreak(),
        Heading("Summary chronology", styles()["h1"], SUMMARY_KEY),
        grid(rows, [width * 0.18, width * 0.17, width * 0.2, width * 0.45]),
    ]


def _combined_body_map(shown: ChildFile, width: float, zone: ZoneInfo) -> list:
    """Every mark on the child across their concerns, oldest first: the pattern over time is what a DSL looks for."""
    found = sorted(
        (
            (mark, concern.reference)
            for concern in shown.concerns
            for mark in concern.marks
            if mark.pupil_id == shown.pupil.id
        ),
        key=lambda pair: pair[0].seen_at,
    )
    if not found:
        return []
    numbered = [(number, mark) for number, (mark, _) in enumerate(found, 1)]
    return [
        Paragraph("Body map: every mark across the concerns", styles()["h2"]),
        Paragraph(
            f"{len(found)} mark{'' if len(found) == 1 else 's'} recorded on this child, numbered here from the oldest; "
            "each concern below shows its own marks with the numbers they have on that concern.",
            styles()["small"],
        ),
        bodymap.drawing(numbered, width),
        Spacer(1, 4),
        bodymap.table(numbered, width, zone, references=[reference for _, reference in found]),
    ]


def _child_file_story(file: ChildFile, meta: ExportMeta, width: float, title: str, extra_contents=()) -> list:
    s = styles()
    shown, aliases = redact(file)
    zone = ZoneInfo(meta.zone)
    story: list = [Paragraph(text(title), s["title"]), Paragraph(f"Exported for: {text(meta.reason)}", s["small"])]
    story += _school_block(file.school, width)
    story += _the_child(file, aliases, width)
    entries = [("Summary chronology", SUMMARY_KEY)]
    entries += [(concern_title(concern), concern_key(concern)) for concern in shown.concerns]
    entries += list(extra_contents)
    story += [Paragraph("Contents", s["h2"]), Contents(entries)]
    story += _combined_body_map(shown, width, zone)
    story += _summary_chronology(shown, width, zone)
    for concern in shown.concerns:
        story += concern_story(concern, width, zone, heading="h1", key=concern_key(concern))
    return story


@dataclass(frozen=True)
class _Appendix:
    """Pages after a child's file (the transfer's receipt to sign), and their entries in the contents."""

    story: Callable[[float], list]
    entries: tuple[tuple[str, str], ...]


def _build_child_document(
    content: ChildFile | TransferInfo, meta: ExportMeta, title: str, subject: str, appendix: _Appendix | None = None
) -> bytes:
    file = content.child_file if isinstance(content, TransferInfo) else content

    def story(width: float) -> list:
        made = _child_file_story(file, meta, width, title, appendix.entries if appendix else ())
        if appendix:
            made += appendix.story(width)
        return made

    return build(story, school=file.school, title=title, subject=subject, meta=meta, content=content)


def build_child_file(file: ChildFile, meta: ExportMeta) -> bytes:
    """The child's safeguarding file, other children redacted unless the DSL chose otherwise."""
    title = f"Safeguarding file — {file.pupil.legal_name}"
    return _build_child_document(file, meta, title, "Child protection file")


def build_transfer_record(transfer: TransferInfo, meta: ExportMeta) -> bytes:
    """The child's file sent to the next school, with a receipt page to sign and return."""
    file = transfer.child_file
    s = styles()

    def receipt(width: float) -> list:
        line = "_" * 60
        return [
            PageBreak(),
            Heading("Receipt of a child protection file", s["title"], RECEIPT_KEY),
            Paragraph(
                f"To the designated safeguarding lead of <b>{text(transfer.to_school)}</b>: please sign and return this page "
                f"to {text(file.school.name)} ({text(file.school.dsl_contact or 'the DSL')}) as soon as you receive the file. "
                "Keeping Children Safe in Education asks for the file to be sent within 5 school days and for receipt "
                "to be confirmed.",
                s["body"],
            ),
            Spacer(1, 6),
            key_values(
                [
                    ("Child", file.pupil.legal_name),
                    ("Date of birth", day(file.pupil.date_of_birth)),
                    ("UPN", file.pupil.upn),
                    ("Sent by", f"{transfer.sent_by}, {file.school.name}"),
                    ("Sent on", day(transfer.sent_on)),
                    ("How", transfer.method),
                    ("Concerns in the file", str(len(file.concerns))),
                ],
                width,
            ),
            Spacer(1, 14),
            Paragraph(f"Received by (name): {line}", s["body"]),
            Spacer(1, 10),
            Paragraph(f"Role: {line}", s["body"]),
            Spacer(1, 10),
            Paragraph(f"Signature: {line}", s["body"]),
            Spacer(1, 10),
            Paragraph(f"Date received: {line}", s["body"]),
        ]

    title = f"Transfer record — {file.pupil.legal_name} to {transfer.to_school}"
    appendix = _Appendix(receipt, (("Receipt to sign and return", RECEIPT_KEY),))
    return _build_child_document(transfer, meta, title, "Child protection file transfer", appendix)


def _bar_chart(pairs: tuple[tuple[str, int], ...], width: float, title: str, horizontal: bool) -> Drawing:
    labels = [label for label, _ in pairs] or ["None"]
    values = [n for _, n in pairs] or [0]
    height = max(60 * mm, 7 * mm * len(labels) + 20 * mm) if horizontal else 70 * mm
    drawing = Drawing(width, height)
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    left = min(70 * mm, width * 0.45) if horizontal else 12 * mm
    # Lengths in points, fractional (types-reportlab says whole numbers; ReportLab takes any number).
    chart.x, chart.y = left, 12 * mm  # type: ignore[assignment]
    chart.width, chart.height = width - left - 8 * mm, height - 22 * mm  # type: ignore[assignment]
    chart.data = [values]
    # A long category name is cut at a word, with "…"; the table under the chart gives it whole.
    chart.categoryAxis.categoryNames = [shorten(label, 45) for label in labels]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    # Counts are whole numbers: ticks at whole steps, about five of them.
    chart.valueAxis.valueStep = max(1, -(-max(values) // 5))
    chart.valueAxis.valueMax = max(1, max(values))
    chart.bars[0].fillColor = colors.HexColor("#1d3557")
    if not horizontal:
        chart.categoryAxis.labels.angle = 35
        chart.categoryAxis.labels.boxAnchor = "ne"
    else:
        chart.categoryAxis.labels.boxAnchor = "e"
    drawing.add(chart)
    drawing.add(String(0, height - 6 * mm, title, fontName=FONT_BOLD, fontSize=9))
    return drawing


def _monitoring_section(review: MonitoringReview | None, width: float) -> list:
    """The period's filtering and monitoring alerts, for the annual review: totals, then by vendor, category,
    severity and outcome."""
    s = styles()
    made: list = [Paragraph("Filtering and monitoring alerts", s["h2"])]
    if review is None:
        return [*made, Paragraph("No alert from the school's monitoring software in the period.", s["body"])]
    made += [
        Paragraph(
            "Alerts from the school's filtering and monitoring software that occurred in the period, for the annual "
            "review of filtering and monitoring. Alerts below the school's lowest severity for the tray were counted "
            "and not shown to the DSL team.",
            s["small"],
        ),
        key_values(
            [("Alerts", str(review.total)), ("Below the tray's severity (counted only)", str(review.below_tray))],
            width,
        ),
    ]
    for heading, pairs in (
        ("Vendor", review.by_vendor),
        ("Category", review.by_category),
        ("Severity", review.by_severity),
        ("Outcome", review.by_outcome),
    ):
        rows: list[list[Cell]] = [[heading, "Alerts"]]
        rows += [[label, str(n)] for label, n in pairs]
        made.append(grid(rows, [width * 0.75, width * 0.25]))
    return made


def build_period_summary(summary: PeriodSummary, meta: ExportMeta) -> bytes:
    """Counts and response times for governors and the local authority; no child is named."""
    s = styles()

    def counts(pairs, heading):
        rows: list[list] = [[heading, "Concerns"]]
        rows += [[label, str(n)] for label, n in pairs]
        if len(rows) == 1:
            rows.append(["None", "0"])
        return rows

    def minutes(value):
        if value is None:
            return "—"
        if value < 120:
            return f"{value:.0f} minutes"
        return f"{value / 60:.1f} hours"

    agencies: list[list[Cell]] = [["Agency", "Referrals"]]
    agencies += [[label, str(n)] for label, n in summary.referrals_by_agency]
    groups: list[list[Cell]] = [["Group", "Children", "Concerns"]]
    groups += [[group, children, n] for group, children, n in summary.by_vulnerable_group]

    def story(width: float) -> list:
        made = [
            Paragraph("Safeguarding summary", s["title"]),
            Paragraph(
                f"{day(summary.period_from)} to {day(summary.period_to)} — {text(summary.school.name)}", s["body"]
            ),
            Paragraph(
                "This summary holds counts only: no child's name or identifying detail. Exported for: "
                + text(meta.reason),
                s["small"],
            ),
            Spacer(1, 6),
            key_values(
                [
                    ("Concerns logged", str(summary.total)),
                    ("Acknowledged", str(summary.acknowledged_count)),
                    ("Time to acknowledge, median", minutes(summary.ack_median_minutes)),
                    ("Time to acknowledge, 90th percentile", minutes(summary.ack_p90_minutes)),
                ],
                width,
            ),
            key_values(
                [
                    ("Marked urgent", str(summary.urgent_count)),
                    ("Not acknowledged in time", str(summary.acknowledged_late_count)),
                ],
                width,
            ),
            Paragraph("By month", s["h2"]),
            _bar_chart(summary.by_month, width, "Concerns logged per month", horizontal=False),
            # The same numbers as text: a chart alone cannot be searched, copied or read aloud.
            grid(counts(summary.by_month, "Month"), [width * 0.75, width * 0.25]),
            Paragraph("By category", s["h2"]),
            _bar_chart(
                summary.by_category[:15], width, "Concerns by category (a concern can have several)", horizontal=True
            ),
            grid(counts(summary.by_category, "Category"), [width * 0.75, width * 0.25]),
            Paragraph("By status", s["h2"]),
            grid(counts(summary.by_status, "Status"), [width * 0.75, width * 0.25]),
            Paragraph("By level of need", s["h2"]),
            grid(counts(summary.by_level_of_need, "Level of need"), [width * 0.75, width * 0.25]),
            Paragraph("Referrals and reports by agency", s["h2"]),
            grid(
                agencies,
                [width * 0.75, width * 0.25],
            ),
            Paragraph("Children in vulnerable groups", s["h2"]),
            Paragraph(
                "Children the period's concerns were about, by the groups the school's roll records now. A group of "
                "fewer than 5 children is not counted, nor are its concerns, so that no child can be identified.",
                s["small"],
            ),
            grid(
                groups,
                [width * 0.5, width * 0.25, width * 0.25],
            ),
            *_monitoring_section(summary.monitoring, width),
        ]
        return made

    return build(
        story,
        school=summary.school,
        title=f"Safeguarding summary {summary.period_from:%d %b %Y} to {summary.period_to:%d %b %Y}",
        subject="Safeguarding period summary",
        meta=meta,
        content=summary,
    )
