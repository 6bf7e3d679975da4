"""Browser journeys of the school calendar (entered by hand, imported from an .ics file) and of each way of sending
a child's file: to the next school's Safeguard, by a one-time link, and on paper. axe-core checks every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from safeguard.concerns import services as concern_services
from safeguard.core.extensions import db
from safeguard.transfers import services
from tests import factories
from tests.browser.conftest import check_accessibility, sign_in
from tests.calendar.test_calendar import ICS
from tests.transfers import conftest as two_instances

# The two instances of the transfer tests (two databases, two servers), used here by their fixtures' names.
instances = two_instances.instances
second_database = two_instances.second_database


@pytest.fixture
def amira(school):
    child = factories.pupil(school.school, "Amira", "Haddad", upn="H801200001001")
    concern = factories.concern(school.staff, [child])
    concern_services.acknowledge(concern, school.dsl, None)
    db.session.commit()
    return child


def test_an_administrator_enters_the_school_calendar_by_hand(page, school):
    sign_in(page, school.admin, factories.PASSWORD)
    page.get_by_role("button", name="School").click()
    page.get_by_role("link", name="School calendar").click()
    expect(page.get_by_text("No term dates have been entered.")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Name").fill("Autumn term 2026")
    page.get_by_label("First day").fill("2026-09-02")
    page.get_by_label("Last day").fill("2026-12-18")
    page.get_by_role("button", name="Add to the calendar").click()
    expect(page.get_by_text("Autumn term 2026 has been added to the school calendar.")).to_be_visible()
    page.get_by_label("A closure (half-term, INSET day, bank holiday)").check()
    page.get_by_label("Name").fill("October half-term")
    page.get_by_label("First day").fill("2026-10-26")
    page.get_by_label("Last day").fill("2026-10-30")
    page.get_by_role("button", name="Add to the calendar").click()
    table = page.get_by_role("table")
    expect(table.get_by_role("rowheader", name="October half-term")).to_be_visible()
    expect(page.get_by_text("No term dates have been entered.")).to_have_count(0)
    check_accessibility(page)
    page.get_by_role("button", name="Remove October half-term").click()
    expect(page.get_by_text("The date has been removed from the school calendar.")).to_be_visible()


def test_an_administrator_imports_the_school_calendar_from_an_ics_file(page, school, tmp_path):
    terms = tmp_path / "term-dates.ics"
    terms.write_bytes(ICS)
    sign_in(page, school.admin, factories.PASSWORD)
    page.goto("/calendar/")
    page.get_by_label("iCalendar file (.ics)").set_input_files(str(terms))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 1 terms and 1 closures.")).to_be_visible()
    expect(page.get_by_role("rowheader", name="February Half Term")).to_be_visible()
    check_accessibility(page)


def test_a_dsl_sends_a_file_to_the_next_schools_safeguard_which_imports_it(new_page, instances, amira):
    a, b = instances
    a_key = services.public_key(a.staff.school.id).key
    db.session.commit()
    with b.app.app_context():
        b_school = db.session.scalar(db.text("SELECT id FROM schools WHERE code = 'ELM'"))
        b_key = services.public_key(b_school)
        services.add_partner(b_school, None, "Oakfield Primary School", a.url, a_key)
        db.session.commit()
    sender = new_page()
    sign_in(sender, a.staff.dsl, factories.PASSWORD)
    sender.goto("/transfers/keys")
    check_accessibility(sender)
    sender.get_by_label("School's name").fill("Elmwood Academy")
    sender.get_by_label("Address of its Safeguard").fill(b.url)
    sender.get_by_label("Its public key").fill(b_key.key)
    sender.get_by_role("button", name="Register the school").click()
    expect(sender.get_by_text(f"key fingerprint {b_key.fingerprint}")).to_be_visible()
    sender.goto(f"/pupils/{amira.id}")
    with sender.expect_navigation():
        sender.get_by_role("link", name="Send the file electronically").click()
    check_accessibility(sender)
    sender.get_by_label("Receiving school", exact=True).select_option(label="Elmwood Academy")
    sender.get_by_role("button", name="Send the file").click()
    expect(
        sender.get_by_text("The file has been delivered to Elmwood Academy, which sent a signed receipt.")
    ).to_be_visible()
    expect(sender.get_by_role("cell", name=re.compile("Delivered"))).to_be_visible()
    check_accessibility(sender)

    receiver = new_page()
    receiver.goto(b.url + "/auth/sign-in")
    with b.app.app_context():
        from safeguard.auth.models import User

        dsl_b = db.session.scalars(db.select(User).where(User.email == "dsl@elm.example")).one()
        receiver.get_by_label("E-mail address").fill(dsl_b.email)
        receiver.get_by_label("Password").fill(factories.PASSWORD)
        receiver.get_by_role("button", name="Sign in").click()
        receiver.get_by_label("Code").fill(factories.totp_code(dsl_b))
        with receiver.expect_navigation():  # signed in before the next page is asked for
            receiver.get_by_role("button", name="Sign in").click()
    receiver.goto(b.url + "/transfers/")
    with receiver.expect_navigation():
        receiver.get_by_role("link", name=re.compile("Amira Haddad")).click()
    check_accessibility(receiver)
    receiver.get_by_role("button", name="Import the file").click()
    expect(receiver.get_by_text("The sending school has been told.")).to_be_visible()
    expect(receiver.get_by_text("Transferred").first).to_be_visible()
    check_accessibility(receiver)

    sender.goto("/transfers/")
    expect(sender.get_by_role("cell", name=re.compile("Receipt confirmed"))).to_be_visible()


def test_a_dsl_sends_a_file_by_a_one_time_link_and_the_receiver_confirms_receipt(new_page, school, amira):
    sender = new_page()
    sign_in(sender, school.dsl, factories.PASSWORD)
    sender.goto(f"/transfers/send/{amira.id}")
    sender.get_by_label("A one-time link, for a school on another system").check()
    sender.get_by_label("Receiving school's name (for a link)").fill("St Anne's School")
    sender.get_by_label("Days the link stays valid").fill("5")
    sender.get_by_role("button", name="Send the file").click()
    address = sender.locator("#link-address").inner_text()
    code = sender.locator("#link-code").inner_text()
    check_accessibility(sender)

    receiver = new_page()
    receiver.goto(address)
    check_accessibility(receiver)
    receiver.get_by_label("Code").fill("WRONG")
    receiver.get_by_role("button", name="Download the file").click()
    expect(receiver.get_by_text("That code is not right.").first).to_be_visible()
    receiver.get_by_label("Code").fill(code)
    with receiver.expect_download() as info:
        receiver.get_by_role("button", name="Download the file").click()
    assert info.value.suggested_filename == f"safeguarding-file-{amira.upn}.zip"
    receiver.goto(address)
    receiver.get_by_label("Code").fill(code)
    receiver.get_by_label("Your name and role").fill("Sam Patel, designated safeguarding lead")
    receiver.get_by_role("button", name="Confirm receipt").click()
    expect(receiver.get_by_text("receipt has been confirmed to the sending school")).to_be_visible()
    check_accessibility(receiver)

    sender.goto("/transfers/")
    expect(sender.get_by_text(re.compile("by Sam Patel, designated safeguarding lead, St Anne"))).to_be_visible()


def test_a_dsl_sends_a_file_on_paper_and_records_its_receipt(page, school, amira):
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/transfers/send/{amira.id}")
    page.get_by_label("Paper or secure e-mail").check()
    page.get_by_role("button", name="Send the file").click()
    expect(page).to_have_url(re.compile(f"/exports/transfer/{amira.id}"))
    page.get_by_label("Receiving school").fill("Hillside Primary")
    page.get_by_label("How it is sent").fill("Secure e-mail to the receiving DSL")
    with page.expect_download():
        page.get_by_role("button", name="Download the PDF").click()
    page.goto("/exports/transfers")
    check_accessibility(page)
    page.get_by_role("button", name="Receipt confirmed for Amira Haddad").click()
    expect(page.get_by_text("Receipt of the transferred file has been recorded.")).to_be_visible()
