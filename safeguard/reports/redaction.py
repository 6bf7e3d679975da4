"""Redacting other children from a child's file: they become "Child B", "Child C"… consistently.

Names are replaced where they appear in the record's structured data and, by whole word and in any letter
case, in free text (accounts, addenda, the chronology). A name typed with a spelling mistake, or a nickname
the record does not hold, cannot be found this way: a DSL should read the file before sending it.
"""

from __future__ import annotations

import re
import string
from dataclasses import replace
from typing import overload

from safeguard.reports.data import ChildFile, ConcernInfo, EventInfo, PupilInfo, PupilLink


def _aliases(file: ChildFile) -> dict[int, str]:
    """Other children by id, in order of first appearance: B, C, … (A is the child the file is about)."""
    letters = iter(string.ascii_uppercase[1:])
    aliases: dict[int, str] = {}
    for concern in file.concerns:
        for link in concern.pupils:
            if link.pupil.id != file.pupil.id and link.pupil.id not in aliases:
                letter = next(letters, None)
                aliases[link.pupil.id] = f"Child {letter}" if letter else f"Child {len(aliases) + 2}"
    return aliases


def _names(pupil: PupilInfo) -> list[str]:
    parts = [pupil.legal_name, *pupil.legal_name.split()]
    if pupil.preferred_name:
        parts.append(pupil.preferred_name)
        surname = pupil.legal_name.split()[-1] if pupil.legal_name.split() else ""
        parts.append(f"{pupil.preferred_name} {surname}".strip())
    # Longest first, so that "Oliver Bennett" becomes "Child B" rather than "Child B Bennett".
    return sorted({p for p in parts if len(p) > 1}, key=len, reverse=True)


def redact(file: ChildFile) -> tuple[ChildFile, dict[int, str]]:
    """Return the file with other children replaced by aliases, and the aliases used."""
    if file.include_other_children:
        return file, {}
    aliases = _aliases(file)
    if not aliases:
        return file, {}
    subject_words = {w.lower() for w in _names(file.pupil)}
    replacements: list[tuple[re.Pattern, str]] = []
    by_id = {link.pupil.id: link.pupil for c in file.concerns for link in c.pupils}
    for pupil_id, alias in aliases.items():
        for name in _names(by_id[pupil_id]):
            if name.lower() in subject_words:
                continue  # never blank out the child the file is about (a shared surname, for example)
            replacements.append((re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE), alias))

    @overload
    def scrub(value: str) -> str: ...
    @overload
    def scrub(value: None) -> None: ...
    def scrub(value: str | None) -> str | None:
        if not value:
            return value
        for pattern, alias in replacements:
            value = pattern.sub(alias, value)
        return value

    def redact_pupil(link: PupilLink) -> PupilLink:
        if link.pupil.id not in aliases:
            return link
        hidden = PupilInfo(
            id=link.pupil.id,
            upn="redacted",
            legal_name=aliases[link.pupil.id],
            preferred_name=None,
            date_of_birth=link.pupil.date_of_birth.replace(month=1, day=1),
            year_group="",
            class_name="",
            flags=(),
            left_on=None,
            destination=None,
        )
        return PupilLink(pupil=hidden, part=link.part)

    def redact_concern(concern: ConcernInfo) -> ConcernInfo:
        return replace(
            concern,
            account=scrub(concern.account),
            already_done=scrub(concern.already_done),
            pupils=tuple(redact_pupil(link) for link in concern.pupils),
            addenda=tuple(replace(a, text=scrub(a.text)) for a in concern.addenda),
            events=tuple(
                EventInfo(
                    at=e.at,
                    actor=e.actor,
                    kind=e.kind,
                    summary=scrub(e.summary),
                    details=tuple(scrub(d) for d in e.details),
                    follow_up_on=e.follow_up_on,
                )
                for e in concern.events
            ),
            outcome_rationale=scrub(concern.outcome_rationale),
            marks=tuple(
                replace(
                    m,
                    child=aliases.get(m.pupil_id, m.child),
                    shape=scrub(m.shape),
                    colour=scrub(m.colour),
                    child_words=scrub(m.child_words),
                )
                for m in concern.marks
            ),
        )

    return replace(file, concerns=tuple(redact_concern(c) for c in file.concerns)), aliases
