"""Who sees what: staff their own concerns only, DSLs and the head everything in their school, nobody else's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safeguard.audit.models import AuditEvent
from safeguard.concerns import services
from tests import factories


@pytest.fixture
def concern(school, pupils):
    made = factories.concern(school.staff, [(pupils[0], "subject"), (pupils[1], "harmed")])
    services.add_note(made, school.dsl, "DSL-only note: called children's social care front door.", None)
    factories.db.session.commit()
    return made


def test_reporter_sees_acknowledgement_and_nothing_more(client, school, concern, sign_in, db):
    sign_in(school.staff)
    page = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert concern.reference in page and "Received" in page
    assert "DSL-only note" not in page
    assert "Child in need" not in page  # no pupil flags for staff
    services.acknowledge(concern, school.dsl, None)
    db.session.commit()
    page = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert "Acknowledged" in page and "DSL-only note" not in page


def test_other_staff_cannot_see_a_colleagues_concern(client, school, concern, sign_in, db):
    colleague = factories.user(school.school, "staff", email="colleague@oak.example")
    db.session.commit()
    sign_in(colleague)
    assert client.get(f"/concerns/{concern.id}").status_code == 404
    assert concern.reference not in client.get("/concerns/mine").get_data(as_text=True)


@pytest.mark.parametrize("role", ["dsl", "head"])
def test_dsl_and_head_see_everything(client, school, concern, sign_in, role):
    sign_in(school.user(role))
    page = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert "DSL-only note" in page
    assert "Child in need" in page
    assert concern.reference in client.get("/concerns/").get_data(as_text=True)


def test_admin_without_dsl_role_reads_no_concern(client, school, concern, sign_in):
    sign_in(school.admin)
    assert client.get(f"/concerns/{concern.id}").status_code == 404
    assert client.get("/concerns/").status_code == 403


def test_another_schools_concerns_are_unreachable(client, school, other_school, concern, sign_in):
    sign_in(other_school.dsl)
    assert client.get(f"/concerns/{concern.id}").status_code == 404
    assert client.get(f"/concerns/{concern.id}/logged").status_code == 404
    token = factories.csrf_token(client, "/")
    for action in ("acknowledge", "note", "status", "addendum"):
        response = client.post(
            f"/concerns/{concern.id}/{action}", data={"csrf_token": token, "note-text": "x", "addendum-text": "x"}
        )
        assert response.status_code == 404, action
    assert concern.reference not in client.get("/concerns/?status=all").get_data(as_text=True)


def test_every_view_is_recorded(client, school, concern, sign_in, db):
    sign_in(school.head)
    client.get(f"/concerns/{concern.id}")
    view = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "concern.viewed"))
    assert view.actor_id == school.head.id and view.subject_id == concern.id


def test_concern_pages_are_never_cached(client, school, concern, sign_in):
    sign_in(school.dsl)
    assert client.get(f"/concerns/{concern.id}").headers["Cache-Control"] == "no-store"


def test_opening_a_concern_reads_its_alert_on_that_very_page(client, school, concern, sign_in, db):
    sign_in(school.dsl)
    assert '1<span class="visually-hidden"> unread' in client.get("/concerns/").get_data(as_text=True)
    page = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    # The alert is read before the page is drawn, so the page's own badge no longer counts it.
    assert 'visually-hidden"> unread' not in page
    assert 'visually-hidden"> unread' not in client.get("/concerns/").get_data(as_text=True)
