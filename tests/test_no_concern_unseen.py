"""No concern unseen: the school always has someone to receive a concern, the reporter is told who was actually
alerted, an away DSL is not counted as cover, the worker's heartbeat is watched, the escalation can go beyond the
school, and the safety check (page and ``doctor``) says when any of it is broken."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from safeguard.auth.models import Role
from safeguard.concerns import services as concern_services
from safeguard.concerns.models import ConcernEvent
from safeguard.core.formatting import local_today, zone_named
from safeguard.core.sqltypes import utcnow
from safeguard.notifications import store as alerts_store
from safeguard.notifications.models import Notification, OutboxMessage
from tests import factories

BANNER_WORKER = "Alerts and escalations are not being sent"
BANNER_NO_DSL = "No DSL is available"


@pytest.fixture
def amira(school):
    return factories.pupil(school.school, "Amira", "Haddad")


def _log_through_the_form(client, pupil, *, urgent: bool = True) -> str:
    """A teacher logs a concern on the real form; return the page they are shown after it."""
    form = {
        "immediate_danger": "yes" if urgent else "no",
        "observed_at": (utcnow() - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"),
        "location": "Year 6 cloakroom",
        "categories": ["abuse-physical"],
        "account": 'Amira said "he pushed me against the pegs". She was shaking.',
        "pupils-0-pupil_id": str(pupil.id),
        "pupils-0-part": "subject",
    }
    response = factories.submit_form(client, "/concerns/new", form, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(html: str) -> str:
    """The page's words, without markup or repeated spaces."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _first_entry(db, reference_page: str) -> str:
    reference = re.search(r"OAK-\d{4}-\d{4}", reference_page).group()
    from safeguard.concerns.models import Concern

    concern = db.session.scalar(select(Concern).where(Concern.reference == reference))
    return db.session.scalar(
        select(ConcernEvent.summary).where(ConcernEvent.concern_id == concern.id).order_by(ConcernEvent.id).limit(1)
    )


def _emails_to(db) -> list[str]:
    return sorted(db.session.scalars(select(OutboxMessage.to_address)))


def _run_worker(runner) -> None:
    result = runner.invoke(args=["notify", "--once"])
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------------------------------------------------------
# Always someone to receive


def test_deactivating_the_last_dsl_is_refused_on_the_accounts_page(client, school, sign_in, db):
    sign_in(school.admin)
    url = f"/admin/users/{school.dsl.id}/deactivate"
    # Refused before the question is even asked, and if posted directly.
    page = _text(client.get(url, follow_redirects=True).get_data(as_text=True))
    assert "they are the school's last active DSL" in page
    response = factories.submit_form(client, url, {}, form_url="/admin/users", follow_redirects=True)
    page = _text(response.get_data(as_text=True))
    assert "they are the school's last active DSL" in page and "Add or reactivate another DSL first" in page
    db.session.refresh(school.dsl)
    assert school.dsl.active

    # With a second DSL, the first may go.
    factories.user(school.school, "dsl", email="deputy@oak.example", name="Tom Hughes")
    db.session.commit()
    response = factories.submit_form(client, url, {}, form_url="/admin/users", follow_redirects=True)
    assert "has been deactivated" in response.get_data(as_text=True)
    db.session.refresh(school.dsl)
    assert not school.dsl.active


def test_removing_the_dsl_role_of_the_last_dsl_is_refused_on_the_account_page(client, school, sign_in, db):
    sign_in(school.admin)
    url = f"/admin/users/{school.dsl.id}"
    fields = {"display_name": school.dsl.display_name, "email": school.dsl.email, "roles": ["staff"]}
    response = factories.submit_form(client, url, fields)
    assert response.status_code == 400
    assert "You cannot remove the DSL role of" in _text(response.get_data(as_text=True))
    db.session.refresh(school.dsl)
    assert school.dsl.has_role(Role.DSL)


