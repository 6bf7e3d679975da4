"""Browser journeys: walking the sharing-nudes protocol to an immediate referral, and to handling in school."""

from __future__ import annotations

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import check_accessibility, sign_in


def _answer(page, label: str, reason: str = "", exact: bool = True):
    section = page.locator("#guided-sharing-nudes-section")
    section.get_by_label(label, exact=exact).check()
    if reason:
        section.get_by_label("Reason (needed for some answers)").fill(reason)
    section.get_by_role("button", name="Record answer to Sharing nudes and semi-nudes").click()


def test_nudes_protocol_to_an_immediate_referral(page, school):
    concern = factories.acknowledged_sharing_nudes_concern(school)
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/concerns/{concern.id}")
    section = page.locator("#guided-sharing-nudes-section")
    expect(section).to_contain_text("0 of 8 steps answered")
    check_accessibility(page)
    _answer(page, "Confirmed")
    _answer(page, "Yes, or it is suspected")
    expect(page.get_by_role("alert").first).to_contain_text("Immediate referral needed")
    expect(section.get_by_role("alert")).to_contain_text("Refer to the police and children's social care now")
    expect(page.locator(".chronology")).to_contain_text("Yes, or it is suspected")
    check_accessibility(page)


def test_nudes_protocol_to_handling_in_school(page, school):
    concern = factories.acknowledged_sharing_nudes_concern(school)
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/concerns/{concern.id}")
    _answer(page, "Confirmed")
    for label in ("No", "No", "No", "No", "No"):
        _answer(page, label)
    _answer(page, "Handle in school (none of the five reasons to refer applies)")
    section = page.locator("#guided-sharing-nudes-section")
    expect(section).to_contain_text("Will the parents or carers be told?")
    _answer(page, "No: telling them would put the child at risk", exact=False)  # without the reason: refused
    expect(section.locator(".error-summary")).to_contain_text("needs the reason")
    _answer(
        page, "No: telling them would put the child at risk", "Her father is the source of the pressure.", exact=False
    )
    _answer(page, "Done")
    expect(section).to_contain_text("Every required step is answered")
    expect(section.get_by_role("alert")).to_have_count(0)
    check_accessibility(page)
