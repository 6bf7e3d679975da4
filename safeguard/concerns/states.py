"""A concern's states, the parts a child can have in it, and the kinds of chronology entry.

Plain enums with their wording, apart from the models so that the rules (:mod:`safeguard.concerns.rules`), the
forms and the reports can use them without the database.
"""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """Where a concern is in its life."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    REFERRED = "referred"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The name shown on screen."""
        return STATUS_LABELS[self]

    @property
    def for_reporter(self) -> ReporterStage:
        """What the person who logged the concern is told of where it is."""
        return _REPORTER_STAGES[self]


STATUS_LABELS = {
    Status.NEW: "New",
    Status.ACKNOWLEDGED: "Acknowledged",
    Status.IN_PROGRESS: "In progress",
    Status.REFERRED: "Referred",
    Status.CLOSED: "Closed",
}


class ReporterStage(enum.StrEnum):
    """Where a concern is, as the person who logged it sees it: received, acknowledged by the DSL team, or closed.
    What the team does in between (a referral, work in progress) is the team's to know."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


_REPORTER_STAGES = {
    Status.NEW: ReporterStage.RECEIVED,
    Status.ACKNOWLEDGED: ReporterStage.ACKNOWLEDGED,
    Status.IN_PROGRESS: ReporterStage.ACKNOWLEDGED,
    Status.REFERRED: ReporterStage.ACKNOWLEDGED,
    Status.CLOSED: ReporterStage.CLOSED,
}

# The moves a DSL may make. Reopening a closed concern brings it back to "in progress".
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.ACKNOWLEDGED}),
    Status.ACKNOWLEDGED: frozenset({Status.IN_PROGRESS, Status.REFERRED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.REFERRED, Status.CLOSED}),
    Status.REFERRED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.IN_PROGRESS}),
}


class Part(enum.StrEnum):
    """A child's part in a concern, so that linking pupils never marks the child who harmed as a victim."""

    SUBJECT = "subject"
    HARMED = "harmed"
    WITNESS = "witness"

    @property
    def label(self) -> str:
        """The part as a form and a report name it ("A witness")."""
        return _PART_WORDING[self][0]

    @property
    def in_chronology(self) -> str:
        """The part as a line of the child's chronology says it ("this child was a witness")."""
        return _PART_WORDING[self][1]

    @property
    def in_list(self) -> str:
        """The part beside a child's name in a list ("a witness"); empty for the child the concern is about."""
        return _PART_WORDING[self][2]


# Every wording of a part, in one place: as a form and a report name it, in the chronology, and in the queue.
_PART_WORDING = {
    Part.SUBJECT: ("The child the concern is about", "about this child", ""),
    Part.HARMED: (
        "A child who may have caused harm",
        "this child may have caused harm",
        "a child who may have caused harm",
    ),
    Part.WITNESS: ("A witness", "this child was a witness", "a witness"),
}


class EventKind(enum.StrEnum):
    """What a chronology entry records."""

    LOGGED = "logged"
    ADDENDUM = "addendum"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    LEVEL_OF_NEED = "level_of_need"
    NOTE = "note"
    ACTION = "action"
    REFERRAL = "referral"
    DECISION = "decision"
    STATUS = "status"
    LINKED = "linked"
    ESCALATED = "escalated"
    FOLLOW_UP_DONE = "follow_up_done"
    ATTACHMENT = "attachment"
    PROTOCOL_ANSWER = "protocol_answer"
    MONITORING_ALERT = "monitoring_alert"
    # Confidentiality (safeguard.access): who may see the record changed; a case team member invited or ended;
    # someone outside a restricted record opened it in an emergency.
    ACCESS = "access"
    CASE_TEAM = "case_team"
    EMERGENCY_ACCESS = "emergency_access"

    @property
    def label(self) -> str:
        """The kind of entry as a filter names it."""
        return _EVENT_KIND_LABELS[self]


_EVENT_KIND_LABELS = {
    EventKind.LOGGED: "Concern logged",
    EventKind.ADDENDUM: "Information added",
    EventKind.ACKNOWLEDGED: "Acknowledged",
    EventKind.ASSIGNED: "Assigned",
    EventKind.LEVEL_OF_NEED: "Level of need",
    EventKind.NOTE: "Note",
    EventKind.ACTION: "Action",
    EventKind.REFERRAL: "Referral or report to an agency",
    EventKind.DECISION: "Decision",
    EventKind.STATUS: "Change of status",
    EventKind.LINKED: "Linked concerns",
    EventKind.ESCALATED: "Escalated",
    EventKind.FOLLOW_UP_DONE: "Follow-up done",
    EventKind.ATTACHMENT: "Attachment",
    EventKind.PROTOCOL_ANSWER: "Guided-response answer",
    EventKind.MONITORING_ALERT: "Monitoring alert",
    EventKind.ACCESS: "Who may see it",
    EventKind.CASE_TEAM: "Case team",
    EventKind.EMERGENCY_ACCESS: "Emergency access",
}


# What a DSL records, each with its wording: the forms offer these, the services check against them, and the
# guided-response protocols may name them as required actions.
ACTION_KINDS = {
    "spoke_with_child": "Spoke with the child",
    "informed_parents": "Informed parents or carers",
    "not_informing_parents": "Decided not to inform parents or carers",
    "referral": "Referral",
    "agency_report": "Report to an agency",
    "other": "Other action",
}
# The actions that go to another agency: recorded as referrals in the chronology.
REFERRAL_KINDS = frozenset({"referral", "agency_report"})
REFERRAL_TARGETS = {
    "childrens-social-care": "Children's social care",
    "police": "Police",
    "lado": "Local authority designated officer (LADO)",
    "early-help": "Early help",
    "camhs": "Child and adolescent mental health services (CAMHS)",
}
# How a referral target reads inside a sentence ("Referral to children's social care").
REFERRAL_TARGETS_IN_TEXT = {
    "childrens-social-care": "children's social care",
    "police": "the police",
    "lado": "the local authority designated officer (LADO)",
    "early-help": "early help",
    "camhs": "child and adolescent mental health services (CAMHS)",
}
DECISION_KINDS = {
    "refer": "Refer to another agency",
    "not_to_refer": "Not to refer",
    "monitor": "Monitor in school",
    "early_help": "Offer early help",
    "no_further_action": "No further action",
    "other": "Other decision",
}
