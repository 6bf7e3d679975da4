"""The uploaded roll waits between its preview and its confirmation, and no longer: confirmed, cancelled or expired,
the file is deleted from the instance folder."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safeguard.pupils.models import Pupil
from tests import factories

ROLL = (Path(__file__).resolve().parents[1] / "data" / "pupils_good.csv").read_bytes()
_TOKEN = re.compile(r'name="token" type="hidden" value="([0-9a-f]+)"')


def _stashed(app) -> list[Path]:
    """The files waiting in the import folder."""
    folder = Path(app.instance_path) / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def _count(db, school) -> int:
    return db.session.scalar(select(func.count()).select_from(Pupil).where(Pupil.school_id == school.id))


def _preview(client) -> tuple[str, str]:
    """Upload the roll and return the preview page and the token of the file kept for its confirmation."""
    csrf = factories.csrf_token(client, "/pupils/import")
    response = client.post(
        "/pupils/import",
        data={"csrf_token": csrf, "csv_file": (io.BytesIO(ROLL), "roll.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page, _TOKEN.search(page).group(1)


def _post(client, url: str, token: str, **kwargs):
    return client.post(
        url, data={"csrf_token": factories.csrf_token(client, "/pupils/import"), "token": token}, **kwargs
    )


@pytest.fixture
def dsl(client, school, sign_in):
    """The DSL, signed in (DSLs import pupils)."""
    sign_in(school.dsl)
    return school.dsl


def test_confirming_imports_the_pupils_and_deletes_the_file(app, client, school, dsl, db):
    _, token = _preview(client)
    assert len(_stashed(app)) == 2  # the file and who uploaded it, until confirmed
    response = _post(client, "/pupils/import/confirm", token, follow_redirects=True)
    assert "Import complete: 3 added" in response.get_data(as_text=True)
    assert _stashed(app) == []
    assert _count(db, school.school) == 3


def test_cancelling_deletes_the_file_and_imports_nothing(app, client, school, dsl, db):
    page, token = _preview(client)
    assert 'formaction="/pupils/import/cancel"' in page and "Cancel and delete the file" in page
    response = _post(client, "/pupils/import/cancel", token, follow_redirects=True)
    assert "Import cancelled: nothing was imported and the uploaded file has been deleted." in response.get_data(
        as_text=True
    )
    assert _stashed(app) == []
    assert _count(db, school.school) == 0
    # The preview's button no longer imports anything.
    response = _post(client, "/pupils/import/confirm", token, follow_redirects=True)
    assert "That import has expired or was already applied" in response.get_data(as_text=True)
    assert _count(db, school.school) == 0


def test_cancelling_needs_the_forms_csrf_token(app, client, school, dsl):
    _, token = _preview(client)
    response = client.post("/pupils/import/cancel", data={"token": token})
    assert response.status_code == 400
    assert len(_stashed(app)) == 2


def test_nobody_else_can_cancel_or_take_anothers_import(app, client, school, dsl, db):
    _, token = _preview(client)
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    other_dsl = factories.user(school.school, "dsl", email="deputy@oak.example")
    db.session.commit()
    factories.sign_in(client, other_dsl)
    for url in ("/pupils/import/cancel", "/pupils/import/confirm"):
        response = _post(client, url, token, follow_redirects=True)
        assert "expired" in response.get_data(as_text=True)
    assert len(_stashed(app)) == 2
    assert _count(db, school.school) == 0


def _age(paths: list[Path], seconds: float) -> None:
    then = time.time() - seconds
    for path in paths:
        os.utime(path, (then, then))


def test_the_notify_worker_deletes_imports_left_unconfirmed_for_an_hour(app, client, runner, school, dsl):
    _preview(client)
    _age(_stashed(app), 61 * 60)
    _, fresh = _preview(client)
    result = runner.invoke(args=["notify", "--once"])
    assert result.exit_code == 0, result.output
    assert "expired imports deleted 1" in result.output
    assert [path.stem for path in _stashed(app)] == [fresh, fresh]


def test_an_expired_import_cannot_be_confirmed_and_its_file_is_deleted(app, client, school, dsl, db):
    _, token = _preview(client)
    app.config["IMPORT_STASH_MINUTES"] = 30
    _age(_stashed(app), 31 * 60)
    response = _post(client, "/pupils/import/confirm", token, follow_redirects=True)
    assert "That import has expired or was already applied" in response.get_data(as_text=True)
    assert _stashed(app) == []
    assert _count(db, school.school) == 0
