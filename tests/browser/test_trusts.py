"""Browser journeys: a trust lead reads the trust dashboard, asks a school for access for a week, receives it, reads
the school's records and loses them after the week; a DSL of two schools switches between them and sees only each
school's records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from safeguard.core.extensions import db
from safeguard.trusts.models import TrustAccessGrant
from tests import factories
from tests.browser.conftest import check_accessibility, sign_in
from tests.trusts.conftest import build_trust


@pytest.fixture
def trust(app, school, other_school):
    return build_trust(school, other_school)


def test_a_trust_lead_reads_the_dashboard_and_is_granted_a_week_of_access(new_page, trust):
    lead_page = new_page()
    sign_in(lead_page, trust.oak.trust_lead, factories.PASSWORD)
    lead_page.get_by_role("link", name="Trust dashboard").click()
    expect(lead_page.get_by_role("heading", name="Riverside Learning Trust: trust dashboard")).to_be_visible()
    table = lead_page.get_by_role("table", name="Each school's numbers")
    expect(table.get_by_role("row", name="Elmwood Academy (ELM)")).to_be_visible()
    expect(lead_page.get_by_role("img", name="Concerns logged by school")).to_be_visible()
    expect(lead_page.get_by_text("Bilal")).to_have_count(0)
    check_accessibility(lead_page)
    lead_page.get_by_label("Period", exact=True).select_option(label="Last 52 weeks, against the 52 weeks before")
    lead_page.get_by_role("button", name="Show").click()
    expect(lead_page.get_by_role("heading", name="By school")).to_be_visible()

    lead_page.get_by_role("link", name="ask the school for access").click()
    lead_page.get_by_label("School").select_option(label="Elmwood Academy (ELM)")
    lead_page.get_by_label("What you need the records for").fill("A review of neglect concerns this term.")
    lead_page.get_by_label("For how many days").fill("7")
    lead_page.get_by_role("button", name="Ask for access").click()
    expect(lead_page.get_by_text("Waiting for the school")).to_be_visible()
    check_accessibility(lead_page)

    dsl_page = new_page()
    sign_in(dsl_page, trust.elm.dsl, factories.PASSWORD)
    dsl_page.goto("/trust/school-access")
    expect(dsl_page.get_by_text("A review of neglect concerns this term.")).to_be_visible()
    check_accessibility(dsl_page)
    dsl_page.get_by_role("button", name="Grant").click()
    expect(dsl_page.get_by_text("Access granted.")).to_be_visible()

    lead_page.reload()
    expect(lead_page.get_by_text("Granted: open now")).to_be_visible()
    with lead_page.expect_navigation():
        lead_page.get_by_role("link", name="Switch school").first.click()
    check_accessibility(lead_page)
    lead_page.get_by_role("button", name="Work in Elmwood Academy").click()
    expect(lead_page.get_by_text("You are working in Elmwood Academy.")).to_be_visible()
    lead_page.goto(f"/concerns/{trust.elm_concern.id}")
    expect(lead_page.get_by_role("heading", name=trust.elm_concern.reference)).to_be_visible()

    # A week on, the access has ended by itself.
    grant = db.session.scalar(select(TrustAccessGrant))
    db.session.refresh(grant)
    week = timedelta(days=8)
    db.session.execute(update(TrustAccessGrant).values(starts_at=grant.starts_at - week, ends_at=grant.ends_at - week))
    db.session.commit()
    lead_page.goto("/")
    expect(lead_page.get_by_text("You can no longer work in Elmwood Academy")).to_be_visible()
    response = lead_page.goto(f"/concerns/{trust.elm_concern.id}")
    assert response.status == 404
    assert db.session.scalar(select(TrustAccessGrant.status)) == "granted"


def test_a_dsl_of_two_schools_switches_and_sees_each_schools_records_only(page, trust):
    sign_in(page, trust.shared_dsl, factories.PASSWORD)
    expect(page.get_by_role("heading", name="Choose the school to work in")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Work in Elmwood Academy").click()
    page.goto("/concerns/")
    expect(page.get_by_text(trust.elm_concern.reference)).to_be_visible()
    expect(page.get_by_text(trust.oak_concern.reference)).to_have_count(0)

    page.get_by_role("button", name="Sam Cover · ELM").click()
    page.get_by_role("link", name="Switch school").click()
    page.get_by_role("button", name="Work in Oakfield Primary School").click()
    expect(page.get_by_text("You are working in Oakfield Primary School.")).to_be_visible()
    page.goto("/concerns/")
    expect(page.get_by_text(trust.oak_concern.reference)).to_be_visible()
    expect(page.get_by_text(trust.elm_concern.reference)).to_have_count(0)
    check_accessibility(page)
