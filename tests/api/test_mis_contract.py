"""Contract tests of the MIS sync (PUT /api/v1/pupils and /api/v1/staff), over HTTP against the running app."""

from __future__ import annotations

from sqlalchemy import func, select

from safeguard.api.scopes import Scope
from safeguard.auth.models import Role, User
from safeguard.core.extensions import db
from safeguard.mis import store as mis_store
from safeguard.pupils.models import Pupil, PupilContact


def _pupil(upn: str, first: str = "Ava", last: str = "Patel", **changes):
    record = {
        "upn": upn,
        "legal_first_name": first,
        "legal_last_name": last,
        "date_of_birth": "2015-04-02",
        "year_group": "Year 6",
        "form_group": "6B",
        "sen_status": "sen_support",
        "looked_after": False,
        "previously_looked_after": True,
        "username": f"{first.lower()}.{last.lower()}",
        "email": f"{first.lower()}.{last.lower()}@pupils.oakfield.example.org",
        "contacts": [
            {
                "contact_id": "C100",
                "name": "Mrs R Patel",
                "relationship": "Mother",
                "parental_responsibility": True,
                "priority": 1,
                "phone": "07700 900123",
            },
        ],
    }
    record.update(changes)
    return record


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_pupils_are_created_updated_and_marked_as_leavers_never_deleted(api, school, make_token):
    token = make_token(school.school, Scope.PUPILS_WRITE)
    batch = {"records": [_pupil("A123456789012"), _pupil("B123456789012", "Leo", "Patel")]}
    first = api.call("PUT", "/api/v1/pupils", batch, token=token)
    assert first.status == 200, first.json
    assert first.json == {"received": 2, "created": 2, "updated": 0, "unchanged": 0, "left": 0}
    ava = db.session.scalar(select(Pupil).where(Pupil.upn == "A123456789012"))
    assert (ava.class_name, ava.sen_status, ava.send, ava.previously_looked_after) == ("6B", "sen_support", True, True)
    assert ava.username == "ava.patel" and ava.email == "ava.patel@pupils.oakfield.example.org"
    assert [s.name for s in mis_store.siblings(school.school.id, ava.id)] == ["Leo Patel"]
    assert mis_store.contacts(school.school.id, ava.id)[0].parental_responsibility is True
    again = api.call("PUT", "/api/v1/pupils", batch, token=token)
    assert again.json["unchanged"] == 2
    leaver = {"records": [_pupil("A123456789012", leaving={"left_on": "2026-07-20", "destination": "Oakfield High"})]}
    left = api.call("PUT", "/api/v1/pupils", leaver, token=token)
    assert left.json["left"] == 1 and left.json["updated"] == 1
    db.session.expire_all()
    ava = db.session.scalar(select(Pupil).where(Pupil.upn == "A123456789012"))
    assert str(ava.left_on) == "2026-07-20" and ava.destination_school == "Oakfield High"
    assert _count(Pupil) == 2


def test_a_field_left_out_keeps_what_is_held(api, school, make_token):
    token = make_token(school.school, Scope.PUPILS_WRITE)
    api.call("PUT", "/api/v1/pupils", {"records": [_pupil("A123456789012")]}, token=token)
    slim = {
        "upn": "A123456789012",
        "legal_first_name": "Ava",
        "legal_last_name": "Patel-Jones",
        "date_of_birth": "2015-04-02",
    }
    answer = api.call("PUT", "/api/v1/pupils", {"records": [slim]}, token=token)
    assert answer.json["updated"] == 1
    db.session.expire_all()
    ava = db.session.scalar(select(Pupil))
    assert ava.legal_last_name == "Patel-Jones" and ava.class_name == "6B" and ava.username == "ava.patel"
    assert _count(PupilContact) == 1


def test_one_bad_record_and_nothing_is_applied_every_problem_listed_by_index(api, school, make_token):
    token = make_token(school.school, Scope.PUPILS_WRITE)
    batch = {
        "records": [
            _pupil("A123456789012"),
            _pupil("not-a-upn", "Leo"),
            _pupil("C123456789012", "Mia", date_of_birth="2099-01-01"),
            _pupil("A123456789012", "Zac"),
        ]
    }
    answer = api.call("PUT", "/api/v1/pupils", batch, token=token)
    assert answer.status == 422 and answer.headers["Content-Type"].startswith("application/problem+json")
    found = {(error["index"], error["pointer"]) for error in answer.json["errors"]}
    assert found == {(1, "/records/1/upn"), (2, "/records/2/date_of_birth"), (3, "/records/3/upn")}
    shape = api.call("PUT", "/api/v1/pupils", {"records": [_pupil("A123456789012", sen_status="maybe")]}, token=token)
    assert shape.status == 422 and shape.json["errors"][0] == {
        "pointer": "/records/0/sen_status",
        "detail": shape.json["errors"][0]["detail"],
        "index": 0,
    }
    assert _count(Pupil) == 0 and _count(PupilContact) == 0


