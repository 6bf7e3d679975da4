"""Every read of a child's record is audited, even when the request is rejected and rolled back, and every search of
children or records is audited with what was searched for (issue 21)."""

from __future__ import annotations

from sqlalchemy import select

from safeguard.audit.models import AuditEvent
from safeguard.audit.services import verify_chains, words_digest
from safeguard.concerns.models import ConcernEvent
from tests import factories


def _events(db, kind: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.seq)))


def test_a_rejected_action_still_audits_the_view_of_the_record_it_shows(client, school, pupils, sign_in, db):
    concern = factories.concern(school.staff, [pupils[0]])
    sign_in(school.dsl)
    before = len(_events(db, "concern.viewed"))
    response = factories.submit_form(
        client,
        f"/concerns/{concern.id}/note",
        {"note-version": str(concern.version), "note-text": ""},
        form_url=f"/concerns/{concern.id}",
    )
    assert response.status_code == 400
    assert pupils[0].legal_first_name in response.get_data(as_text=True)  # the whole record was shown
    # The form's page view, and the rejected post's view, both kept; the note was not saved.
    viewed = _events(db, "concern.viewed")
    assert len(viewed) == before + 2
    assert viewed[-1].actor_id == school.dsl.id and viewed[-1].subject_id == concern.id
    assert db.session.scalar(select(ConcernEvent).where(ConcernEvent.kind == "note")) is None
    assert verify_chains()[1] == []


def test_a_stale_action_audits_the_view_too(client, school, pupils, sign_in, db):
    from safeguard.concerns import services

    concern = factories.concern(school.staff, [pupils[0]])
    sign_in(school.dsl)
    seen = str(concern.version)
    page = f"/concerns/{concern.id}"
    token = factories.csrf_token(client, page)
    services.record_decision(concern, school.dsl, "monitor", "Monitor attendance and mood for two weeks.", None)
    db.session.commit()
    before = len(_events(db, "concern.viewed"))
    response = client.post(
        f"/concerns/{concern.id}/note", data={"csrf_token": token, "note-version": seen, "note-text": "Spoke to her."}
    )
    assert response.status_code == 409
    assert len(_events(db, "concern.viewed")) == before + 1


def test_a_rejected_change_on_a_childs_page_audits_the_view(client, school, pupils, sign_in, db):
    sign_in(school.dsl)
    response = factories.submit_form(
        client, f"/pupils/{pupils[0].id}/left", {"left_on": "not a date"}, form_url=f"/pupils/{pupils[0].id}"
    )
    assert response.status_code == 400
    viewed = _events(db, "pupil.viewed")
    assert [e.subject_id for e in viewed] == [pupils[0].id, pupils[0].id]  # the page, then the rejected post


def test_every_search_is_audited_with_a_digest_of_its_words_never_the_words(client, school, pupils, sign_in, db):
    sign_in(school.dsl)
    name = pupils[0].legal_last_name
    assert client.get(f"/concerns/?q={name}").status_code == 200
    assert client.get(f"/pupils/?q={name}").status_code == 200
    assert client.get(f"/pupils/api/search?q={name}").status_code == 200
    assert client.get("/pupils/").status_code == 200  # no words, no search
    queue = _events(db, "concern.searched")
    roll = _events(db, "pupil.searched")
    assert len(queue) == 1 and len(roll) == 2
    for event in (*queue, *roll):
        assert event.detail["words_digest"] == words_digest([name])  # who holds the key can check it was this name
        assert event.actor_id == school.dsl.id
        assert name.lower() not in str(event.detail).lower() and name.lower() not in event.summary.lower()
    assert roll[-1].detail["results"] == 1


def test_a_teachers_type_ahead_is_audited_too(client, school, pupils, sign_in, db):
    sign_in(school.staff)
    assert client.get("/pupils/api/search?q=Ha").status_code == 200
    (event,) = _events(db, "pupil.searched")
    assert event.actor_id == school.staff.id and event.detail["words_digest"] == words_digest(["ha"])
