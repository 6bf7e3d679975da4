"""Values prepared for the concern templates: what a long list shows, computed once per line in Python and handed
to a template that writes the markup (``concerns/_chronology_lines.html``).

A child with 200 concerns has about 750 chronology entries, each with a time to put in the school's zone and to
write out; doing that here, rather than through a filter per line in the template, keeps the page's cost per line
low while the markup stays in the template.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from safeguard.concerns.states import REFERRAL_TARGETS, EventKind, Part
from safeguard.concerns.store import ChronologyEntry, EventRow
from safeguard.core.formatting import format_local
from safeguard.protocols import AGENCY_PREFIX
from safeguard.terminology import get_vocabulary

_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)
_IN_CHRONOLOGY = {part.value: part.in_chronology for part in Part}


class ChronologyLine(NamedTuple):
    """One line of a child's chronology, as the page shows it."""

    when: str
    concern_id: int
    reference: str
    part: str
    summary: str


def local_time(stored: datetime, zone: ZoneInfo) -> datetime:
    """A stored time (naive UTC) as the zone's wall-clock time, to the second (a chronology shows minutes).

    From the whole seconds since the epoch: exact, and cheaper than attaching UTC and converting.
    """
    return datetime.fromtimestamp((stored - _EPOCH) // _SECOND, zone)


def chronology_lines(entries: Iterable[ChronologyEntry], zone: ZoneInfo) -> list[ChronologyLine]:
    """The lines of a child's chronology, newest first, with times in the school's zone."""
    return [
        ChronologyLine(
            format_local(local_time(entry.at, zone)),
            entry.concern_id,
            entry.reference,
            _IN_CHRONOLOGY[entry.part],
            entry.summary,
        )
        for entry in entries
    ]


def entry_line(event: EventRow) -> str:
    """An entry's line on the concern page: its summary, except a guided-response answer, which is written from its
    detail with the whole step (its summary may be shortened, and entries of early versions cut the step short)."""
    detail = event.detail or {}
    if event.kind != EventKind.PROTOCOL_ANSWER or not detail.get("step_text"):
        return event.summary
    return f"{detail.get('protocol_title', '')}: {detail['step_text']} — {detail.get('answer_label', '')}"


def action_target_label(target: str) -> str:
    """Who an action a guided response requires goes to, by name: a referral target ("Police") or an agency
    (``agency:iwf``, "Internet Watch Foundation")."""
    if target.startswith(AGENCY_PREFIX):
        agency = get_vocabulary().agency(target.removeprefix(AGENCY_PREFIX))
        return agency.name if agency is not None else target.removeprefix(AGENCY_PREFIX)
    return REFERRAL_TARGETS.get(target, target)
