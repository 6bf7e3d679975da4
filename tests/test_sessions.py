"""Sessions end on the server: a copy of a session cookie (taken before signing out, or stolen) stops working when the
person signs out, changes their password, has their password or second factor reset, is deactivated, or is signed
out everywhere; and a person can see their signed-in browsers and sign any of them out."""

from __future__ import annotations

from sqlalchemy import select

from safeguard.audit.models import AuditEvent
from safeguard.auth.models import SignInSession
from tests import factories


def _copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie."""
    name = app.config["SESSION_COOKIE_NAME"]
    copy = app.test_client()
    copy.set_cookie(name, client.get_cookie(name).value)
    return copy


def _signed_in(client) -> bool:
    return client.get("/concerns/mine").status_code == 200


def test_a_copied_cookie_stops_working_when_the_person_signs_out(app, client, school, sign_in):
    sign_in(school.staff)
    copy = _copy_of(app, client)
    assert _signed_in(copy)
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    assert not _signed_in(client)
    assert not _signed_in(copy)
    assert copy.get("/concerns/mine").headers["Location"].startswith("/auth/sign-in")


def test_changing_the_password_signs_out_every_other_copy_and_keeps_this_browser(app, client, school, sign_in, db):
    sign_in(school.staff)
    copy = _copy_of(app, client)
    elsewhere = app.test_client()
    factories.sign_in(elsewhere, school.staff)
    response = factories.submit_form(
        client,
        "/auth/password",
        {
            "current_password": factories.PASSWORD,
            "new_password": "a long new passphrase for Oakfield",
            "confirm_password": "a long new passphrase for Oakfield",
        },
        follow_redirects=True,
    )
    assert "Every other browser signed in as you has been signed out" in response.get_data(as_text=True)
    assert _signed_in(client)
    assert not _signed_in(copy)  # even a copy of this browser's own cookie
    assert not _signed_in(elsewhere)
    reasons = db.session.scalars(select(SignInSession.ended_reason).where(SignInSession.ended_at.is_not(None))).all()
    assert set(reasons) == {"password changed"}


def test_deactivating_and_reactivating_does_not_bring_an_old_session_back(app, client, school, sign_in):
    staff = app.test_client()
    factories.sign_in(staff, school.staff)
    copy = _copy_of(app, staff)
    sign_in(school.admin)
    factories.submit_form(client, f"/admin/users/{school.staff.id}/deactivate", {})
    factories.submit_form(client, f"/admin/users/{school.staff.id}/reactivate", {}, form_url="/admin/users")
    assert not _signed_in(staff)
    assert not _signed_in(copy)
    factories.sign_in(staff, school.staff)  # reactivated: signing in again works
    assert _signed_in(staff)


def test_resets_by_an_administrator_sign_the_person_out_everywhere(app, client, school, sign_in, db):
    sign_in(school.admin)
    for number, action in enumerate(("password", "two-factor/reset", "sessions/end")):
        person = factories.user(school.school, "staff", email=f"teacher{number}@oak.example", name=f"Teacher {number}")
        db.session.commit()
        browser = app.test_client()
        factories.sign_in(browser, person)
        assert _signed_in(browser)
        response = factories.submit_form(
            client, f"/admin/users/{person.id}/{action}", {}, form_url=f"/admin/users/{person.id}"
        )
        assert response.status_code in (200, 302), action
        assert not _signed_in(browser), action


def test_an_administrator_signing_someone_out_everywhere_is_audited(app, client, school, sign_in, db):
    staff = app.test_client()
    factories.sign_in(staff, school.staff)
    sign_in(school.admin)
    response = factories.submit_form(
        client, f"/admin/users/{school.staff.id}/sessions/end", {}, form_url=f"/admin/users/{school.staff.id}"
    )
    assert response.status_code == 302
    assert "signed out everywhere (1 browser)" in client.get(response.headers["Location"]).get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "auth.sessions_ended"))
    assert event.actor_id == school.admin.id and event.subject_id == school.staff.id


def test_a_person_sees_their_browsers_and_signs_one_out(app, client, school, sign_in, other_school):
    phone = app.test_client()
    factories.sign_in(phone, school.staff)
    tablet = app.test_client()
    factories.sign_in(tablet, school.staff)
    someone_else = app.test_client()
    factories.sign_in(someone_else, other_school.staff)
    sign_in(school.staff)
    page = client.get("/auth/sessions").get_data(as_text=True)
    assert page.count("Sign out<span") == 2  # the two others, not this browser
    assert "This browser" in page

    # Another person's session cannot be ended from here: nothing is found.
    foreign = SignInSession.query.filter_by(user_id=other_school.staff.id).one()
    response = factories.submit_form(client, f"/auth/sessions/{foreign.id}/end", {}, form_url="/auth/sessions")
    assert "already signed out" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _signed_in(someone_else)

    phone_session = SignInSession.query.filter_by(user_id=school.staff.id).order_by(SignInSession.id).first()
    factories.submit_form(client, f"/auth/sessions/{phone_session.id}/end", {}, form_url="/auth/sessions")
    assert not _signed_in(phone)
    assert _signed_in(tablet) and _signed_in(client)

    response = factories.submit_form(client, "/auth/sessions/end-others", {}, form_url="/auth/sessions")
    assert "1 other browser signed out" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert not _signed_in(tablet)
    assert _signed_in(client)
