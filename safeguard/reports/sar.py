"""The release of a subject access request: everything held about the child, with each redaction drawn as a black
box labelled with its reason (the redacted words are never written into the PDF)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from reportlab.platypus import KeepTogether, Paragraph, Spacer

from safeguard.reports.base import build, day, grid, key_values, local, styles, subheading, text
from safeguard.reports.data import ExportMeta, PupilInfo, SchoolInfo


@dataclass(frozen=True)
class Piece:
    """A run of a passage: its text, or (``reason`` set) a redaction labelled with its reason and no text."""

    text: str
    reason: str | None = None


@dataclass(frozen=True)
class PassageInfo:
    """One passage as released: a label (an account, a chronology entry) and its pieces."""

    key: str
    label: str
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class SectionInfo:
    """A concern of the file (or another part of what is held), with its passages."""

    title: str
    facts: tuple[tuple[str, str], ...]
    passages: tuple[PassageInfo, ...]


@dataclass(frozen=True)
class SarReleaseInfo:
    """The content of a release: what the verification code covers."""

    school: SchoolInfo
    reference: str
    received_on: date
    requester: str
    child: PupilInfo
    sections: tuple[SectionInfo, ...]
    # (what, when) of each document exported about the child, and of each attachment.
    exports: tuple[tuple[str, datetime], ...]
    attachments: tuple[tuple[str, datetime], ...]
    transfer: str
    redactions: int


REDACTED_STYLE = '<font backColor="#000000" color="#FFFFFF">&nbsp;{}&nbsp;</font>'


def passage_markup(passage: PassageInfo) -> str:
    """A passage's Paragraph markup: its text escaped, each redaction a black box with its reason."""
    return "".join(
        REDACTED_STYLE.format(text(f"Redacted: {piece.reason}")) if piece.reason is not None else text(piece.text)
        for piece in passage.pieces
    )


def build_subject_access_release(release: SarReleaseInfo, meta: ExportMeta) -> bytes:
    """Build the release PDF: the protective marking and page numbers on every page (the shared frame), the request
    it answers, each section's passages, the lists of attachments and exports, and the verification code."""
    zone = ZoneInfo(meta.zone)
    s = styles()

    def story(width: float) -> list:
        child = release.child
        made: list = [
            Paragraph(text(f"Information held about {child.legal_name}"), s["title"]),
            Paragraph(
                text(
                    f"Prepared in response to a subject access request received on {day(release.received_on)} "
                    f"({release.reference}), made by {release.requester}."
                ),
                s["body"],
            ),
            Paragraph(
                text(
                    "Where information has been withheld it is shown as a black box labelled with the reason: "
                    "information about another child or adult, information that could cause serious harm, "
                    "information from another agency awaiting its view, or legally privileged information. Other "
                    "children are called Child B, Child C and so on."
                ),
                s["small"],
            ),
            Spacer(1, 6),
            key_values(
                [("Name", child.legal_name), ("Date of birth", day(child.date_of_birth)), ("UPN", child.upn)], width
            ),
        ]
        for section in release.sections:
            made += subheading(section.title)
            if section.facts:
                made.append(key_values(list(section.facts), width))
            for passage in section.passages:
                made.append(
                    KeepTogether(
                        [Paragraph(text(passage.label), s["small"]), Paragraph(passage_markup(passage), s["account"])]
                    )
                )
        made += subheading("Attachments held (listed, not reproduced)")
        rows: list[list] = [["Attachment", "Added"]]
        rows += [[name, local(at, zone)] for name, at in release.attachments] or [["None", "—"]]
        made.append(grid(rows, [width * 0.7, width * 0.3]))
        made += subheading("Documents exported about the child")
        rows = [["Document", "Exported"]]
        rows += [[what, local(at, zone)] for what, at in release.exports] or [["None", "—"]]
        made.append(grid(rows, [width * 0.7, width * 0.3]))
        made += subheading("Transfer of the file")
        made.append(Paragraph(text(release.transfer), s["body"]))
        made.append(Spacer(1, 8))
        made.append(Paragraph(text(f"Redactions made: {release.redactions}."), s["small"]))
        return made

    return build(
        story,
        school=release.school,
        title=f"Subject access request {release.reference}",
        subject="Information held about a child, released in response to a subject access request",
        meta=meta,
        content=release,
    )
