"""The monitoring tray in a real browser: alerts arrive through the API, a severity 5 one alerts the DSL team, and a
DSL attaches one to a new concern, closes one as a false positive and matches an unmatched one; axe-core on every
page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from safeguard.api import services as api_services
from safeguard.api.scopes import Scope
from safeguard.core.extensions import db
from tests import factories
from tests.api.conftest import Api, alert_body
from tests.browser.conftest import check_accessibility, sign_in


def test_alerts_from_the_api_are_triaged_in_the_tray(new_page, live_server, school):
    jamie = factories.pupil(school.school, "Jamie", "Smith", username="jsmith15")
    factories.pupil(school.school, "Priya", "Shah", username="pshah")
    token = api_services.create_token(school.school, "Smoothwall", [Scope.ALERTS_WRITE], 30, None).token
    db.session.commit()
    api = Api(live_server.url)
    urgent = api.call("POST", "/api/v1/alerts", alert_body(event_id="e5", severity=5), token=token)
    assert urgent.status == 201
    searched = alert_body(
        event_id="e3", severity=3, username="pshah", category="Cyberbullying", excerpt="nobody likes u"
    )
    assert api.call("POST", "/api/v1/alerts", searched, token=token).status == 201
    lost = alert_body(event_id="e4", severity=4, username="LAB-PC-07\\guest", category="Violence")
    assert api.call("POST", "/api/v1/alerts", lost, token=token).status == 201

    page = new_page()
    sign_in(page, school.dsl, factories.PASSWORD)
    # The severity 5 alert reached the DSL at once, in the app (and by e-mail, through the outbox).
    page.goto("/notifications/")
    expect(page.get_by_role("link", name="Severity 5 monitoring alert from Smoothwall")).to_be_visible()
    check_accessibility(page)

    page.goto("/monitoring/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Severity 5")
    expect(rows.first).to_contain_text("Jamie Smith")
    check_accessibility(page)

    # Attach the most severe to a new concern about Jamie: the alert is an entry of its chronology.
    page.get_by_role("link", name="Jamie Smith").click()
    expect(page.get_by_role("heading", name="Monitoring alert: Self-harm")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("What kind of concern is it?").select_option(label="Self-harm")
    page.get_by_role("button", name="Log a concern with this alert").click()
    expect(page.get_by_text("with the alert in its chronology")).to_be_visible()
    entry = page.locator("[id^=entry-]", has_text="Monitoring alert from Smoothwall: Self-harm, severity 5")
    expect(entry).to_be_visible()
    expect(entry).to_contain_text("how many tablets would it take")

    # Close the next as a false positive: the reason is required.
    page.goto("/monitoring/")
    page.get_by_role("link", name="Priya Shah").click()
    page.get_by_label("False positive: the alert was wrong").check()
    page.get_by_role("button", name="Close the alert").click()
    expect(page.get_by_role("link", name="Say why.")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("False positive: the alert was wrong").check()
    page.get_by_label("Reason").fill("Quoting a song lyric in an English lesson; checked with the teacher.")
    page.get_by_role("button", name="Close the alert").click()
    expect(page.get_by_text("Alert closed: false positive.")).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(1)

    # Match the unmatched one to a pupil by hand: it then waits in the tray.
    with page.expect_navigation():
        page.get_by_role("link", name="Unmatched").click()
    check_accessibility(page)
    page.get_by_role("link", name="LAB-PC-07\\guest").click()
    page.get_by_label("Name or UPN").fill("Jamie")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Match to Jamie Smith").click()
    expect(page.get_by_text("matched to the pupil")).to_be_visible()
    check_accessibility(page)
    page.goto("/monitoring/")
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("table tbody tr").first).to_contain_text("Jamie Smith")
    assert jamie.id


def test_an_administrator_makes_a_token_sees_it_once_and_revokes_it(new_page, school):
    page = new_page()
    sign_in(page, school.admin, factories.PASSWORD)
    page.goto("/admin/api-tokens/")
    check_accessibility(page)
    page.get_by_label("What system is it for?").fill("Smoothwall")
    page.get_by_label("Send monitoring alerts (alerts:write)").check()
    page.get_by_role("button", name="Make the token").click()
    expect(page.get_by_role("heading", name="Copy the token now: it is shown only this once")).to_be_visible()
    expect(page.get_by_label("The new token")).to_have_value(re.compile(r"^sgapi_"))
    check_accessibility(page)
    page.goto("/admin/api-tokens/")
    expect(page.get_by_label("The new token")).to_have_count(0)
    page.get_by_role("button", name="Revoke the token for Smoothwall").click()
    expect(page.get_by_text("The token for Smoothwall was revoked")).to_be_visible()
    expect(page.locator("table tbody tr").first).to_contain_text("Revoked")
