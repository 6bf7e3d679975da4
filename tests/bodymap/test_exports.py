"""The body map in the PDFs: the outlines drawn with numbered marks, the marks' details in words, redaction."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest

from safeguard.bodymap.services import NewMark
from safeguard.concerns import services
from safeguard.concerns.models import Part
from safeguard.core.sqltypes import utcnow
from safeguard.exports import services as exports
from safeguard.reports import content_digest
from tests import factories
from tests.conftest import unavailable


def _text(pdf: bytes, tmp_path) -> str:
    """The PDF's text as pdftotext extracts it, whitespace folded."""
    if not shutil.which("pdftotext"):
        unavailable("pdftotext (poppler-utils)")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True)
    return " ".join(out.stdout.split())


@pytest.fixture
def marked(school, pupils, db):
    """A concern about Amira, Oliver the child who may have caused harm, with a mark on each; a third added later."""
    now = utcnow()
    new = services.NewConcern(
        pupils=[services.PupilRole(pupils[0].id, Part.SUBJECT), services.PupilRole(pupils[1].id, Part.HARMED)],
        observed_at=now - timedelta(hours=1),
        category_ids=["abuse-physical"],
        account='Amira had a bruise on her arm and said "Oliver Bennett squeezed it".',
        marks=[
            NewMark(
                region_id="forearm",
                side="left",
                kind="bruise",
                length_cm="3",
                width_cm="2",
                shape="Oval",
                colour="Purple",
                child_words="Oliver squeezed it at break",
                pupil_id=pupils[0].id,
            ),
            NewMark(view="front", x="0.5", y="0.3", kind="scratch", length_cm="4", colour="Red", pupil_id=pupils[1].id),
        ],
    )
    concern = services.log_concern(school.staff, new, now=now)
    db.session.commit()
    later = [NewMark(region_id="shoulder", side="right", kind="swelling", length_cm="5", shape="Raised")]
    services.add_marks(concern, school.dsl, later, "Seen at PE.")
    db.session.commit()
    return concern


def test_the_concern_report_draws_and_numbers_every_mark_with_its_details(app, school, marked, tmp_path):
    text = _text(exports.export_concern(marked, school.dsl, "Referral to children's social care").pdf, tmp_path)
    assert "Body map (marks seen, drawn and described; staff never photograph injuries)" in text
    # The outlines, drawn as vector graphics with the marks' numbers on them, then the table of details.
    drawn = text[text.index("Body map (") : text.index("No. Where What Seen")]
    for caption in ("Front", "Back", "Left side", "Right side", "Head and face"):
        assert caption in drawn
    assert set(drawn.split()) >= {"1", "2", "3"}
    table = text[text.index("No. Where What Seen") : text.index("Chronology of actions")]
    # Each number with its child and details, in the order recorded.
    assert table.index("1 Amira Haddad") < table.index("2 Oliver Bennett") < table.index("3 Amira Haddad")
    assert table.index("Left forearm") < table.index("Chest") < table.index("Right shoulder")
    assert "Bruise, 3 cm × 2 cm" in text and "Oval" in text and "Purple" in text
    assert "Oliver squeezed it at" in table and "break" in table
    assert "Scratch, 4 cm" in text and "Swelling, 5 cm" in text and "Raised" in text
    # The information added later says what it added, with the note written with it.
    assert "Body map: 1 mark added by Designated safeguarding lead (or deputy) OAK Seen at PE." in text
    assert "chosen from the list" in text  # the first and third were chosen from the list; the second tapped
    assert "Staff member" in table and "Designated" in table  # who recorded each


def test_the_childs_file_shows_every_mark_on_the_child_and_redacts_the_other_child(
    app, school, pupils, marked, tmp_path
):
    text = _text(exports.export_child_file(pupils[0], school.dsl, "Receiving school request", False).pdf, tmp_path)
    assert "Body map: every mark across the concerns" in text
    assert "2 marks recorded on this child" in text
    combined = text[text.index("Body map: every mark") : text.index("Summary chronology When")]
    assert combined.index(f"1 {marked.reference}") < combined.index(f"2 {marked.reference}")
    assert combined.index("Left forearm") < combined.index("Right shoulder") and "Chest" not in combined
    # The other child's mark is in the concern's own map, under the alias; their name is nowhere.
    assert "2 Child B" in text and "Child B squeezed it at" in text
    assert "Oliver" not in text and "Bennett" not in text


def test_a_record_without_marks_keeps_the_digest_it_had_before_the_body_map(app, school, pupils, db):
    concern = factories.concern(school.staff, [pupils[0]])
    info = exports.concern_info(concern)
    assert info.marks == ()
    before = {name: value for name, value in vars(info).items() if name != "marks"}
    import dataclasses

    Old = dataclasses.make_dataclass("ConcernInfo", [(name, object) for name in before], frozen=True)
    assert content_digest(info) == content_digest(Old(**before))
