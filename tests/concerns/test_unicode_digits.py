"""Ids, pages, versions and list indices are read in ASCII digits only: other digits (``²``, ``①``, ``٣``) pass
``str.isdigit()`` and then fail ``int()``, which answered a 500 (issue 21). Each example the independent test found is
here; the hostile-input campaign generates more of the kind."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from safeguard.concerns.models import Concern, ConcernEvent
from tests import factories

OTHER_DIGITS = ["\u00b2", "\u2460", "\u0663", "\U0001d7d7", "\uff11"]


@pytest.mark.parametrize("digit", OTHER_DIGITS)
def test_pages_and_ids_in_other_digits_are_bad_input_not_a_server_error(client, school, pupils, sign_in, digit):
    sign_in(school.dsl)
    for path in (
        f"/concerns/mine?page={digit}",
        f"/concerns/new?pupil={digit}",
        f"/concerns/?assignee={digit}",
        f"/concerns/?page={digit}",
        f"/pupils/?page={digit}",
        f"/pupils/{pupils[0].id}?year={digit}&concern={digit}",
    ):
        response = client.get(path)
        assert response.status_code in (200, 400, 404), f"{path} answered {response.status_code}"


@pytest.mark.parametrize("digit", OTHER_DIGITS)
def test_the_logging_form_and_dsl_actions_refuse_other_digits_and_save_nothing(
    client, school, pupils, sign_in, db, digit
):
    concern = factories.concern(school.staff, [pupils[0]])
    events = db.session.scalar(select(func.count()).select_from(ConcernEvent))
    sign_in(school.dsl)
    token = factories.csrf_token(client, "/concerns/new")
    base = {"csrf_token": token, "immediate_danger": "no", "account": "Amira said her arm hurt.", "location": "Hall"}
    for extra in (
        {"pupils-0-pupil_id": digit, "pupils-0-part": "subject"},
        {f"pupils-{digit}-pupil_id": str(pupils[0].id), f"pupils-{digit}-part": "subject"},
        {"add_pupil": digit},
    ):
        response = client.post("/concerns/new", data={**base, **extra})
        assert response.status_code in (200, 400), f"{extra} answered {response.status_code}"
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 1

    response = client.post(
        f"/concerns/{concern.id}/note",
        data={"csrf_token": token, "note-version": digit, "note-text": "Spoke to Amira's class teacher."},
    )
    assert 400 <= response.status_code < 500
    assert "This form is out of date. Reload the concern and try again." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ConcernEvent)) == events
