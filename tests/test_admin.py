"""Administrators manage the school's accounts and settings."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from safeguard.audit.models import AuditEvent
from safeguard.auth.models import Role, User
from safeguard.schools import services as school_services
from tests import factories


def test_admin_creates_an_account_and_sees_a_one_time_password(client, school, sign_in, db):
    sign_in(school.admin)
    response = factories.submit_form(
        client,
        "/admin/users/new",
        {"display_name": "Rhys Evans", "email": "rhys@oak.example", "roles": ["staff"]},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    password = re.search(r'aria-label="One-time password">([^<]+)<', page).group(1)
    created = db.session.scalar(select(User).where(User.email == "rhys@oak.example"))
    assert created.school_id == school.school.id
    assert created.roles == {Role.STAFF}
    assert created.must_change_password
    # The new colleague can sign in with it, and is asked for a new password at once.
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    response = factories.submit_form(client, "/auth/sign-in", {"email": "rhys@oak.example", "password": password})
    assert response.headers["Location"].startswith("/auth/password")


def test_duplicate_email_is_refused_beside_the_field(client, school, sign_in):
    sign_in(school.admin)
    response = factories.submit_form(
        client, "/admin/users/new", {"display_name": "Someone", "email": school.dsl.email, "roles": ["staff"]}
    )
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


def test_unknown_role_is_refused(client, school, sign_in, db):
    sign_in(school.admin)
    response = factories.submit_form(
        client, "/admin/users/new", {"display_name": "X Y", "email": "xy@oak.example", "roles": ["superuser"]}
    )
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "xy@oak.example")) is None


def test_admin_changes_roles_and_it_is_audited(client, school, sign_in, db):
    sign_in(school.admin)
    response = factories.submit_form(
        client,
        f"/admin/users/{school.staff.id}",
        {"display_name": school.staff.display_name, "email": school.staff.email, "roles": ["staff", "dsl"]},
    )
    assert response.status_code == 302
    db.session.refresh(school.staff)
    assert school.staff.roles == {Role.STAFF}  # the DSL role is proposed: the head approves it
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    sign_in(school.head)
    factories.submit_form(client, "/admin/requests/1/approve", {}, form_url="/admin/requests")
    db.session.refresh(school.staff)
    assert school.staff.roles == {Role.STAFF, Role.DSL}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "user.roles_changed"))
    assert event.detail == {"before": ["staff"], "after": ["dsl", "staff"]}
    assert event.actor_id == school.head.id


def test_roles_other_than_dsl_and_head_change_at_once(client, school, sign_in, db):
    sign_in(school.admin)
    factories.submit_form(
        client,
        f"/admin/users/{school.staff.id}",
        {"display_name": school.staff.display_name, "email": school.staff.email, "roles": ["staff", "admin"]},
    )
    db.session.refresh(school.staff)
    assert school.staff.roles == {Role.STAFF, Role.ADMIN}


def test_deactivating_asks_first_then_keeps_the_account(client, school, sign_in, db):
    sign_in(school.admin)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{school.staff.id}/deactivate"' in listing
    question = client.get(f"/admin/users/{school.staff.id}/deactivate")
    assert question.status_code == 200
    page = question.get_data(as_text=True)
    assert f"Deactivate the account of {school.staff.display_name}?" in page
    assert "Everything they recorded is kept" in page and "Cancel, keep it active" in page
    db.session.refresh(school.staff)
    assert school.staff.active is True  # asking changed nothing

    response = factories.submit_form(client, f"/admin/users/{school.staff.id}/deactivate", {}, follow_redirects=True)
    assert "deactivated; everything they recorded is kept" in response.get_data(as_text=True)
    db.session.refresh(school.staff)
    assert school.staff.active is False
    assert db.session.get(User, school.staff.id) is not None


def test_a_deactivation_without_the_form_token_changes_nothing(client, school, sign_in, db):
    sign_in(school.admin)
    assert client.post(f"/admin/users/{school.staff.id}/deactivate").status_code == 400
    db.session.refresh(school.staff)
    assert school.staff.active is True


def test_a_deactivated_account_is_reactivated_at_once(client, school, sign_in, db):
    sign_in(school.admin)
    factories.submit_form(client, f"/admin/users/{school.staff.id}/deactivate", {})
    again = client.get(f"/admin/users/{school.staff.id}/deactivate", follow_redirects=True)
    assert "is already deactivated" in again.get_data(as_text=True)
    factories.submit_form(client, f"/admin/users/{school.staff.id}/reactivate", {}, form_url="/admin/users")
    db.session.refresh(school.staff)
    assert school.staff.active is True


def test_admin_cannot_deactivate_themselves(client, school, sign_in, db):
    sign_in(school.admin)
    response = client.get(f"/admin/users/{school.admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    token = factories.csrf_token(client, "/admin/users")
    client.post(f"/admin/users/{school.admin.id}/deactivate", data={"csrf_token": token})
    db.session.refresh(school.admin)
    assert school.admin.active


def test_another_schools_accounts_are_not_found(client, school, other_school, sign_in):
    sign_in(school.admin)
    assert client.get(f"/admin/users/{other_school.staff.id}").status_code == 404
    page = client.get("/admin/users").get_data(as_text=True)
    assert other_school.staff.email not in page
    token = factories.csrf_token(client, "/admin/users")
    assert client.get(f"/admin/users/{other_school.staff.id}/deactivate").status_code == 404
    assert (
        client.post(f"/admin/users/{other_school.staff.id}/deactivate", data={"csrf_token": token}).status_code == 404
    )
    assert (
        client.post(f"/admin/users/{other_school.staff.id}/reactivate", data={"csrf_token": token}).status_code == 404
    )


def test_school_settings_are_saved(client, school, sign_in, db):
    sign_in(school.admin)
    settings = {
        "name": "Oakfield Primary",
        "dsl_contact": "01632 960000",
        "protective_marking": "OFFICIAL-SENSITIVE",
        "timezone": "Europe/London",
        "urgent_ack_minutes": "10",
        "routine_ack_school_days": "2",
        "levels_of_need": "Level 1\n  Level 2\n\nLevel 3",
    }
    response = factories.submit_form(client, "/admin/school", settings, follow_redirects=True)
    assert "settings have been saved" in response.get_data(as_text=True)
    db.session.refresh(school.school)
    assert school.school.dsl_contact == "01632 960000"
    assert (school.school.urgent_ack_minutes, school.school.routine_ack_school_days) == (10, 2)
    assert school.school.level_of_need_choices == ["Level 1", "Level 2", "Level 3"]
    bad = {**settings, "urgent_ack_minutes": "0", "routine_ack_school_days": "9"}
    response = factories.submit_form(client, "/admin/school", bad)
    assert response.status_code == 400 and "Between 1 and 240 minutes." in response.get_data(as_text=True)
    db.session.refresh(school.school)
    assert school.school.urgent_ack_minutes == 10


def _settings(school) -> dict:
    return {
        "name": school.name,
        "dsl_contact": school.dsl_contact,
        "protective_marking": school.protective_marking,
        "timezone": school.timezone,
        "urgent_ack_minutes": str(school.urgent_ack_minutes),
        "routine_ack_school_days": str(school.routine_ack_school_days),
        "levels_of_need": school.levels_of_need,
    }


def test_the_school_time_zone_is_chosen_from_a_list_and_the_change_is_audited(client, school, sign_in, db):
    sign_in(school.admin)
    page = client.get("/admin/school").get_data(as_text=True)
    assert '<option value="Europe/London" selected>' in page and '<option value="Europe/Paris">' in page
    response = factories.submit_form(
        client, "/admin/school", {**_settings(school.school), "timezone": "Europe/Paris"}, follow_redirects=True
    )
    assert "settings have been saved" in response.get_data(as_text=True)
    db.session.refresh(school.school)
    assert school.school.timezone == "Europe/Paris"
    assert '<option value="Europe/Paris" selected>' in client.get("/admin/school").get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "school.settings_changed"))
    assert event.actor_id == school.admin.id
    assert event.detail == {"before": {"timezone": "Europe/London"}, "after": {"timezone": "Europe/Paris"}}


def test_a_time_zone_that_does_not_exist_is_refused_with_a_clear_message(client, school, sign_in, db):
    sign_in(school.admin)
    from_the_list = "Choose a time zone from the list, for example Europe/London."
    for bad, message in (
        ("Europe/Atlantis", from_the_list),
        ("localtime", from_the_list),
        ("Europe/Paris<script>", from_the_list),
        ("", "Choose the school&#39;s time zone."),
    ):
        response = factories.submit_form(client, "/admin/school", {**_settings(school.school), "timezone": bad})
        assert response.status_code == 400, bad
        assert message in response.get_data(as_text=True), bad
    db.session.refresh(school.school)
    assert school.school.timezone == "Europe/London"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "school.settings_changed")) is None


def test_only_administrators_change_the_time_zone(client, school, sign_in, db):
    sign_in(school.dsl)
    assert client.get("/admin/school").status_code == 403
    token = factories.csrf_token(client, "/")
    response = client.post(
        "/admin/school", data={**_settings(school.school), "timezone": "Asia/Tokyo", "csrf_token": token}
    )
    assert response.status_code == 403
    db.session.refresh(school.school)
    assert school.school.timezone == "Europe/London"


def test_the_settings_service_refuses_an_unknown_time_zone(app, school, db):
    with pytest.raises(school_services.SchoolError, match="'Mars/Olympus' is not a time zone"):
        school_services.update_settings(school.school, actor=school.admin, timezone="Mars/Olympus")
    assert school.school.timezone == "Europe/London"