def test_the_command_line_refuses_to_deactivate_or_demote_the_last_dsl(runner, school, db):
    deactivate = ["user", "deactivate", "--school", "OAK", "--email", school.dsl.email]
    result = runner.invoke(args=deactivate)
    assert result.exit_code == 1 and "last active DSL" in result.output
    result = runner.invoke(args=["user", "roles", "--school", "OAK", "--email", school.dsl.email, "--role", "staff"])
    assert result.exit_code == 1 and "last active DSL" in result.output
    db.session.expire_all()
    assert school.dsl.active and school.dsl.has_role(Role.DSL)

    factories.user(school.school, "dsl", email="deputy@oak.example")
    db.session.commit()
    result = runner.invoke(args=deactivate)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not school.dsl.active
    # Another school's account is not reachable by naming the wrong school.
    result = runner.invoke(args=["user", "deactivate", "--school", "OAK", "--email", "nobody@oak.example"])
    assert result.exit_code == 1 and "no account" in result.output


def test_with_no_active_dsl_a_concern_goes_to_the_head_and_everyone_is_told(app, client, school, amira, db):
    # The school ended up without a DSL behind the accounts page's back (an import, a database edit).
    school.dsl.active = False
    db.session.commit()
    factories.sign_in(client, school.staff)
    page = _text(_log_through_the_form(client, amira))

    assert "Your concern has been sent to the head" in page
    assert (
        "No DSL is available: the head has been alerted (1 person, by e-mail and in the app) — speak to the head"
        in (page)
    )
    assert "whole DSL team" not in page
    assert _emails_to(db) == [school.head.email]
    assert db.session.scalars(select(Notification.user_id)).all() == [school.head.id]
    assert _first_entry(db, page).endswith("; no DSL available: the head alerted by e-mail and in the app (1 person)")

    # The head and the administrator see it on every page, until a DSL is active again; other staff do not.
    for person, path, sees in ((school.head, "/concerns/", True), (school.admin, "/admin/users", True)):
        other = app.test_client()
        factories.sign_in(other, person)
        assert (BANNER_NO_DSL in other.get(path).get_data(as_text=True)) is sees
    assert BANNER_NO_DSL not in client.get("/concerns/mine").get_data(as_text=True)
    school.dsl.active = True
    db.session.commit()
    head = app.test_client()
    factories.sign_in(head, school.head)
    assert BANNER_NO_DSL not in head.get("/concerns/").get_data(as_text=True)


def test_with_the_dsl_team_in_place_the_page_says_who_was_alerted(client, school, amira, db):
    factories.user(school.school, "dsl", email="deputy@oak.example")
    db.session.commit()
    factories.sign_in(client, school.staff)
    page = _text(_log_through_the_form(client, amira))
    assert "Your concern has been sent to the DSL team" in page
    assert "The DSL team: 2 people, by e-mail and in the app." in page
    assert "This concern is marked urgent." in page
    assert _first_entry(db, page).endswith("; the DSL team alerted by e-mail and in the app (2 people)")
    assert _emails_to(db) == sorted([school.dsl.email, "deputy@oak.example"])


def test_with_nobody_to_alert_the_page_says_to_tell_someone_in_person(client, school, amira, db):
    school.dsl.active = False
    school.head.active = False
    db.session.commit()
    factories.sign_in(client, school.staff)
    page = _text(_log_through_the_form(client, amira))
    assert "Your concern is recorded, but nobody could be alerted" in page
    assert "Tell a DSL or the head in person now" in page
    assert _emails_to(db) == []


# ---------------------------------------------------------------------------------------------------------------
# Cover for absence


def _set_away(client, first, last, **extra):
    fields = {"away_from": first.isoformat() if first else "", "away_until": last.isoformat() if last else ""}
    return factories.submit_form(client, "/auth/security/away", {**fields, **extra}, form_url="/auth/security")


def test_an_away_dsl_is_not_counted_as_cover(app, client, school, amira, db):
    today = local_today(zone_named(school.school.timezone))
    dsl = app.test_client()
    factories.sign_in(dsl, school.dsl)
    response = _set_away(dsl, today, today + timedelta(days=3))
    assert response.status_code == 302
    assert "You are recorded as away" in dsl.get("/auth/security").get_data(as_text=True)

    factories.sign_in(client, school.staff)
    page = _text(_log_through_the_form(client, amira, urgent=False))
    assert "No DSL is available: the head has been alerted" in page
    assert "1 DSL away today will see it in the app on their return." in page
    # The away DSL still has the alert in the app (and sees everything), but no e-mail; the head has both.
    assert _emails_to(db) == [school.head.email]
    assert sorted(db.session.scalars(select(Notification.user_id))) == sorted([school.dsl.id, school.head.id])
    assert "Amira Haddad" in dsl.get("/concerns/").get_data(as_text=True)

    # A colleague who is not away is the cover again: the head is no longer alerted.
    factories.user(school.school, "dsl", email="deputy@oak.example")
    db.session.commit()
    page = _text(_log_through_the_form(client, amira, urgent=False))
    assert "The DSL team: 1 person, by e-mail and in the app." in page
    assert "1 DSL away today" in page


