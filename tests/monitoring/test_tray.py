"""The tray's rules: outcomes and their reasons through the terminology gate, matching, the school's severity, the
pages for DSLs only, and the counts in the period summary."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from safeguard.concerns.models import ConcernEvent
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.exports import services as exports
from safeguard.monitoring import services, store
from safeguard.monitoring.models import MonitoringAlert, Outcome
from safeguard.monitoring.schemas import AlertIn
from tests import factories
from tests.api.conftest import alert_body


def _receive(school, **changes) -> MonitoringAlert:
    sent = AlertIn.model_validate(alert_body(occurred_at=utcnow().isoformat(), **changes))
    received = services.receive_alert(school.school, None, sent)
    db.session.commit()
    return store.alert(school.school.id, received.alert.id)


@pytest.fixture
def jamie(school):
    return factories.pupil(school.school, "Jamie", "Smith", username="jsmith15")


def test_a_reason_is_required_and_passes_the_terminology_gate(app, school, jamie):
    alert = _receive(school)
    with pytest.raises(services.TriageError, match="Say why"):
        services.close(alert, school.dsl, Outcome.FALSE_POSITIVE, "  ", None)
    with pytest.raises(services.TriageError) as refused:
        services.close(alert, school.dsl, Outcome.NO_FURTHER_ACTION, "It was a search for child porn statistics", None)
    assert refused.value.field == "reason"
    services.close(
        alert, school.dsl, Outcome.NO_FURTHER_ACTION, "It was a search for child porn statistics", "Quoting the search"
    )
    db.session.commit()
    kept = db.session.get(MonitoringAlert, alert.id)
    assert kept.outcome == "no_further_action" and kept.wording_kept_reason == "Quoting the search"
    with pytest.raises(services.TriageError, match="already dealt with"):
        services.close(kept, school.dsl, Outcome.FALSE_POSITIVE, "again", None)


def test_attached_to_an_existing_concern_the_alert_is_an_entry_of_its_chronology(app, school, jamie):
    concern = factories.concern(school.staff, [jamie])
    alert = _receive(school)
    services.attach_to_existing(alert, school.dsl, concern.reference.lower(), None)
    db.session.commit()
    entry = db.session.scalars(select(ConcernEvent).where(ConcernEvent.kind == "monitoring_alert")).one()
    assert entry.concern_id == concern.id and entry.text == "how many tablets would it take"
    assert entry.detail["vendor"] == "Smoothwall" and entry.detail["severity"] == 4
    assert db.session.get(MonitoringAlert, alert.id).concern_id == concern.id
    with pytest.raises(services.TriageError, match="No concern"):
        services.attach_to_existing(_receive(school, event_id="2"), school.dsl, "OAK-1999-0001", None)


def test_unmatched_alerts_wait_apart_until_matched_and_another_schools_pupil_cannot_be_chosen(
    app, school, other_school, jamie
):
    alert = _receive(school, username="someone-else")
    assert [a.id for a in store.unmatched(school.school.id)] == [alert.id] and store.tray(school.school.id) == []
    theirs = factories.pupil(other_school.school, "Ola", "Nowak")
    with pytest.raises(services.TriageError):
        services.match_pupil(alert, school.dsl, theirs.id)
    services.match_pupil(alert, school.dsl, jamie.id)
    db.session.commit()
    assert [a.pupil_name for a in store.tray(school.school.id)] == ["Jamie Smith"]


def test_the_school_chooses_the_lowest_severity_of_the_tray(app, school, jamie, client, sign_in):
    sign_in(school.dsl)
    factories.submit_form(client, "/monitoring/settings", {"min_severity": "5"}, form_url="/monitoring/")
    db.session.expire_all()
    low = _receive(school, severity=4)
    assert low.in_tray is False and store.counts(school.school.id).below == 1
    assert "1 alert below severity 5" in client.get("/monitoring/").get_data(as_text=True)


def test_the_tray_is_the_dsls_and_never_shows_another_schools_alerts(app, school, other_school, jamie, client, sign_in):
    alert = _receive(school)
    sign_in(other_school.dsl)
    assert client.get(f"/monitoring/alerts/{alert.id}").status_code == 404
    assert "Jamie" not in client.get("/monitoring/").get_data(as_text=True)


def test_a_member_of_staff_cannot_open_the_tray(app, school, client, sign_in):
    sign_in(school.staff)
    assert client.get("/monitoring/").status_code == 403


def test_the_period_summary_counts_alerts_by_vendor_category_severity_and_outcome(app, school, jamie):
    alert = _receive(school, severity=5)
    _receive(school, event_id="2", severity=1, category="Adult content", vendor="Senso")
    services.close(alert, school.dsl, Outcome.FALSE_POSITIVE, "A news article for homework.", None)
    db.session.commit()
    today = date.today()
    exported = exports.export_summary(school.school, school.head, today - timedelta(days=30), today, "Annual review")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(exported.pdf)).pages)
    assert "Filtering and monitoring alerts" in text and "Alerts 2" in text
    assert "Smoothwall 1" in text and "Senso 1" in text and "Adult content 1" in text
    assert "False positive 1" in text and "Below the tray's severity (counted only) 1" in text
    assert "Jamie" not in text and "jsmith15" not in text and "tablets" not in text
    content = exports.period_summary(school.school, today - timedelta(days=30), today)
    assert content.monitoring is not None and dict(content.monitoring.by_severity)["5"] == 1
    quiet = exports.period_summary(school.school, date(2020, 1, 1), date(2020, 1, 31))
    assert quiet.monitoring is None
