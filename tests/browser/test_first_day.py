"""Browser journeys from the first day, as a teacher and a DSL meet it: what each page tells them."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from playwright.sync_api import expect
from pypdf import PdfReader

from safeguard.concerns import services
from safeguard.core.extensions import db
from tests import factories
from tests.browser.conftest import check_accessibility, sign_in

REFER_NOW = "Refer to the police and children's social care now"


def _answer(page, label: str):
    section = page.locator("#guided-sharing-nudes-section")
    section.get_by_label(label, exact=True).check()
    section.get_by_role("button", name="Record answer to Sharing nudes and semi-nudes").click()


def _refer(page, target: str, reference: str):
    page.locator("summary", has_text="Record an action or referral").click()
    page.get_by_label("What was done").select_option(label="Referral")
    page.get_by_label("Referral to").select_option(label=target)
    page.get_by_label("Their reference").fill(reference)
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.locator(".chronology")).to_contain_text(f"reference {reference}")


def test_a_required_referral_is_listed_once_and_marked_done_when_recorded(page, school):
    concern = factories.acknowledged_sharing_nudes_concern(school)
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/concerns/{concern.id}")
    _answer(page, "Confirmed")
    # Every one of the five questions answered yes, then the decision to refer: six answers require one referral.
    for label in ("Yes, or it is suspected", "Yes, or it is suspected", "Yes", "Yes", "Yes"):
        _answer(page, label)
    _answer(page, "Refer to the police and/or children's social care")
    _answer(page, "Done")  # the child has been told how to have the imagery removed
    section = page.locator("#guided-sharing-nudes-section")
    alert = section.get_by_role("alert")
    expect(alert).to_contain_text("An answer requires an immediate referral")
    expect(alert.get_by_text(REFER_NOW)).to_have_count(1)  # six answers require it: said once
    expect(alert).to_contain_text("Police: not recorded yet")
    expect(alert).to_contain_text("Children's social care: not recorded yet")
    check_accessibility(page)

    _refer(page, "Police", "POL-2026-5521")
    expect(alert).to_contain_text("Police: recorded")
    expect(alert).to_contain_text("Children's social care: not recorded yet")  # half done is not done
    _refer(page, "Children's social care", "CSC-2026-7734")
    expect(alert).to_have_count(0)
    expect(section).to_contain_text("Children's social care: recorded")
    expect(section).to_contain_text("Each action the answers require is recorded")
    expect(section.get_by_text(REFER_NOW)).to_have_count(1)

    page.locator("summary", has_text="Change status").click()
    page.get_by_label("New status").select_option(label="Closed")
    page.get_by_label("Outcome (when closing)").fill("Police and children's social care are leading")
    page.get_by_label("Rationale for closing or reopening").fill("Both agencies have taken the referral on.")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".badge", has_text="Closed")).to_be_visible()
    expect(section.get_by_role("alert")).to_have_count(0)
    expect(section).to_contain_text("Each action the answers require is recorded")
    check_accessibility(page)


def _pdf_text(download) -> str:
    """The text of a downloaded PDF, with runs of white space made single."""
    with open(download.path(), "rb") as file:
        pages = PdfReader(io.BytesIO(file.read())).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _export(page, url: str) -> str:
    page.goto(url)
    page.get_by_label("Reason for this export").fill("Referral to children's social care")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the PDF").click()
    return _pdf_text(info.value)


def test_every_assignment_is_in_the_chronology_and_the_pdfs(page, school):
    amira = factories.pupil(school.school, "Amira", "Haddad")
    concern = factories.concern(school.staff, [amira])
    factories.user(school.school, "dsl", email="deputy@oak.example", name="Sam Deputy")
    db.session.commit()
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/concerns/{concern.id}")
    page.get_by_role("button", name="Acknowledge").click()
    chronology = page.locator(".chronology")
    taken_on = f"Assigned to {school.dsl.display_name} on acknowledging it"
    expect(chronology).to_contain_text(taken_on)
    page.locator("summary", has_text="Assignment and level of need").click()
    page.get_by_label("Assign to").select_option(label="Sam Deputy")
    page.get_by_role("button", name="Save assignment").click()
    expect(chronology).to_contain_text("Assigned to Sam Deputy")
    check_accessibility(page)

    report = _export(page, f"/exports/concern/{concern.id}")
    assert taken_on in report and "Assigned to Sam Deputy" in report
    child_file = _export(page, f"/exports/pupil/{amira.id}")
    assert child_file.count(taken_on) == 2  # the summary chronology and the concern's own
    assert child_file.count("Assigned to Sam Deputy") == 2


def test_acknowledging_after_another_dsl_says_who_did_it_first(new_page, school):
    amira = factories.pupil(school.school, "Amira", "Haddad")
    concern = factories.concern(school.staff, [amira])
    deputy = factories.user(school.school, "dsl", email="deputy@oak.example", name="Sam Deputy")
    db.session.commit()
    first, second = new_page(), new_page()
    sign_in(first, deputy, factories.PASSWORD)
    sign_in(second, school.dsl, factories.PASSWORD)
    first.goto(f"/concerns/{concern.id}")
    second.goto(f"/concerns/{concern.id}")
    first.get_by_role("button", name="Acknowledge").click()
    expect(first.get_by_text("Acknowledged. The reporter can now see")).to_be_visible()

    second.get_by_role("button", name="Acknowledge").click()
    expect(second).to_have_url(re.compile(rf"/concerns/{concern.id}$"))
    told = second.get_by_role("alert").filter(has_text="Sam Deputy acknowledged this concern at")
    expect(told).to_contain_text("nothing more was changed")
    expect(second.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(second.locator(".chronology")).to_contain_text("Acknowledged by Sam Deputy")
    check_accessibility(second)


def test_closing_with_a_follow_up_open_asks_for_it_done_or_a_reason(page, school):
    amira = factories.pupil(school.school, "Amira", "Haddad")
    concern = factories.concern(school.staff, [amira])
    services.acknowledge(concern, school.dsl, None)
    chase = services.ActionInput(
        kind="informed_parents", follow_up_on=date.today() + timedelta(days=3), follow_up_what="Ring mum back"
    )
    services.record_action(concern, school.dsl, chase, None)
    db.session.commit()
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/concerns/{concern.id}")

    page.locator("summary", has_text="Change status").click()
    page.get_by_label("New status").select_option(label="Closed")
    page.get_by_label("Outcome (when closing)").fill("Support in school")
    page.get_by_label("Rationale for closing or reopening").fill("Mum is engaging; pastoral support in place.")
    page.get_by_role("button", name="Change status").click()
    errors = page.locator("#status .error-summary")
    expect(errors).to_contain_text('A follow-up is still open: "Ring mum back"')
    expect(errors).to_contain_text("Mark it done first, or record why the concern is closed with it open")
    expect(page.locator(".badge", has_text="Closed")).to_have_count(0)
    check_accessibility(page)

    reason = "Mum will ring us; the class teacher will pass on anything she says."
    page.get_by_label("Why close with a follow-up still open").fill(reason)
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".badge", has_text="Closed")).to_be_visible()
    expect(page.locator(".chronology")).to_contain_text(f"Closed with a follow-up still open because: {reason}")
    report = _export(page, f"/exports/concern/{concern.id}")
    assert f"Closed with a follow-up still open because: {reason}" in report
