"""Subject access requests: the clock, overdue alerts, assembling, redacting, and a release with no redacted text."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from safeguard.core.sqltypes import utcnow
from safeguard.notifications.models import OutboxMessage
from safeguard.sar import services
from safeguard.sar.clock import add_months, due_on
from safeguard.sar.models import SubjectAccessRequest
from tests import factories


@pytest.mark.parametrize(
    ("received", "months", "due"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
    ],
)
def test_one_calendar_month_and_month_ends(received, months, due):
    assert add_months(received, months) == due


def test_days_stopped_move_the_due_date():
    received = date(2026, 3, 1)
    assert due_on(received, 1, 0, None, date(2026, 3, 10)) == date(2026, 4, 1)
    assert due_on(received, 1, 5, None, date(2026, 3, 10)) == date(2026, 4, 6)
    # A stop under way counts to today.
    assert due_on(received, 1, 5, date(2026, 3, 8), date(2026, 3, 10)) == date(2026, 4, 8)


def _log(client, pupil, **overrides):
    data = {
        "upn": pupil.upn,
        "requester_name": "Mrs A Parent",
        "relationship": "parent",
        "competence_note": "",
        "received_on": date.today().isoformat(),
        **overrides,
    }
    return factories.submit_form(client, "/sar/new", data)


def test_logging_a_request_and_its_clock(app, client, sign_in, school, db):
    child = factories.pupil(school.school, "Amira", "Haddad")
    sign_in(school.dsl)
    refused = _log(client, child, relationship="child")
    assert refused.status_code == 400
    assert "competent" in refused.get_data(as_text=True)
    assert _log(client, child, upn="NOPE").status_code == 400
    response = _log(client, child, received_on=(date.today() - timedelta(days=3)).isoformat())
    assert response.status_code == 303
    request = db.session.scalar(select(SubjectAccessRequest))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert request.reference in page and "days left" in page
    stopped = factories.submit_form(
        client, f"/sar/{request.id}/stop", {"stop-reason": "identity"}, form_url=f"/sar/{request.id}"
    )
    assert stopped.status_code == 303
    assert "Stopped since" in client.get(f"/sar/{request.id}").get_data(as_text=True)
    # Ten days later the requester's identity is confirmed: the clock restarts and the due date moves on ten days.
    db.session.expire_all()
    request = db.session.get(SubjectAccessRequest, request.id)
    before = services.due_on(request, request.stopped_on)
    request.stopped_on = request.stopped_on - timedelta(days=10)
    db.session.commit()
    assert (
        factories.submit_form(client, f"/sar/{request.id}/restart", {}, form_url=f"/sar/{request.id}").status_code
        == 303
    )
    db.session.expire_all()
    request = db.session.get(SubjectAccessRequest, request.id)
    assert request.stopped_days == 10 and services.due_on(request, date.today()) == before + timedelta(days=10)
    extended = factories.submit_form(
        client,
        f"/sar/{request.id}/extend",
        {"extend-months": "3", "extend-reason": "Several years of records."},
        form_url=f"/sar/{request.id}",
    )
    assert extended.status_code == 303
    db.session.expire_all()
    assert db.session.get(SubjectAccessRequest, request.id).months == 3
    history = client.get(f"/sar/{request.id}").get_data(as_text=True)
    assert (
        "Clock stopped" in history
        and "Clock restarted after 10 day(s)" in history
        and "Extended to 3 months" in history
    )


def test_an_overdue_request_alerts_the_lead_dsl_once(app, client, sign_in, school, db, runner):
    child = factories.pupil(school.school, "Amira", "Haddad")
    sign_in(school.dsl)
    _log(client, child, received_on=(date.today() - timedelta(days=40)).isoformat())
    request = db.session.scalar(select(SubjectAccessRequest))
    result = runner.invoke(args=["retention", "review"])
    assert f"subject access request {request.reference} is overdue" in result.output
    mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like("%overdue%"))).all()
    assert [m.to_address for m in mail] == [school.dsl.email] and "Amira" not in mail[0].body
    assert request.reference not in runner.invoke(args=["retention", "review"]).output
    assert "Overdue" in client.get("/sar/").get_data(as_text=True)


def test_the_worker_reports_an_overdue_request_without_a_scheduled_review(
    app, client, sign_in, school, db, runner, mailbox
):
    from safeguard.notifications.models import Notification

    child = factories.pupil(school.school, "Amira", "Haddad")
    sign_in(school.dsl)
    _log(client, child, received_on=(date.today() - timedelta(days=40)).isoformat())
    _log(client, child, received_on=(date.today() - timedelta(days=3)).isoformat())
    overdue, on_time = db.session.scalars(select(SubjectAccessRequest).order_by(SubjectAccessRequest.received_on))
    for _ in range(2):  # two passes: told once
        result = runner.invoke(args=["notify", "--once"])
        assert result.exit_code == 0, result.output
    # The lead DSL (the school's only DSL) is told in the app, with a link to the request, and by e-mail.
    alerts = db.session.scalars(select(Notification).where(Notification.user_id == school.dsl.id)).all()
    sar_alerts = [a for a in alerts if a.link and a.link.startswith("/sar/")]
    assert [(a.link, a.message) for a in sar_alerts] == [
        (f"/sar/{overdue.id}", f"Subject access request {overdue.reference} is overdue")
    ]
    mails = [m for m in mailbox.messages if "Subject access request" in m["Subject"]]
    assert [m["To"] for m in mails] == [school.dsl.email]
    assert overdue.reference in mails[0]["Subject"] and "Amira" not in mails[0].get_content()
    assert mails[0]["Subject"] == f"[Safeguard] Subject access request {overdue.reference} is overdue"
    assert on_time.reference not in " ".join(m["Subject"] for m in mailbox.messages)
    page = client.get(f"/sar/{overdue.id}").get_data(as_text=True)
    assert "Overdue: the lead DSL was alerted" in page
    db.session.refresh(sar_alerts[0])
    assert sar_alerts[0].read_at is not None  # opening the request reads its alert


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_redact_and_release(app, client, sign_in, school, db, runner, tmp_path):
    child = factories.pupil(school.school, "Amira", "Haddad")
    other = factories.pupil(school.school, "Oliver", "Bennett")
    factories.concern(
        school.staff,
        [child, (other, "witness")],
        account='Amira said "my uncle Gerald hurts me". Oliver Bennett saw the bruise.',
    )
    sign_in(school.dsl)
    _log(client, child)
    request = db.session.scalar(select(SubjectAccessRequest))
    page = client.get(f"/sar/{request.id}/redact").get_data(as_text=True)
    assert "Child B saw the bruise" in page and "Oliver" not in page
    assembled = services.assemble(request)
    account = next(p for s in assembled.sections for p in s.passages if p.key.endswith("-account"))
    # Without the script: the words typed.
    typed = factories.submit_form(
        client,
        f"/sar/{request.id}/redactions",
        {"passage": account.key, "words": "uncle Gerald", "reason": "another-adult"},
        form_url=f"/sar/{request.id}/redact",
    )
    assert typed.status_code == 303
    # With the script: the selection's characters ("hurts me").
    start = account.text.index("hurts me")
    selected = factories.submit_form(
        client,
        f"/sar/{request.id}/redactions",
        {"passage": account.key, "start": start, "end": start + len("hurts me"), "reason": "serious-harm"},
        form_url=f"/sar/{request.id}/redact",
    )
    assert selected.status_code == 303
    done = next(p for s in assembled.sections for p in s.passages if p.key.endswith("-done"))
    whole = factories.submit_form(
        client,
        f"/sar/{request.id}/redactions",
        {"passage": done.key, "whole": "y", "reason": "legal-privilege"},
        form_url=f"/sar/{request.id}/redact",
    )
    assert whole.status_code == 303
    missing = factories.submit_form(
        client,
        f"/sar/{request.id}/redactions",
        {"passage": account.key, "words": "not in it", "reason": "another-adult"},
        form_url=f"/sar/{request.id}/redact",
    )
    assert missing.status_code == 409 and "not in the passage" in missing.get_data(as_text=True)
    log = client.get(f"/sar/{request.id}").get_data(as_text=True)
    assert "Redaction log" in log and log.count(school.dsl.display_name) >= 3
    token = factories.csrf_token(client, f"/sar/{request.id}")
    released = client.post(f"/sar/{request.id}/release", data={"csrf_token": token})
    assert released.status_code == 200 and released.mimetype == "application/pdf"
    words = _pdf_text(released.data)
    assert "Prepared in response to a subject access request received on" in words
    assert "Page 1 of" in words and "OFFICIAL-SENSITIVE" in words and "Verification code" in words
    assert "Redacted: another adult" in words and "Redacted: serious harm" in words
    assert "Redacted: legal privilege" in words
    for hidden in ("Gerald", "hurts me", "Listened, reassured her", "Oliver", "Bennett"):
        assert hidden not in words
    assert "Child B saw the bruise" in words
    saved = tmp_path / "release.pdf"
    saved.write_bytes(released.data)
    verified = runner.invoke(args=["verify-pdf", str(saved)])
    assert verified.exit_code == 0 and "matches the record" in verified.output
    db.session.expire_all()
    assert db.session.get(SubjectAccessRequest, request.id).status == "released"


def test_requests_of_another_school_are_not_found(app, client, sign_in, school, other_school, db):
    child = factories.pupil(other_school.school, "Ewa", "Zielinska")
    request = services.log_request(
        other_school.school,
        other_school.dsl,
        services.NewRequest(child.id, "Mr P", "parent", "", date.today()),
        utcnow(),
    )
    db.session.commit()
    sign_in(school.dsl)
    assert client.get(f"/sar/{request.id}").status_code == 404
    assert client.get(f"/sar/{request.id}/redact").status_code == 404
    assert _log(client, child).status_code == 400
