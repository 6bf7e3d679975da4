"""Browser tests of the live terminology hints, "use this term" and the category picker."""

from __future__ import annotations

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import check_accessibility, sign_in


def test_live_hints_and_use_this_term_replaces_only_that_span(page, school):
    sign_in(page, school.staff, factories.PASSWORD)
    page.goto("/terminology/check")
    box = page.get_by_label("Your wording")
    box.fill('She said "he sent me child porn". Later he showed child porn to the group.')
    findings = page.locator("[data-findings]")
    expect(findings).to_contain_text("“child porn”")
    expect(findings.locator("li")).to_have_count(1)  # the quoted words are not flagged
    expect(page.get_by_label("Reason for keeping these words")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Use “child sexual abuse material”").click()
    expect(box).to_have_value(
        'She said "he sent me child porn". Later he showed child sexual abuse material to the group.'
    )
    expect(findings.locator("li")).to_have_count(0)
    expect(page.get_by_label("Reason for keeping these words")).to_be_hidden()


def test_caution_hint_does_not_block(page, school):
    sign_in(page, school.staff, factories.PASSWORD)
    page.goto("/terminology/check")
    page.get_by_label("Your wording").fill("Her boyfriend, who is 24, collects her.")
    expect(page.locator("[data-findings]")).to_contain_text("Use with care")
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.get_by_text("Only hints were found")).to_be_visible()


def test_category_picker_search_and_guidance(page, school):
    sign_in(page, school.staff, factories.PASSWORD)
    page.goto("/concerns/new")
    search = page.get_by_label("Search the categories")
    search.fill("nudes")
    expect(page.locator("#category-online-sharing-nudes")).to_be_visible()
    expect(page.locator("#category-abuse-physical")).to_be_hidden()
    page.locator("#category-online-sharing-nudes").check()
    expect(page.locator('[data-guidance-for="category-online-sharing-nudes"] .alert')).to_be_visible()
    search.fill("")
    expect(page.locator("#category-abuse-physical")).to_be_visible()
    check_accessibility(page)


def test_use_this_term_keeps_the_teachers_sentence_whole(page, school):
    """The issue's sentence: "sexting an older boy" becomes "sharing nudes and semi-nudes with an older boy"."""
    sign_in(page, school.staff, factories.PASSWORD)
    page.goto("/concerns/new")
    box = page.get_by_label("What happened?")
    box.fill("At break Amira told me she was sexting an older boy. He sexted her a picture last night.")
    findings = page.locator("[data-findings]")
    expect(findings.locator("li")).to_have_count(2)
    # Where no form fits ("sexted her a picture"), nothing is offered: the teacher is told to rewrite it.
    second = findings.locator("li").nth(1)
    expect(second).to_contain_text("No wording fits here as the sentence is written")
    expect(second.get_by_role("button")).to_have_count(0)
    check_accessibility(page)
    findings.get_by_role("button", name="Use “sharing nudes and semi-nudes with”").click()
    expect(box).to_have_value(
        "At break Amira told me she was sharing nudes and semi-nudes with an older boy. "
        "He sexted her a picture last night."
    )
    expect(findings.locator("li")).to_have_count(1)
