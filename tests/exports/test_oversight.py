"""The head's oversight page and the governors' summary: the school's numbers, by the existing rules, no child
identifiable."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from safeguard.concerns import services
from safeguard.core.extensions import db
from safeguard.core.schooldays import term_of
from safeguard.core.sqltypes import utcnow
from safeguard.exports import services as exports
from tests import factories


def _flat(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _refer(concern, dsl, target: str) -> None:
    services.record_action(
        concern, dsl, services.ActionInput(kind="referral", details="Referred.", target=target), None
    )


@pytest.fixture
def busy_school(school):
    """Three concerns: one urgent and unacknowledged past its time, one referred twice with a follow-up past its date,
    and one closed; a transfer awaiting receipt."""
    amira = factories.pupil(school.school, "Amira", "Haddad")
    jayden = factories.pupil(school.school, "Jayden", "Brooks")
    now = utcnow()
    urgent = factories.concern(school.staff, [amira], immediate_danger=True, now=now - timedelta(hours=2))
    referred = factories.concern(school.staff, [jayden], now=now - timedelta(hours=3))
    services.acknowledge(referred, school.dsl, None)
    _refer(referred, school.dsl, "childrens-social-care")
    _refer(referred, school.dsl, "police")
    services.record_action(
        referred,
        school.dsl,
        services.ActionInput(
            kind="other", details="Phoned the family.", follow_up_on=now.date(), follow_up_what="Call back"
        ),
        None,
    )
    closed = factories.concern(school.staff, [amira], now=now - timedelta(hours=1))
    services.acknowledge(closed, school.dsl, None)
    services.change_status(
        closed,
        school.dsl,
        services.StatusChange(status="closed", outcome="No further action", rationale="Resolved in school."),
        None,
    )
    jayden.transfer_sent_at, jayden.transfer_to = now, "Elmwood Academy"
    db.session.commit()
    return {"urgent": urgent, "referred": referred, "closed": closed}


def test_oversight_counts_by_the_queues_rules(app, school, busy_school):
    tomorrow = utcnow() + timedelta(days=2)
    # A follow-up due today is past its date tomorrow; the urgent concern is long past its 15 minutes.
    found = exports.oversight(school.school, tomorrow)
    assert found.now.open == 2
    assert found.now.urgent == 1
    assert found.now.overdue == 1
    assert found.now.follow_ups_overdue == 1
    assert found.awaiting_receipt == 1
    assert found.logged == 3 and found.acknowledged == 2
    charts = {chart.key: {bar.label: bar.shown for bar in chart.bars} for chart in found.charts}
    assert charts["now"]["Open concerns"] == "2" and charts["now"]["Transfers awaiting receipt"] == "1"
    assert charts["status"] == {"New": "1", "Acknowledged": "0", "In progress": "0", "Referred": "1"}
    assert charts["referrals"]["Children's social care"] == "1" and charts["referrals"]["Police"] == "1"
    assert charts["referrals"]["Early help"] == "0"


@pytest.mark.parametrize("role, allowed", [("staff", False), ("admin", False), ("head", True), ("dsl", True)])
def test_the_oversight_page_is_for_the_head_and_dsls(client, school, sign_in, role, allowed):
    sign_in(school.user(role))
    assert client.get("/exports/oversight").status_code == (200 if allowed else 403)


def test_the_oversight_page_shows_each_chart_with_its_table(client, school, busy_school, sign_in):
    sign_in(school.head)
    page = client.get("/exports/oversight").get_data(as_text=True)
    assert page.count("<svg") == 4 and page.count('<table class="table table-sm chart-table') == 4
    assert "Referrals and reports by agency" in page and "Median time to acknowledge" in page
    assert "Amira" not in page and "Jayden" not in page
    assert term_of(date.today()).name.lower() in page


def test_terms_cover_the_year_without_gaps():
    day, terms = date(2026, 1, 1), set()
    while day.year == 2026:
        term = term_of(day)
        assert term.first <= day <= term.last
        terms.add(term)
        day += timedelta(days=1)
    assert [t.name for t in sorted(terms, key=lambda t: t.first)] == [
        "Spring term 2026",
        "Summer term 2026",
        "Autumn term 2026",
    ]


def test_the_summary_form_offers_this_term_and_its_own_hint(client, school, sign_in):
    sign_in(school.dsl)
    page = client.get("/exports/summary").get_data(as_text=True)
    first = term_of(date.today()).first
    assert f'value="{first.isoformat()}"' in page
    assert "termly report to the governing board" in page
    assert "fewer than 5" in page


def test_the_summary_counts_referrals_urgency_and_lateness(app, school, busy_school):
    today = date.today()
    exported = exports.export_summary(school.school, school.head, today - timedelta(days=7), today, "Governors")
    text = _flat(exported.pdf)
    assert "Marked urgent 1" in text
    assert "Referrals and reports by agency" in text
    assert "Children's social care 1" in text and "Police 1" in text
    assert "Amira" not in text and "Jayden" not in text
    assert exports.verify(exported.pdf, school_id=school.school.id).outcome == "matches"


def test_a_vulnerable_group_of_fewer_than_five_children_is_not_shown(app, school):
    looked_after = [factories.pupil(school.school, f"Child{n}", "Looked", looked_after=True) for n in range(5)]
    in_need = [factories.pupil(school.school, f"Child{n}", "Need", child_in_need=True) for n in range(4)]
    for child in looked_after + in_need:
        factories.concern(school.staff, [child])
    factories.concern(school.staff, [looked_after[0]])
    today = date.today()
    summary = exports.period_summary(school.school, today - timedelta(days=1), today)
    groups = {group: (children, concerns) for group, children, concerns in summary.by_vulnerable_group}
    assert groups["Looked-after child"] == ("5", "6")
    assert groups["Child in need"] == ("fewer than 5", "not shown")
    assert groups["Child protection plan"] == ("fewer than 5", "not shown")
    text = _flat(exports.export_summary(school.school, school.head, today, today, "Governors").pdf)
    assert "Looked-after child 5 6" in text and "Child in need fewer than 5 not shown" in text


def test_a_summary_exported_before_the_new_counts_still_matches(app, school, busy_school):
    from safeguard.reports import content_digest

    today = date.today()
    exported = exports.export_summary(school.school, school.head, today - timedelta(days=7), today, "Governors")
    content = exports.period_summary(school.school, today - timedelta(days=7), today, now=exported.export.generated_at)
    exported.export.digest = content_digest({name: getattr(content, name) for name in exports.EARLIER_SUMMARY_FIELDS})
    db.session.flush()
    assert exports.verify(exported.pdf, school_id=school.school.id).outcome == "matches"
