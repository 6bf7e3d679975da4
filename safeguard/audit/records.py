"""The records chain: each concern's original account and facts, and each chronology entry, sealed in a hash chain
per school, so that an edited, removed or slipped-in record is found by ``flask --app safeguard audit verify``.

A link holds the SHA-256 of its record's content as written (``content_hash``) and a hash over itself and the
previous link. Verification recomputes both from the rows held now. The chain's head is anchored outside the database
(:mod:`safeguard.audit.anchors`), so a chain rewritten from some row on, or cut short, is caught too.

A concern whose content was disposed of (retention) is verified by its stored hashes: the disposal is sealed first, by
:func:`seal_disposal` in the same transaction, and from then on the concern and its entries may hold other content
(or be gone) while every link still holds. See SECURITY.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, select

from safeguard.audit.models import RecordLink
from safeguard.audit.services import GENESIS, BrokenLink, lock_chain
from safeguard.concerns.models import Concern, ConcernEvent
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.core.statements import transaction_connection

CONCERN = "concern"
EVENT = "event"
DISPOSAL = "disposal"

# A concern's facts as its reporter recorded them (the database's trigger keeps the same columns: migration 0020).
CONCERN_FACTS = (
    "id",
    "school_id",
    "reporter_id",
    "observed_at",
    "logged_at",
    "location",
    "account",
    "already_done",
    "urgent",
    "immediate_danger",
    "vocabulary_version",
    "wording_kept_reason",
)
# Every column of a chronology entry.
EVENT_FIELDS = (
    "id",
    "school_id",
    "concern_id",
    "at",
    "actor_id",
    "kind",
    "summary",
    "text",
    "detail",
    "visible_to_reporter",
)
_FIELDS = {CONCERN: CONCERN_FACTS, EVENT: EVENT_FIELDS, DISPOSAL: ("id",)}


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def _digest(content: Mapping[str, object]) -> str:
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def content_hash(record_type: str, values: Mapping[str, Any]) -> str:
    """The SHA-256 of a record's content: its type and the fields the chain keeps (``CONCERN_FACTS``,
    ``EVENT_FIELDS``), read from ``values`` (a row, an object or a dictionary)."""
    get = values.get if isinstance(values, Mapping) else lambda name: getattr(values, name)
    return _digest({"type": record_type, **{name: _plain(get(name)) for name in _FIELDS[record_type]}})


def _link_hash(link: Mapping[str, Any]) -> str:
    return _digest(
        {
            "chain": link["chain"],
            "seq": link["seq"],
            "at": _plain(link["at"]),
            "record_type": link["record_type"],
            "record_id": link["record_id"],
            "content_hash": link["content_hash"],
            "prev_hash": link["prev_hash"],
        }
    )


_TABLE = RecordLink.__table__
_HEAD = (
    select(RecordLink.seq, RecordLink.hash)
    .where(RecordLink.chain == bindparam("chain"))
    .order_by(RecordLink.seq.desc())
    .limit(1)
)
_APPEND = _TABLE.insert()


def _seal(school_id: int, record_type: str, record_id: int, digest: str) -> None:
    connection = transaction_connection()
    # The audit chain's lock: one lock per school for both chains, so no two transactions can wait for each other.
    lock_chain(connection, school_id)
    last = connection.execute(_HEAD, {"chain": school_id}).first()
    link: dict[str, Any] = {
        "chain": school_id,
        "seq": (last.seq + 1) if last else 1,
        "at": utcnow(),
        "record_type": record_type,
        "record_id": record_id,
        "content_hash": digest,
        "prev_hash": last.hash if last else GENESIS,
    }
    link["hash"] = _link_hash(link)
    connection.execute(_APPEND, link)


def seal_concern(concern: Any) -> None:
    """Seal a new concern's facts (``CONCERN_FACTS``, read from its attributes) in its school's chain."""
    _seal(concern.school_id, CONCERN, concern.id, content_hash(CONCERN, concern))


def seal_event(values: Mapping[str, Any]) -> None:
    """Seal a new chronology entry (every column, with its id) in its school's chain."""
    _seal(int(values["school_id"]), EVENT, int(values["id"]), content_hash(EVENT, values))


def seal_disposal(school_id: int, concern_id: int) -> None:
    """Seal the disposal of a concern's content, before the content is replaced (retention), in the same transaction.

    From then on the concern and its chronology entries are verified by the hashes the chain holds, and the database
    lets the concern's facts be replaced.
    """
    _seal(school_id, DISPOSAL, concern_id, content_hash(DISPOSAL, {"id": concern_id}))


# ---------------------------------------------------------------------------------------------------------------
# Verifying


@dataclass(frozen=True)
class ChainWalk:
    """What walking one school's records chain found."""

    checked: int
    broken: BrokenLink | None
    last_seq: int
    # The hash of each row asked for (the anchored ones).
    hashes: dict[int, str]


def _links(chain: int, batch: int = 2000) -> Iterator[list[RecordLink]]:
    last_seq = 0
    while True:
        rows = list(
            db.session.scalars(
                select(RecordLink)
                .where(RecordLink.chain == chain, RecordLink.seq > last_seq)
                .order_by(RecordLink.seq)
                .limit(batch)
            )
        )
        if not rows:
            return
        yield rows
        last_seq = rows[-1].seq
        for row in rows:
            db.session.expunge(row)


