"""The words of a concern about an adult: its tracks, the adult's relation to the school, interim measures, the
KCSIE outcome codes and the kinds of entry in a case's chronology. Plain values, for forms, services and reports."""

from __future__ import annotations

import enum


class Track(enum.StrEnum):
    """The two tracks of KCSIE Part 4."""

    # May meet the harm threshold: the case manager discusses it with the LADO within one working day.
    ALLEGATION = "allegation"
    # Does not meet the harm threshold: recorded, and reviewed for patterns.
    LOW_LEVEL = "low_level"

    @property
    def label(self) -> str:
        """The track as a page names it."""
        return TRACK_LABELS[self]


TRACK_LABELS = {
    Track.ALLEGATION: "Allegation (may meet the harm threshold)",
    Track.LOW_LEVEL: "Low-level concern",
}


class Routed(enum.StrEnum):
    """Who manages the case by their role: the head, or the chair of governors when the adult is the head."""

    HEAD = "head"
    CHAIR = "chair"

    @property
    def label(self) -> str:
        """Who the case went to, as the reporter and the case page say it."""
        return "the head teacher" if self is Routed.HEAD else "the chair of governors"


OPEN = "open"
CLOSED = "closed"

# The adult's relation to the school (KCSIE Part 4 covers all of them).
RELATIONS = {
    "staff": "Member of staff",
    "supply": "Supply staff",
    "volunteer": "Volunteer",
    "contractor": "Contractor",
    "governor": "Governor or trustee",
    "other": "Other adult working with children",
}

# The writer's view of the harm threshold. "Yes" and "not sure" start the allegation track: the case manager decides.
THRESHOLD = {
    "yes": "Yes, it may meet the harm threshold",
    "unsure": "I am not sure",
    "no": "No, it is a low-level concern",
}

# Interim arrangements while an allegation is looked into.
INTERIM_MEASURES = {
    "none": "No interim measures",
    "suspension": "Suspension",
    "redeployment": "Redeployment to other duties",
    "no_contact": "No unsupervised contact with children",
    "supervision": "Supervision or a named contact",
    "other": "Other measure",
}

# The outcome of an allegation, with KCSIE's definitions (Part 4, section 1).
OUTCOMES = {
    "substantiated": ("Substantiated", "There is sufficient evidence to prove the allegation."),
    "malicious": (
        "Malicious",
        "There is sufficient evidence to disprove the allegation and there has been a deliberate act to deceive.",
    ),
    "false": ("False", "There is sufficient evidence to disprove the allegation."),
    "unsubstantiated": (
        "Unsubstantiated",
        "There is insufficient evidence either to prove or disprove the allegation; this does not imply guilt or "
        "innocence.",
    ),
    "unfounded": (
        "Unfounded",
        "There is no evidence or proper basis which supports the allegation being made.",
    ),
}
# The outcome of a low-level concern reviewed and closed.
LOW_LEVEL_OUTCOME = "reviewed"


class EntryKind(enum.StrEnum):
    """What an entry of a case's chronology records."""

    RAISED = "raised"
    TRACK = "track"
    LADO = "lado"
    ESCALATED = "escalated"
    INTERIM = "interim"
    OUTCOME = "outcome"
    ACCESS = "access"
    DEPUTY = "deputy"
    NOTE = "note"
    EXPORTED = "exported"


# Low-level concerns about one adult: this many within PATTERN_MONTHS prompt the case manager to consider whether
# together they meet the harm threshold.
PATTERN_COUNT = 3
PATTERN_MONTHS = 12
# Allegations are kept until the adult's normal retirement age or this many years from the allegation, whichever is
# longer (KCSIE Part 4).
RETENTION_YEARS = 10
