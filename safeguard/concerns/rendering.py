"""The two long lists a DSL opens most, built as HTML strings: a child's chronology and the rows of the queue.

A child with 200 concerns has about 750 chronology entries, all on their page and the latest 200 beside each of
their concerns; the queue shows 25 concerns with a dozen values each, on the page DSLs open dozens of times a day.
Rendered by Jinja, each value costs a loop step, attribute lookups, a filter call and an escape through Markup:
a chronology line cost about 7 µs and its time another 2 µs, most of the child's page; the queue's rows were nearly half
of its template. Built here as plain strings, every value that comes from a record escaped with
:func:`html.escape`, they cost about a third of that. The markup is the templates',
unchanged; the templates call these through the globals ``chronology_entries`` and ``queue_rows``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from markupsafe import Markup

from safeguard.concerns.models import CHRONOLOGY_PART_LABELS
from safeguard.concerns.queries import QueueRow
from safeguard.core.formatting import format_local, local_datetime

# The part labels are fixed text; escaped once here all the same, so that a label is never written unescaped.
_PART_LABELS = {part: escape(label) for part, label in CHRONOLOGY_PART_LABELS.items()}
_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)


def local_time(stored: datetime, zone: ZoneInfo) -> datetime:
    """A stored time (naive UTC) as the zone's wall-clock time, to the second (a chronology shows minutes).

    From the whole seconds since the epoch rather than by ``replace(tzinfo=UTC).astimezone(zone)``, which costs
    twice as much (1.1 µs against 0.6, about 750 times on a child's page); whole seconds keep it exact.
    """
    return datetime.fromtimestamp((stored - _EPOCH) // _SECOND, zone)


def entries_html(entries: Iterable, zone: ZoneInfo, concern_url_base: str) -> Markup:
    """The ``<li>`` lines of a chronology.

    :param entries: rows of :data:`~safeguard.concerns.queries.ChronologyEntry` (``at`` is naive UTC, as stored).
    :param zone: the school's time zone, in which times are shown.
    :param concern_url_base: the concern pages' URL without the id (``/concerns/``).
    """
    base = escape(concern_url_base)
    lines = []
    append = lines.append
    for at, concern_id, reference, part, summary in entries:
        append(
            '\n  <li class="border-start border-3 ps-3 pb-2">\n    <div class="small text-body-secondary">'
            f'{format_local(local_time(at, zone))} · <a href="{base}{concern_id:d}">{escape(reference)}</a> · '
            f"{_PART_LABELS[part]}</div>\n    <div>{escape(summary)}</div>\n  </li>"
        )
    return Markup("".join(lines))  # noqa: S704 (text from records escaped; times, ids and the rest written here)


_BADGES = (
    ("urgent", '<span class="badge text-bg-danger">Urgent</span>'),
    ("overdue", '<span class="badge text-bg-warning">Overdue</span>'),
    ("follow_up_due", '<span class="badge text-bg-info">Follow-up due</span>'),
)


def queue_rows_html(rows: Iterable[QueueRow], zone: ZoneInfo, concern_url_base: str) -> Markup:
    """The ``<tr>`` rows of the queue's table, one per concern.

    :param zone: the school's time zone, in which the logged times are shown.
    :param concern_url_base: the concern pages' URL without the id (``/concerns/``).
    """
    base = escape(concern_url_base)
    lines = []
    for c in rows:
        badges = "".join(f"\n        {badge}" for flag, badge in _BADGES if getattr(c, flag))
        pupils = "".join(
            f'<span class="d-block">{escape(name)}'
            + (f' <span class="small text-body-secondary">({escape(part.lower())})</span>' if part else "")
            + "</span>"
            for name, part in c.pupils
        )
        lines.append(
            f"""
    <tr class="{"queue-urgent" if c.urgent and c.status == "new" else ""}">
      <th scope="row">
        <a href="{base}{c.id:d}">{escape(c.reference)}</a>{badges}
      </th>
      <td>{pupils}</td>
      <td class="small">{escape("; ".join(c.categories))}</td>
      <td>{escape(c.reporter)}</td>
      <td>{local_datetime(c.logged_at, zone=zone)}</td>
      <td>{escape(c.status.label)}</td>
      <td>{escape(c.assignee or "—")}</td>
      <td>{escape(c.level_of_need or "—")}</td>
    </tr>"""
        )
    return Markup("".join(lines))  # noqa: S704 (text from records escaped; times, ids and the rest written here)
