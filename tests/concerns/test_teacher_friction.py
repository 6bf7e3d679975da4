"""What a teacher meets logging a concern: the child first, the time asked rather than assumed, and the school's
common categories first with every other a click away, with or without JavaScript."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from safeguard.concerns.models import Concern
from safeguard.core.sqltypes import utcnow
from tests import factories

LONDON = ZoneInfo("Europe/London")  # the test school's zone
ACCOUNT = "Amira said her stepdad shouts at her every night and she is scared to go home. She was crying."


def _form(pupil, **overrides) -> dict:
    data = {
        "immediate_danger": "no",
        "location": "Year 6 classroom",
        "categories": ["abuse-emotional"],
        "account": ACCOUNT,
        "pupils-0-pupil_id": str(pupil.id),
        "pupils-0-part": "subject",
    }
    return data | overrides


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)


def _send(client, data: dict):
    """Submit the form as a browser would, with the token and the moment it was opened from the page."""
    page = client.get("/concerns/new").get_data(as_text=True)
    fields = {"csrf_token": _hidden(page, "csrf_token"), "opened_at": _hidden(page, "opened_at")} | data
    return client.post("/concerns/new", data=fields)


# When it happened ---------------------------------------------------------------------------------------------------


def test_the_form_asks_when_it_happened_and_fills_in_no_time(client, school, sign_in):
    sign_in(school.staff)
    page = client.get("/concerns/new").get_data(as_text=True)
    assert "When did it happen, or when were you told?" in page
    assert re.search(r'<input[^>]*name="observed_when"[^>]*value="now"', page)  # "Just now", one tap
    assert re.search(r'name="observed_at" type="datetime-local" value=""', page)  # no time assumed


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({}, "Say when it happened: choose “Just now”, or enter the date and time."),
        ({"observed_when": "earlier"}, "Enter the date and time it happened, or choose “Just now”."),
        ({"observed_when": "earlier", "observed_at": "yesterday"}, "Enter when it happened as a date and a time"),
        ({"observed_when": "tomorrow"}, "Not a valid choice"),
    ],
)
def test_no_answer_or_a_bad_one_is_a_clear_400(client, school, pupils, sign_in, db, answer, message):
    sign_in(school.staff)
    response = _send(client, _form(pupils[0], **answer))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Concern)) is None
    assert ACCOUNT in response.get_data(as_text=True)  # nothing the teacher typed is lost


def test_an_earlier_time_is_saved_and_the_confirmation_says_which(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    response = _send(client, _form(pupils[0], observed_when="earlier", observed_at="2026-11-23T10:40"))
    assert response.status_code == 302
    concern = db.session.scalar(select(Concern))
    assert concern.observed_at == datetime(2026, 11, 23, 10, 40, tzinfo=UTC)  # London is on GMT in November
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"recorded as having happened on <strong>23 Nov 2026, 10:40</strong>", page)


def test_a_time_typed_without_choosing_earlier_is_taken_as_meant(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    assert _send(client, _form(pupils[0], observed_at="2026-11-23T08:05")).status_code == 302
    assert db.session.scalar(select(Concern.observed_at)) == datetime(2026, 11, 23, 8, 5, tzinfo=UTC)


def test_just_now_is_when_the_form_was_opened_not_when_it_was_sent(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    page = client.get("/concerns/new").get_data(as_text=True)
    opened = datetime.fromisoformat(_hidden(page, "opened_at"))
    assert abs(opened - utcnow()) < timedelta(minutes=1)
    # The teacher opened the form twenty minutes ago and has been writing since.
    earlier = (utcnow() - timedelta(minutes=20)).replace(second=0, microsecond=0)
    data = {"csrf_token": _hidden(page, "csrf_token"), "opened_at": earlier.isoformat()}
    response = client.post("/concerns/new", data=data | _form(pupils[0], observed_when="now"))
    assert response.status_code == 302
    concern = db.session.scalar(select(Concern))
    assert concern.observed_at == earlier
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    local = earlier.astimezone(LONDON).strftime("%H:%M")
    assert f", {local}</strong>" in confirmation


@pytest.mark.parametrize("opened_at", ["", "not a time", "2020-01-01T09:00:00+00:00", "9999-12-31T23:59:59"])
def test_just_now_with_an_unreadable_or_stale_opening_is_the_moment_it_was_sent(
    client, school, pupils, sign_in, db, opened_at
):
    sign_in(school.staff)
    page = client.get("/concerns/new").get_data(as_text=True)
    data = {"csrf_token": _hidden(page, "csrf_token"), "opened_at": opened_at}
    before = utcnow().replace(second=0, microsecond=0)
    assert client.post("/concerns/new", data=data | _form(pupils[0], observed_when="now")).status_code == 302
    assert before <= db.session.scalar(select(Concern.observed_at)) <= utcnow()


# The categories -------------------------------------------------------------------------------------------------


def _common(page: str) -> list[str]:
    common = page.split("Common categories</legend>")[1].split("</fieldset>")[0]
    return re.findall(r'name="categories" value="([a-z-]+)"', common)


def test_the_schools_most_used_categories_come_first_and_every_other_is_one_click_away(client, school, pupils, sign_in):
    now = utcnow()
    used = ["online-cyberbullying"] * 3 + ["welfare-self-harm"] * 2 + ["attendance-family-young-carer"]
    for category in used:
        factories.concern(school.staff, [pupils[0]], categories=[category])
    # More than a year ago: not this year's habits.
    for _ in range(4):
        factories.concern(
            school.staff, [pupils[1]], categories=["radicalisation-prevent"], now=now - timedelta(days=400)
        )
    sign_in(school.staff)
    page = client.get("/concerns/new").get_data(as_text=True)
    # The school's three, most used first, then the vocabulary's order (the types of abuse) up to six.
    assert _common(page) == [
        "online-cyberbullying",
        "welfare-self-harm",
        "attendance-family-young-carer",
        "abuse-physical",
        "abuse-emotional",
        "abuse-sexual",
    ]
    # Every category is on the page once; the other 37 in a collapsed list that needs no script to open.
    values = re.findall(r'name="categories" value="([a-z-]+)"', page)
    assert len(values) == len(set(values)) == 43
    more = page.split('<details class="category-more"')[1]
    assert more.startswith(" data-category-more >") and "All other categories (37)" in more
    assert 'value="radicalisation-prevent"' in more


def test_a_new_school_gets_the_types_of_abuse_first(client, school, sign_in):
    sign_in(school.staff)
    page = client.get("/concerns/new").get_data(as_text=True)
    assert _common(page)[:4] == ["abuse-physical", "abuse-emotional", "abuse-sexual", "abuse-neglect"]


def test_a_collapsed_category_can_be_chosen_without_javascript_and_stays_open_when_the_form_returns(
    client, school, pupils, sign_in, db
):
    sign_in(school.staff)
    # Sent without an answer to "when": the form comes back, with the chosen category open and ticked.
    response = _send(client, _form(pupils[0], categories=["radicalisation-prevent"]))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<details class="category-more" data-category-more open>' in page
    assert re.search(
        r'value="radicalisation-prevent" id="category-radicalisation-prevent"\s+aria-describedby="[^"]+" checked', page
    )
    assert (
        _send(client, _form(pupils[0], categories=["radicalisation-prevent"], observed_when="now")).status_code == 302
    )
    assert [c.category_id for c in db.session.scalar(select(Concern)).category_links] == ["radicalisation-prevent"]


def test_the_pupil_search_comes_before_everything_else_on_the_form(client, school, sign_in):
    sign_in(school.staff)
    page = client.get("/concerns/new").get_data(as_text=True)
    order = [
        page.index(marker)
        for marker in (
            "Which children?",
            "Immediate danger",
            "When did it happen",
            "What kind of concern",
            "What happened?",
        )
    ]
    assert order == sorted(order)
