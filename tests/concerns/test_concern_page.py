"""What the concern page shows a DSL at a glance."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import update

from safeguard.concerns import services
from safeguard.concerns.models import FollowUp
from tests import factories


def test_a_follow_up_past_its_date_stands_out_and_one_still_to_come_does_not(client, school, pupils, db, sign_in):
    concern = factories.concern(school.staff, [pupils[0]])
    services.acknowledge(concern, school.dsl, None)
    tomorrow = date.today() + timedelta(days=1)
    for what in ("Chase children's social care", "Check attendance with the class teacher"):
        action = services.ActionInput(kind="other", details=what, follow_up_on=tomorrow, follow_up_what=what)
        services.record_action(concern, school.dsl, action, None)
    # A week passes for the first one: it was due three days ago and is not done.
    db.session.execute(
        update(FollowUp)
        .where(FollowUp.what == "Chase children's social care")
        .values(due_on=tomorrow - timedelta(days=4))
    )
    db.session.commit()
    sign_in(school.dsl)
    page = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    late = re.search(r"Chase children&#39;s social care<div class=\"small ([^\"]+)\"", page)
    on_time = re.search(r"Check attendance with the class teacher<div class=\"small ([^\"]+)\"", page)
    assert late and "text-danger" in late.group(1)
    assert on_time and "text-danger" not in on_time.group(1)
