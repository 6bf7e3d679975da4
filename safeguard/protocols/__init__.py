"""Guided response: protocols as reviewed data (``terminology/<locale>/protocols/*.yaml``), and a pure engine.

A protocol is an ordered list of steps — questions with fixed answers, checks, decisions and guidance. An
answer can require an action (an immediate referral) or, through ``applies_when``, make a later step apply.
Answers are stored as chronology events by the concern workflow; :func:`walk` works out where a concern is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

STEP_KINDS = {"question", "check", "decision", "info"}
ACTION_KINDS = {"referral", "agency_report"}
URGENCIES = {"immediate", "today"}
REFERRAL_TARGETS = {"childrens-social-care", "police", "lado", "early-help", "camhs"}


class ProtocolError(ValueError):
    """Protocol files are invalid; ``problems`` lists ``file: step: field: message`` for each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid protocols:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Action:
    """Something an answer requires the DSL to do."""

    kind: str
    targets: tuple[str, ...]
    urgency: str
    text: str


@dataclass(frozen=True)
class Answer:
    """A fixed answer to a step."""

    id: str
    label: str
    needs_reason: bool = False
    outcome: str | None = None
    action: Action | None = None


@dataclass(frozen=True)
class Step:
    """One step of a protocol."""

    id: str
    kind: str
    text: str
    answers: tuple[Answer, ...]
    required: bool = True
    # The step applies only when step ``applies_step`` was answered with one of ``applies_answers``.
    applies_step: str | None = None
    applies_answers: tuple[str, ...] = ()

    def answer(self, answer_id: str) -> Answer | None:
        """The answer with this id, or ``None``."""
        return next((a for a in self.answers if a.id == answer_id), None)


@dataclass(frozen=True)
class Protocol:
    """A guided response protocol."""

    id: str
    title: str
    version: str
    source: str
    categories: tuple[str, ...]
    summary: str
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step | None:
        """The step with this id, or ``None``."""
        return next((s for s in self.steps if s.id == step_id), None)


@dataclass(frozen=True)
class Given:
    """An answer given to a step (the latest one counts)."""

    answer_id: str
    reason: str = ""


@dataclass
class Progress:
    """Where a concern is in a protocol."""

    applicable: list[Step]
    answered: dict[str, Given]
    next_step: Step | None
    required_actions: list[tuple[Step, Answer, Action]] = field(default_factory=list)

    @property
    def immediate_referral(self) -> bool:
        """Whether an answer given calls for an immediate referral."""
        return any(action.urgency == "immediate" for _, _, action in self.required_actions)

    @property
    def missing_required(self) -> list[Step]:
        """Required steps that apply and are not answered."""
        return [s for s in self.applicable if s.required and s.id not in self.answered]

    @property
    def complete(self) -> bool:
        """Whether every required step that applies is answered."""
        return not self.missing_required

    @property
    def percent(self) -> int:
        """How far through the applicable steps, as a whole percentage."""
        if not self.applicable:
            return 100
        done = sum(1 for s in self.applicable if s.id in self.answered)
        return round(100 * done / len(self.applicable))


def _applies(step: Step, answered: Mapping[str, Given]) -> bool:
    if step.applies_step is None:
        return True
    given = answered.get(step.applies_step)
    return given is not None and given.answer_id in step.applies_answers


def walk(protocol: Protocol, answers: Mapping[str, Given]) -> Progress:
    """Work out the applicable steps, the next one to answer, and the actions the answers require."""
    applicable = [s for s in protocol.steps if _applies(s, answers)]
    answered = {s.id: answers[s.id] for s in applicable if s.id in answers}
    next_step = next((s for s in applicable if s.id not in answered), None)
    actions = []
    for step in applicable:
        given = answered.get(step.id)
        answer = step.answer(given.answer_id) if given else None
        if answer is not None and answer.action is not None:
            actions.append((step, answer, answer.action))
    return Progress(applicable=applicable, answered=answered, next_step=next_step, required_actions=actions)


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


