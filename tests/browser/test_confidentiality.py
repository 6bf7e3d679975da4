"""Confidentiality in a real browser: the lead DSL restricts a concern and the deputy finds it nowhere; the deputy
breaks the glass and the lead sees the alert and who has seen it; a case team member reads one concern and loses it;
the quick exit by mouse, keyboard and Shift three times. axe-core on every new page."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from safeguard.access import services as access_services
from safeguard.auth import services as auth_services
from safeguard.auth.models import Role
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from tests import factories
from tests.browser.conftest import check_accessibility, sign_in

ACCOUNT = 'Amira said "my uncle shouts at me when mum is at work". She was tearful at pick-up.'


def _setting(school):
    deputy = factories.user(school.school, Role.DSL, email="deputy@oak.example", name="Tom Hughes")
    auth_services.set_lead_dsl(school.school, school.dsl.id, actor=None)
    amira = factories.pupil(school.school, "Amira", "Haddad")
    db.session.commit()
    concern = factories.concern(school.staff, [amira], account=ACCOUNT)
    return deputy, amira, concern


def test_restricting_a_concern_hides_it_from_the_deputy_until_they_break_the_glass(new_page, school):
    deputy, amira, concern = _setting(school)
    lead = new_page()
    sign_in(lead, school.dsl, factories.PASSWORD)
    lead.goto(f"/concerns/{concern.id}")
    with lead.expect_navigation():
        lead.get_by_role("link", name="Who may see it").click()
    check_accessibility(lead)
    lead.get_by_label("Restricted: named people only").check()
    lead.get_by_label(school.head.display_name).check()
    lead.get_by_label("Why", exact=True).fill("The child's uncle works at the school.")
    lead.get_by_role("button", name="Save who may see it").click()
    expect(lead.get_by_text("Who may see this concern has been changed")).to_be_visible()

    other = new_page()
    sign_in(other, deputy, factories.PASSWORD)
    for url in ("/concerns/?status=all", f"/pupils/{amira.id}?year=all", "/notifications/", "/"):
        other.goto(url)
        expect(other.locator("main")).not_to_contain_text(concern.reference)
    other.goto("/concerns/search")
    other.get_by_label("Words to find").fill("uncle")
    other.get_by_role("button", name="Search").click()
    expect(other.locator("main")).not_to_contain_text(concern.reference)
    response = other.goto(f"/concerns/{concern.id}")
    assert response.status == 404
    response = other.goto(f"/exports/concern/{concern.id}")
    assert response.status == 404

    # Breaking the glass: the reason is required, the record opens, the emergency access is shown on it.
    other.goto("/concerns/")
    with other.expect_navigation():
        other.get_by_role("link", name="Emergency access to a restricted record").click()
    check_accessibility(other)
    other.get_by_label("Reference of the record").fill(concern.reference)
    other.get_by_label("Why you need to open it now").fill("Police at reception asking about Amira now.")
    other.get_by_role("button", name="Open the record").click()
    expect(other.get_by_text("Emergency access recorded")).to_be_visible()
    expect(other.locator("main")).to_contain_text("uncle shouts")
    expect(other.locator("main")).to_contain_text("Police at reception asking about Amira now.")
    check_accessibility(other)

    lead.goto("/notifications/")
    expect(lead.locator("main")).to_contain_text("Emergency access opened by Tom Hughes")
    lead.goto(f"/concerns/{concern.id}")
    lead.get_by_role("link", name="Who has seen this").first.click()
    expect(lead.locator("main")).to_contain_text("Tom Hughes")
    expect(lead.locator("main")).to_contain_text("Police at reception asking about Amira now.")
    check_accessibility(lead)


def test_a_case_team_member_reads_one_concern_and_nothing_else_until_the_end_date(new_page, school):
    _deputy, amira, concern = _setting(school)
    pastoral = factories.user(school.school, Role.STAFF, email="pastoral@oak.example", name="Pastoral Lead")
    other = factories.concern(school.staff, [amira], account='Amira said "I lost my coat". Nothing more.')
    db.session.commit()
    lead = new_page()
    sign_in(lead, school.dsl, factories.PASSWORD)
    lead.goto(f"/concerns/{concern.id}/access")
    lead.get_by_label("Member of staff").select_option(label="Pastoral Lead")
    lead.get_by_label("Until (the last day of access)").fill(utcnow().date().isoformat())
    lead.get_by_label("Why they need it").fill("Lunchtime support for Amira this week.")
    lead.get_by_role("button", name="Invite").click()
    expect(lead.get_by_text("invited into the case team")).to_be_visible()

    member = new_page()
    sign_in(member, pastoral, factories.PASSWORD)
    member.goto("/notifications/")
    member.get_by_role("link", name=concern.reference).click()
    expect(member.locator("main")).to_contain_text("uncle shouts")
    expect(member.locator("main")).to_contain_text("case team")
    check_accessibility(member)
    assert member.goto(f"/concerns/{other.id}").status == 404
    assert member.goto(f"/pupils/{amira.id}").status == 403

    # The lead ends the invitation (its end date does the same at midnight after it: tests/access checks that
    # with the clock moved on, which a live server's clock cannot be).
    lead.goto(f"/concerns/{concern.id}/access")
    lead.get_by_role("button", name="End Pastoral Lead's invitation now").click()
    expect(lead.get_by_text("The invitation has ended.")).to_be_visible()
    check_accessibility(lead)
    assert member.goto(f"/concerns/{concern.id}").status == 404
    grants = access_services.store.concern_grants(concern.school_id, concern.id)
    assert all(
        g.ends_at is not None and g.ends_at > utcnow() - timedelta(days=1) for g in grants if g.kind == "case_team"
    )


def test_the_quick_exit_by_mouse_keyboard_and_shift_three_times(new_page, school):
    for how in ("mouse", "keyboard", "shift"):
        page = new_page()
        sign_in(page, school.staff, factories.PASSWORD)
        page.goto("/concerns/new")
        button = page.get_by_role("button", name="Exit this page")
        expect(button).to_be_visible()
        if how == "mouse":
            button.click()
        elif how == "keyboard":
            button.focus()
            page.keyboard.press("Enter")
        else:
            page.locator("body").click(position={"x": 5, "y": 300})
            for _ in range(3):
                page.keyboard.press("Shift")
        page.wait_for_url("**/exit")
        expect(page).to_have_title("Weather")
        expect(page.locator("body")).not_to_contain_text("Safeguard")
        check_accessibility(page)
        # The next visit needs the password again.
        page.goto("/concerns/new")
        expect(page).to_have_url(re.compile(r".*/auth/sign-in.*"))
