"""Browser journeys of the exports: a referral PDF, the child's file, a transfer and its receipt, the governors'
summary, and checking a PDF against the record. Every page is checked with axe-core."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from safeguard.concerns import services
from safeguard.core.schooldays import term_of
from safeguard.core.sqltypes import utcnow
from tests import factories
from tests.browser.conftest import check_accessibility, sign_in


def _text(download) -> str:
    """The text of a downloaded PDF, with runs of white space made single."""
    with open(download.path(), "rb") as file:
        pages = PdfReader(io.BytesIO(file.read())).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


@pytest.fixture
def referred(school, db):
    amira = factories.pupil(school.school, "Amira", "Haddad", child_in_need=True)
    oliver = factories.pupil(school.school, "Oliver", "Bennett")
    concern = factories.concern(
        school.staff,
        [(amira, "subject"), (oliver, "harmed")],
        account='Amira said "Oliver pushed me down the stairs". Her knee was grazed.',
    )
    services.acknowledge(concern, school.dsl, None)
    db.session.commit()
    return concern, amira


def _download(page, button: str = "Download the PDF"):
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    return info.value


def test_dsl_exports_a_referral_and_checks_it_against_the_record(page, school, referred, tmp_path):
    concern, _ = referred
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/concerns/{concern.id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Export as PDF for a referral").click()
    check_accessibility(page)
    page.get_by_role("button", name="Download the PDF").click()  # no reason given
    expect(page.get_by_text("Give the reason for this export.").first).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Reason for this export").fill("Referral to children's social care")
    report = _download(page)
    assert report.suggested_filename == f"{concern.reference}.pdf"
    text = _text(report)
    assert concern.reference in text and '"Oliver pushed me down the stairs"' in text and "OFFICIAL-SENSITIVE" in text
    saved = tmp_path / "referral.pdf"
    report.save_as(saved)

    page.goto("/exports/")
    with page.expect_navigation():
        page.get_by_role("link", name="Check a PDF").click()
    check_accessibility(page)
    page.get_by_label("The PDF to check").set_input_files(str(saved))
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Matches the record")
    check_accessibility(page)

    # Something is added to the record: the same file now says when the record diverged.
    page.goto(f"/concerns/{concern.id}")
    page.locator("summary", has_text="Add a note").click()
    page.get_by_label("Note", exact=True).fill("Social worker visited the family.")
    page.get_by_role("button", name="Add note").click()
    page.goto("/exports/verify")
    page.get_by_label("The PDF to check").set_input_files(str(saved))
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The record has changed since")


def test_child_file_with_other_children_named_then_a_transfer_and_its_receipt(page, school, referred, db):
    _, amira = referred
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/pupils/{amira.id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Export the safeguarding file").click()
    check_accessibility(page)
    page.get_by_label("Reason for this export").fill("Request from the police")
    text = _text(_download(page))
    assert "Safeguarding file — Amira Haddad" in text and "Child B" in text and "Oliver" not in text
    page.get_by_label("Show other children's names").check()
    text = _text(_download(page))
    assert "Oliver Bennett" in text and "the DSL chose to include them" in text

    page.goto(f"/pupils/{amira.id}")
    with page.expect_navigation():
        page.get_by_role("link", name="Transfer the file to a new school").click()
    check_accessibility(page)
    page.get_by_label("Receiving school").fill("Riverside Academy")
    page.get_by_label("How it is sent").fill("Secure e-mail to the receiving DSL")
    text = _text(_download(page))
    assert "Receipt of a child protection file" in text and "Riverside Academy" in text
    page.goto(f"/pupils/{amira.id}")
    expect(page.get_by_text("receipt not yet confirmed")).to_be_visible()

    # Six school days and more later, with no receipt, the queue says so.
    amira.transfer_sent_at = utcnow() - timedelta(days=10)
    db.session.commit()
    page.goto("/concerns/")
    notice = page.get_by_role("region", name="Transferred files without confirmation of receipt after 5 school days")
    expect(notice).to_contain_text("Amira Haddad")
    check_accessibility(page)
    notice.get_by_role("link", name="Record a confirmed receipt").click()
    expect(page.get_by_text("Unconfirmed after 5 school days", exact=True)).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Receipt confirmed for Amira Haddad").click()
    expect(page.get_by_text("Receipt of the transferred file has been recorded.")).to_be_visible()
    page.goto("/concerns/")
    expect(page.get_by_text("without confirmation of receipt")).to_have_count(0)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_head_makes_the_governors_summary_on_a_phone(page, school, referred):
    sign_in(page, school.head, factories.PASSWORD)
    page.goto("/exports/")
    check_accessibility(page)
    page.get_by_role("link", name="Make a summary").click()
    today = date.today()
    # The form offers this term so far.
    expect(page.get_by_label("From")).to_have_value(term_of(today).first.isoformat())
    expect(page.get_by_label("To", exact=True)).to_have_value(today.isoformat())
    page.get_by_label("From").fill((today - timedelta(days=30)).isoformat())
    page.get_by_label("Reason for this summary").fill("Termly report to governors")
    check_accessibility(page)
    text = _text(_download(page))
    assert "Safeguarding summary" in text and "Concerns logged 1" in text and "Physical abuse" in text
    assert "Amira" not in text and "Haddad" not in text and "Oliver" not in text