def test_a_batch_of_more_than_5000_is_too_large(api, school, make_token):
    token = make_token(school.school, Scope.PUPILS_WRITE)
    answer = api.call("PUT", "/api/v1/pupils", {"records": [{}] * 5001}, token=token)
    assert answer.status == 413


def test_staff_accounts_are_made_with_the_staff_role_only_and_leavers_deactivated(
    api, school, other_school, make_token
):
    token = make_token(school.school, Scope.STAFF_WRITE)
    batch = {
        "records": [
            {"email": " New.Teacher@Oakfield.example ", "display_name": "Mr N Teacher"},
            {"email": school.dsl.email, "display_name": "Ms D Lead"},
            {"email": school.staff.email, "display_name": school.staff.display_name, "left_on": "2026-08-31"},
        ]
    }
    answer = api.call("PUT", "/api/v1/staff", batch, token=token)
    assert answer.status == 200, answer.json
    assert answer.json == {"received": 3, "created": 1, "updated": 2, "unchanged": 0, "left": 1}
    db.session.expire_all()
    made = db.session.scalar(select(User).where(User.email == "new.teacher@oakfield.example"))
    assert made.roles == {Role.STAFF} and made.school_id == school.school.id and made.must_change_password
    dsl = db.session.get(User, school.dsl.id)
    assert dsl.display_name == "Ms D Lead" and dsl.roles == {Role.DSL}
    assert db.session.get(User, school.staff.id).active is False
    elsewhere = api.call(
        "PUT", "/api/v1/staff", {"records": [{"email": other_school.dsl.email, "display_name": "X"}]}, token=token
    )
    assert elsewhere.status == 422 and elsewhere.json["errors"][0]["index"] == 0


def test_the_last_dsl_cannot_leave_by_a_sync(api, school, make_token):
    token = make_token(school.school, Scope.STAFF_WRITE)
    batch = {
        "records": [
            {"email": "new@oakfield.example", "display_name": "New"},
            {"email": school.dsl.email, "display_name": "D", "left_on": "2026-08-31"},
        ]
    }
    answer = api.call("PUT", "/api/v1/staff", batch, token=token)
    assert answer.status == 422 and answer.json["errors"][0]["index"] == 1
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "new@oakfield.example")) is None
    assert db.session.get(User, school.dsl.id).active


def test_idempotency_on_a_sync(api, school, make_token):
    token = make_token(school.school, Scope.PUPILS_WRITE)
    key = {"Idempotency-Key": "sync-2026-12-04T07:00"}
    batch = {"records": [_pupil("A123456789012")]}
    first = api.call("PUT", "/api/v1/pupils", batch, token=token, headers=key)
    again = api.call("PUT", "/api/v1/pupils", batch, token=token, headers=key)
    assert again.json == first.json and again.json["created"] == 1
    other = api.call("PUT", "/api/v1/pupils", {"records": [_pupil("B123456789012")]}, token=token, headers=key)
    assert other.status == 409
    assert _count(Pupil) == 1


def test_two_syncs_of_the_same_new_pupils_at_once_both_succeed_and_add_each_child_once(api, school, make_token):
    """The broker's pull and a push through the API may send the same new children at the same moment: the second
    waits for the first, then finds them on the roll; neither fails and no child is added twice."""
    import threading

    token = make_token(school.school, Scope.PUPILS_WRITE)
    batch = {"records": [_pupil(f"K{n:012d}", "Ava", f"Patel{n}") for n in range(300)]}
    answers = []
    start = threading.Barrier(2)

    def sync() -> None:
        start.wait()
        answers.append(api.call("PUT", "/api/v1/pupils", batch, token=token))

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [answer.status for answer in answers] == [200, 200], [answer.json for answer in answers]
    assert sorted(answer.json["created"] for answer in answers) == [0, 300]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Pupil).where(Pupil.upn.like("K%"))) == 300
