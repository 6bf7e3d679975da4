"""Concerns about adults in a real browser: a teacher raises an allegation about a colleague; the head records the
LADO discussion within the clock, interim arrangements and the outcome, and exports the summary; the colleague, the
DSLs and the administrator find nothing of it; an allegation about the head reaches the chair, not the head. axe-core
runs on every page visited."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from safeguard.adults.models import AdultConcern
from safeguard.core.extensions import db
from tests import factories
from tests.browser.conftest import check_accessibility, sign_in


@pytest.fixture
def colleague(school):
    account = factories.user(school.school, "staff", email="colleague@oak.example", name="Hannah Lewis")
    db.session.commit()
    return account


def _raise(page, subject_name: str, account: str) -> str:
    page.goto("/concerns/new")
    page.get_by_role("link", name="Raise a concern about an adult").click()
    expect(page.get_by_role("heading", name="Raise a concern about an adult")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("The adult, if they have an account here").select_option(label=subject_name)
    page.get_by_label("Their job or role").fill("Class teacher")
    page.get_by_label("When it happened").fill("2026-12-04T09:15")
    page.get_by_label("Where", exact=True).fill("Year 4 classroom")
    page.get_by_role("textbox", name="What happened").fill(account)
    page.get_by_role("radio", name="Yes, it may meet the harm threshold").check()
    page.get_by_role("button", name="Send to the case manager").click()
    expect(page.get_by_role("heading", name="Your concern about an adult has been sent")).to_be_visible()
    check_accessibility(page)
    return page.locator("strong.font-monospace").inner_text()


def test_an_allegation_from_the_teacher_to_the_head_and_nobody_else(new_page, school, colleague):
    teacher = new_page()
    sign_in(teacher, school.staff, factories.PASSWORD)
    reference = _raise(teacher, "Hannah Lewis", "Mrs Lewis pulled a child by the arm across the room; he cried.")
    expect(teacher.get_by_text("sent to the head teacher")).to_be_visible()
    case_id = db.session.scalar(db.select(AdultConcern.id).where(AdultConcern.reference == reference))

    head = new_page()
    sign_in(head, school.head, factories.PASSWORD)
    with head.expect_navigation():
        head.get_by_role("link", name="Adults", exact=True).click()
    check_accessibility(head)
    head.get_by_role("link", name=reference).click()
    expect(head.get_by_text("Discuss it with the Local Authority Designated Officer")).to_be_visible()
    check_accessibility(head)
    head.get_by_label("When you discussed it with the LADO").fill(
        head.evaluate(
            "() => { const d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset());"
            " return d.toISOString().slice(0, 16); }"
        )
    )
    head.get_by_label("LADO", exact=True).fill("Sam Carter")
    head.get_by_label("The LADO's advice").fill("Suspend while the police and the school investigate.")
    head.get_by_label("The LADO's reference").fill("LADO-2026-118")
    head.get_by_label("The police are involved").check()
    head.get_by_role("button", name="Record the LADO discussion").click()
    expect(head.get_by_text("The discussion with the LADO is recorded.")).to_be_visible()
    expect(head.get_by_text("within one working day").first).to_be_visible()
    head.get_by_label("Interim arrangement", exact=True).select_option(label="Suspension")
    head.get_by_label("Reasons").fill("Risk to children while the allegation is investigated.")
    head.get_by_role("button", name="Record interim arrangements").click()
    expect(head.get_by_text("Interim arrangements recorded.")).to_be_visible()
    head.get_by_text("Unsubstantiated: There is insufficient evidence").click()
    head.get_by_label("How the case was concluded").fill("Investigation concluded; no witness to the event.")
    head.get_by_role("group", name="Referral to the Disclosure and Barring Service made?").get_by_label("No").check()
    head.get_by_label("Why (DBS)").fill("Not substantiated; no harm found.")
    head.get_by_role("group", name="Referral to the Teaching Regulation Agency made?").get_by_label("No").check()
    head.get_by_label("Why (TRA)").fill("No misconduct found.")
    head.get_by_role("button", name="Record the outcome and close").click()
    expect(head.get_by_text("Outcome recorded; the case is closed.")).to_be_visible()
    check_accessibility(head)
    head.get_by_label("Reason for export").fill("Case summary for the LADO")
    with head.expect_download() as info:
        head.get_by_role("button", name="Download the case summary (PDF)").click()
    with open(info.value.path(), "rb") as file:
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(file.read())).pages).split())
    assert reference in text and "Unsubstantiated" in text and "LADO-2026-118" in text
    assert "OFFICIAL-SENSITIVE" in text and "Page 1 of" in text and "Verification code" in text

    for person in (colleague, school.dsl, school.admin):
        other = new_page()
        sign_in(other, person, factories.PASSWORD)
        other.goto(f"/adults/{case_id}")
        expect(other.get_by_role("heading", name="Page not found")).to_be_visible()
        check_accessibility(other)
        for url in ("/", "/adults/", "/notifications/", "/concerns/"):
            other.goto(url)
            assert reference not in other.content()


def test_an_allegation_about_the_head_reaches_the_chair_not_the_head(new_page, school):
    teacher = new_page()
    sign_in(teacher, school.staff, factories.PASSWORD)
    reference = _raise(teacher, school.head.display_name, "The head shouted at a pupil and shook him by the shoulders.")
    expect(teacher.get_by_text("sent to the chair of governors")).to_be_visible()

    head = new_page()
    sign_in(head, school.head, factories.PASSWORD)
    head.goto("/adults/")
    assert reference not in head.content()
    check_accessibility(head)

    chair = new_page()
    sign_in(chair, school.chair, factories.PASSWORD)
    chair.get_by_role("link", name="Adults", exact=True).click()
    chair.get_by_role("link", name=reference).click()
    expect(chair.get_by_text("The head shouted at a pupil")).to_be_visible()
    check_accessibility(chair)
