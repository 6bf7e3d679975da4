"""The case summary of a concern about an adult, for the Local Authority Designated Officer (LADO): built from plain
data, with the protective marking, page numbers and verification code of every other document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from reportlab.platypus import Paragraph, Spacer

from safeguard.reports.base import build, day, grid, key_values, local, styles, subheading, text
from safeguard.reports.data import ExportMeta, SchoolInfo
from safeguard.reports.layout import Cell


@dataclass(frozen=True)
class CaseEntry:
    """One entry of the case's chronology."""

    at: datetime
    actor: str
    summary: str


@dataclass(frozen=True)
class AdultCaseInfo:
    """A concern about an adult as the LADO's summary holds it (the record content its verification code covers)."""

    id: int
    reference: str
    track: str
    status: str
    case_manager: str
    subject_name: str
    subject_relation: str
    subject_role: str
    reporter: str
    received_at: datetime
    happened_at: datetime
    location: str
    threshold: str
    account: str
    kept_wording_reason: str
    children: tuple[str, ...]
    lado_due_at: datetime | None
    lado_discussed_at: datetime | None
    lado: str
    lado_advice: str
    lado_reference: str
    advised: tuple[str, ...]
    involvement: str
    interim: str
    interim_reason: str
    outcome: str
    outcome_notes: str
    dbs: str
    tra: str
    retain_until: date | None
    remove_from_personnel: bool
    entries: tuple[CaseEntry, ...]


def _details(case: AdultCaseInfo, width: float, zone: ZoneInfo) -> list:
    pairs: list[tuple[str, Cell]] = [
        ("Track", case.track),
        ("Status", case.status),
        ("Case manager", case.case_manager),
        (
            "The adult",
            f"{case.subject_name} — {case.subject_relation}" + (f", {case.subject_role}" if case.subject_role else ""),
        ),
        ("Raised by", case.reporter),
        ("Received", local(case.received_at, zone)),
        ("Happened", local(case.happened_at, zone)),
        ("Where", case.location or "—"),
        ("Harm threshold (the writer's view)", case.threshold),
        ("Children involved", ", ".join(case.children) or "None named"),
    ]
    return [key_values(pairs, width)]


def _lado(case: AdultCaseInfo, width: float, zone: ZoneInfo) -> list:
    if case.lado_discussed_at is None:
        due = local(case.lado_due_at, zone) if case.lado_due_at else "—"
        pairs: list[tuple[str, Cell]] = [("Discussion with the LADO", f"Not yet recorded (due {due})")]
    else:
        pairs = [
            ("Discussed", local(case.lado_discussed_at, zone)),
            ("Due by", local(case.lado_due_at, zone) if case.lado_due_at else "—"),
            ("LADO", case.lado or "—"),
            ("LADO's reference", case.lado_reference or "—"),
            ("Advice", case.lado_advice or "—"),
            ("Advised", ", ".join(case.advised) or "Nothing further"),
            ("Involvement", case.involvement or "—"),
        ]
    return [*subheading("Discussion with the Local Authority Designated Officer"), key_values(pairs, width)]


def _outcome(case: AdultCaseInfo, width: float) -> list:
    pairs: list[tuple[str, Cell]] = [
        ("Interim arrangements", case.interim or "None recorded"),
        ("Reasons", case.interim_reason or "—"),
        ("Outcome", case.outcome or "Open — no outcome yet"),
        ("Notes", case.outcome_notes or "—"),
        ("Referral to the Disclosure and Barring Service", case.dbs or "Not yet decided"),
        ("Referral to the Teaching Regulation Agency", case.tra or "Not yet decided"),
        ("Kept until", day(case.retain_until) if case.retain_until else "Not yet set"),
    ]
    if case.remove_from_personnel:
        pairs.append(("Personnel records", "Malicious allegation: removed from the adult's personnel records"))
    return [*subheading("Interim arrangements and outcome"), key_values(pairs, width)]


def _chronology(case: AdultCaseInfo, width: float, zone: ZoneInfo) -> list:
    rows: list[list] = [["When", "Who", "What"]]
    rows += [[local(e.at, zone), e.actor, e.summary] for e in case.entries]
    return [*subheading("Chronology of the case"), grid(rows, [width * 0.2, width * 0.2, width * 0.6])]


def build_adult_case_summary(case: AdultCaseInfo, school: SchoolInfo, meta: ExportMeta) -> bytes:
    """The case summary for the LADO: the concern, the discussion, interim arrangements, outcome and chronology."""
    s = styles()
    zone = ZoneInfo(meta.zone)

    def story(width: float) -> list:
        account = [*subheading("What happened, as recorded"), Paragraph(text(case.account), s["account"])]
        if case.kept_wording_reason:
            account.append(
                Paragraph(f"<b>Flagged wording kept because:</b> {text(case.kept_wording_reason)}", s["small"])
            )
        return [
            Paragraph(f"Concern about an adult — case summary — {text(case.reference)}", s["title"]),
            Paragraph(f"Exported for: {text(meta.reason)}", s["small"]),
            Spacer(1, 4),
            key_values([("School", school.name)], width),
            *_details(case, width, zone),
            *account,
            *_lado(case, width, zone),
            *_outcome(case, width),
            *_chronology(case, width, zone),
        ]

    return build(
        story,
        school=school,
        title=f"Case summary {case.reference}",
        subject="Concern about an adult: case summary for the LADO",
        meta=meta,
        content=case,
    )
