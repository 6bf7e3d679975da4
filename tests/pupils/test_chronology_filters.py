"""A child's long chronology, a year at a time and narrowed by concern, category or kind of entry.

A DSL preparing for a strategy meeting reads this year's entries first, then what happened before; a social worker
asks "every referral". The whole chronology stays one click away (and in the exported file).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from safeguard.concerns import services
from tests import factories

THIS_YEAR = datetime.now(UTC).year


def _references(html: str) -> list[str]:
    return re.findall(r'href="/concerns/\d+">([A-Z]+-\d{4}-\d{4})</a>', html)


@pytest.fixture
def amira_over_three_years(school, db):
    amira = factories.pupil(school.school, "Amira", "Khan")
    made = {}
    # The last three years, this one included (the entries recorded today fall in this year).
    for back, category in ((2, "abuse-neglect"), (1, "abuse-physical"), (0, "abuse-neglect")):
        when = datetime(THIS_YEAR - back, 1, 10, 10, 0, tzinfo=UTC)
        made[back] = factories.concern(school.staff, [amira], categories=(category,), now=when, observed_at=when)
    # Acknowledged and referred today, in the current year (this test's data are dated up to this year).
    services.acknowledge(made[1], school.dsl, None)
    services.record_action(
        made[1], school.dsl, services.ActionInput(kind="referral", target="childrens-social-care"), None
    )
    db.session.commit()
    return amira, made


def test_the_latest_year_is_shown_first_and_every_year_is_a_click_away(
    client, school, db, sign_in, amira_over_three_years
):
    amira, made = amira_over_three_years
    sign_in(school.dsl)
    html = client.get(f"/pupils/{amira.id}").get_data(as_text=True)
    # Only this child's latest year is drawn: this year's concern, and last year's concern's acknowledgement and
    # referral, recorded today, but nothing of the year before.
    assert set(_references(html)) == {made[0].reference, made[1].reference}
    assert f'aria-current="page">{THIS_YEAR}</a>' in html
    for year in (THIS_YEAR - 1, THIS_YEAR - 2):
        assert f'href="/pupils/{amira.id}?year={year}"' in html

    older = client.get(f"/pupils/{amira.id}?year={THIS_YEAR - 1}").get_data(as_text=True)
    assert set(_references(older)) == {made[1].reference}

    everything = client.get(f"/pupils/{amira.id}?year=all").get_data(as_text=True)
    assert set(_references(everything)) == {c.reference for c in made.values()}
    assert "entries in every year" in everything


def test_narrowed_to_referrals_a_category_or_one_concern(client, school, db, sign_in, amira_over_three_years):
    amira, made = amira_over_three_years
    sign_in(school.dsl)
    referrals = client.get(f"/pupils/{amira.id}?year=all&kind=referral").get_data(as_text=True)
    assert "Referral to children&#39;s social care" in referrals
    assert "Concern logged by" not in referrals and "1 entry in every year" in referrals

    neglect = client.get(f"/pupils/{amira.id}?year=all&category=abuse-neglect").get_data(as_text=True)
    assert set(_references(neglect)) == {made[2].reference, made[0].reference}

    one = client.get(f"/pupils/{amira.id}?year=all&concern={made[2].id}").get_data(as_text=True)
    assert set(_references(one)) == {made[2].reference}
    assert "Show every entry" in one


@pytest.mark.parametrize(
    "query",
    ["year=%C2%B2", "year=1066", "kind=burn-after-reading", "category=%3Cb%3E", "concern=99999999999", "concern=0"],
)
def test_a_choice_that_is_not_this_childs_is_set_aside_not_an_error(
    client, school, db, sign_in, amira_over_three_years, query
):
    amira, made = amira_over_three_years
    sign_in(school.dsl)
    response = client.get(f"/pupils/{amira.id}?{query}")
    assert response.status_code == 200
    # The page falls back to the latest year, every entry of it.
    assert made[0].reference in response.get_data(as_text=True)


def test_another_schools_concern_cannot_be_chosen(client, school, other_school, db, sign_in, amira_over_three_years):
    amira, _ = amira_over_three_years
    elsewhere = factories.pupil(other_school.school, "Amira", "Khan")
    theirs = factories.concern(other_school.staff, [elsewhere])
    sign_in(school.dsl)
    html = client.get(f"/pupils/{amira.id}?year=all&concern={theirs.id}").get_data(as_text=True)
    assert theirs.reference not in html
