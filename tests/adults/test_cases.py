"""Concerns about adults: raising one, who sees it (never the adult), the LADO clock and its escalation, interim
arrangements, the outcome and retention, low-level patterns, the child's chronology, and the LADO's summary."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from safeguard.adults import services
from safeguard.adults.models import AdultConcern
from safeguard.auth import services as auth_services
from safeguard.auth.models import Role
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.exports import services as exports
from tests import factories


def _sign_out(client):
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})


def _page(client, url):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def test_the_form_raises_an_allegation_that_reaches_the_head_only(client, school, colleague, sign_in, mailbox):
    sign_in(school.staff)
    assert "Raise a concern about an adult" in client.get("/concerns/new").get_data(as_text=True)
    response = factories.submit_form(
        client,
        "/adults/new",
        {
            "subject_user_id": str(colleague.id),
            "subject_relation": "staff",
            "subject_role": "Year 4 teacher",
            "happened_at": (utcnow() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "location": "Year 4 classroom",
            "account": "Mrs Lewis pulled a child by the arm across the classroom and the child cried.",
            "threshold": "yes",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "sent to the head teacher" in page
    record = db.session.scalar(db.select(AdultConcern))
    assert record.reference.startswith("OAK-A-") and record.track == "allegation" and record.routed_to == "head"
    assert record.lado_due_at is not None
    for user in (school.dsl, school.admin, colleague, school.chair):
        _sign_out(client)
        sign_in(user)
        status, body = _page(client, f"/adults/{record.id}")
        assert status == 404
        assert record.reference not in _page(client, "/adults/")[1]
    _sign_out(client)
    sign_in(school.head)
    status, body = _page(client, f"/adults/{record.id}")
    assert status == 200 and "Mrs Lewis pulled a child" in body and "Discuss it with the Local Authority" in body


def test_wording_is_checked(client, school, colleague, sign_in):
    sign_in(school.staff)
    response = factories.submit_form(
        client,
        "/adults/new",
        {
            "subject_user_id": str(colleague.id),
            "subject_relation": "staff",
            "happened_at": (utcnow() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "account": "The adult showed a pupil child pornography on a phone in the corridor.",
            "threshold": "yes",
        },
    )
    assert response.status_code == 400
    assert "child sexual abuse material" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(AdultConcern.id))) == 0


def test_an_allegation_about_the_head_goes_to_the_chair(client, school, raise_about, sign_in, mailbox):
    raised = raise_about(school.staff, school.head)
    assert raised.routed.value == "chair"
    sign_in(school.head)
    assert client.get(f"/adults/{raised.id}").status_code == 404
    assert raised.reference not in client.get("/adults/").get_data(as_text=True)
    _sign_out(client)
    sign_in(school.chair)
    assert client.get(f"/adults/{raised.id}").status_code == 200
    # The chair has no access to children's records.
    assert client.get("/concerns/").status_code == 403
    assert client.get("/pupils/").status_code == 403


def test_lado_interim_outcome_and_retention(client, school, colleague, raise_about, sign_in):
    raised = raise_about(school.staff, colleague)
    sign_in(school.head)
    record = db.session.get(AdultConcern, raised.id)
    now_local = utcnow().strftime("%Y-%m-%dT%H:%M")
    url = f"/adults/{raised.id}"
    response = factories.submit_form(
        client,
        f"{url}/lado",
        {
            "version": str(record.version),
            "discussed_at": now_local,
            "lado_name": "Sam Carter, LADO",
            "advice": "Suspend pending the investigation; strategy meeting on Monday.",
            "reference": "LADO-2026-118",
            "strategy_meeting": "y",
            "police": "y",
        },
        form_url=url,
    )
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(AdultConcern, raised.id)
    assert record.lado_reference == "LADO-2026-118" and record.police and record.strategy_meeting
    response = factories.submit_form(
        client,
        f"{url}/interim",
        {"version": str(record.version), "measure": "suspension", "reason": "Risk to children while investigated."},
        form_url=url,
    )
    assert response.status_code == 302
    # An outcome without the referral decisions is refused.
    db.session.expire_all()
    record = db.session.get(AdultConcern, raised.id)
    base = {"version": str(record.version), "outcome": "malicious", "notes": "Investigation concluded."}
    response = factories.submit_form(client, f"{url}/outcome", base, form_url=url)
    assert response.status_code == 400
    assert "Disclosure and Barring Service" in response.get_data(as_text=True)
    response = factories.submit_form(
        client,
        f"{url}/outcome",
        base
        | {
            "dbs_referral": "no",
            "dbs_reason": "Disproved: no harm.",
            "tra_referral": "no",
            "tra_reason": "Not misconduct.",
            "retirement_date": "2050-07-31",
        },
        form_url=url,
    )
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(AdultConcern, raised.id)
    assert record.status == "closed" and record.outcome == "malicious" and record.remove_from_personnel
    assert record.retain_until == date(2050, 7, 31)
    page = client.get(url).get_data(as_text=True)
    assert "Malicious" in page and "removed from the adult's personnel records" in page


def test_retention_is_the_later_of_retirement_and_ten_years():
    assert services.retain_until(date(2026, 12, 4), None) == date(2036, 12, 4)
    assert services.retain_until(date(2026, 12, 4), date(2031, 1, 1)) == date(2036, 12, 4)
    assert services.retain_until(date(2028, 2, 29), None) == date(2038, 2, 28)


def test_a_missed_lado_clock_is_escalated_once_never_to_the_adult(app, school, colleague, raise_about, mailbox):
    long_ago = utcnow() - timedelta(days=7)
    raised = raise_about(school.staff, colleague, now=long_ago)
    assert services.escalate_lado_overdue() == 1
    assert services.escalate_lado_overdue() == 0
    db.session.commit()
    from safeguard.notifications.models import OutboxMessage

    to = [m.to_address for m in db.session.scalars(db.select(OutboxMessage)) if "Escalated" in m.subject]
    assert school.head.email in to and school.chair.email in to and colleague.email not in to
    assert school.dsl.email not in to and school.admin.email not in to
    record = db.session.get(AdultConcern, raised.id)
    assert record.lado_escalated_at is not None


def test_low_level_pattern_prompts_the_case_manager(client, school, colleague, raise_about, sign_in):
    for _ in range(3):
        raise_about(school.staff, colleague, threshold="no")
    sign_in(school.head)
    page = client.get("/adults/").get_data(as_text=True)
    assert "3 low-level concerns about Hannah Lewis" in page
    assert "Consider whether together they meet the harm threshold" in page


def test_the_childs_chronology_shows_it_only_to_those_who_see_it(client, school, colleague, raise_about, sign_in):
    child = factories.pupil(school.school, "Amira", "Haddad")
    raised = raise_about(school.staff, colleague, pupil_ids=[child.id])
    sign_in(school.head)
    assert raised.reference in client.get(f"/pupils/{child.id}").get_data(as_text=True)
    _sign_out(client)
    sign_in(school.dsl)
    page = client.get(f"/pupils/{child.id}").get_data(as_text=True)
    assert raised.reference not in page and "concern about an adult" not in page


def test_people_added_and_the_deputy_see_it_the_adult_never(client, school, colleague, raise_about, sign_in):
    raised = raise_about(school.staff, colleague)
    sign_in(school.head)
    url = f"/adults/{raised.id}"
    assert (
        factories.submit_form(client, f"{url}/people", {"person_id": str(school.dsl.id)}, form_url=url).status_code
        == 302
    )
    response = factories.submit_form(client, f"{url}/people", {"person_id": str(colleague.id)}, form_url=url)
    assert response.status_code == 400
    _sign_out(client)
    sign_in(school.dsl)
    page = client.get(url).get_data(as_text=True)
    assert "you can read this case" in page
    assert client.post(f"{url}/interim", data={"csrf_token": factories.csrf_token(client, url)}).status_code == 403


def test_settings_deputy_and_admin_cannot_grant_themselves(client, school, colleague, raise_about, sign_in):
    raised = raise_about(school.staff, colleague)
    sign_in(school.admin)
    assert client.get("/adults/settings").status_code == 403
    try:
        auth_services.set_roles(school.admin, {Role.ADMIN, Role.HEAD}, actor=school.admin)
    except auth_services.AccountError as error:
        assert "cannot give yourself" in str(error)
    else:
        raise AssertionError("an administrator gave themselves the head's role")
    db.session.rollback()
    _sign_out(client)
    sign_in(school.head)
    response = factories.submit_form(
        client,
        "/adults/settings",
        {"deputy_id": str(school.dsl.id), "lado_name": "Sam Carter", "lado_contact": "01632 960999"},
    )
    assert response.status_code == 302
    _sign_out(client)
    sign_in(school.dsl)
    assert client.get(f"/adults/{raised.id}").status_code == 200


def test_the_lado_summary_pdf_verifies(client, school, colleague, raise_about, sign_in):
    raised = raise_about(school.staff, colleague)
    sign_in(school.head)
    url = f"/adults/{raised.id}"
    response = factories.submit_form(client, f"{url}/summary", {"reason": "Case summary for the LADO"}, form_url=url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    assert exports.verify(pdf, school.school.id).outcome == "matches"
    assert "Case summary exported" in client.get(url).get_data(as_text=True)
    version = db.session.get(AdultConcern, raised.id).version
    data = {"version": str(version), "measure": "supervision", "reason": "A named colleague with them in class."}
    assert factories.submit_form(client, f"{url}/interim", data, form_url=url).status_code == 302
    assert exports.verify(pdf, school.school.id).outcome == "changed"
    assert exports.verify(pdf[:-10] + b"0123456789", school.school.id).outcome in ("altered", "unknown")


def test_the_case_page_of_a_low_level_concern_shows_the_pattern(client, school, colleague, raise_about, sign_in):
    raised = [raise_about(school.staff, colleague, threshold="no") for _ in range(3)]
    sign_in(school.head)
    page = client.get(f"/adults/{raised[-1].id}").get_data(as_text=True)
    assert "3 low-level concerns about Hannah Lewis in the last twelve months" in page
    assert "Discussion with the LADO" not in page
    url = f"/adults/{raised[-1].id}"
    version = db.session.get(AdultConcern, raised[-1].id).version
    data = {"version": str(version), "reason": "Together they may meet the harm threshold."}
    assert factories.submit_form(client, f"{url}/track", data, form_url=url).status_code == 302
    db.session.expire_all()
    record = db.session.get(AdultConcern, raised[-1].id)
    assert record.track == "allegation" and record.lado_due_at is not None


def test_the_worker_escalates_a_missed_lado_clock(runner, school, colleague, raise_about, mailbox):
    raise_about(school.staff, colleague, now=utcnow() - timedelta(days=7))
    result = runner.invoke(args=["notify", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("escalated 1,")
    subjects = [m["Subject"] for m in mailbox.messages]
    assert any("LADO not yet consulted" in s for s in subjects)
    # Every e-mail is tagged as Safeguard's once, whichever feature wrote it.
    assert subjects and all(s.startswith("[Safeguard] ") and s.count("[Safeguard]") == 1 for s in subjects), subjects
    assert all(colleague.email not in m["To"] for m in mailbox.messages)


def test_the_home_page_tells_the_case_manager_and_nobody_else(client, school, colleague, raise_about, sign_in):
    raise_about(school.staff, colleague, now=utcnow() - timedelta(days=7))
    sign_in(school.head)
    page = client.get("/").get_data(as_text=True)
    assert "Concerns about adults" in page and "1 past the one working day to discuss with the LADO" in page
    for person in (colleague, school.dsl, school.admin):
        _sign_out(client)
        sign_in(person)
        assert "Concerns about adults" not in client.get("/").get_data(as_text=True)


def test_the_lado_clock_counts_the_local_authoritys_working_days_not_the_schools_holidays(
    school, colleague, raise_about
):
    """The LADO works through half-term: an allegation received on the Friday before it is due the Monday after,
    not a week later, though the school's calendar closes for the week."""
    from datetime import datetime

    from safeguard.calendar import services as calendar_services

    friday = datetime(2027, 2, 12, 10, 0, tzinfo=UTC)
    calendar_services.add_period(school.school.id, None, "term", "Spring term", date(2027, 1, 4), date(2027, 3, 26))
    calendar_services.add_period(school.school.id, None, "closure", "Half-term", date(2027, 2, 15), date(2027, 2, 19))
    db.session.commit()
    raised = raise_about(school.staff, colleague, now=friday)
    due = db.session.get(AdultConcern, raised.id).lado_due_at
    assert due.date() == date(2027, 2, 15)