def test_away_dates_are_checked_and_only_dsls_record_them(app, client, school, db):
    today = local_today(zone_named(school.school.timezone))
    factories.sign_in(client, school.dsl)
    response = _set_away(client, today + timedelta(days=3), today)
    assert response.status_code == 400
    assert "The last day cannot be before the first day." in response.get_data(as_text=True)
    response = _set_away(client, today, None)
    assert response.status_code == 400 and "Enter both the first and the last day" in response.get_data(as_text=True)
    assert _set_away(client, today, today + timedelta(days=1)).status_code == 302
    assert _set_away(client, None, None, clear="y").status_code == 302
    db.session.refresh(school.dsl)
    assert school.dsl.away_from is None and school.dsl.away_until is None

    staff = app.test_client()
    factories.sign_in(staff, school.staff)
    assert _set_away(staff, today, today).status_code == 403


# ---------------------------------------------------------------------------------------------------------------
# The worker's heartbeat


def test_the_heartbeat_banner_appears_when_the_worker_stops_and_goes_when_it_runs(app, client, school, runner, db):
    factories.sign_in(client, school.dsl)
    assert BANNER_WORKER in client.get("/concerns/").get_data(as_text=True)
    assert client.get("/health").get_json()["readiness"]["worker"] == "not running"

    _run_worker(runner)
    assert BANNER_WORKER not in client.get("/concerns/").get_data(as_text=True)
    health = client.get("/health")
    assert health.status_code == 200 and health.get_json()["status"] == "ok"
    assert health.get_json()["readiness"]["worker"] == "running"

    # Six minutes later with no pass since: the worker has stopped.
    alerts_store.beat(utcnow() - timedelta(minutes=6))
    db.session.commit()
    assert BANNER_WORKER in client.get("/concerns/").get_data(as_text=True)
    health = client.get("/health")
    assert health.status_code == 200 and health.get_json()["readiness"]["worker"] == "not running"
    # The head and the administrator see it too; other staff, who cannot mend it, do not.
    for person, sees in ((school.head, True), (school.admin, True), (school.staff, False)):
        other = app.test_client()
        factories.sign_in(other, person)
        assert (BANNER_WORKER in other.get("/").get_data(as_text=True)) is sees


# ---------------------------------------------------------------------------------------------------------------
# Escalation beyond the school


def test_an_urgent_concern_still_unseen_after_its_escalation_goes_to_the_onward_contact(school, amira, db):
    school.school.onward_contact_label = "Trust safeguarding lead"
    school.school.onward_contact_email = "safeguarding@trust.example"
    db.session.commit()
    logged = utcnow() - timedelta(hours=1)
    concern = factories.concern(school.staff, [amira], immediate_danger=True, now=logged)
    routine = factories.concern(school.staff, [amira], now=logged)

    assert concern_services.escalate_overdue(now=logged + timedelta(minutes=16)) == 1  # the DSL and the head
    assert concern_services.escalate_overdue(now=logged + timedelta(minutes=20)) == 0  # not yet: 15 minutes more
    assert concern_services.escalate_overdue(now=logged + timedelta(minutes=31)) == 1
    assert concern_services.escalate_overdue(now=logged + timedelta(minutes=40)) == 0  # once
    db.session.commit()

    onward = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "safeguarding@trust.example")
    ).all()
    assert len(onward) == 1
    assert concern.reference in onward[0].body and "URGENT" in onward[0].body
    assert "Amira" not in onward[0].body + onward[0].subject and "Haddad" not in onward[0].body
    summaries = db.session.scalars(select(ConcernEvent.summary).where(ConcernEvent.concern_id == concern.id)).all()
    assert any("Trust safeguarding lead alerted by e-mail" in s for s in summaries)
    assert routine.onward_escalated_at is None


