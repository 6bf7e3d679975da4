"""Browser journeys: signing in and out, a wrong password, and each role's landing page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import check_accessibility, open_main_menu, open_menu_group, sign_in

LANDING = {
    "staff": ["Worried about a child?"],
    "dsl": ["Safeguarding concerns", "Worried about a child?"],
    "head": ["Safeguarding concerns"],
    "admin": ["Accounts", "Manage accounts"],
}


def test_sign_in_page_is_accessible(page):
    page.goto("/auth/sign-in")
    expect(page.get_by_role("heading", name="Sign in to Safeguard")).to_be_visible()
    check_accessibility(page)


@pytest.mark.parametrize("role", list(LANDING))
def test_each_role_lands_on_its_page_and_signs_out(page, school, role):
    user = school.user(role)
    sign_in(page, user, factories.PASSWORD)
    expect(page.get_by_role("heading", name=f"Hello, {user.display_name}")).to_be_visible()
    for text in LANDING[role]:
        expect(page.get_by_role("main").get_by_text(text, exact=True).first).to_be_visible()
    if role != "admin":
        expect(page.get_by_role("link", name="Manage accounts")).to_have_count(0)
    check_accessibility(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/auth/sign-in"))


def test_wrong_password_shows_one_generic_message(page, school):
    sign_in(page, school.dsl, "not the password at all")
    expect(page.get_by_role("alert")).to_contain_text("The e-mail address or password is not right")
    expect(page).to_have_url(re.compile(r"/auth/sign-in"))
    check_accessibility(page)


def test_empty_sign_in_lists_the_problems_and_focuses_them(page, school):
    page.goto("/auth/sign-in")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Enter your e-mail address.")
    expect(summary).to_be_focused()
    check_accessibility(page)


def test_sign_in_by_keyboard_alone(page, school):
    page.goto("/auth/sign-in")
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.get_by_label("E-mail address").focus()
    page.keyboard.type(school.staff.email)
    page.keyboard.press("Tab")
    page.keyboard.type(factories.PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Hello, {school.staff.display_name}")).to_be_visible()


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_admin_manages_accounts_on_a_phone(page, school):
    sign_in(page, school.admin, factories.PASSWORD)
    open_main_menu(page)
    open_menu_group(page, "School").get_by_role("link", name="Accounts", exact=True).click()
    expect(page.get_by_role("heading", name="Accounts at Oakfield Primary School")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("link", name="Add an account").click()
    page.get_by_label("Name").fill("Rhys Evans")
    page.get_by_label("E-mail address").fill("rhys@oak.example")
    page.get_by_label("Staff member").check()
    check_accessibility(page)
    page.get_by_role("button", name="Create the account").click()
    expect(page.get_by_role("heading", name="One-time password for Rhys Evans")).to_be_visible()
    check_accessibility(page)


def test_a_person_signs_out_another_browser_from_their_list(page, new_page, school):
    """Signed in on a phone and a laptop: from the laptop, the phone is signed out, by keyboard."""
    phone = new_page()
    sign_in(phone, school.staff, factories.PASSWORD)
    sign_in(page, school.staff, factories.PASSWORD)
    page.goto("/auth/security")
    page.get_by_role("link", name="Your signed-in browsers").click()
    expect(page.get_by_role("heading", name="Your signed-in browsers")).to_be_visible()
    expect(page.get_by_text("This browser")).to_be_visible()
    check_accessibility(page)
    button = page.get_by_role("button", name=re.compile(r"^Sign out .*signed in"))
    expect(button).to_have_count(1)
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("That browser has been signed out.")).to_be_visible()
    phone.goto("/concerns/mine")
    expect(phone).to_have_url(re.compile(r"/auth/sign-in"))