def event_detail(protocol: Protocol, step: Step, answer: Answer, reason: str) -> dict:
    """What a chronology event stores about an answer (enough to show and export it without the file)."""
    detail = {
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


# ---------------------------------------------------------------------------------------------------------------
# Loading and validating


def _load_one(
    path: Path, problems: list[str], categories: set[str] | None, agencies: set[str] | None
) -> Protocol | None:
    name = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as error:
        problems.append(f"{name}: (file): (file): cannot be read: {error}".replace("\n", " "))
        return None
    if not isinstance(data, dict):
        problems.append(f"{name}: (file): (file): must be a mapping")
        return None
    for key in ("id", "title", "version", "source", "summary"):
        if not str(data.get(key) or "").strip():
            problems.append(f"{name}: (protocol): {key}: is required")
    cats = data.get("categories") or []
    if not isinstance(cats, list) or not cats:
        problems.append(f"{name}: (protocol): categories: must list the categories it is attached to")
        cats = []
    if categories is not None:
        for cat in cats:
            if cat not in categories:
                problems.append(f"{name}: (protocol): categories: {cat!r} is not a category of the vocabulary")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        problems.append(f"{name}: (protocol): steps: must list at least one step")
        return None
    ids = [s.get("id") for s in raw_steps if isinstance(s, dict)]
    steps = []
    for position, raw in enumerate(raw_steps, start=1):
        if not isinstance(raw, dict):
            problems.append(f"{name}: step {position}: (entry): must be a mapping")
            continue
        sid = str(raw.get("id") or f"step {position}")
        if ids.count(raw.get("id")) > 1:
            problems.append(f"{name}: {sid}: id: is a duplicate id")
        kind = raw.get("kind")
        if kind not in STEP_KINDS:
            problems.append(f"{name}: {sid}: kind: must be one of {', '.join(sorted(STEP_KINDS))}")
        if not str(raw.get("text") or "").strip():
            problems.append(f"{name}: {sid}: text: is required")
        applies = raw.get("applies_when")
        applies_step, applies_answers = None, ()
        if applies is not None:
            applies_step = applies.get("step") if isinstance(applies, dict) else None
            applies_answers = tuple(applies.get("answer_in") or []) if isinstance(applies, dict) else ()
            earlier = ids[: position - 1]
            if applies_step not in earlier:
                problems.append(
                    f"{name}: {sid}: applies_when: points to {applies_step!r}, which is not an earlier step"
                )
            else:
                target = raw_steps[ids.index(applies_step)]
                known = {a.get("id") for a in target.get("answers") or [] if isinstance(a, dict)}
                for answer_id in applies_answers:
                    if answer_id not in known:
                        problems.append(f"{name}: {sid}: applies_when: {applies_step!r} has no answer {answer_id!r}")
        answers = []
        raw_answers = raw.get("answers") or []
        if kind != "info" and not raw_answers:
            problems.append(f"{name}: {sid}: answers: must list the fixed answers")
        for answer in raw_answers:
            if not isinstance(answer, dict) or not answer.get("id") or not answer.get("label"):
                problems.append(f"{name}: {sid}: answers: each answer needs an id and a label")
                continue
            if kind == "decision" and not answer.get("outcome"):
                problems.append(f"{name}: {sid}: answers: decision answer {answer['id']!r} has no outcome")
            action = None
            raw_action = answer.get("requires_action")
            if raw_action is not None:
                action_kind = raw_action.get("kind") if isinstance(raw_action, dict) else None
                targets = tuple(raw_action.get("targets") or []) if isinstance(raw_action, dict) else ()
                if action_kind not in ACTION_KINDS:
                    problems.append(f"{name}: {sid}: requires_action: unknown action kind {action_kind!r}")
                if not isinstance(raw_action, dict) or raw_action.get("urgency") not in URGENCIES:
                    problems.append(f"{name}: {sid}: requires_action: urgency must be immediate or today")
                for target in targets:
                    agency = target.removeprefix("agency:") if target.startswith("agency:") else None
                    if agency is None and target not in REFERRAL_TARGETS:
                        problems.append(f"{name}: {sid}: requires_action: unknown referral target {target!r}")
                    if agency is not None and agencies is not None and agency not in agencies:
                        problems.append(f"{name}: {sid}: requires_action: unknown agency {agency!r}")
                if isinstance(raw_action, dict):
                    action = Action(
                        str(action_kind), targets, str(raw_action.get("urgency")), str(raw_action.get("text", ""))
                    )
            answers.append(
                Answer(
                    id=str(answer["id"]),
                    label=str(answer["label"]),
                    needs_reason=bool(answer.get("needs_reason")),
                    outcome=answer.get("outcome"),
                    action=action,
                )
            )
        steps.append(
            Step(
                id=sid,
                kind=str(kind),
                text=str(raw.get("text") or "").strip(),
                answers=tuple(answers),
                required=bool(raw.get("required", True)),
                applies_step=applies_step,
                applies_answers=applies_answers,
            )
        )
    return Protocol(
        id=str(data.get("id")),
        title=str(data.get("title")),
        version=str(data.get("version")),
        source=str(data.get("source")),
        categories=tuple(cats),
        summary=str(data.get("summary") or "").strip(),
        steps=tuple(steps),
    )


def load_protocols(
    folder: Path, categories: set[str] | None = None, agencies: set[str] | None = None
) -> dict[str, Protocol]:
    """Load and validate every protocol in ``folder``; raise :class:`ProtocolError` listing every problem."""
    problems: list[str] = []
    loaded: dict[str, Protocol] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        protocol = _load_one(path, problems, categories, agencies)
        if protocol is None:
            continue
        if protocol.id in loaded:
            problems.append(f"{path.name}: (protocol): id: {protocol.id!r} is used by another protocol")
        loaded[protocol.id] = protocol
    if problems:
        raise ProtocolError(problems)
    return loaded


def protocols_for(protocols: Mapping[str, Protocol], category_ids: Iterable[str]) -> list[Protocol]:
    """The protocols attached to any of these categories, in a stable order."""
    wanted = set(category_ids)
    return [p for p in sorted(protocols.values(), key=lambda p: p.title) if wanted & set(p.categories)]
