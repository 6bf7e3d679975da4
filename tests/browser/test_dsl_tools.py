"""Browser journeys of the DSL's and the head's tools: searching the words of the records, the oversight page, the
confirmation before deactivating an account (with and without JavaScript), and printing a concern and a child's
page with the protective marking on every page. Every page is checked with axe-core."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from safeguard.concerns import services
from safeguard.core.extensions import db
from tests import factories
from tests.browser.conftest import check_accessibility, open_main_menu, open_menu_group, sign_in


@pytest.fixture
def recorded(school):
    """A concern about Amira with a note and a referral, and another about Jayden."""
    amira = factories.pupil(school.school, "Amira", "Haddad", child_in_need=True)
    jayden = factories.pupil(school.school, "Jayden", "Brooks")
    concern = factories.concern(
        school.staff, [amira], account="Amira came in with bruises on both wrists and would not say how."
    )
    services.acknowledge(concern, school.dsl, None)
    services.add_note(concern, school.dsl, "Her aunt said the family were evicted last week.", None)
    services.record_action(
        concern,
        school.dsl,
        services.ActionInput(kind="referral", details="Phoned the front door.", target="childrens-social-care"),
        None,
    )
    factories.concern(school.staff, [jayden], account="Jayden was tearful at lunch and ate nothing.")
    db.session.commit()
    return concern, amira


def test_a_dsl_searches_the_words_of_the_records_from_the_queue(page, school, recorded):
    concern, _ = recorded
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto("/concerns/")
    with page.expect_navigation():
        page.get_by_role("link", name="Search the words of accounts, notes and actions").click()
    check_accessibility(page)
    page.get_by_label("Words to find").fill("evicted family")
    page.get_by_role("button", name="Search").click()
    results = page.locator(".search-results li")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text(concern.reference)
    expect(results.first).to_contain_text("Amira Haddad")
    expect(results.first).to_contain_text("Note")
    expect(results.first.locator("mark")).to_have_text("family")
    assert "evicted" not in page.url  # the words are posted, not put in the address
    check_accessibility(page)
    results.first.get_by_role("link", name=concern.reference).click()
    expect(page.get_by_role("heading", name=f"Concern {concern.reference}")).to_be_visible()


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_the_head_sees_the_schools_numbers_as_charts_and_tables(page, school, recorded, viewport):
    sign_in(page, school.head, factories.PASSWORD)
    if viewport["width"] < 900:
        open_main_menu(page)
    menu = open_menu_group(page, "Reports")  # Reports and Oversight are grouped, to fit one line
    menu.get_by_role("link", name="Oversight").click()
    expect(page.get_by_role("heading", name="Oversight", exact=True)).to_be_visible()
    expect(page.locator("svg.chart-svg")).to_have_count(4)
    now = page.locator("figure", has=page.get_by_text("Now", exact=True))
    expect(now.get_by_role("row", name="Open concerns 2")).to_be_visible()
    agencies = page.locator("figure", has=page.get_by_text("Referrals and reports by agency"))
    expect(agencies.get_by_role("row", name="Children's social care 1")).to_be_visible()
    expect(page.get_by_role("img", name="Open concerns by status: bar chart")).to_be_visible()
    expect(page.get_by_text("Amira")).to_have_count(0)
    check_accessibility(page)


def _confirm_deactivation(page, school) -> None:
    row = page.get_by_role("row", name=school.staff.email)
    row.get_by_role("link", name=f"Deactivate {school.staff.display_name}").click()
    expect(page.get_by_role("heading", name=f"Deactivate the account of {school.staff.display_name}?")).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False])
def test_deactivating_an_account_asks_first(browser, live_server, school, javascript):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=javascript, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, school.admin, factories.PASSWORD)
        page.goto("/admin/users")
        _confirm_deactivation(page, school)
        if javascript:  # axe-core runs in the page's JavaScript: the pages are the same without it
            check_accessibility(page)
        page.get_by_role("link", name="Cancel, keep it active").click()
        expect(page.get_by_role("row", name=school.staff.email)).to_contain_text("Active")
        _confirm_deactivation(page, school)
        page.get_by_role("button", name="Deactivate the account").click()
        expect(page.get_by_role("status")).to_contain_text("has been deactivated; everything they recorded is kept")
        expect(page.get_by_role("row", name=school.staff.email)).to_contain_text("Deactivated")
        if javascript:
            check_accessibility(page)
    finally:
        context.close()


def _pdf_pages(page) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(page.pdf(format="A4"))).pages]


def _check_printed(page) -> None:
    """On screen the marking line is hidden; in print media: no menu, no form, no button, and the marking heads the
    page. The page is left in print media."""
    expect(page.locator(".print-marking")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.locator("form:visible")).to_have_count(0)
    expect(page.locator(".btn:visible")).to_have_count(0)
    expect(page.locator(".print-marking")).to_be_visible()
    expect(page.locator(".print-marking")).to_contain_text("OFFICIAL-SENSITIVE")


def test_a_concern_and_a_childs_page_print_with_the_marking_on_every_page(page, school, recorded):
    concern, amira = recorded
    for n in range(12):  # a long chronology, over several printed pages
        services.add_note(
            concern, school.dsl, f"Check-in {n}: spoke with Amira at break; she said she was fine. " * 4, None
        )
    db.session.commit()
    sign_in(page, school.dsl, factories.PASSWORD)
    for address in (f"/concerns/{concern.id}", f"/pupils/{amira.id}"):
        page.goto(address)
        if address.startswith("/concerns"):
            # The child's whole chronology is folded away on screen.
            expect(page.locator("details:not([open])", has=page.get_by_text("across every concern"))).to_have_count(1)
        _check_printed(page)
        printed = _pdf_pages(page)
        assert len(printed) > 1, address
        for number, text in enumerate(printed, 1):
            assert text.count("OFFICIAL-SENSITIVE") >= 2, (address, number)  # at the head and the foot
            assert f"Page {number} of {len(printed)}" in text
        whole = " ".join(printed)
        # The child's whole chronology prints, on the concern page too, where it is folded away on screen.
        assert whole.count("about this child") >= 15, address
        assert "Sign out" not in whole and "Record an action" not in whole and "Mark as left" not in whole
        page.emulate_media(media="screen")
    check_accessibility(page)


def test_the_schools_own_marking_is_printed(page, school, recorded):
    concern, _ = recorded
    school.school.protective_marking = 'OFFICIAL-SENSITIVE "PERSONAL"'
    db.session.commit()
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/concerns/{concern.id}")
    printed = _pdf_pages(page)
    assert all(text.count('OFFICIAL-SENSITIVE "PERSONAL"') >= 2 for text in printed)