def test_the_onward_contact_is_a_school_setting(client, school, sign_in, db):
    sign_in(school.admin)
    form = {
        "name": school.school.name,
        "protective_marking": school.school.protective_marking,
        "timezone": school.school.timezone,
        "urgent_ack_minutes": "15",
        "routine_ack_school_days": "1",
        "levels_of_need": "Universal\nEarly help",
        "onward_contact_label": "Local authority education safeguarding contact",
        "onward_contact_email": "not an address",
    }
    response = factories.submit_form(client, "/admin/school", form)
    assert response.status_code == 400 and "Enter a valid e-mail address." in response.get_data(as_text=True)
    response = factories.submit_form(client, "/admin/school", {**form, "onward_contact_email": "LADO@LA.example"})
    assert response.status_code == 302
    db.session.refresh(school.school)
    assert school.school.onward_contact_email == "lado@la.example"


# ---------------------------------------------------------------------------------------------------------------
# The safety check: the page and `doctor`


def _doctor(runner, *args):
    result = runner.invoke(args=["doctor", *args])
    return result.exit_code, result.output


def test_doctor_passes_on_the_demo_once_its_worker_has_run(app, runner, mailbox, db):
    from safeguard.app.demo import seed_demo

    seed_demo()
    db.session.commit()
    code, output = _doctor(runner)
    assert code == 1 and "PROBLEM  Worker" in output  # seeded, but no worker yet: nothing is being sent
    _run_worker(runner)
    code, output = _doctor(runner)
    assert code == 0, output
    assert "ok       DSL cover: 2 of 2 active DSLs can act today" in output
    assert "Every concern can reach someone who can act." in output
    assert mailbox.messages  # the demo's alerts were delivered


@pytest.fixture
def healthy(school, runner, mailbox, db):
    """A school whose worker has just run and whose e-mail is delivered: doctor passes."""
    _run_worker(runner)
    code, output = _doctor(runner)
    assert code == 0, output
    return school


def test_doctor_fails_without_an_active_dsl(healthy, runner, db):
    healthy.dsl.active = False
    db.session.commit()
    code, output = _doctor(runner)
    assert code == 1 and "PROBLEM  DSL cover: No DSL is available today: new concerns go to the head" in output


def test_doctor_fails_when_every_dsl_is_away(healthy, runner, db):
    today = local_today(zone_named(healthy.school.timezone))
    healthy.dsl.away_from, healthy.dsl.away_until = today - timedelta(days=1), today + timedelta(days=1)
    db.session.commit()
    code, output = _doctor(runner, "--school", "OAK")
    assert code == 1 and "PROBLEM  DSL cover" in output and "away" in output


def test_doctor_fails_when_the_worker_has_stopped(healthy, runner, db):
    alerts_store.beat(utcnow() - timedelta(minutes=6))
    db.session.commit()
    code, output = _doctor(runner)
    assert code == 1 and f"PROBLEM  Worker: {BANNER_WORKER}" in output


def test_doctor_fails_when_e_mail_is_failing_or_an_escalation_has_not_gone_out(healthy, runner, amira, app, db):
    factories.concern(healthy.staff, [amira], immediate_danger=True, now=utcnow() - timedelta(hours=1))
    code, output = _doctor(runner)
    assert code == 1 and "PROBLEM  Acknowledgements: 1 concern(s) past their time" in output
    app.config.update(MAIL_PORT=1)  # the mail server is gone
    _run_worker(runner)
    code, output = _doctor(runner)
    assert code == 1 and "PROBLEM  E-mail: E-mails are failing" in output
    # Escalated now: a warning (every DSL and the head have been alerted), not a broken chain.
    assert "warning  Acknowledgements" in output


def test_doctor_fails_when_a_dsl_has_no_second_factor(healthy, runner, db):
    healthy.dsl.totp_enabled_at = None
    db.session.commit()
    code, output = _doctor(runner)
    assert code == 1 and "PROBLEM  DSLs' second factor" in output


def test_the_safety_check_page_shows_the_same_checks(client, school, sign_in, db):
    sign_in(school.head)
    page = _text(client.get("/safety/").get_data(as_text=True))
    assert "Something is wrong." in page
    for name in ("DSL cover", "DSLs' second factor", "Head", "Worker", "E-mail", "Acknowledgements"):
        assert name in page
    assert "The school calendar is not checked yet" in page
