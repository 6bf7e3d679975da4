"""Two people for the DSL and head roles and for resetting a DSL's, head's or administrator's account (issue 21)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from safeguard.audit.models import AuditEvent
from safeguard.auth import approvals
from safeguard.auth.models import AccountLink, AccountRequest, Role
from safeguard.auth.passwords import verify_password
from safeguard.core.sqltypes import utcnow
from safeguard.notifications.models import Notification
from safeguard.notifications.services import deliver_outbox
from tests import factories

NEW_PASSWORD = "granite lantern orchard 42"


def _roles_form(user, roles):
    return {"display_name": user.display_name, "email": user.email, "roles": roles}


def _switch(client, sign_in, user):
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    sign_in(user)


def _pending(db):
    return db.session.scalars(select(AccountRequest).where(AccountRequest.outcome.is_(None))).all()


def test_an_administrator_cannot_grant_themselves_the_dsl_role(client, school, sign_in, db):
    child = factories.pupil(school.school, "Amira", "Haddad")
    concern = factories.concern(school.staff, [child])
    sign_in(school.admin)
    response = factories.submit_form(
        client, f"/admin/users/{school.admin.id}", _roles_form(school.admin, ["admin", "dsl"]), follow_redirects=True
    )
    assert "is proposed" in response.get_data(as_text=True)
    db.session.refresh(school.admin)
    assert school.admin.roles == {Role.ADMIN}
    assert client.get(f"/concerns/{concern.id}").status_code in (403, 404)
    # Nor can they approve it: the request is about their own account and they proposed it.
    [request] = _pending(db)
    page = client.get("/admin/requests").get_data(as_text=True)
    assert "For someone else to approve" in page or "Withdraw" in page
    client.post(
        f"/admin/requests/{request.id}/approve", data={"csrf_token": factories.csrf_token(client, "/admin/requests")}
    )
    db.session.refresh(school.admin)
    assert school.admin.roles == {Role.ADMIN}
    # The head approves it.
    _switch(client, sign_in, school.head)
    page = client.get("/admin/requests").get_data(as_text=True)
    assert school.admin.display_name in page and "Approve" in page
    factories.submit_form(client, f"/admin/requests/{request.id}/approve", {}, form_url="/admin/requests")
    db.session.refresh(school.admin)
    assert school.admin.roles == {Role.ADMIN, Role.DSL}
    kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_id == school.admin.id)).all()
    assert {"account_request.proposed", "account_request.approved", "user.roles_changed"} <= set(kinds)


def test_the_heads_own_roles_need_another_administrator_and_the_chair(client, school, sign_in, db):
    other_admin = factories.user(school.school, Role.ADMIN, email="admin2@oak.example", name="Second Admin")
    db.session.commit()
    sign_in(school.admin)
    factories.submit_form(client, f"/admin/users/{school.head.id}", _roles_form(school.head, ["head", "dsl"]))
    [request] = _pending(db)
    assert request.needs_chair
    # The head cannot approve a change to their own roles.
    assert approvals.slot_for(school.head, request) is None
    assert approvals.slot_for(school.admin, request) is None  # who proposed it
    _switch(client, sign_in, other_admin)
    response = factories.submit_form(
        client, f"/admin/requests/{request.id}/approve", {}, form_url="/admin/requests", follow_redirects=True
    )
    assert "waits for the other approval" in response.get_data(as_text=True)
    db.session.refresh(school.head)
    assert Role.DSL not in school.head.roles
    _switch(client, sign_in, school.chair)
    assert "Account approvals" in client.get("/").get_data(as_text=True)
    factories.submit_form(client, f"/admin/requests/{request.id}/approve", {}, form_url="/admin/requests")
    db.session.refresh(school.head)
    assert school.head.roles == {Role.HEAD, Role.DSL}


def test_the_dsl_team_is_alerted_and_the_email_names_no_one(app, client, school, sign_in, db, mailbox):
    sign_in(school.admin)
    factories.submit_form(client, f"/admin/users/{school.staff.id}", _roles_form(school.staff, ["staff", "dsl"]))
    alerts = db.session.scalars(select(Notification).where(Notification.user_id == school.dsl.id)).all()
    assert any(school.staff.display_name in a.message and "proposed" in a.message for a in alerts)
    deliver_outbox()
    to_dsl = [m for m in mailbox.messages if m["To"] == school.dsl.email]
    assert to_dsl
    body = to_dsl[0].get_content()
    assert school.staff.display_name not in body and school.staff.email not in body
    assert school.admin.display_name not in body
    # The DSL reads the alert in the app, with the name.
    dsl = app.test_client()
    factories.sign_in(dsl, school.dsl)
    assert school.staff.display_name in dsl.get("/notifications/").get_data(as_text=True)


def test_a_request_expires(client, school, sign_in, db):
    request = approvals.change_roles(school.staff, {Role.STAFF, Role.DSL}, actor=school.admin)
    request.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    sign_in(school.head)
    assert school.staff.display_name not in client.get("/admin/requests").get_data(as_text=True)
    with pytest.raises(approvals.accounts.AccountError, match="expired"):
        approvals.approve(request, school.head)


def test_the_command_line_only_proposes_unless_it_breaks_the_glass(runner, school, db):
    args = ["user", "roles", "--school", "OAK", "--email", school.staff.email, "--role", "staff,dsl"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Proposed" in result.output and "the head" in result.output
    db.session.refresh(school.staff)
    assert school.staff.roles == {Role.STAFF}
    assert runner.invoke(args=[*args, "--break-glass"]).exit_code != 0  # no reason given
    result = runner.invoke(args=[*args, "--break-glass", "--reason", "The head is away and a DSL is needed today"])
    assert result.exit_code == 0, result.output
    db.session.refresh(school.staff)
    assert school.staff.roles == {Role.STAFF, Role.DSL}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "user.roles_break_glass"))
    assert event.detail["reason"].startswith("The head is away")
    assert db.session.scalar(
        select(Notification).where(Notification.user_id == school.dsl.id, Notification.message.contains("break glass"))
    )
    # The school's last active DSL keeps the role, even breaking the glass.
    reason = ["--break-glass", "--reason", "Leaving the school this week"]
    runner.invoke(args=["user", "roles", "--school", "OAK", "--email", school.staff.email, "--role", "staff", *reason])
    result = runner.invoke(
        args=["user", "roles", "--school", "OAK", "--email", school.dsl.email, "--role", "staff", *reason]
    )
    assert result.exit_code != 0 and "last active DSL" in result.output


def _link_from(mailbox, address: str) -> str:
    [message] = [m for m in mailbox.messages if m["To"] == address and "one-time link" in m["Subject"]]
    return re.search(r"(/auth/account-link/[A-Za-z0-9_-]+)", message.get_content()).group(1)


def test_a_dsls_password_reset_takes_two_people_and_a_one_time_link(app, client, school, sign_in, db, mailbox):
    old_hash = school.dsl.password_hash
    sign_in(school.admin)
    response = factories.submit_form(
        client,
        f"/admin/users/{school.dsl.id}/password",
        {},
        form_url=f"/admin/users/{school.dsl.id}",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "one-time link" in page and "One-time password" not in page
    db.session.refresh(school.dsl)
    assert school.dsl.password_hash == old_hash
    # The owner and the lead DSL are told it was asked for.
    assert db.session.scalar(select(Notification).where(Notification.user_id == school.dsl.id))
    [request] = _pending(db)
    _switch(client, sign_in, school.head)
    factories.submit_form(client, f"/admin/requests/{request.id}/approve", {}, form_url="/admin/requests")
    deliver_outbox()
    link = _link_from(mailbox, school.dsl.email)
    assert not [
        m
        for m in mailbox.messages
        if m["To"] in (school.admin.email, school.head.email) and "account-link" in m.get_content()
    ]
    owner = app.test_client()
    assert owner.get(link).status_code == 200
    factories.submit_form(owner, link, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    db.session.refresh(school.dsl)
    assert verify_password(school.dsl.password_hash, NEW_PASSWORD)
    assert owner.get(link).status_code == 404  # used once
    assert factories.sign_in(app.test_client(), school.dsl, NEW_PASSWORD).status_code == 200


def test_a_one_time_link_expires(app, school, db, mailbox):
    request = approvals.request_reset(school.dsl, approvals.RequestKind.PASSWORD_RESET, actor=school.admin)
    approvals.approve(request, school.head)
    db.session.commit()
    deliver_outbox()
    link = _link_from(mailbox, school.dsl.email)
    row = db.session.scalar(select(AccountLink))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert app.test_client().get(link).status_code == 404


def test_a_second_factor_reset_by_link_asks_for_the_password(app, school, db, mailbox):
    request = approvals.request_reset(school.dsl, approvals.RequestKind.SECOND_FACTOR_RESET, actor=school.admin)
    assert school.dsl.two_factor_enabled
    approvals.approve(request, school.head)
    db.session.commit()
    deliver_outbox()
    link = _link_from(mailbox, school.dsl.email)
    owner = app.test_client()
    assert factories.submit_form(owner, link, {"password": "not the password at all"}).status_code == 400
    factories.submit_form(owner, link, {"password": factories.PASSWORD})
    db.session.refresh(school.dsl)
    assert not school.dsl.two_factor_enabled


def test_an_administrator_cannot_ask_to_reset_their_own_account(school, db):
    with pytest.raises(approvals.accounts.AccountError):
        approvals.request_reset(school.admin, approvals.RequestKind.PASSWORD_RESET, actor=school.admin)


def test_a_new_account_gets_the_dsl_role_only_once_approved(client, school, sign_in, db):
    sign_in(school.admin)
    factories.submit_form(
        client,
        "/admin/users/new",
        {"display_name": "Nadia Rahman", "email": "nadia@oak.example", "roles": ["dsl"]},
    )
    [request] = _pending(db)
    assert request.user.roles == {Role.STAFF}
    assert request.roles_after == ["dsl"]


def test_the_approvals_page_is_accessible_by_keyboard_labels(client, school, sign_in, db):
    approvals.change_roles(school.staff, {Role.STAFF, Role.DSL}, actor=school.admin)
    db.session.commit()
    sign_in(school.head)
    page = client.get("/admin/requests").get_data(as_text=True)
    assert f'Approve<span class="visually-hidden"> the request for {school.staff.display_name}' in page


def test_making_someone_chair_of_governors_takes_two_people_too(school, db):
    # Otherwise an administrator could name an accomplice chair, to approve changes to the head's own account.
    request = approvals.change_roles(school.staff, {Role.STAFF, Role.CHAIR}, actor=school.admin)
    assert request is not None
    assert school.staff.roles == {Role.STAFF}
    assert approvals.reset_needs_two_people(school.chair)


def test_the_account_page_says_what_is_waiting_for_approval(client, school, sign_in, db):
    approvals.change_roles(school.staff, {Role.STAFF, Role.DSL}, actor=school.admin)
    db.session.commit()
    sign_in(school.admin)
    page = client.get(f"/admin/users/{school.staff.id}").get_data(as_text=True)
    assert "A change of roles for" in page and "is waiting for the head" in page
