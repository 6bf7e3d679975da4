"""The worker `make run` starts, in a real journey: it delivers the demo school's alert e-mails to an SMTP server,
escalates an urgent concern nobody acknowledges (to every DSL and the head, then to the school's onward contact),
and its heartbeat drives the banner DSLs see when it stops.

The worker is the same command the Makefile starts (``flask --app safeguard notify --quiet``), run as its own process
against this test's database and the ``mailbox`` SMTP server; the urgent acknowledgement time is shortened to a few
seconds by the ``URGENT_ACK_SECONDS`` setting.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from safeguard.auth.models import User
from safeguard.auth.passwords import hash_password
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.notifications import store as alerts_store
from tests import factories
from tests.browser.conftest import check_accessibility, sign_in

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")
ONWARD = "safeguarding-lead@trust.example"
# Every child's name in the demo school: none may appear in any e-mail.
DEMO_CHILDREN = ("Amira", "Haddad", "Zoë", "Kowalczyk", "Ewa", "Zielińska", "Łukasz", "Nowak", "Oliver", "Bennett")


@pytest.fixture
def app_config(app_config):
    """Urgent concerns are due four seconds after they are logged, rather than fifteen minutes."""
    return {**app_config, "URGENT_ACK_SECONDS": 4}


@pytest.fixture
def demo(app):
    """The demo school, its people given the test password and second factor (their own are random)."""
    from safeguard.app.demo import seed_demo

    seed_demo()
    for person in db.session.scalars(select(User)):
        person.password_hash = hash_password(factories.PASSWORD)
        if person.totp_secret:
            person.totp_secret = factories.TOTP_SECRET
    db.session.commit()
    return {person.email: person for person in db.session.scalars(select(User))}


class Worker:
    """``flask --app safeguard notify --quiet``, as `make run` starts it, in its own process."""

    def __init__(self, app, live_server) -> None:
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "MAIL_HOST": str(app.config["MAIL_HOST"]),
            "MAIL_PORT": str(app.config["MAIL_PORT"]),
            "BASE_URL": live_server.url,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the worker, passing every second."""
        command = [str(FLASK), "--app", "safeguard", "notify", "--quiet", "--interval", "1"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        """Stop it as make run's trap does, with SIGTERM."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def worker(app, live_server, mailbox):
    running = Worker(app, live_server)
    yield running
    running.stop()


def _wait_for(what: str, found, timeout: float = 60.0):
    """Wait for ``found()`` to return something true (the worker passes every second); fail saying ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"gave up waiting for {what}")


def _mail(mailbox, to: str, subject_part: str) -> list:
    return [m for m in mailbox.messages if m["To"] == to and subject_part in m["Subject"]]


def _worker_running(page) -> bool:
    return page.request.get("/health").json()["readiness"]["worker"] == "running"


def _log_urgent_concern(page) -> str:
    page.goto("/concerns/new")
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("radio", name="Just now").check()
    page.get_by_label("Find a pupil").fill("Kowal")
    page.locator("#pupil-suggestions").get_by_role("option").first.click()
    page.get_by_label("Where?").fill("Year 5 corridor")
    box = page.locator("#category-abuse-physical")
    if not box.is_visible():
        page.locator("[data-category-more] > summary").click()
    box.check()
    page.get_by_label("What happened?").fill(
        'Zoë said "he grabbed my arm and said I could not go home". She was crying.'
    )
    page.get_by_label("What have you done already?").fill("Stayed with her in the office.")
    page.get_by_role("button", name="Send to the DSL team").click()
    return page.locator("strong.font-monospace").inner_text()


def test_the_worker_delivers_the_demos_alerts_and_escalates_an_unseen_urgent_concern(
    new_page, demo, worker, mailbox, db
):
    dsls = ["deputy@oak.example", "dsl@oak.example"]
    worker.start()
    # The demo's concerns were routed to both DSLs when it was seeded; the worker delivers every alert.
    for dsl in dsls:
        _wait_for(f"the demo's alerts to {dsl}", lambda dsl=dsl: len(_mail(mailbox, dsl, "concern logged")) >= 4)

    admin = new_page()
    sign_in(admin, demo["admin@oak.example"], factories.PASSWORD)
    _wait_for("the worker's heartbeat", lambda: _worker_running(admin))
    admin.reload()
    expect(admin.get_by_text("Alerts and escalations are not being sent")).to_have_count(0)
    admin.get_by_role("button", name="School", exact=True).click()
    admin.get_by_role("link", name="School settings").click()
    admin.get_by_label("Next step beyond the school").fill("Trust safeguarding lead")
    admin.get_by_label("Their e-mail address").fill(ONWARD)
    check_accessibility(admin)
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.get_by_text("The school's settings have been saved.")).to_be_visible()

    teacher = new_page()
    sign_in(teacher, demo["teacher@oak.example"], factories.PASSWORD)
    reference = _log_urgent_concern(teacher)
    who = teacher.locator("#who-was-told")
    expect(who).to_contain_text("The DSL team: 2 people, by e-mail and in the app.")
    check_accessibility(teacher)

    # Nobody acknowledges it: the alert, then the escalation to both DSLs and the head, then the onward contact.
    for dsl in dsls:
        _wait_for(
            f"the urgent alert to {dsl}", lambda dsl=dsl: _mail(mailbox, dsl, f"Urgent concern logged {reference}")
        )
    for person in [*dsls, "head@oak.example"]:
        _wait_for(f"the escalation to {person}", lambda p=person: _mail(mailbox, p, f"Escalated: {reference}"))
    onward = _wait_for("the onward escalation", lambda: _mail(mailbox, ONWARD, reference))
    body = onward[0].get_content()
    assert "URGENT" in body and "Oakfield Primary School" in body
    for message in mailbox.messages:
        text = message["Subject"] + message.get_content()
        assert not [name for name in DEMO_CHILDREN if name in text], message["Subject"]

    dsl = new_page()
    sign_in(dsl, demo["dsl@oak.example"], factories.PASSWORD)
    dsl.goto("/concerns/")
    dsl.get_by_role("link", name=reference).click()
    expect(dsl.get_by_text("Escalated beyond the school").first).to_be_visible()
    expect(dsl.get_by_text("Trust safeguarding lead alerted by e-mail").first).to_be_visible()
    check_accessibility(dsl)

    # The worker stops, and five minutes pass without a heartbeat: the DSL is told on every page.
    worker.stop()
    alerts_store.beat(utcnow() - timedelta(minutes=6))
    db.session.commit()
    dsl.goto("/concerns/")
    banner = dsl.get_by_role("region", name="Safety warning")
    expect(banner).to_contain_text("Alerts and escalations are not being sent")
    check_accessibility(dsl)
    # It runs again: the banner goes.
    worker.start()
    _wait_for("the worker's heartbeat again", lambda: _worker_running(dsl))
    dsl.reload()
    expect(banner).to_have_count(0)
