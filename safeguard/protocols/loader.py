"""Loading and validating the protocol files (``terminology/<locale>/protocols/*.yaml``).

The schema below is the files' format; what a schema cannot say (a step pointing to another, a category or an
agency of the vocabulary, an id used twice) is checked once each by the functions after it. Every problem is
reported as ``file: step: field: message``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, StrictBool, ValidationInfo, field_validator

from safeguard.core.datafiles import DataFileError, Schema, at_least_one, duplicate_ids, load, problem
from safeguard.protocols.model import Action, Answer, Protocol, Step

ACTION_KINDS = {"referral", "agency_report"}
REFERRAL_TARGETS = {"childrens-social-care", "police", "lado", "early-help", "camhs"}
AGENCY_PREFIX = "agency:"


class ProtocolError(DataFileError):
    """Protocol files are invalid; ``problems`` lists ``file: step: field: message`` for each."""

    title = "invalid protocols"


def _action_kind(kind: str) -> str:
    if kind not in ACTION_KINDS:
        raise ValueError(f"unknown action kind {kind!r}")
    return kind


def _target(target: str) -> str:
    if not target.startswith(AGENCY_PREFIX) and target not in REFERRAL_TARGETS:
        raise ValueError(f"unknown referral target {target!r}")
    return target


class ActionEntry(Schema):
    """``requires_action``: what an answer requires the DSL to do."""

    kind: Annotated[str, AfterValidator(_action_kind)]
    # A referral target, or ``agency:<id>`` for an agency of the vocabulary.
    targets: tuple[Annotated[str, AfterValidator(_target)], ...] = ()
    urgency: Literal["immediate", "today"]
    text: str = ""


class AnswerEntry(Schema):
    """One fixed answer to a step."""

    id: str
    label: str
    needs_reason: StrictBool = False
    outcome: str | None = None
    requires_action: ActionEntry | None = None


class Condition(Schema):
    """``applies_when``: the step applies only when an earlier step got one of these answers."""

    step: str
    answer_in: tuple[str, ...] = ()


class StepEntry(Schema):
    """One step of a protocol."""

    id: str
    kind: Literal["question", "check", "decision", "info"]
    text: str
    required: StrictBool = True
    applies_when: Condition | None = None
    # Validated when absent too, so that the rule below sees a step without answers.
    answers: tuple[AnswerEntry, ...] = Field((), validate_default=True)

    @field_validator("answers")
    @classmethod
    def _answers_fit_the_kind(cls, answers: tuple[AnswerEntry, ...], info: ValidationInfo) -> tuple[AnswerEntry, ...]:
        kind = info.data.get("kind")
        if kind not in (None, "info") and not answers:
            raise ValueError("must list the fixed answers")
        if kind == "decision" and (missing := [a.id for a in answers if a.outcome is None]):
            raise ValueError("; ".join(f"decision answer {answer!r} has no outcome" for answer in missing))
        return answers


class ProtocolFile(Schema):
    """A protocol file."""

    entry_lists: ClassVar[Mapping[str, str]] = {"steps": "step"}
    part_lists: ClassVar[Mapping[str, str]] = {"answers": "answer"}
    file_entry: ClassVar[str] = "(protocol)"

    id: str
    title: str
    version: str
    source: str
    categories: Annotated[tuple[str, ...], at_least_one("must list the categories it is attached to")]
    summary: str
    steps: Annotated[tuple[StepEntry, ...], at_least_one("must list at least one step")]


def _conditions(file: str, steps: tuple[StepEntry, ...]) -> list[str]:
    """A step may only depend on an earlier step, and on answers that step has."""
    problems = []
    for position, step in enumerate(steps):
        if step.applies_when is None:
            continue
        target = next((s for s in steps[:position] if s.id == step.applies_when.step), None)
        if target is None:
            message = f"points to {step.applies_when.step!r}, which is not an earlier step"
            problems.append(problem(file, step.id, "applies_when", message))
            continue
        known = {answer.id for answer in target.answers}
        for answer_id in step.applies_when.answer_in:
            if answer_id not in known:
                message = f"{target.id!r} has no answer {answer_id!r}"
                problems.append(problem(file, step.id, "applies_when", message))
    return problems


def _unknown_categories(file: str, protocol: ProtocolFile, categories: set[str] | None) -> list[str]:
    """A protocol is attached to categories of the vocabulary (unchecked without them)."""
    return [
        problem(file, "(protocol)", "categories", f"{category!r} is not a category of the vocabulary")
        for category in protocol.categories
        if categories is not None and category not in categories
    ]


def _unknown_agencies(file: str, protocol: ProtocolFile, agencies: set[str] | None) -> list[str]:
    """An ``agency:`` target names an agency of the vocabulary (unchecked without them)."""
    return [
        problem(file, step.id, "requires_action", f"unknown agency {agency!r}")
        for step in protocol.steps
        for answer in step.answers
        if answer.requires_action is not None and agencies is not None
        for target in answer.requires_action.targets
        if target.startswith(AGENCY_PREFIX) and (agency := target.removeprefix(AGENCY_PREFIX)) not in agencies
    ]


def _answer(entry: AnswerEntry) -> Answer:
    action = entry.requires_action
    return Answer(
        id=entry.id,
        label=entry.label,
        needs_reason=entry.needs_reason,
        outcome=entry.outcome,
        action=Action(**dict(action)) if action else None,
    )


def _protocol(entry: ProtocolFile) -> Protocol:
    steps = tuple(
        Step(
            id=step.id,
            kind=step.kind,
            text=step.text,
            answers=tuple(_answer(answer) for answer in step.answers),
            required=step.required,
            applies_step=step.applies_when.step if step.applies_when else None,
            applies_answers=step.applies_when.answer_in if step.applies_when else (),
        )
        for step in entry.steps
    )
    fields = entry.model_dump(include={"id", "title", "version", "source", "categories", "summary"})
    return Protocol(**fields, steps=steps)


def _load_one(path: Path, categories: set[str] | None, agencies: set[str] | None) -> Protocol:
    """One protocol file, validated; :class:`ProtocolError` lists every problem in it."""
    try:
        entry = load(ProtocolFile, path)
    except DataFileError as error:
        raise ProtocolError(error.problems) from None
    problems = [
        *duplicate_ids(path.name, entry.steps),
        *_conditions(path.name, entry.steps),
        *_unknown_categories(path.name, entry, categories),
        *_unknown_agencies(path.name, entry, agencies),
    ]
    if problems:
        raise ProtocolError(problems)
    return _protocol(entry)


def load_protocols(
    folder: Path, categories: set[str] | None = None, agencies: set[str] | None = None
) -> dict[str, Protocol]:
    """Load and validate every protocol in ``folder``; raise :class:`ProtocolError` listing every problem.

    :param categories: the vocabulary's category ids, which a protocol must be attached to (``None``: unchecked)
    :param agencies: the vocabulary's agency ids, which an ``agency:`` target must name (``None``: unchecked)
    """
    problems: list[str] = []
    loaded: dict[str, Protocol] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        try:
            protocol = _load_one(path, categories, agencies)
        except ProtocolError as error:
            problems.extend(error.problems)
            continue
        if protocol.id in loaded:
            problems.append(problem(path.name, "(protocol)", "id", f"{protocol.id!r} is used by another protocol"))
        loaded[protocol.id] = protocol
    if problems:
        raise ProtocolError(problems)
    return loaded
