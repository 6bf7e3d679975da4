"""Browser journeys: setting up a second factor and signing in with it; lockout; a staff member and a DSL page."""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import check_accessibility, sign_in


def test_enrol_a_second_factor_then_sign_in_with_it(page, school, db):
    head = factories.user(school.school, "head", email="newhead@oak.example", name="Nadia Head")
    head.totp_secret = head.totp_enabled_at = None
    db.session.commit()
    page.goto("/auth/sign-in")
    page.get_by_label("E-mail address").fill(head.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code to add Safeguard to an authenticator app")).to_be_visible()
    check_accessibility(page)
    secret = page.locator("#totp-secret").inner_text()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from your authenticator app").fill(totp.now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert len(re.findall(r"[0-9a-f]{6}-[0-9a-f]{6}", page.locator("main").inner_text())) == 10
    check_accessibility(page)
    page.get_by_role("button", name=re.compile("I have kept my recovery codes")).click()
    expect(page.get_by_role("heading", name="Hello, Nadia Head")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    page.get_by_label("E-mail address").fill(head.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Code").fill(totp.at(time.time() + totp.interval))  # the next code: the first is used up
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Nadia Head")).to_be_visible()


def test_lockout_after_repeated_failures(page, school):
    for _ in range(5):
        page.goto("/auth/sign-in")
        page.get_by_label("E-mail address").fill(school.staff.email)
        page.get_by_label("Password").fill("not my password at all")
        page.get_by_role("button", name="Sign in").click()
    page.get_by_label("E-mail address").fill(school.staff.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The e-mail address or password is not right")
    expect(page).to_have_url(re.compile(r"/auth/sign-in"))


def test_staff_cannot_reach_dsl_pages_by_url(page, school):
    sign_in(page, school.staff, factories.PASSWORD)
    for url in ("/concerns/", "/pupils/", "/exports/", "/admin/users"):
        response = page.goto(url)
        assert response.status == 403, url
        expect(page.get_by_role("heading", name="You do not have access to this page")).to_be_visible()
    check_accessibility(page)
