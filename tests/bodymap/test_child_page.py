"""The child's page: every mark on the child across their concerns, by period, each linking to its concern."""

from __future__ import annotations

from datetime import timedelta

from safeguard.bodymap.services import NewMark
from safeguard.concerns import services
from safeguard.concerns.models import Part
from safeguard.core.sqltypes import utcnow


def _concern_with(school, pupils, days_ago: int, *marks: NewMark):
    when = utcnow() - timedelta(days=days_ago)
    new = services.NewConcern(
        pupils=[services.PupilRole(pupils[0].id, Part.SUBJECT), services.PupilRole(pupils[1].id, Part.WITNESS)],
        observed_at=when,
        category_ids=["abuse-physical"],
        account="Amira had a mark on her arm at registration.",
        marks=marks,
    )
    return services.log_concern(school.staff, new, now=when)


def test_the_combined_map_shows_marks_of_every_concern_by_period_each_linking_to_it(
    client, school, pupils, sign_in, db
):
    old = _concern_with(school, pupils, 200, NewMark(region_id="knee", side="left", kind="cut", length_cm="2"))
    recent = _concern_with(school, pupils, 10, NewMark(region_id="forearm", side="left", kind="bruise", length_cm="3"))
    services.add_marks(recent, school.dsl, [NewMark(region_id="chest", kind="burn", length_cm="1", shape="Round")])
    # A mark on the other child of the concern is not on Amira's map.
    services.add_marks(
        recent,
        school.dsl,
        [NewMark(region_id="hand", side="right", kind="scratch", length_cm="1", pupil_id=pupils[1].id)],
    )
    db.session.commit()
    sign_in(school.dsl)
    url = f"/pupils/{pupils[0].id}"
    page = client.get(url).get_data(as_text=True)
    # The last 12 months by default: both of the recent concern's marks, the old one too (200 days ago).
    assert "3 marks seen in the last 12 months" in page
    assert page.index("Left knee") < page.index("Left forearm") < page.index("Chest")
    assert "Right hand" not in page
    assert f'href="/concerns/{recent.id}#body-map">{recent.reference}</a>' in page
    assert f'href="/concerns/{old.id}#body-map">{old.reference}</a>' in page
    assert f'<a href="/concerns/{recent.id}#mark-' in page  # the marks on the outlines link to their concern
    three_months = client.get(f"{url}?period=3m").get_data(as_text=True)
    assert "2 marks seen in the last 3 months" in three_months and "Left knee" not in three_months
    when = (utcnow() - timedelta(days=200)).date()
    dates = f"from={when - timedelta(days=1)}&to={when + timedelta(days=1)}"
    dated = client.get(f"{url}?period=dates&{dates}").get_data(as_text=True)
    assert "1 mark seen from" in dated and "Left knee" in dated and "Left forearm" not in dated
    # Dates left in the form do not count once another period is chosen.
    assert "2 marks seen in the last 3 months" in client.get(f"{url}?period=3m&{dates}").get_data(as_text=True)
    # Nonsense in the address is the default period, never an error.
    assert client.get(f"{url}?period=forever&from=yesterday&to=13-13-13").status_code == 200


def test_a_child_with_no_marks_says_so(client, school, pupils, sign_in, db):
    sign_in(school.dsl)
    page = client.get(f"/pupils/{pupils[0].id}").get_data(as_text=True)
    assert "0 marks seen in the last 12 months" in page
