"""What DSLs do on a concern: acknowledge, assign, act, decide, change status — and two DSLs at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from safeguard.audit.models import AuditEvent
from safeguard.concerns import services
from safeguard.concerns.models import ConcernEvent, FollowUp, Status
from tests import factories


@pytest.fixture
def concern(school, pupils):
    return factories.concern(school.staff, [pupils[0]])


PREFIX = {name: name for name in ("acknowledge", "action", "decision", "status", "note", "level", "assign")}


def _post(client, concern, action, data, follow=False):
    prefix = PREFIX[action]
    return factories.submit_form(
        client,
        f"/concerns/{concern.id}/{action}",
        {f"{prefix}-{key}": value for key, value in {"version": str(concern.version), **data}.items()},
        form_url=f"/concerns/{concern.id}",
        follow_redirects=follow,
    )


def test_dsl_acknowledges_and_the_reporter_sees_it(client, school, concern, sign_in, db):
    sign_in(school.dsl)
    response = _post(client, concern, "acknowledge", {}, follow=True)
    assert "Acknowledged." in response.get_data(as_text=True)
    db.session.refresh(concern)
    assert concern.status == Status.ACKNOWLEDGED
    assert concern.acknowledged_by_id == school.dsl.id
    assert concern.assignee_id == school.dsl.id
    event = db.session.scalar(select(ConcernEvent).where(ConcernEvent.kind == "acknowledged"))
    assert event.detail == {"before": "new", "after": "acknowledged"}
    assert event.actor_id == school.dsl.id


def test_referral_with_external_reference_and_follow_up(client, school, concern, sign_in, db):
    services.acknowledge(concern, school.dsl, None)
    db.session.commit()
    sign_in(school.dsl)
    tomorrow = date.today() + timedelta(days=1)
    response = _post(
        client,
        concern,
        "action",
        {
            "kind": "referral",
            "target": "childrens-social-care",
            "on": date.today().isoformat(),
            "external_reference": "CSC-2026-88121",
            "follow_up_on": tomorrow.isoformat(),
            "follow_up_what": "Chase children's social care if no reply",
        },
        follow=True,
    )
    page = response.get_data(as_text=True)
    assert "Referral to children&#39;s social care, reference CSC-2026-88121" in page
    db.session.refresh(concern)
    assert concern.status == Status.REFERRED  # recording a referral moves it on
    follow_up = db.session.scalar(select(FollowUp))
    assert follow_up.due_on == tomorrow and follow_up.done_at is None


def test_not_informing_parents_needs_a_reason(client, school, concern, sign_in, db):
    sign_in(school.dsl)
    response = _post(client, concern, "action", {"kind": "not_informing_parents"})
    assert response.status_code == 400
    assert "Record why parents or carers are not being informed." in response.get_data(as_text=True)
    response = _post(
        client,
        concern,
        "action",
        {"kind": "not_informing_parents", "reason": "Telling the father could put the child at greater risk."},
    )
    assert response.status_code == 302
    event = db.session.scalar(select(ConcernEvent).where(ConcernEvent.kind == "action"))
    assert event.detail["reason"] == "Telling the father could put the child at greater risk."


def test_a_decision_not_to_refer_needs_its_rationale(client, school, concern, sign_in, db):
    sign_in(school.dsl)
    response = _post(client, concern, "decision", {"decision": "not_to_refer", "rationale": "no"})
    assert response.status_code == 400
    assert "Record the rationale" in response.get_data(as_text=True)
    rationale = "Injury consistent with the PE accident reported by the class teacher; no disclosure of harm."
    assert _post(client, concern, "decision", {"decision": "not_to_refer", "rationale": rationale}).status_code == 302
    event = db.session.scalar(select(ConcernEvent).where(ConcernEvent.kind == "decision"))
    assert event.text == rationale


def test_illegal_transition_is_refused_with_a_clear_message(client, school, concern, sign_in, db):
    sign_in(school.dsl)
    response = _post(client, concern, "status", {"status": "closed", "outcome": "x", "rationale": "x" * 20})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "A concern that is new cannot be moved to closed" in page
    assert "Acknowledge it first." in page
    db.session.refresh(concern)
    assert concern.status == Status.NEW


def test_closing_needs_an_outcome_and_reopening_a_reason(app, school, concern, db):
    services.acknowledge(concern, school.dsl, None)
    with pytest.raises(services.ConcernError, match="outcome"):
        services.change_status(
            concern, school.dsl, services.StatusChange("closed", rationale="A full rationale here"), None
        )
    services.change_status(
        concern,
        school.dsl,
        services.StatusChange("closed", outcome="Early help offered", rationale="Family accepted early help."),
        None,
    )
    assert concern.status == Status.CLOSED and concern.closed_at is not None
    with pytest.raises(services.ConcernError, match="reopened"):
        services.change_status(concern, school.dsl, services.StatusChange("in_progress"), None)
    services.change_status(
        concern, school.dsl, services.StatusChange("in_progress", rationale="New disclosure today."), None
    )
    assert concern.status == Status.IN_PROGRESS and concern.closed_at is None
    changes = [
        (e.detail["before"], e.detail["after"])
        for e in db.session.scalars(select(ConcernEvent).where(ConcernEvent.kind == "status").order_by(ConcernEvent.id))
    ]
    assert changes == [("acknowledged", "closed"), ("closed", "in_progress")]


def test_two_dsls_at_once_the_second_is_told_and_keeps_their_text(client, app, school, concern, sign_in, db):
    deputy = factories.user(school.school, "dsl", email="deputy@oak.example", name="Sam Deputy")
    db.session.commit()
    sign_in(school.dsl)
    page_version = str(concern.version)
    # The deputy, in another browser, records a decision first.
    services.record_decision(concern, deputy, "monitor", "Monitor attendance and mood for two weeks.", None)
    db.session.commit()
    typed = "Spoke to Amira's class teacher, who has seen no further marks."
    response = factories.submit_form(
        client,
        f"/concerns/{concern.id}/note",
        {"note-version": page_version, "note-opened_at": "2000-01-01T00:00:00+00:00", "note-text": typed},
        form_url=f"/concerns/{concern.id}",
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This concern was changed after you opened it" in page
    assert "Sam Deputy" in page and "Decision: monitor in school" in page
    assert typed.replace("'", "&#39;") in page  # what they typed is still in the form
    assert db.session.scalar(select(ConcernEvent).where(ConcernEvent.kind == "note")) is None
    # Saving again from the refreshed form works.
    db.session.refresh(concern)
    response = _post(client, concern, "note", {"text": typed})
    assert response.status_code == 302
    assert db.session.scalar(select(ConcernEvent).where(ConcernEvent.kind == "note")).text == typed


def test_assign_only_to_a_dsl_of_the_school(app, school, other_school, concern):
    with pytest.raises(services.ConcernError):
        services.assign(concern, school.dsl, other_school.dsl.id, None)
    with pytest.raises(services.ConcernError):
        services.assign(concern, school.dsl, school.staff.id, None)
    services.assign(concern, school.dsl, school.dsl.id, None)
    assert concern.assignee_id == school.dsl.id


def test_level_of_need_comes_from_the_schools_ladder(app, school, concern, db):
    with pytest.raises(services.ConcernError):
        services.set_level_of_need(concern, school.dsl, "Very high", None)
    services.set_level_of_need(concern, school.dsl, "Child in need", None)
    assert concern.level_of_need == "Child in need"


def test_linking_related_concerns_shows_on_both(app, school, pupils, concern, db):
    other = factories.concern(school.staff, [(pupils[1], "subject")])
    services.link_concerns(concern, school.dsl, other.reference, None)
    db.session.commit()
    summaries = set(db.session.scalars(select(ConcernEvent.summary).where(ConcernEvent.kind == "linked")))
    assert summaries == {f"Linked to {other.reference}", f"Linked to {concern.reference}"}
    with pytest.raises(services.ConcernError, match="already linked"):
        services.link_concerns(other, school.dsl, concern.reference, None)


def test_every_change_is_audited(app, school, concern, db):
    services.acknowledge(concern, school.dsl, None)
    services.add_note(concern, school.dsl, "Called mum.", None)
    db.session.commit()
    kinds = set(db.session.scalars(select(AuditEvent.kind).where(AuditEvent.subject_id == concern.id)))
    assert {"concern.logged", "concern.status_changed", "concern.note"} <= kinds


def test_staff_cannot_act_on_concerns(client, school, concern, sign_in, db):
    sign_in(school.staff)
    token = factories.csrf_token(client, "/")
    response = client.post(f"/concerns/{concern.id}/acknowledge", data={"csrf_token": token})
    assert response.status_code == 403
    db.session.refresh(concern)
    assert concern.status == Status.NEW


def test_the_chronology_cannot_be_rewritten(app, school, concern, db):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from safeguard.concerns.models import AppendOnlyError

    event = db.session.scalar(select(ConcernEvent).where(ConcernEvent.concern_id == concern.id))
    event.summary = "Nothing happened"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    # Underneath the application, the database refuses too.
    for statement in ("UPDATE concern_events SET summary = 'Nothing happened'", "DELETE FROM concern_events"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.scalar(select(ConcernEvent.summary).where(ConcernEvent.id == event.id)).startswith(
        "Concern logged"
    )


def test_an_action_panel_carries_the_version_of_the_page_it_was_opened_from(client, school, concern, sign_in, db):
    """The concern page draws no action form; a panel fetched later still holds the version the DSL saw on the page,
    so a change made by someone else in between is caught when the form is sent, and nothing is saved."""
    deputy = factories.user(school.school, "dsl", email="deputy@oak.example", name="Sam Deputy")
    db.session.commit()
    sign_in(school.dsl)
    page = client.get(f"/concerns/{concern.id}").get_data(as_text=True)
    assert 'name="note-text"' not in page and f"/concerns/{concern.id}/act/note?" in page
    seen_version = concern.version
    services.record_decision(concern, deputy, "monitor", "Monitor attendance and mood for two weeks.", None)
    db.session.commit()
    panel = client.get(
        f"/concerns/{concern.id}/act/note",
        query_string={"version": seen_version, "opened_at": "2026-12-01T09:00:00+00:00", "part": "panel"},
    )
    html = panel.get_data(as_text=True)
    assert panel.status_code == 200 and "<html" not in html and 'name="note-text"' in html
    assert f'name="note-version" type="hidden" value="{seen_version}"' in html or f'value="{seen_version}"' in html
    token = factories.csrf_token(client, f"/concerns/{concern.id}/act/note")
    response = client.post(
        f"/concerns/{concern.id}/note",
        data={
            "csrf_token": token,
            "note-version": str(seen_version),
            "note-opened_at": "2026-12-01T09:00:00+00:00",
            "note-text": "Spoke to the class teacher after lunch.",
        },
    )
    assert response.status_code == 409
    assert "Sam Deputy" in response.get_data(as_text=True)
    assert db.session.scalar(select(ConcernEvent).where(ConcernEvent.kind == "note")) is None


def test_an_unknown_panel_is_not_found_and_a_garbled_link_still_opens_the_form(client, school, concern, sign_in):
    sign_in(school.dsl)
    assert client.get(f"/concerns/{concern.id}/act/delete").status_code == 404
    garbled = client.get(f"/concerns/{concern.id}/act/note?version=x&opened_at=yesterday")
    assert garbled.status_code == 200 and f'value="{concern.version}"' in garbled.get_data(as_text=True)


def test_a_form_sent_back_opens_its_whole_panel_on_the_concern_page(client, school, concern, sign_in):
    """A level of need refused is shown again in its panel, open, beside the assignment form it shares it with."""
    sign_in(school.dsl)
    response = _post(client, concern, "level", {"level": "Not a level of need"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'name="level-level"' in page and 'name="assign-assignee"' in page
    assert 'id="assign" open' in page
