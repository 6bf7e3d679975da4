"""Home pages: "Log a concern" first for every role, and for the DSL team what needs them now (urgent, overdue,
follow-ups past their date) with the way to the queue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from safeguard.auth.models import Role
from safeguard.concerns import services
from safeguard.concerns.models import FollowUp
from safeguard.core.sqltypes import utcnow
from tests import factories


@pytest.fixture
def pupils(school):
    return [
        factories.pupil(school.school, first, last)
        for first, last in (("Amira", "Haddad"), ("Oliver", "Bennett"), ("Zoë", "Kowalczyk"))
    ]


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_every_home_page_offers_log_a_concern_first(client, school, sign_in, role):
    sign_in(school.user(role))
    page = client.get("/").get_data(as_text=True)
    main = page.split("<main", 1)[1]
    first_link = re.search(r'<a class="[^"]*btn[^"]*" href="([^"]+)">([^<]+)</a>', main)
    assert first_link.groups() == ("/concerns/new", "Log a concern")


def test_the_dsls_home_shows_what_needs_them_now_and_links_to_the_queue(client, school, pupils, sign_in, db):
    now = utcnow()
    factories.concern(school.staff, [pupils[0]], immediate_danger=True)  # urgent, just logged
    factories.concern(school.staff, [pupils[1]], now=now - timedelta(days=5), observed_at=now - timedelta(days=5))
    followed = factories.concern(school.staff, [pupils[2]])
    services.acknowledge(followed, school.dsl, None)
    services.record_action(
        followed,
        school.dsl,
        services.ActionInput(kind="referral", target="police", follow_up_on=now.date(), follow_up_what="Chase police"),
        None,
    )
    db.session.commit()
    follow_up = db.session.scalar(select(FollowUp))
    follow_up.due_on -= timedelta(days=2)  # time passes
    db.session.commit()
    sign_in(school.dsl)
    page = client.get("/").get_data(as_text=True)
    attention = re.sub(r"<[^>]+>", "", page.split("data-attention>")[1].split("</ul>")[0])
    assert re.sub(r"\s+", " ", attention).strip() == (
        "1 urgent, not yet acknowledged 1 acknowledgement overdue 1 follow-up past its date"
    )
    assert 'href="/concerns/">Open the concerns queue</a>' in page


def test_a_quiet_day_says_so_and_staff_see_no_queue(app, client, school, sign_in):
    sign_in(school.dsl)
    page = client.get("/").get_data(as_text=True)
    assert "Nothing is urgent or overdue at Oakfield Primary School." in page
    staff = app.test_client()
    factories.sign_in(staff, school.staff)
    assert "Open the concerns queue" not in staff.get("/").get_data(as_text=True)
