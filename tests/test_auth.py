"""Signing in and out, sessions, idle timeout and safe redirects."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safeguard import ACTIVITY_RECORDED_EVERY
from safeguard.audit.models import AuditEvent
from safeguard.auth.views import SIGN_IN_FAILED
from safeguard.core.urls import safe_next
from tests import factories


def test_sign_in_lands_on_home_and_records_the_time(client, school, sign_in, db):
    response = sign_in(school.dsl)
    assert response.status_code == 200
    assert f"Hello, {school.dsl.display_name}" in response.get_data(as_text=True)
    db.session.refresh(school.dsl)
    assert school.dsl.last_login_at is not None
    kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.actor_id == school.dsl.id)).all()
    assert "auth.signed_in" in kinds


@pytest.mark.parametrize(
    ("email", "password"),
    [("dsl@oak.example", "wrong password here"), ("nobody@oak.example", factories.PASSWORD)],
    ids=["wrong-password", "unknown-address"],
)
def test_failed_sign_in_says_the_same_thing_whatever_the_reason(client, school, email, password, db):
    response = factories.submit_form(client, "/auth/sign-in", {"email": email, "password": password})
    assert response.status_code == 401
    assert SIGN_IN_FAILED in response.get_data(as_text=True)
    # The failed attempt is audited even though the request was rejected.
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "auth.sign_in_failed")) is not None


def test_deactivated_account_cannot_sign_in_and_is_signed_out(client, school, sign_in, db):
    from safeguard.auth import services

    sign_in(school.staff)
    services.set_active(school.staff, False, actor=school.admin)
    db.session.commit()
    assert client.get("/").status_code == 302  # the open session no longer counts
    response = sign_in(school.staff)
    assert SIGN_IN_FAILED in response.get_data(as_text=True)


def test_sign_in_is_case_insensitive_on_the_address(client, school, sign_in):
    response = factories.submit_form(
        client,
        "/auth/sign-in",
        {"email": "  STAFF@Oak.Example ", "password": factories.PASSWORD},
        follow_redirects=True,
    )
    assert "Hello," in response.get_data(as_text=True)


def test_sign_out_needs_a_post_with_a_token(client, school, sign_in):
    sign_in(school.staff)
    assert client.get("/auth/sign-out").status_code == 405
    assert client.post("/auth/sign-out").status_code == 400  # no CSRF token
    response = factories.submit_form(client, "/auth/sign-out", {}, form_url="/", follow_redirects=True)
    assert "You have signed out." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_form_rejects_a_missing_csrf_token(client, school):
    response = client.post("/auth/sign-in", data={"email": school.dsl.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_idle_session_is_signed_out(app, client, school, sign_in):
    sign_in(school.dsl)
    idle = app.config["IDLE_TIMEOUT"].total_seconds()
    # Activity is recorded at most once a minute, so a session idle for the timeout alone may have been active up
    # to a minute later than recorded: it is kept.
    with client.session_transaction() as session:
        session["last_seen"] -= idle + 1
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] -= idle + ACTIVITY_RECORDED_EVERY + 1
    response = client.get("/", follow_redirects=True)
    assert "signed out after a period without activity" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_activity_is_recorded_once_a_minute_not_on_every_request(client, school, sign_in):
    # A request within the minute leaves the session as it was: no new cookie is signed and sent.
    sign_in(school.dsl)
    with client.session_transaction() as session:
        first_seen = session["last_seen"]
    response = client.get("/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with client.session_transaction() as session:
        assert session["last_seen"] == first_seen
        session["last_seen"] -= ACTIVITY_RECORDED_EVERY
    response = client.get("/")
    assert "Set-Cookie" in response.headers
    with client.session_transaction() as session:
        assert session["last_seen"] > first_seen


def test_next_is_followed_only_within_the_site(client, school):
    token = factories.csrf_token(client, "/auth/sign-in")
    data = {"email": school.staff.email, "password": factories.PASSWORD, "csrf_token": token}
    response = client.post("/auth/sign-in?next=https://evil.example/", data=data)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin/users", "/admin/users"),
        ("/?page=2", "/?page=2"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("/\nLocation: x", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_password_set_by_an_admin_must_be_changed_first(client, school, db):
    from safeguard.auth import services

    password = services.reset_password(school.staff, actor=school.admin)
    db.session.commit()
    response = factories.submit_form(client, "/auth/sign-in", {"email": school.staff.email, "password": password})
    assert response.headers["Location"].startswith("/auth/password")
    assert client.get("/").headers["Location"].startswith("/auth/password")
    new = "a much better passphrase"
    response = factories.submit_form(
        client,
        "/auth/password",
        {"current_password": password, "new_password": new, "confirm_password": new},
        follow_redirects=True,
    )
    assert "Your password has been changed." in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_short_new_password_is_refused_with_a_message(client, school, sign_in):
    sign_in(school.staff)
    response = factories.submit_form(
        client,
        "/auth/password",
        {"current_password": factories.PASSWORD, "new_password": "short", "confirm_password": "short"},
    )
    assert response.status_code == 400
    assert "Use between 12 and" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_lax(client, school, sign_in):
    response = factories.submit_form(
        client, "/auth/sign-in", {"email": school.dsl.email, "password": factories.PASSWORD}
    )
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_a_request_racing_the_sign_in_does_not_undo_it(app, client, school):
    """A browser sends other requests while the sign-in form is posted (the tab's icon, say), carrying the cookie from
    before the sign-in. Their answers must not send that cookie back: it would replace the one the sign-in just set,
    and the next step would say "Please sign in again"."""
    token = factories.csrf_token(client, "/auth/sign-in")
    cookie = app.config["SESSION_COOKIE_NAME"]
    before = client.get_cookie(cookie).value
    response = client.post(
        "/auth/sign-in", data={"email": school.dsl.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/two-factor")
    racing = app.test_client()
    racing.set_cookie(cookie, before)
    for path in ("/favicon.ico", "/auth/sign-in", "/no-such-page"):
        answer = racing.get(path)
        assert f"{cookie}=" not in " ".join(answer.headers.getlist("Set-Cookie")), path
    assert client.get("/auth/two-factor").status_code == 200  # still the second step, not "sign in again"
