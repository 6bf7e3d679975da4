"""Importing the MIS export: every row checked first, nothing imported when one is bad, upsert by UPN."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safeguard.pupils import services
from safeguard.pupils.models import Pupil
from tests import factories

DATA = Path(__file__).resolve().parents[1] / "data"
TODAY = date(2026, 11, 24)
HEADER = "UPN,Legal Forename,Legal Surname,DOB\n"


def _count(db, school) -> int:
    return db.session.scalar(select(func.count()).select_from(Pupil).where(Pupil.school_id == school.id))


def test_good_file_imports_with_flags(app, school, db):
    result = services.apply_import(school.school, (DATA / "pupils_good.csv").read_bytes(), TODAY, school.dsl)
    assert (len(result.added), len(result.changed), result.ok) == (3, 0, True)
    ollie = db.session.scalar(select(Pupil).where(Pupil.upn == "B123456789013"))
    assert (ollie.preferred_name, ollie.send, ollie.date_of_birth) == ("Ollie", True, date(2015, 9, 30))
    amira = db.session.scalar(select(Pupil).where(Pupil.upn == "A123456789012"))
    assert amira.child_in_need and not amira.send
    assert db.session.scalar(select(Pupil).where(Pupil.upn == "C123456789014")).legal_first_name == "Zoë"


def test_one_bad_row_means_nothing_is_imported(app, school, db):
    result = services.apply_import(school.school, (DATA / "pupils_bad_row.csv").read_bytes(), TODAY, school.dsl)
    assert not result.ok
    assert [(p.line, "31/02/2015" in p.reason) for p in result.problems] == [(3, True)]
    assert _count(db, school.school) == 0


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("A12345678901,Ann,Lee,01/01/2015", "not 13 characters"),
        (",Ann,Lee,01/01/2015", "UPN is missing"),
        ("A123456789012,,Lee,01/01/2015", "legal forename is missing"),
        ("A123456789012,Ann,,01/01/2015", "legal surname is missing"),
        ("A123456789012,Ann,Lee,01/01/2030", "in the future"),
        ("A123456789012,Ann,Lee,yesterday", "is not a date"),
    ],
)
def test_each_kind_of_bad_row_is_explained(app, school, row, reason):
    _, problems = services.parse((HEADER + row + "\n").encode(), TODAY)
    assert len(problems) == 1 and problems[0].line == 2
    assert reason in problems[0].reason


def test_duplicate_upn_names_both_lines(app, school):
    data = (HEADER + "A123456789012,Ann,Lee,01/01/2015\nA123456789012,Bo,Lee,02/01/2015\n").encode()
    _, problems = services.parse(data, TODAY)
    assert problems[0].line == 3 and "also on line 2" in problems[0].reason


def test_missing_columns_are_named(app, school):
    with pytest.raises(services.ImportError_, match="date of birth"):
        services.parse(b"UPN,Forename,Surname\nA123456789012,Ann,Lee\n", TODAY)


def test_bom_semicolons_and_windows_1252(app, school):
    rows, problems = services.parse(
        "\ufeffUPN;Forename;Surname;Date of Birth\nA123456789012;Zoë;Lee;2015-01-01\n".encode(), TODAY
    )
    assert not problems and rows[0]["legal_first_name"] == "Zoë"
    rows, problems = services.parse(
        "UPN,Forename,Surname,DOB\nA123456789012,Zoë,Lee,01/01/2015\n".encode("cp1252"), TODAY
    )
    assert not problems and rows[0]["legal_first_name"] == "Zoë"


def test_upsert_changes_only_this_school_and_keeps_the_absent(app, school, other_school, db):
    services.apply_import(school.school, (DATA / "pupils_good.csv").read_bytes(), TODAY, school.dsl)
    twin = factories.pupil(other_school.school, "Amira", "Haddad", upn="A123456789012")
    data = (HEADER + "A123456789012,Amira,Haddad-Smith,12/04/2015\n").encode()
    result = services.apply_import(school.school, data, TODAY, school.dsl)
    assert [c.fields["legal_last_name"] for c in result.changed] == [("Haddad", "Haddad-Smith")]
    assert result.not_in_file == 2
    assert _count(db, school.school) == 3  # nobody deleted or marked as left
    db.session.refresh(twin)
    assert twin.legal_last_name == "Haddad"


def test_cli_dry_run_and_bad_rows(runner, school, db):
    result = runner.invoke(args=["pupils", "import", str(DATA / "pupils_good.csv"), "--school", "OAK", "--dry-run"])
    assert result.exit_code == 0 and "Would import for OAK: 3 added" in result.output
    assert _count(db, school.school) == 0
    result = runner.invoke(args=["pupils", "import", str(DATA / "pupils_bad_row.csv"), "--school", "OAK"])
    assert result.exit_code == 1 and "line 3:" in result.output and "Nothing imported" in result.output
    result = runner.invoke(args=["pupils", "import", str(DATA / "pupils_good.csv"), "--school", "OAK"])
    assert result.exit_code == 0 and _count(db, school.school) == 3
    assert runner.invoke(args=["pupils", "import", "/nonexistent.csv", "--school", "OAK"]).exit_code == 2


def test_upload_preview_then_confirm(client, school, sign_in, db):
    sign_in(school.admin)
    token = factories.csrf_token(client, "/pupils/import")
    response = client.post(
        "/pupils/import",
        data={"csrf_token": token, "csv_file": (io.BytesIO((DATA / "pupils_good.csv").read_bytes()), "roll.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "3</strong> pupils will be added" in page
    assert _count(db, school.school) == 0
    confirm_token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/pupils/import/confirm", data={"csrf_token": token, "token": confirm_token}, follow_redirects=True
    )
    assert "Import complete: 3 added" in response.get_data(as_text=True)
    assert _count(db, school.school) == 3
    # The same preview cannot be applied twice.
    response = client.post(
        "/pupils/import/confirm", data={"csrf_token": token, "token": confirm_token}, follow_redirects=True
    )
    assert "expired or was already applied" in response.get_data(as_text=True)


def test_search_api_gives_names_never_flags(client, school, other_school, sign_in):
    factories.pupil(school.school, "Ewa", "Zielińska", child_protection_plan=True)
    factories.pupil(other_school.school, "Ewan", "Zed")
    sign_in(school.staff)
    results = client.get("/pupils/api/search?q=ew").get_json()["results"]
    assert [r["name"] for r in results] == ["Ewa Zielińska"]
    assert set(results[0]) == {"id", "name", "upn", "year_group", "class_name", "left"}
    assert client.get("/pupils/api/search?q=e").get_json() == {"results": []}
    assert client.get("/pupils/api/search?q=" + "x" * 500).status_code == 400


def test_who_may_import_and_view(client, school, sign_in):
    for role, import_status, list_status in (
        ("staff", 403, 403),
        ("head", 403, 200),
        ("admin", 200, 403),
        ("dsl", 200, 200),
    ):
        sign_in(school.user(role))
        assert client.get("/pupils/import").status_code == import_status, role
        assert client.get("/pupils/").status_code == list_status, role
        client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})


def test_mark_as_left_keeps_the_record(client, school, sign_in, db):
    pupil = factories.pupil(school.school, "Ethan", "Murphy")
    sign_in(school.dsl)
    response = factories.submit_form(
        client,
        f"/pupils/{pupil.id}/left",
        {"left_on": "2026-07-20", "destination": "Riverside Academy"},
        form_url=f"/pupils/{pupil.id}",
        follow_redirects=True,
    )
    assert "is marked as left" in response.get_data(as_text=True)
    db.session.refresh(pupil)
    assert pupil.left_on == date(2026, 7, 20) and pupil.destination_school == "Riverside Academy"
