"""Routing in time: e-mail over real SMTP through the outbox, retries, and escalation on a clock."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

from sqlalchemy import func, select

from safeguard.concerns import services
from safeguard.concerns.models import ConcernEvent
from safeguard.core.sqltypes import utcnow
from safeguard.notifications.models import Notification, OutboxMessage
from safeguard.notifications.services import deliver_outbox
from tests import factories


def test_notify_once_delivers_over_smtp(runner, school, pupils, mailbox, db):
    concern = factories.concern(school.staff, [pupils[0]], immediate_danger=True)
    result = runner.invoke(args=["notify", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    [message] = mailbox.messages
    assert message["To"] == school.dsl.email
    assert concern.reference in message["Subject"]
    assert "Amira" not in message.get_content()
    assert db.session.scalar(select(OutboxMessage)).sent_at is not None
    # A second pass sends nothing more.
    assert "sent 0" in runner.invoke(args=["notify", "--once"]).output
    assert len(mailbox.messages) == 1


def test_mail_server_down_loses_nothing_and_backs_off(app, school, pupils, db, mailbox):
    factories.concern(school.staff, [pupils[0]])
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    live = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = dead
    assert deliver_outbox() == (0, 1)
    message = db.session.scalar(select(OutboxMessage))
    assert message.sent_at is None and message.attempts == 1 and message.last_error
    first_retry = message.next_attempt_at
    assert deliver_outbox() == (0, 0)  # not due yet
    assert deliver_outbox(now=first_retry + timedelta(seconds=1)) == (0, 1)
    db.session.refresh(message)
    assert message.next_attempt_at - first_retry >= timedelta(minutes=2)  # backing off
    app.config["MAIL_PORT"] = live
    assert deliver_outbox(now=message.next_attempt_at + timedelta(seconds=1)) == (1, 0)
    assert len(mailbox.messages) == 1


def test_unacknowledged_urgent_concern_escalates_to_all_dsls_and_the_head(runner, school, pupils, db, mailbox):
    concern = factories.concern(school.staff, [pupils[0]], immediate_danger=True, now=utcnow() - timedelta(minutes=16))
    result = runner.invoke(args=["escalate"])
    assert "escalated 1" in result.output
    alerted = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.message.like("Escalated: %not acknowledged in time%"))
        )
    )
    assert alerted == {school.dsl.id, school.head.id}
    assert db.session.scalar(select(ConcernEvent).where(ConcernEvent.kind == "escalated")) is not None
    assert "escalated 0" in runner.invoke(args=["escalate"]).output  # once only
    db.session.refresh(concern)
    assert concern.escalated_at is not None


def test_acknowledged_or_not_yet_due_concerns_do_not_escalate(app, school, pupils, db):
    acknowledged = factories.concern(
        school.staff, [pupils[0]], immediate_danger=True, now=utcnow() - timedelta(hours=1)
    )
    services.acknowledge(acknowledged, school.dsl, None)
    factories.concern(school.staff, [pupils[1]])  # routine, due tomorrow
    db.session.commit()
    assert services.escalate_overdue() == 0


def test_dsl_sees_in_app_alert_and_opening_the_concern_reads_it(client, school, pupils, sign_in, db):
    concern = factories.concern(school.staff, [pupils[0]], immediate_danger=True)
    sign_in(school.dsl)
    page = client.get("/notifications/").get_data(as_text=True)
    assert concern.reference in page and "Urgent" in page
    client.get(f"/concerns/{concern.id}")
    assert concern.reference not in client.get("/notifications/").get_data(as_text=True)


def _menu_badge(html: str) -> str:
    match = re.search(r'badge text-bg-danger">([^<]+)<span class="visually-hidden"> unread', html)
    return match.group(1) if match else ""


def _menu_count(html: str) -> int:
    return int(_menu_badge(html) or 0)


def test_the_menu_counts_the_alerts_left_once_a_concern_is_opened(client, school, pupils, sign_in, db):
    first = factories.concern(school.staff, [pupils[0]])
    second = factories.concern(school.staff, [pupils[1]], immediate_danger=True)
    sign_in(school.dsl)
    assert _menu_count(client.get("/concerns/").get_data(as_text=True)) == 2
    # The page that reads the first concern's alert already counts one left, and so does every visit after it.
    assert _menu_count(client.get(f"/concerns/{first.id}").get_data(as_text=True)) == 1
    assert _menu_count(client.get(f"/concerns/{first.id}").get_data(as_text=True)) == 1
    unread = db.session.scalars(
        select(Notification.concern_id).where(Notification.user_id == school.dsl.id, Notification.read_at.is_(None))
    ).all()
    assert unread == [second.id]
    assert _menu_count(client.get(f"/concerns/{second.id}").get_data(as_text=True)) == 0


def test_the_menu_says_99_plus_beyond_99_unread_alerts(client, school, pupils, sign_in, db):
    # Alerts about concerns a colleague dealt with stay unread for years: the menu counts them only as far as it
    # shows them.
    concern = factories.concern(school.staff, [pupils[0]])  # one alert for the DSL about it
    db.session.add_all(
        Notification(school_id=school.school.id, user_id=school.dsl.id, message=f"Account alert {n}") for n in range(99)
    )
    db.session.commit()
    sign_in(school.dsl)
    assert _menu_badge(client.get("/concerns/").get_data(as_text=True)) == "99+"  # 100 unread
    assert _menu_badge(client.get("/pupils/").get_data(as_text=True)) == "99+"
    # Opening the concern reads its alert: 99 are left, and the menu says so on that very page.
    assert _menu_badge(client.get(f"/concerns/{concern.id}").get_data(as_text=True)) == "99"
    assert _menu_badge(client.get("/concerns/").get_data(as_text=True)) == "99"
    db.session.add_all(
        Notification(school_id=school.school.id, user_id=school.dsl.id, message=f"Account alert {n}")
        for n in range(99, 200)
    )
    second = factories.concern(school.staff, [pupils[1]])
    db.session.commit()
    # 201 unread: opening the second concern leaves 200, still "99+".
    assert _menu_badge(client.get(f"/concerns/{second.id}").get_data(as_text=True)) == "99+"
    assert (
        db.session.scalar(
            select(func.count()).where(Notification.user_id == school.dsl.id, Notification.read_at.is_(None))
        )
        == 200
    )
