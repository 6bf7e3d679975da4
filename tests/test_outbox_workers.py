"""Several outbox workers at once: every queued e-mail is delivered exactly once, and a stopped worker's are not lost."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from safeguard.core.sqltypes import utcnow
from safeguard.notifications import services as outbox
from safeguard.notifications.models import OutboxMessage
from safeguard.notifications.services import alert, deliver_outbox
from tests import factories

MESSAGES = 60
WORKERS = 2


def _queue_alerts(db, school, count: int) -> list[str]:
    """Queue one alert e-mail for each of ``count`` DSLs about a new concern; return their addresses."""
    pupil = factories.pupil(school.school, "Amira", "Haddad")
    concern = factories.concern(school.staff, [pupil])
    db.session.execute(OutboxMessage.__table__.delete())  # only the alerts queued below
    people = [SimpleNamespace(id=school.dsl.id, email=f"dsl{n}@oak.example") for n in range(count)]
    alert(
        people,
        school_id=school.school.id,
        concern_id=concern.id,
        reference=concern.reference,
        urgent=True,
        headline="Urgent concern logged",
    )
    db.session.commit()
    return [person.email for person in people]


def _run_workers(apps) -> list[tuple[int, int]]:
    """Run ``deliver_outbox`` in every app at the same moment, each in its own thread; return each one's result."""
    start = threading.Barrier(len(apps))
    results: list = [None] * len(apps)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with apps[index].app_context():
                start.wait()
                results[index] = deliver_outbox()
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(apps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def test_two_workers_at_once_deliver_every_email_exactly_once(app, app_config, make_app, school, mailbox, db):
    addresses = _queue_alerts(db, school, MESSAGES)
    workers = [make_app({**app_config, "MAIL_PORT": app.config["MAIL_PORT"]}) for _ in range(WORKERS)]
    results = _run_workers(workers)
    received = Counter(message["To"] for message in mailbox.messages)
    assert received == Counter(addresses)  # each DSL once: nobody twice, nobody left out
    assert sum(sent for sent, _ in results) == MESSAGES
    assert all(retried == 0 for _, retried in results)
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).where(OutboxMessage.sent_at.is_(None))) == 0


class WorkerStopped(BaseException):
    """The worker process ends in the middle of sending (killed, or the machine restarts)."""


def test_a_stopped_workers_emails_are_delivered_by_another_after_its_lease(app, school, mailbox, db):
    [address] = _queue_alerts(db, school, 1)

    def stop(_message):
        raise WorkerStopped

    with pytest.raises(WorkerStopped):
        deliver_outbox(send=stop)
    db.session.rollback()
    # The stopped worker still holds the message: another worker does not send it while it might be on its way.
    assert deliver_outbox() == (0, 0)
    assert mailbox.messages == []
    # Once the lease has run out, it is sent.
    assert deliver_outbox(now=utcnow() + outbox.CLAIM_LEASE + timedelta(seconds=1)) == (1, 0)
    assert [message["To"] for message in mailbox.messages] == [address]
    assert deliver_outbox(now=utcnow() + 2 * outbox.CLAIM_LEASE) == (0, 0)
    assert len(mailbox.messages) == 1


def test_messages_a_worker_has_no_time_left_to_send_are_given_back_at_once(app, school, mailbox, db, monkeypatch):
    [address] = _queue_alerts(db, school, 1)
    # A worker whose claim is already too short to start a send (a slow mail server took the time) sends nothing…
    monkeypatch.setattr(outbox, "SEND_MARGIN", outbox.CLAIM_LEASE + timedelta(seconds=1))
    assert deliver_outbox() == (0, 0)
    monkeypatch.undo()
    # …and hands its messages back, so the next pass sends them without waiting for the claim to run out.
    assert deliver_outbox() == (1, 0)
    assert [message["To"] for message in mailbox.messages] == [address]
