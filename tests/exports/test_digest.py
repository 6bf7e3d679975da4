"""The verification digest: what it is computed from must never drift, or every export made before would stop
verifying against an unchanged record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from safeguard.concerns import services
from safeguard.concerns.models import ConcernEvent
from safeguard.exports import services as exports
from safeguard.reports import build_concern_report, content_digest, read_verification
from safeguard.reports.data import Addendum, ConcernInfo, EventInfo, ExportMeta, PupilInfo, PupilLink, SchoolInfo
from tests import factories

AMIRA = PupilInfo(
    id=7,
    upn="A801000000001",
    legal_name="Amira Haddad",
    preferred_name=None,
    date_of_birth=date(2015, 3, 14),
    year_group="Year 6",
    class_name="6B",
    flags=("Child in need",),
    left_on=None,
    destination=None,
)
LOGGED = datetime(2026, 3, 2, 10, 15, 30, 123456, tzinfo=UTC)
BY_HAND = ConcernInfo(
    id=42,
    reference="OAK-2026-0042",
    status="Referred",
    urgent=True,
    level_of_need="Child in need",
    outcome=None,
    outcome_rationale=None,
    reporter="Hannah Lewis",
    reporter_role="Staff",
    observed_at=LOGGED - timedelta(minutes=20),
    logged_at=LOGGED,
    acknowledged_at=LOGGED + timedelta(minutes=9),
    location="Playground",
    categories=(("abuse-physical", "Physical abuse"),),
    vocabulary_version="2026.11.1",
    account='Amira said "my dad hit me with a belt". Ζωή saw it.',
    already_done="Listened and reassured her.",
    pupils=(PupilLink(AMIRA, "subject"),),
    addenda=(Addendum(LOGGED + timedelta(hours=2), "Hannah Lewis", "She said it happened before."),),
    events=(
        EventInfo(LOGGED, "Hannah Lewis", "logged", "Concern logged"),
        EventInfo(
            LOGGED + timedelta(hours=1),
            "Priya Shah",
            "referral",
            "Referral to children's social care, reference CSC-881",
            details=("Telephoned the front door.",),
            follow_up_on=date(2026, 3, 9),
        ),
    ),
    kept_wording_reason=None,
)
# Computed from BY_HAND when the digest's inputs were first pinned: a change here means old exports break.
BY_HAND_DIGEST = "46e8479854096049e5a730c9a20ec9f4d736559b490d52d888526a63dc94603b"


def test_the_digest_of_a_record_built_by_hand_is_pinned_and_embedded_in_its_pdf():
    assert content_digest(BY_HAND) == BY_HAND_DIGEST
    school = SchoolInfo("Oakfield Primary School", "OAK", "01632 960123", "OFFICIAL-SENSITIVE")
    meta = ExportMeta("Priya Shah", LOGGED + timedelta(days=1), "Referral", zone="Europe/Paris")
    assert read_verification(build_concern_report(BY_HAND, school, meta)) == BY_HAND_DIGEST


def test_the_zone_a_document_is_shown_in_is_not_part_of_its_digest():
    school = SchoolInfo("Oakfield Primary School", "OAK", "", "OFFICIAL-SENSITIVE")
    digests = {
        read_verification(build_concern_report(BY_HAND, school, ExportMeta("Priya Shah", LOGGED, "Referral", zone)))
        for zone in ("Europe/London", "Europe/Paris", "Pacific/Auckland")
    }
    assert digests == {BY_HAND_DIGEST}


@pytest.fixture
def record(school, db):
    """A child with two concerns, one of them walked through a guided response with a reason."""
    amira = factories.pupil(school.school, "Amira", "Haddad", child_in_need=True)
    oliver = factories.pupil(school.school, "Oliver", "Bennett")
    first = factories.concern(school.staff, [(amira, "subject"), (oliver, "witness")])
    nudes = factories.concern(school.staff, [amira], categories=["online-sharing-nudes"])
    for concern in (first, nudes):
        services.acknowledge(concern, school.dsl, None)
    answer = services.ProtocolAnswer(
        "sharing-nudes", "imagery-secured", "device-not-in-school", "The phone stayed at home."
    )
    services.answer_protocol_step(nudes, school.dsl, answer, None)
    services.add_note(first, school.dsl, "Spoke with Amira.", None)
    db.session.commit()
    return amira, first, nudes


def _exports(school, record) -> dict[str, exports.ExportedFile]:
    amira, first, nudes = record
    today = date.today()
    return {
        "concern": exports.export_concern(first, school.dsl, "Referral"),
        "concern with a guided response": exports.export_concern(nudes, school.dsl, "Referral"),
        "child's file": exports.export_child_file(amira, school.dsl, "Police request", False),
        "child's file, other children named": exports.export_child_file(amira, school.dsl, "Police request", True),
        "transfer": exports.export_transfer(amira, school.dsl, "Riverside Academy", "Secure e-mail"),
        "summary": exports.export_summary(school.school, school.head, today - timedelta(days=7), today, "Governors"),
    }


def test_every_kind_of_export_of_an_unchanged_record_matches(app, school, record, db):
    made = _exports(school, record)
    db.session.commit()
    for kind, exported in made.items():
        assert exports.verify(exported.pdf).outcome == "matches", kind


def _as_shown_before(content: ConcernInfo, stored: dict[int, ConcernEvent]) -> ConcernInfo:
    """The concern as exports showed it before each guided-response answer was shown once: the stored summary,
    then the reason as written, the reason again, and the answer with the protocol's version."""
    events = []
    for event in content.events:
        if event.kind == "protocol_answer":
            row = next(r for r in stored.values() if r.at == event.at and r.kind == "protocol_answer")
            twice = (row.text, f"Reason: {row.detail['reason']}", event.summary)
            event = EventInfo(event.at, event.actor, event.kind, row.summary, twice, event.follow_up_on)
        events.append(event)
    return ConcernInfo(**{**content.__dict__, "events": tuple(events)})


def test_an_export_made_before_answers_were_shown_once_still_matches_an_unchanged_record(app, school, record, db):
    _amira, _first, nudes = record
    exported = exports.export_concern(nudes, school.dsl, "Referral")
    stored = {e.id: e for e in db.session.scalars(select(ConcernEvent).where(ConcernEvent.concern_id == nudes.id))}
    before = _as_shown_before(exports.concern_info(nudes), stored)
    assert content_digest(before) != exported.export.digest
    # The export log's row as an export made before the change wrote it.
    exported.export.digest = content_digest(before)
    db.session.commit()
    assert exports.verify(exported.pdf).outcome == "matches"
    services.add_note(nudes, school.dsl, "The police called back.", None)
    db.session.commit()
    assert exports.verify(exported.pdf).outcome == "changed"
