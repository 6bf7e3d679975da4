"""Attachments on disk follow the transaction: a concern that is not saved leaves no file of child data behind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from safeguard.concerns.models import Attachment, Concern, Part
from safeguard.concerns.services import NewConcern, PupilRole, Upload, log_concern
from safeguard.core import storage
from safeguard.core.sqltypes import utcnow
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = {
    "immediate_danger": "no",
    "observed_at": "2026-11-23T09:30",
    "location": "Year 6 classroom",
    "categories": ["abuse-physical"],
    "account": 'Amira said "my dad hit me with a belt last night". She has a bruise on her upper arm.',
    "already_done": "Listened and told her I would share it with the DSL.",
    "pupils-0-part": "subject",
}


@pytest.fixture
def pupil(school):
    """A pupil at the first school."""
    return factories.pupil(school.school, "Amira", "Haddad")


def _files(app) -> list[Path]:
    """Every file in the upload folder."""
    return sorted(path for path in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if path.is_file())


def _log_with_attachment(school, pupil, name: str = "body map.pdf") -> Concern:
    """Log a concern with one attachment through the service, without committing."""
    new = NewConcern(
        pupils=[PupilRole(pupil.id, Part.SUBJECT)],
        observed_at=utcnow(),
        location="Playground",
        category_ids=["abuse-physical"],
        account='Amira said "my dad hit me with a belt". She had a bruise on her arm.',
        already_done="Listened and told her I must share it with the DSL.",
        uploads=[Upload(name, PDF)],
    )
    return log_concern(school.staff, new)


def _post_concern(client, pupil):
    """Submit the concern form with a PDF attached, as a member of staff does."""
    token = factories.csrf_token(client, "/concerns/new")
    data = {**FORM, "pupils-0-pupil_id": str(pupil.id), "attachments": [(io.BytesIO(PDF), "body map.pdf")]}
    return client.post("/concerns/new", data={**data, "csrf_token": token}, content_type="multipart/form-data")


def test_a_concern_rolled_back_leaves_no_file_in_the_upload_folder(app, school, pupil, db):
    _log_with_attachment(school, pupil)
    assert len(_files(app)) == 1  # written while the transaction is open
    db.session.rollback()
    assert _files(app) == []
    assert db.session.scalar(select(Concern)) is None


def test_a_session_closed_without_committing_leaves_no_file(app, school, pupil, db):
    _log_with_attachment(school, pupil)
    db.session.remove()  # what the end of a request that raised does
    assert _files(app) == []


def test_a_request_that_fails_after_the_file_was_written_leaves_no_file(app, client, school, pupil, sign_in, db):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as when served: the error page, not a traceback
    sign_in(school.staff)

    def database_gone(_session):
        raise OperationalError("COMMIT", {}, ConnectionError("the server closed the connection"))

    event.listen(db.session, "before_commit", database_gone)
    try:
        response = _post_concern(client, pupil)
    finally:
        event.remove(db.session, "before_commit", database_gone)
    assert response.status_code == 500
    assert _files(app) == []
    assert db.session.scalar(select(Concern)) is None


def test_a_committed_attachment_stays_on_disk_and_is_downloadable(app, client, school, pupil, sign_in, db):
    sign_in(school.staff)
    assert _post_concern(client, pupil).status_code == 302
    [stored] = _files(app)
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    sign_in(school.dsl)
    assert client.get("/concerns/999999").status_code == 404  # a request rolled back later removes nothing
    attachment = db.session.scalar(select(Attachment))
    response = client.get(f"/concerns/{attachment.concern_id}/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == PDF
    assert _files(app) == [stored]


def test_only_the_file_of_a_rolled_back_savepoint_is_removed(app, school, pupil, db):
    kept = storage.save(school.school.id, b"a letter from the police")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        storage.save(school.school.id, b"a draft that was abandoned")
        raise RuntimeError("abandoned")
    db.session.commit()
    assert [path.name for path in _files(app)] == [kept.storage_name]
    assert storage.load(school.school.id, kept.storage_name, kept.sha256) == b"a letter from the police"
