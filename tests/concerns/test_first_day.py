"""The first day, as a teacher and a DSL meet it: what each of them is told, and what the record keeps."""

from __future__ import annotations

import base64
import html
import io
import itertools
import shutil
from datetime import date, timedelta

import pytest
import yaml
from pypdf import PdfReader
from sqlalchemy import func, select, update

from safeguard import create_app
from safeguard.concerns import services
from safeguard.concerns.models import Concern, ConcernEvent, FollowUp
from safeguard.core.config import ConfigError
from safeguard.core.paths import resource_dir
from safeguard.core.sqltypes import utcnow
from safeguard.notifications.models import Notification, OutboxMessage
from tests import factories
from tests.conftest import IsolatedClient

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


# ---------------------------------------------------------------------------------------------------------------
# Links in e-mails


def _log_through_the_form(client, pupil):
    form = {
        "immediate_danger": "no",
        "observed_at": utcnow().strftime("%Y-%m-%dT%H:%M"),
        "location": "Year 6 classroom",
        "categories": ["abuse-physical"],
        "account": 'Amira said "my dad hit me with a belt last night". She has a bruise on her upper arm.',
        "already_done": "Listened and told her I would share it with the DSL.",
        "pupils-0-pupil_id": str(pupil.id),
        "pupils-0-part": "subject",
    }
    response = factories.submit_form(client, "/concerns/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)


def _links(db) -> set[str]:
    bodies = db.session.scalars(select(OutboxMessage.body)).all()
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()
    return {line.removeprefix("Open it in Safeguard: ") for b in bodies for line in b.splitlines() if "http" in line}


class _ServedOn8123(IsolatedClient):
    """A browser reaching the app at 127.0.0.1:8123 (``flask run --port 8123``)."""

    def open(self, *args, **kwargs):
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", "http://127.0.0.1:8123")
        return super().open(*args, **kwargs)


def test_e_mail_links_point_where_the_app_is_served(app, runner, school, pupils, db, monkeypatch):
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    monkeypatch.delenv("FLASK_RUN_HOST", raising=False)
    assert app.config["BASE_URL"] is None  # development: nothing set
    app.test_client_class = _ServedOn8123
    client = app.test_client()
    factories.sign_in(client, school.staff)
    _log_through_the_form(client, pupils[0])
    [concern_id] = db.session.scalars(select(Concern.id)).all()
    assert _links(db) == {f"http://127.0.0.1:8123/concerns/{concern_id}"}

    # The worker writes outside any request: the address the server was reached at.
    db.session.execute(update(Concern).values(ack_due_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert "escalated 1" in runner.invoke(args=["escalate"]).output
    assert _links(db) == {f"http://127.0.0.1:8123/concerns/{concern_id}"}

    app.config["BASE_URL"] = "https://safeguard.example-trust.org.uk/"
    _log_through_the_form(client, pupils[1])
    newest = db.session.scalar(select(func.max(Concern.id)))
    assert _links(db) == {f"https://safeguard.example-trust.org.uk/concerns/{newest}"}


def test_production_refuses_to_start_without_the_address_for_links(tmp_path, monkeypatch):
    monkeypatch.delenv("BASE_URL", raising=False)
    config = {
        "PRODUCTION": True,
        "SECRET_KEY": "x" * 48,
        "UPLOAD_ENCRYPTION_KEY": base64.b64encode(bytes(32)).decode(),
        "INSTANCE_PATH": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
    }
    with pytest.raises(ConfigError, match="BASE_URL must be set in production"):
        create_app(config)
    assert create_app({**config, "BASE_URL": "https://safeguard.example-trust.org.uk"}).config["BASE_URL"]


# ---------------------------------------------------------------------------------------------------------------
# The demo school


def test_the_demo_records_everything_in_the_order_it_happened(runner, db):
    started = utcnow()
    assert runner.invoke(args=["demo"]).exit_code == 0
    entries = db.session.execute(
        select(ConcernEvent.concern_id, ConcernEvent.at, ConcernEvent.summary, Concern.logged_at)
        .join(Concern, Concern.id == ConcernEvent.concern_id)
        .order_by(ConcernEvent.id)
    ).all()
    # Four concerns of this term, the one restricted to the lead DSL and the head, and the former pupil's from years
    # ago (due for retention review).
    assert len({e.concern_id for e in entries}) == 6
    for entry in entries:
        assert entry.logged_at <= entry.at <= started, entry.summary
    # Recorded one after another as they happened: each concern's entries, and the school's, read in time order.
    for earlier, later in itertools.pairwise(entries):
        assert earlier.at <= later.at, f"{earlier.summary!r} is recorded before {later.summary!r} but dated after it"
    decision = next(e for e in entries if e.summary.startswith("Decision"))
    assert decision.at - decision.logged_at < timedelta(days=1)


# ---------------------------------------------------------------------------------------------------------------
# Recorded sentences are never cut without saying so

LONGER = (
    " Write down who holds each device now, where it is kept, when it was secured and by whom, and whether the child"
    " agreed to hand it over; never ask the child to unlock it, open the imagery or delete anything from it, and"
    " never copy it to a school device or account to keep it safe."
)


@pytest.fixture
def long_step(app_config, tmp_path):
    """A vocabulary whose sharing-nudes protocol has a first step too long for a chronology line; the step's text."""
    folder = tmp_path / "terminology"
    shutil.copytree(resource_dir("terminology"), folder)
    path = folder / "en-GB" / "protocols" / "sharing-nudes.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["steps"][0]["text"] = data["steps"][0]["text"].strip() + LONGER
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    app_config["TERMINOLOGY_DIR"] = str(folder)
    return data["steps"][0]["text"]


def _pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_a_long_guided_response_step_is_whole_on_the_page_and_in_the_pdfs(long_step, client, sign_in, school, db):
    amira = factories.pupil(school.school, "Amira", "Haddad")
    concern = factories.concern(school.staff, [amira], categories=["online-sharing-nudes"])
    services.acknowledge(concern, school.dsl, None)
    answer = services.ProtocolAnswer("sharing-nudes", "imagery-secured", "device-not-in-school", "It is at home.")
    services.answer_protocol_step(concern, school.dsl, answer, None)
    db.session.commit()
    assert len(f"Sharing nudes and semi-nudes: {long_step} — No device is in school") > 500

    # The one-line summary (a child's chronology) is cut after a whole word, says so, and keeps the answer.
    summary = db.session.scalar(select(ConcernEvent.summary).where(ConcernEvent.kind == "protocol_answer"))
    assert len(summary) <= 500 and summary.endswith("… — No device is in school")
    kept = summary.removeprefix("Sharing nudes and semi-nudes: ").removesuffix("… — No device is in school")
    assert long_step.startswith(kept) and long_step[len(kept)] == " "

    sign_in(school.dsl)
    page = html.unescape(client.get(f"/concerns/{concern.id}").get_data(as_text=True))
    assert f"Sharing nudes and semi-nudes: {long_step} — No device is in school" in page  # the concern's chronology
    assert summary in page  # the child's chronology beside it
    for url in (f"/exports/concern/{concern.id}", f"/exports/pupil/{amira.id}"):
        pdf = factories.submit_form(client, url, {"reason": "Referral to the police"})
        assert pdf.mimetype == "application/pdf"
        assert long_step in _pdf_text(pdf.data), url


def test_a_long_category_name_on_the_governors_chart_is_cut_at_a_word(client, sign_in, school, pupils, db):
    label = "Allegation about a member of staff, supply staff, volunteer or contractor"
    factories.concern(school.staff, [pupils[0]], categories=["concerns-about-adults-staff-allegation"])
    sign_in(school.head)
    today = date.today()
    form = {"period_from": (today - timedelta(days=7)).isoformat(), "period_to": today.isoformat(), "reason": "Board"}
    text = _pdf_text(factories.submit_form(client, "/exports/summary", form).data)
    assert "Allegation about a member of staff, supply…" in text  # the chart: cut after a word, and saying so
    assert label in text  # the table under it: whole
    assert "supply st " not in text and "supply st\n" not in text