def test_the_case_managers_are_alerted_in_the_app_and_the_adult_never(client, school, colleague, raise_about, sign_in):
    from safeguard.notifications.models import Notification

    raised = raise_about(school.staff, colleague, now=utcnow() - timedelta(days=7))
    services.escalate_lado_overdue()
    db.session.commit()
    link = f"/adults/{raised.id}"

    def alerts(user):
        rows = db.select(Notification).where(Notification.user_id == user.id, Notification.link == link)
        return list(db.session.scalars(rows))

    # The head manages the case: told it was raised, then that the LADO clock was missed; both urgent, no name.
    messages = sorted(a.message for a in alerts(school.head))
    assert messages == sorted(
        [
            f"A concern about an adult was raised: {raised.reference}",
            f"Escalated: LADO not yet consulted {raised.reference}",
        ]
    )
    assert all(a.urgent and colleague.display_name not in a.message for a in alerts(school.head))
    assert [a.message for a in alerts(school.chair)] == [f"Escalated: LADO not yet consulted {raised.reference}"]
    for person in (colleague, school.dsl, school.admin, school.staff):
        assert alerts(person) == [], person.email
    # The head sees them among their alerts, and opening the case reads them.
    sign_in(school.head)
    assert raised.reference in client.get("/notifications/").get_data(as_text=True)
    assert client.get(link).status_code == 200
    db.session.expire_all()
    assert all(a.read_at is not None for a in alerts(school.head))
