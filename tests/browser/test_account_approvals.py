"""Browser journeys: a change to the DSL role proposed by an administrator and approved by the head; a reset's
one-time link used by its owner (issue 21)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from safeguard.auth import approvals
from safeguard.auth.models import Role
from safeguard.notifications.services import deliver_outbox
from tests import factories
from tests.browser.conftest import check_accessibility, sign_in


def test_the_head_approves_a_dsl_role_proposed_by_an_administrator(new_page, school, db):
    admin = new_page()
    sign_in(admin, school.admin, factories.PASSWORD)
    admin.goto(f"/admin/users/{school.staff.id}")
    admin.get_by_label("Designated safeguarding lead (or deputy)").check()
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("is proposed")).to_be_visible()
    head = new_page()
    sign_in(head, school.head, factories.PASSWORD)
    head.get_by_role("button", name="School").click()
    head.get_by_role("link", name="Account approvals").click()
    expect(head.get_by_role("heading", name="Account approvals")).to_be_visible()
    check_accessibility(head)
    approve = head.get_by_role("button", name=f"Approve the request for {school.staff.display_name}")
    approve.focus()
    head.keyboard.press("Enter")
    expect(head.get_by_text("Approved, and the change is made.")).to_be_visible()
    db.session.refresh(school.staff)
    assert Role.DSL in school.staff.roles


def test_the_owner_sets_a_new_password_through_the_one_time_link(page, school, db, mailbox):
    request = approvals.request_reset(school.dsl, approvals.RequestKind.PASSWORD_RESET, actor=school.admin)
    approvals.approve(request, school.head)
    db.session.commit()
    deliver_outbox()
    [message] = [m for m in mailbox.messages if m["To"] == school.dsl.email and "one-time link" in m["Subject"]]
    link = re.search(r"(/auth/account-link/[A-Za-z0-9_-]+)", message.get_content()).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("New password", exact=True).fill("granite lantern orchard 42")
    page.get_by_label("New password again").fill("granite lantern orchard 42")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_text("Your new password is set")).to_be_visible()
