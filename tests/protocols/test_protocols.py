"""Guided response protocols: the files validate, each branch walks as the guidance says, answers are events."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from safeguard.concerns import services
from safeguard.concerns.models import ConcernEvent, Status
from safeguard.exports import services as exports
from safeguard.protocols import Given, ProtocolError, check_answer, load_protocols, walk
from safeguard.terminology import get_vocabulary
from tests import factories

FOLDER = Path(__file__).resolve().parents[2] / "terminology" / "en-GB" / "protocols"
TRIGGERS = {
    "adult-involved": "adult",
    "coercion": "coerced",
    "unusual-acts": "unusual",
    "under-13": "under-13",
    "immediate-risk": "at-risk",
}
CLEAR = {
    "adult-involved": "no-adult",
    "coercion": "not-coerced",
    "unusual-acts": "not-unusual",
    "under-13": "all-13-or-over",
    "immediate-risk": "not-at-risk",
}


@pytest.fixture
def protocols():
    vocabulary = get_vocabulary()
    return vocabulary.protocols


def test_every_protocol_loads_and_is_attached_to_real_categories(protocols):
    assert set(protocols) == {"sharing-nudes", "online-grooming", "csam", "missing-child"}
    categories = get_vocabulary().categories
    for protocol in protocols.values():
        assert protocol.version and protocol.source
        assert all(c in categories for c in protocol.categories)


@pytest.mark.parametrize("trigger", list(TRIGGERS))
def test_each_of_the_five_questions_means_an_immediate_referral(protocols, trigger):
    nudes = protocols["sharing-nudes"]
    answers = {"imagery-secured": Given("done"), **{k: Given(v) for k, v in CLEAR.items()}}
    answers[trigger] = Given(TRIGGERS[trigger])
    progress = walk(nudes, answers)
    assert progress.immediate_referral
    assert {t for r in progress.required_actions for t in r.action.targets} == {"police", "childrens-social-care"}


def test_no_trigger_allows_handling_in_school_with_the_parents_decision(protocols):
    nudes = protocols["sharing-nudes"]
    answers = {"imagery-secured": Given("done"), **{k: Given(v) for k, v in CLEAR.items()}}
    progress = walk(nudes, answers)
    assert not progress.immediate_referral and progress.next_step.id == "decision"
    answers["decision"] = Given("in-school")
    progress = walk(nudes, answers)
    assert progress.next_step.id == "tell-parents"  # applies only when handled in school
    assert check_answer(nudes, answers, "tell-parents", "not-tell", "") == "This answer needs the reason for it."
    answers["tell-parents"] = Given("not-tell", "Father is the alleged source of pressure; told the social worker.")
    answers["removal"] = Given("done")
    progress = walk(nudes, answers)
    assert progress.complete and progress.percent == 100


def test_referring_skips_the_parents_question_and_imagery_check_is_required(protocols):
    nudes = protocols["sharing-nudes"]
    progress = walk(nudes, {"decision": Given("refer")})
    assert "tell-parents" not in {s.id for s in progress.applicable}
    assert "imagery-secured" in {s.id for s in progress.missing_required}


def test_grooming_csam_and_missing_child_branches(protocols):
    grooming = walk(protocols["online-grooming"], {"immediate-danger": Given("danger")})
    assert grooming.immediate_referral
    csam = walk(protocols["csam"], {"police": Given("not-yet")})
    assert csam.immediate_referral and csam.next_step.id == "not-viewed"
    missing = protocols["missing-child"]
    during = walk(missing, {"kind": Given("during-day"), "parents-contacted": Given("not-reached")})
    assert {s.id for s in during.applicable} >= {"site-searched", "police"}
    assert "local-authority" not in {s.id for s in during.applicable}
    absent = walk(missing, {"kind": Given("not-attending"), "parents-contacted": Given("contacted-with-child")})
    assert "local-authority" in {s.id for s in absent.applicable} and "police" not in {s.id for s in absent.applicable}


def _broken(tmp_path, change):
    target = tmp_path / "protocols"
    shutil.copytree(FOLDER, target)
    path = target / "sharing-nudes.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["steps"][7].update(applies_when={"step": "nowhere", "answer_in": ["x"]}),
            "sharing-nudes.yaml: tell-parents: applies_when: points to 'nowhere', which is not an earlier step",
        ),
        (
            lambda d: d["steps"][6]["answers"][1].pop("outcome"),
            "sharing-nudes.yaml: decision: answers: decision answer 'in-school' has no outcome",
        ),
        (
            lambda d: d["steps"][1]["answers"][0]["requires_action"].update(kind="phone-a-friend"),
            "sharing-nudes.yaml: adult-involved: requires_action: unknown action kind 'phone-a-friend'",
        ),
        (
            lambda d: d.update(categories=["no-such-category"]),
            "sharing-nudes.yaml: (protocol): categories: 'no-such-category' is not a category of the vocabulary",
        ),
        (
            lambda d: d["steps"][2].update(id="adult-involved"),
            "sharing-nudes.yaml: adult-involved: id: is a duplicate id",
        ),
    ],
)
def test_broken_protocol_files_give_clear_errors(tmp_path, change, message):
    folder = _broken(tmp_path, change)
    vocabulary = get_vocabulary()
    with pytest.raises(ProtocolError) as caught:
        load_protocols(folder, set(vocabulary.categories), {a.id for a in vocabulary.agencies})
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_answers_are_events_and_closing_needs_them_or_a_reason(app, school, db):
    pupil = factories.pupil(school.school, "Amira", "Haddad")
    concern = factories.concern(
        school.staff,
        [pupil],
        categories=["online-sharing-nudes"],
        account="Amira said an image of her is being shared in a group chat.",
    )
    services.acknowledge(concern, school.dsl, None)
    services.answer_protocol_step(
        concern, school.dsl, services.ProtocolAnswer("sharing-nudes", "imagery-secured", "done", ""), None
    )
    answer = services.answer_protocol_step(
        concern, school.dsl, services.ProtocolAnswer("sharing-nudes", "adult-involved", "adult", ""), None
    )
    assert answer.action.urgency == "immediate"
    with pytest.raises(services.ConcernError, match="does not apply"):
        services.answer_protocol_step(
            concern, school.dsl, services.ProtocolAnswer("sharing-nudes", "tell-parents", "tell", ""), None
        )
    db.session.commit()
    event = db.session.scalar(
        select(ConcernEvent).where(ConcernEvent.kind == "protocol_answer").order_by(ConcernEvent.id.desc())
    )
    assert event.detail["protocol_version"] == "2026.11.1" and event.detail["answer_label"] == "Yes, or it is suspected"
    assert event.actor_id == school.dsl.id
    with pytest.raises(services.ConcernError, match="Required guided-response steps are unanswered"):
        services.change_status(
            concern,
            school.dsl,
            services.StatusChange("closed", outcome="Police", rationale="Police are leading now."),
            None,
        )
    services.change_status(
        concern,
        school.dsl,
        services.StatusChange(
            "closed",
            outcome="Police",
            rationale="Police are leading now.",
            unanswered_reason="The police took over the whole investigation the same hour.",
        ),
        None,
    )
    assert concern.status == Status.CLOSED
    pdf = exports.export_concern(concern, school.dsl, "Referral")
    import io

    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.pdf)).pages).split())
    assert "Sharing nudes and semi-nudes (version 2026.11.1)" in text and "Yes, or it is suspected" in text
