"""Guided response: protocols as reviewed data (``terminology/<locale>/protocols/*.yaml``), and a pure engine.

A protocol is an ordered list of steps — questions with fixed answers, checks, decisions and guidance. An
answer can require an action (an immediate referral) or, through ``applies_when``, make a later step apply.
Answers are stored as chronology events by the concern workflow; :func:`walk` works out where a concern is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from safeguard.protocols.loader import AGENCY_PREFIX, ProtocolError, load_protocols
from safeguard.protocols.model import Action, Answer, Given, Progress, Protocol, RequiredAction, Step

__all__ = [
    "AGENCY_PREFIX",
    "Action",
    "Answer",
    "Given",
    "Progress",
    "Protocol",
    "ProtocolError",
    "RequiredAction",
    "Step",
    "answers_from_events",
    "check_answer",
    "event_detail",
    "load_protocols",
    "protocols_for",
    "recorded_target",
    "walk",
]


def _applies(step: Step, answered: Mapping[str, Given]) -> bool:
    if step.applies_step is None:
        return True
    given = answered.get(step.applies_step)
    return given is not None and given.answer_id in step.applies_answers


def walk(protocol: Protocol, answers: Mapping[str, Given], recorded: Collection[str] = ()) -> Progress:
    """Work out the applicable steps, the next one to answer, and the actions the answers require.

    Several answers may require the same action (any of five questions answered "yes" means one immediate referral):
    it is listed once.

    :param recorded: the targets the concern already has a matching action for: ``police`` for a referral to the
        police, ``agency:iwf`` for a report to the IWF (see :func:`recorded_target`).
    """
    applicable = [s for s in protocol.steps if _applies(s, answers)]
    answered = {s.id: answers[s.id] for s in applicable if s.id in answers}
    next_step = next((s for s in applicable if s.id not in answered), None)
    required: dict[Action, RequiredAction] = {}
    for step in applicable:
        given = answered.get(step.id)
        answer = step.answer(given.answer_id) if given else None
        if answer is not None and answer.action is not None and answer.action not in required:
            done = frozenset(target for target in answer.action.targets if target in recorded)
            required[answer.action] = RequiredAction(answer.action, done)
    return Progress(
        applicable=applicable, answered=answered, next_step=next_step, required_actions=list(required.values())
    )


def recorded_target(kind: str, target: str) -> str:
    """How a protocol names the target of an action recorded on a concern: a referral's target as it is
    (``police``), an agency report's agency as ``agency:<id>``."""
    return f"{AGENCY_PREFIX}{target}" if kind == "agency_report" else target


def check_answer(
    protocol: Protocol, answers: Mapping[str, Given], step_id: str, answer_id: str, reason: str
) -> str | None:
    """Why this answer cannot be recorded, or ``None`` when it can."""
    step = protocol.step(step_id)
    if step is None:
        return "That step is not part of this protocol."
    if not _applies(step, answers):
        return "That step does not apply given the answers so far."
    answer = step.answer(answer_id)
    if answer is None:
        return "Choose one of the answers."
    if answer.needs_reason and len((reason or "").strip()) < 5:
        return "This answer needs the reason for it."
    return None


def event_detail(protocol: Protocol, step: Step, answer: Answer, reason: str) -> dict[str, Any]:
    """What a chronology event stores about an answer (enough to show and export it without the file)."""
    detail: dict[str, Any] = {
        "protocol_id": protocol.id,
        "protocol_title": protocol.title,
        "protocol_version": protocol.version,
        "step_id": step.id,
        "step_text": step.text,
        "answer_id": answer.id,
        "answer_label": answer.label,
    }
    if reason.strip():
        detail["reason"] = reason.strip()
    if answer.action:
        detail["requires"] = {
            "kind": answer.action.kind,
            "targets": list(answer.action.targets),
            "urgency": answer.action.urgency,
            "text": answer.action.text,
        }
    return detail


def answers_from_events(details: Iterable[dict], protocol_id: str) -> dict[str, Given]:
    """Rebuild the current answers from the stored events, oldest first: the latest answer to a step counts."""
    answers: dict[str, Given] = {}
    for detail in details:
        if detail.get("protocol_id") == protocol_id:
            answers[detail["step_id"]] = Given(detail["answer_id"], detail.get("reason", ""))
    return answers


def protocols_for(protocols: Mapping[str, Protocol], category_ids: Iterable[str]) -> list[Protocol]:
    """The protocols attached to any of these categories, in a stable order."""
    wanted = set(category_ids)
    return [p for p in sorted(protocols.values(), key=lambda p: p.title) if wanted & set(p.categories)]
