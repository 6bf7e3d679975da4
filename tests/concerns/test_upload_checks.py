"""What an attachment must not be, whatever its first bytes say: a page hidden in a PDF, an image that would exhaust
memory, a Word document that expands a thousandfold or carries macros; and the name it is kept under."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from safeguard.concerns.models import Attachment, Concern
from safeguard.core import uploads
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _form(pupil, attachments):
    return {
        "immediate_danger": "no",
        "observed_at": "2026-11-23T09:30",
        "location": "Year 6 classroom",
        "categories": ["abuse-physical"],
        "account": "Amira said her arm hurt when she lifted her bag. She has a bruise on her upper arm.",
        "already_done": "Listened and told her I would share it with the DSL.",
        "pupils-0-pupil_id": str(pupil.id),
        "pupils-0-part": "subject",
        "attachments": attachments,
    }


def _post(client, pupil, name, data):
    token = factories.csrf_token(client, "/concerns/new")
    form = _form(pupil, [(io.BytesIO(data), name)])
    return client.post("/concerns/new", data={**form, "csrf_token": token}, content_type="multipart/form-data")


def _png(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` × ``height``; its pixels are not needed to refuse it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 180, 160)).save(out, "JPEG")
    return out.getvalue()


def _docx(extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def _refused(client, db, response, words: str) -> None:
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def test_a_pdf_that_is_also_a_web_page_is_refused(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    polyglot = PDF.replace(b"trailer", b"<html><body><script>alert(document.cookie)</script></body></html>\ntrailer")
    _refused(client, db, _post(client, pupils[0], "letter.pdf", polyglot), "web page markup")
    upper = PDF + b"\n< SCRIPT src=//example.org/x.js></script>"
    _refused(client, db, _post(client, pupils[0], "letter.pdf", upper), "web page markup")


def test_an_image_declaring_more_pixels_than_memory_holds_is_refused(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    _refused(client, db, _post(client, pupils[0], "scan.png", _png(30_000, 30_000)), "too large to open safely")
    _refused(client, db, _post(client, pupils[0], "scan.png", _png(100_000, 100_000)), "too large to open safely")


def test_a_damaged_image_is_refused_and_a_real_photo_is_kept(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    damaged = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    _refused(client, db, _post(client, pupils[0], "scan.png", damaged), "could not be read as an image")
    response = _post(client, pupils[0], "letter from home.jpg", _photo())
    assert response.status_code == 302
    assert db.session.scalar(select(Attachment.content_type)) == "image/jpeg"


def test_a_word_document_that_expands_past_the_limit_or_has_macros_is_refused(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    bomb = _docx({"word/media/padding.bin": b"\x00" * (uploads.MAX_EXPANDED_BYTES + 1)})
    assert len(bomb) < 1024 * 1024  # small to send, a hundred megabytes to open
    _refused(client, db, _post(client, pupils[0], "report.docx", bomb), "expands to more than")
    macros = _docx({"word/vbaProject.bin": b"macro"})
    _refused(client, db, _post(client, pupils[0], "report.docx", macros), "contains macros")
    response = _post(client, pupils[0], "report.docx", _docx())
    assert response.status_code == 302
    assert db.session.scalar(select(Attachment.content_type)).endswith("wordprocessingml.document")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/letter.pdf", "letter.pdf"),
        ("letter\u202efdp.exe.pdf", "letterfdp.exe.pdf"),
        ("\u200b\u200b.pdf", "pdf"),
    ],
)
def test_the_stored_name_has_no_path_control_or_bidirectional_characters(
    app, client, school, pupils, sign_in, db, sent, kept
):
    sign_in(school.staff)
    response = _post(client, pupils[0], sent, PDF)
    assert response.status_code == 302
    attachment = db.session.scalar(select(Attachment))
    assert attachment.original_name == kept
    dsl = app.test_client()
    factories.sign_in(dsl, school.dsl)
    download = dsl.get(f"/concerns/{attachment.concern_id}/attachments/{attachment.id}")
    assert download.status_code == 200
    disposition = download.headers["Content-Disposition"]
    assert "\u202e" not in disposition and "\r" not in disposition and "\n" not in disposition
    assert "X-Injected" not in download.headers


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("C:\\Users\\staff\\letter.pdf", "letter.pdf"),
        ("letter\r\nX-Injected: yes.pdf", "letter X-Injected: yes.pdf"),
        ("  notes   from\tthe  meeting .pdf ", "notes from the meeting .pdf"),
        ("...", "attachment"),
        ("Zoë’s letter.pdf", "Zoë’s letter.pdf"),
        ("x" * 300 + ".docx", "x" * 250 + ".docx"),
    ],
)
def test_safe_filename_cleans_what_a_browser_or_a_script_may_send(sent, kept):
    assert uploads.safe_filename(sent) == kept
