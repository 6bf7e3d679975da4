"""The terminology gate holds for every free text written into a record, not only the account.

A DSL at the end of a hard day writes notes, actions, decisions and reasons; the same words to avoid are caught
there as on the "Log a concern" form, with the same way out: keep them, with a reason that is stored.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from safeguard.concerns import services
from safeguard.concerns.models import Concern, ConcernEvent, Status
from tests import factories

AVOID = "The older boy had child pornography on his phone."
KEPT_BECAUSE = "Quoting the police officer's words exactly."


@pytest.fixture
def concern(school, pupils, db):
    made = factories.concern(school.staff, [pupils[0]], categories=("online-sharing-nudes",))
    services.acknowledge(made, school.dsl, None)
    db.session.commit()
    return made


def _latest(db, kind: str) -> ConcernEvent | None:
    return db.session.scalar(
        select(ConcernEvent).where(ConcernEvent.kind == kind).order_by(ConcernEvent.id.desc()).limit(1)
    )


WRITERS = {
    "note": lambda c, dsl, text, kept: services.add_note(c, dsl, text, None, kept),
    "addendum": lambda c, dsl, text, kept: services.add_addendum(c, dsl, text, kept),
    "action": lambda c, dsl, text, kept: services.record_action(
        c, dsl, services.ActionInput(kind="other", details=text, wording_kept_reason=kept), None
    ),
    "decision": lambda c, dsl, text, kept: services.record_decision(c, dsl, "monitor", text, None, kept),
    "status": lambda c, dsl, text, kept: services.change_status(
        c, dsl, services.StatusChange("in_progress", rationale=text, wording_kept_reason=kept), None
    ),
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_every_free_text_is_refused_for_a_term_to_avoid_and_kept_with_a_reason(kind, app, school, concern, db):
    write = WRITERS[kind]
    with pytest.raises(services.WordingError) as refused:
        write(concern, school.dsl, AVOID, None)
    assert "child sexual abuse material" in str(refused.value)  # the preferred term is named
    db.session.rollback()
    assert _latest(db, kind) is None  # nothing was recorded

    write(concern, school.dsl, AVOID, KEPT_BECAUSE)
    db.session.commit()
    entry = _latest(db, kind)
    assert AVOID in (entry.text or "")
    assert entry.detail["wording_kept_reason"] == KEPT_BECAUSE


def test_a_protocol_reason_is_checked_too(app, school, concern, db):
    given = services.ProtocolAnswer("sharing-nudes", "imagery-secured", "device-not-in-school", AVOID)
    with pytest.raises(services.WordingError):
        services.answer_protocol_step(concern, school.dsl, given, None)


def test_words_inside_quotation_marks_are_the_childs_and_pass(app, school, concern, db):
    services.add_note(concern, school.dsl, 'He told her "it is only child pornography, everyone has it".', None)
    db.session.commit()
    assert _latest(db, "note").detail == {}


def test_a_dsl_is_asked_for_the_reason_on_the_page_and_the_entry_shows_it(client, school, concern, sign_in, db):
    sign_in(school.dsl)
    url = f"/concerns/{concern.id}/note"
    fields = {"note-version": str(concern.version), "note-text": AVOID}
    response = factories.submit_form(client, url, fields, form_url=f"/concerns/{concern.id}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "“child pornography”: use “child sexual abuse material”" in page
    assert "Reason for keeping these words" in page
    assert AVOID in page  # what they typed is kept
    assert _latest(db, "note") is None

    fields["note-wording_kept_reason"] = KEPT_BECAUSE
    response = factories.submit_form(client, url, fields, form_url=f"/concerns/{concern.id}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Note added to the chronology." in page
    assert "Flagged wording kept because:" in page and "Quoting the police officer&#39;s words exactly." in page


def test_a_change_made_from_an_older_version_is_refused_by_the_database(app, school, concern, db):
    # Another DSL's change lands between this page's load and its save: the row is no longer at the version loaded.
    with db.engine.begin() as other:
        other.execute(update(Concern).where(Concern.id == concern.id).values(version=Concern.version + 1))
    with pytest.raises(services.StaleConcern):
        services.change_status(concern, school.dsl, services.StatusChange("in_progress"), None)
    db.session.rollback()
    assert db.session.get(Concern, concern.id).status == Status.ACKNOWLEDGED
