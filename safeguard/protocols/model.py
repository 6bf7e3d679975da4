"""A guided-response protocol and where a concern is in it: the types the app, the engine and the loader share."""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class RequiredAction:
    """An action the answers require, once however many answers require it, with what has been recorded of it."""

    action: Action
    # The action's targets for which a matching action is recorded on the concern (a referral to the police, a
    # report to the IWF): the same names as the action's targets.
    recorded: frozenset[str] = frozenset()

    @property
    def done(self) -> bool:
        """Whether a matching action is recorded for every target the action names."""
        return all(target in self.recorded for target in self.action.targets)

    @property
    def outstanding(self) -> tuple[str, ...]:
        """The targets not yet recorded, in the protocol's order."""
        return tuple(target for target in self.action.targets if target not in self.recorded)


@dataclass
class Progress:
    """Where a concern is in a protocol."""

    applicable: list[Step]
    answered: dict[str, Given]
    next_step: Step | None
    # Each action the answers require, once, in the order the steps first required it.
    required_actions: list[RequiredAction] = field(default_factory=list)

    @property
    def immediate_referral(self) -> bool:
        """Whether an answer given calls for an immediate referral that is not yet recorded."""
        return any(r.action.urgency == "immediate" and not r.done for r in self.required_actions)

    @property
    def actions_outstanding(self) -> bool:
        """Whether an action the answers require is not yet recorded for each of its targets."""
        return not all(r.done for r in self.required_actions)

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
