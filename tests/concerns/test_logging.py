"""Logging a concern: the form, its rules, references, urgency, attachments and routing to the DSL team."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from safeguard.audit.models import AuditEvent
from safeguard.concerns import services
from safeguard.concerns.models import Attachment, Concern, ConcernEvent
from safeguard.notifications.models import Notification, OutboxMessage
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(pupils_parts, **overrides):
    data = {
        "immediate_danger": "no",
        "observed_at": "2026-11-23T09:30",
        "location": "Year 6 classroom",
        "categories": ["abuse-physical"],
        "account": 'Amira said "my dad hit me with a belt last night". She has a bruise on her upper arm.',
        "already_done": "Listened and told her I would share it with the DSL.",
    }
    for index, (pupil, part) in enumerate(pupils_parts):
        data[f"pupils-{index}-pupil_id"] = str(pupil.id)
        data[f"pupils-{index}-part"] = part
    data.update(overrides)
    return data


def test_teacher_logs_a_concern_and_gets_a_reference(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    response = factories.submit_form(client, "/concerns/new", _form([(pupils[0], "subject")]), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Your concern has been sent to the DSL team" in page
    concern = db.session.scalar(select(Concern))
    assert re.fullmatch(r"OAK-\d{4}-0001", concern.reference)
    assert concern.reference in page
    assert concern.version == 1  # taking the number last is not an edit
    assert concern.reference in db.session.scalar(select(AuditEvent.summary).where(AuditEvent.kind == "concern.logged"))
    assert concern.reporter_id == school.staff.id
    assert concern.status == "new"
    assert not concern.urgent
    assert concern.vocabulary_version
    assert [link.category_id for link in concern.category_links] == ["abuse-physical"]
    # The observed time is read in the school's zone (London: GMT in November).
    assert concern.observed_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_references_count_up_within_the_school_and_year(app, school, other_school, pupils, db):
    first = factories.concern(school.staff, [pupils[0]])
    second = factories.concern(school.staff, [pupils[1]])
    elm_pupil = factories.pupil(other_school.school, "Noah", "Clarke")
    elsewhere = factories.concern(other_school.staff, [elm_pupil])
    year = first.logged_at.year
    assert (first.reference, second.reference) == (f"OAK-{year}-0001", f"OAK-{year}-0002")
    assert elsewhere.reference == f"ELM-{year}-0001"


def test_the_child_who_may_have_caused_harm_is_not_marked_as_the_subject(app, school, pupils, db):
    concern = factories.concern(school.staff, [(pupils[0], "subject"), (pupils[1], "harmed"), (pupils[2], "witness")])
    parts = {link.pupil_id: link.part for link in concern.pupil_links}
    assert parts == {pupils[0].id: "subject", pupils[1].id: "harmed", pupils[2].id: "witness"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"account": ""}, "Describe what happened."),
        ({"categories": []}, "Choose at least one category."),
        ({"immediate_danger": ""}, "Say whether a child is in immediate danger"),
        ({"observed_at": "yesterday"}, "Enter when it happened"),
        ({"categories": ["not-a-category"]}, "Choose categories from the list."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(client, school, pupils, sign_in, db, overrides, message):
    sign_in(school.staff)
    response = factories.submit_form(client, "/concerns/new", _form([(pupils[0], "subject")], **overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def test_a_time_in_the_future_is_refused(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    later = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = factories.submit_form(client, "/concerns/new", _form([(pupils[0], "subject")], observed_at=later))
    assert response.status_code == 400
    assert "cannot be in the future" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def test_a_concern_needs_a_child_it_is_about(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    response = factories.submit_form(client, "/concerns/new", _form([(pupils[0], "witness")]))
    assert response.status_code == 400
    assert "Mark at least one child as the child the concern is about." in response.get_data(as_text=True)
    response = factories.submit_form(client, "/concerns/new", _form([]))
    assert "Choose at least one pupil." in response.get_data(as_text=True)


def test_a_pupil_of_another_school_cannot_be_linked(client, school, other_school, pupils, sign_in, db):
    stranger = factories.pupil(other_school.school, "Noah", "Clarke")
    sign_in(school.staff)
    response = factories.submit_form(client, "/concerns/new", _form([(stranger, "subject")]))
    assert response.status_code == 400
    assert "A pupil chosen is not on this school&#39;s roll." in response.get_data(as_text=True)
    # Beside a pupil of this school, the stranger is refused too: never left off the concern without a word.
    response = factories.submit_form(client, "/concerns/new", _form([(pupils[0], "subject"), (stranger, "witness")]))
    assert response.status_code == 400
    assert "A pupil chosen is not on this school&#39;s roll." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def test_avoid_terms_must_be_corrected_or_kept_with_a_reason(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    account = "A year 10 pupil showed me child pornography on his phone."
    response = factories.submit_form(client, "/concerns/new", _form([(pupils[0], "subject")], account=account))
    assert response.status_code == 400
    assert "child sexual abuse material" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0
    kept = _form([(pupils[0], "subject")], account=account, wording_kept_reason="Quoting the statute's wording")
    response = factories.submit_form(client, "/concerns/new", kept, follow_redirects=True)
    assert "Your concern has been sent" in response.get_data(as_text=True)
    assert db.session.scalar(select(Concern)).wording_kept_reason == "Quoting the statute's wording"


def test_the_childs_own_words_in_quotes_are_never_flagged(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    account = 'He told me "they said I was a child prostitute" and started crying.'
    response = factories.submit_form(client, "/concerns/new", _form([(pupils[0], "subject")], account=account))
    assert response.status_code == 302
    assert db.session.scalar(select(Concern)).account == account


def test_immediate_danger_makes_it_urgent_and_alerts_every_dsl(client, school, pupils, sign_in, db):
    second_dsl = factories.user(school.school, "dsl", email="deputy@oak.example", name="Deputy DSL")
    db.session.commit()
    sign_in(school.staff)
    response = factories.submit_form(
        client, "/concerns/new", _form([(pupils[0], "subject")], immediate_danger="yes"), follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "marked urgent" in page
    assert "call the police on 999" in page
    concern = db.session.scalar(select(Concern))
    assert concern.urgent and concern.immediate_danger
    assert concern.ack_due_at - concern.logged_at == timedelta(minutes=15)
    alerted = set(db.session.scalars(select(Notification.user_id).where(Notification.urgent.is_(True))))
    assert alerted == {school.dsl.id, second_dsl.id}
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert {m.to_address for m in mails} == {school.dsl.email, second_dsl.email}
    for mail in mails:
        # E-mail is not a secure channel: the reference and a link, never the child's name or the account.
        assert concern.reference in mail.subject and "URGENT" in mail.subject
        assert f"/concerns/{concern.id}" in mail.body
        for secret in ("Amira", "Haddad", "belt", "bruise"):
            assert secret not in mail.body and secret not in mail.subject


def test_urgent_by_default_category_makes_it_urgent(app, school, pupils, db):
    concern = factories.concern(school.staff, [pupils[0]], categories=["honour-based-abuse-fgm"])
    assert concern.urgent


def test_routine_concern_is_due_in_one_school_day(app, school, pupils, db):
    friday_afternoon = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    concern = factories.concern(school.staff, [pupils[0]], now=friday_afternoon, observed_at=friday_afternoon)
    assert concern.ack_due_at == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday


def test_documents_are_attached_and_stored_outside_the_web_root(client, app, school, pupils, sign_in, db):
    sign_in(school.staff)
    data = _form([(pupils[0], "subject")])
    data["attachments"] = [(io.BytesIO(PDF), "body map.pdf")]
    token = factories.csrf_token(client, "/concerns/new")
    response = client.post("/concerns/new", data={**data, "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 302
    attachment = db.session.scalar(select(Attachment))
    assert attachment.content_type == "application/pdf"
    assert attachment.original_name == "body map.pdf"
    assert "body map" not in attachment.storage_name
    assert not attachment.storage_name.startswith(app.static_folder)


def test_a_logging_holds_the_schools_chain_and_numbering_only_after_its_files_are_stored(
    client, school, pupils, sign_in, count_statements
):
    """Everyone else writing to the school's records chain (every view of a record audits there) or taking its next
    number waits from the moment a logging first writes to them until its commit. What takes time, storing the
    attached files, must be done before."""
    sign_in(school.staff)
    data = _form([(pupils[0], "subject")])
    data["attachments"] = [(io.BytesIO(PDF), "body map.pdf"), (io.BytesIO(PDF), "letter.pdf")]
    token = factories.csrf_token(client, "/concerns/new")
    with count_statements() as statements:
        response = client.post("/concerns/new", data={**data, "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 302
    seen = [sql.lower() for sql in statements]
    held = ("record_links", "audit_events", "concern_sequences", "pg_advisory_xact_lock")
    first_held = next(i for i, sql in enumerate(seen) if any(name in sql for name in held))
    files = [i for i, sql in enumerate(seen) if sql.startswith("insert into attachments")]
    assert len(files) == 2 and max(files) < first_held, seen[first_held]


def test_a_file_pretending_to_be_a_pdf_is_refused(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    data = _form([(pupils[0], "subject")])
    data["attachments"] = [(io.BytesIO(b"MZ\x90\x00 an executable"), "notes.pdf")]
    token = factories.csrf_token(client, "/concerns/new")
    response = client.post("/concerns/new", data={**data, "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "this kind of file cannot be attached" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def test_images_are_refused_for_sensitive_imagery_categories(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    data = _form([(pupils[0], "subject")], categories=["online-sharing-nudes"])
    data["account"] = "A pupil told me an image of her was being shared in a group chat."
    data["attachments"] = [(io.BytesIO(PNG), "screenshot.png")]
    token = factories.csrf_token(client, "/concerns/new")
    response = client.post("/concerns/new", data={**data, "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "imagery of a child is never uploaded, viewed, copied or forwarded" in page
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    assert db.session.scalar(select(func.count()).select_from(Concern)) == 0


def test_finding_and_adding_pupils_without_javascript(client, school, pupils, sign_in):
    sign_in(school.staff)
    token = factories.csrf_token(client, "/concerns/new")
    base = {"csrf_token": token, "account": "Typed so far", "pupil_search": "Hadd", "find_pupils": "Find"}
    page = client.post("/concerns/new", data=base).get_data(as_text=True)
    assert "Amira Haddad" in page and 'name="add_pupil"' in page
    assert "Typed so far" in page  # nothing the teacher typed is lost
    page = client.post("/concerns/new", data={**base, "find_pupils": "", "add_pupil": str(pupils[0].id)}).get_data(
        as_text=True
    )
    assert f'name="pupils-0-pupil_id" value="{pupils[0].id}"' in page


def test_the_original_account_is_never_edited_addenda_are_added(client, school, pupils, sign_in, db):
    concern = factories.concern(school.staff, [pupils[0]])
    original = concern.account
    sign_in(school.staff)
    response = factories.submit_form(
        client,
        f"/concerns/{concern.id}/addendum",
        {"addendum-text": "She also said it happened before half-term."},
        form_url=f"/concerns/{concern.id}",
        follow_redirects=True,
    )
    assert "The original account is unchanged" in response.get_data(as_text=True)
    db.session.refresh(concern)
    assert concern.account == original
    addendum = db.session.scalar(select(ConcernEvent).where(ConcernEvent.kind == "addendum"))
    assert addendum.text == "She also said it happened before half-term."
    assert addendum.visible_to_reporter


def test_log_concern_service_refuses_an_unknown_category(app, school, pupils):
    with pytest.raises(services.ConcernError, match="Choose categories"):
        new = services.NewConcern(
            pupils=[services.PupilRole(pupils[0].id, services.Part.SUBJECT)],
            observed_at=datetime.now(UTC),
            category_ids=["abuse"],  # a group, not a category
            account="Something happened.",
        )
        services.log_concern(school.staff, new)


def test_attachments_can_be_encrypted_at_rest_and_are_served_only_with_permission(
    client, app, school, pupils, sign_in, db
):
    import base64
    import os
    from pathlib import Path

    app.config["UPLOAD_ENCRYPTION_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    sign_in(school.staff)
    data = _form([(pupils[0], "subject")])
    data["attachments"] = [(io.BytesIO(PDF), "letter.pdf")]
    token = factories.csrf_token(client, "/concerns/new")
    assert (
        client.post("/concerns/new", data={**data, "csrf_token": token}, content_type="multipart/form-data").status_code
        == 302
    )
    attachment = db.session.scalar(select(Attachment))
    stored = Path(app.config["UPLOAD_FOLDER"]) / str(school.school.id) / attachment.storage_name
    assert stored.read_bytes()[:4] == b"SGv1" and b"%PDF" not in stored.read_bytes()  # sealed on disk
    url = f"/concerns/{attachment.concern_id}/attachments/{attachment.id}"
    assert client.get(url).status_code == 404  # the reporter cannot download attachments
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    sign_in(school.dsl)
    response = client.get(url)
    assert response.data == PDF
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