def _contents(links: list[RecordLink]) -> dict[tuple[str, int], dict[str, Any]]:
    """The records the links name, as they are held now, by (type, id)."""
    found: dict[tuple[str, int], dict[str, Any]] = {}
    concern_ids = [link.record_id for link in links if link.record_type == CONCERN]
    event_ids = [link.record_id for link in links if link.record_type == EVENT]
    if concern_ids:
        columns = [getattr(Concern, name) for name in CONCERN_FACTS]
        for row in db.session.execute(select(*columns).where(Concern.id.in_(concern_ids))):
            found[(CONCERN, row.id)] = dict(row._mapping)
    if event_ids:
        columns = [getattr(ConcernEvent, name) for name in EVENT_FIELDS]
        for row in db.session.execute(select(*columns).where(ConcernEvent.id.in_(event_ids))):
            found[(EVENT, row.id)] = dict(row._mapping)
    return found


def _disposed(chain: int) -> set[int]:
    return set(
        db.session.scalars(
            select(RecordLink.record_id).where(RecordLink.chain == chain, RecordLink.record_type == DISPOSAL)
        )
    )


def _content_problem(link: RecordLink, record: dict[str, Any] | None, disposed: set[int]) -> str | None:
    """Why a link's record does not match it, or ``None``."""
    if link.record_type == DISPOSAL:
        return (
            None if link.content_hash == content_hash(DISPOSAL, {"id": link.record_id}) else "the disposal was altered"
        )
    concern_id = link.record_id if link.record_type == CONCERN else (record or {}).get("concern_id")
    if record is None:
        # A disposed concern's entries may be gone; otherwise a record was deleted.
        return None if link.record_type == CONCERN and link.record_id in disposed else f"the {_what(link)} is missing"
    if concern_id in disposed or record["school_id"] != link.chain:
        return None if concern_id in disposed else f"the {_what(link)} was moved to another school"
    if content_hash(link.record_type, record) != link.content_hash:
        return f"the {_what(link)} was altered since it was recorded"
    return None


def _what(link: RecordLink) -> str:
    return (
        f"concern's account (concern {link.record_id})"
        if link.record_type == CONCERN
        else f"chronology entry {link.record_id}"
    )


def _link_problem(link: RecordLink, expected_seq: int, expected_prev: str) -> str | None:
    if link.seq != expected_seq:
        return f"row {expected_seq} is missing (found {link.seq})"
    if link.prev_hash != expected_prev:
        return "its previous-hash does not match the row before it"
    if (
        _link_hash(
            {
                c: getattr(link, c)
                for c in ("chain", "seq", "at", "record_type", "record_id", "content_hash", "prev_hash")
            }
        )
        != link.hash
    ):
        return "the link does not match its hash (the row was altered)"
    return None


def walk(chain: int, wanted: set[int]) -> ChainWalk:
    """Check a school's records chain, link by link and each record against its link; keep the hashes of ``wanted``
    rows (the anchored ones)."""
    disposed = _disposed(chain)
    checked, last_seq, expected_prev = 0, 0, GENESIS
    hashes: dict[int, str] = {}
    for links in _links(chain):
        records = _contents(links)
        for link in links:
            checked += 1
            problem = _link_problem(link, last_seq + 1, expected_prev) or _content_problem(
                link, records.get((link.record_type, link.record_id)), disposed
            )
            if problem:
                return ChainWalk(
                    checked, BrokenLink(chain, link.seq, link.id, problem, log="records"), last_seq, hashes
                )
            if link.seq in wanted:
                hashes[link.seq] = link.hash
            last_seq, expected_prev = link.seq, link.hash
    unsealed = _first_unsealed(chain)
    if unsealed is not None:
        reason = f"chronology entry {unsealed} is not in the chain (added outside the application)"
        return ChainWalk(checked, BrokenLink(chain, last_seq + 1, unsealed, reason, log="records"), last_seq, hashes)
    return ChainWalk(checked, None, last_seq, hashes)


def _first_unsealed(chain: int) -> int | None:
    """The first chronology entry of the school that no link seals (one slipped in under the chain)."""
    sealed = exists().where(
        RecordLink.chain == ConcernEvent.school_id,
        RecordLink.record_type == EVENT,
        RecordLink.record_id == ConcernEvent.id,
    )
    value = db.session.scalar(select(func.min(ConcernEvent.id)).where(ConcernEvent.school_id == chain, ~sealed))
    return int(value) if value is not None else None


def chains() -> list[int]:
    """The schools whose records chain has a link."""
    return list(db.session.scalars(select(RecordLink.chain).distinct().order_by(RecordLink.chain)))


def head(chain: int) -> tuple[int, str]:
    """The last row of a school's records chain and its hash (0 and the genesis hash for an empty chain)."""
    row = db.session.execute(_HEAD, {"chain": chain}).first()
    return (row.seq, row.hash) if row else (0, GENESIS)
