"""The first day, as a teacher and a DSL meet it: what each of them is told, and what the record keeps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from safeguard.concerns import services
from safeguard.concerns.models import FollowUp
from safeguard.core.sqltypes import utcnow
from safeguard.notifications.models import Notification
from tests import factories

# ---------------------------------------------------------------------------------------------------------------
# Escalation is not urgency


@pytest.mark.parametrize(
    ("urgent", "said", "not_said"),
    [(False, "routine", ("urgent", "URGENT")), (True, "urgent", ("routine", "Routine"))],
)
def test_an_escalated_concern_keeps_its_own_urgency(
    runner, client, sign_in, school, pupils, mailbox, db, urgent, said, not_said
):
    concern = factories.concern(school.staff, [pupils[0]], immediate_danger=urgent, now=utcnow() - timedelta(days=6))
    db.session.execute(Notification.__table__.delete())  # only the escalation's alerts from here
    db.session.commit()
    assert "escalated 1" in runner.invoke(args=["notify", "--once"]).output

    escalation = db.session.scalar(select(Notification).where(Notification.user_id == school.head.id))
    assert escalation.message == f"Escalated: {concern.reference} not acknowledged in time ({said} concern)"
    assert escalation.urgent is urgent
    mail = next(m for m in mailbox.messages if m["To"] == school.head.email)
    assert mail["Subject"] == f"[Safeguard] Escalated: {concern.reference} not acknowledged in time ({said} concern)"
    body = mail.get_content()
    assert f"Urgency: {said.capitalize()} (the concern's own urgency" in body
    for wrong in not_said:
        assert wrong not in mail["Subject"] and f"Urgency: {wrong}" not in body

    sign_in(school.dsl)
    alerts = client.get("/notifications/").get_data(as_text=True)
    assert f"Escalated: {concern.reference} not acknowledged in time ({said} concern)" in alerts
    assert ('badge text-bg-danger me-2">Urgent' in alerts) is urgent
    page = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert f"Escalated: not acknowledged in time ({said} concern)" in page


# ---------------------------------------------------------------------------------------------------------------
# Done already by someone else


def test_a_follow_up_marked_done_twice_says_it_was_done_first(client, sign_in, school, pupils, db):
    concern = factories.concern(school.staff, [pupils[0]])
    services.acknowledge(concern, school.dsl, None)
    action = services.ActionInput(kind="informed_parents", follow_up_on=date.today(), follow_up_what="Ring mum back")
    services.record_action(concern, school.dsl, action, None)
    db.session.commit()
    follow_up = db.session.scalar(select(FollowUp))
    sign_in(school.dsl)
    form = {"follow_up-follow_up_id": str(follow_up.id), "follow_up-version": str(concern.version)}
    url = f"/concerns/{concern.id}/follow-up"
    first = factories.submit_form(client, url, form, form_url=f"/concerns/{concern.id}", follow_redirects=True)
    assert "Follow-up done: Ring mum back" in first.get_data(as_text=True)  # marking one done works at all
    again = factories.submit_form(client, url, form, form_url=f"/concerns/{concern.id}", follow_redirects=True)
    assert again.request.path == f"/concerns/{concern.id}"
    assert "That follow-up was marked done at" in again.get_data(as_text=True)
