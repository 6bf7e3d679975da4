"""Writing and verifying the audit log."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from flask import current_app, g, has_request_context, request
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from safeguard.audit.models import AuditEvent
from safeguard.auth.models import User
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.core.statements import hold_until_commit, transaction_connection

logger = logging.getLogger("safeguard.audit")

GENESIS = "0" * 64
# Key for PostgreSQL advisory locks that serialise appends to one chain.
_LOCK_NAMESPACE = 0x5AFE


def _content_hash(event: AuditEvent) -> str:
    """Hash the row's content together with the previous row's hash."""
    content = {
        "chain": event.chain,
        "seq": event.seq,
        "school_id": event.school_id,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "kind": event.kind,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "summary": event.summary,
        "detail": event.detail or {},
        "ip_address": event.ip_address,
        "prev_hash": event.prev_hash,
    }
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


# Built once: every view of a concern or a child's record appends to the chain, and building these statements cost as
# much as running them.
_CHAIN_HEAD = (
    select(AuditEvent.seq, AuditEvent.hash)
    .where(AuditEvent.chain == bindparam("chain"))
    .order_by(AuditEvent.seq.desc())
    .limit(1)
)
# The chains whose lock the connection's current transaction holds: (that transaction, their numbers).
_CHAINS_HELD = "safeguard.audit.chains_held"
_COLUMNS = [c.key for c in AuditEvent.__table__.columns if c.key != "id"]
_APPEND = AuditEvent.__table__.insert().returning(AuditEvent.__table__.c.id)


def lock_chain(connection: Connection, chain: int) -> None:
    """Hold the chain to the commit. Two requests appending to one chain at once would both read the same last row
    and collide on the (chain, seq) unique constraint; with the lock taken first, the second waits and then reads
    the first's row.

    Taken once per transaction: a request that appends several rows (logging a concern seals the concern and its
    first entry, then audits it) finds the lock already held, and does not ask the database again.
    """
    # The innermost transaction: a lock taken in a savepoint that was rolled back is not counted as held.
    transaction = connection.get_nested_transaction() or connection.get_transaction()
    held: tuple[Any, set[int]] | None = connection.info.get(_CHAINS_HELD)
    if held is not None and held[0] is transaction and chain in held[1]:
        return
    if held is None or held[0] is not transaction:
        held = connection.info[_CHAINS_HELD] = (transaction, set[int]())
    hold_until_commit(connection, _LOCK_NAMESPACE, chain, "audit_events")
    held[1].add(chain)


def record(
    kind: str,
    summary: str,
    *,
    school_id: int | None,
    actor_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event to the school's audit chain in the current transaction.

    (Seven parameters: the row's own columns, all but the first two named at the call, rather than a dictionary
    whose keys no checker sees.)

    :param kind: a dotted event name, for example ``concern.viewed``.
    :param summary: one line for a human reader; never a child's name or the text of a concern.
    :param detail: JSON-serialisable facts (ids, before and after values).
    :returns: the row as written (not kept in the session: nothing may change it).
    """
    chain = school_id or 0
    # What the caller added goes first: its ids may be this row's subject. Every view of a record comes here.
    connection = transaction_connection()
    lock_chain(connection, chain)
    last = connection.execute(_CHAIN_HEAD, {"chain": chain}).first()
    event = AuditEvent(
        chain=chain,
        seq=(last.seq + 1) if last else 1,
        school_id=school_id,
        at=utcnow(),
        actor_id=actor_id,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        summary=summary[:300],
        detail=detail or {},
        ip_address=request.remote_addr if has_request_context() else None,
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = _content_hash(event)
    # A plain insert, like every write (ARCHITECTURE.md): the row is never changed afterwards, so the session's
    # unit of work would have nothing to track.
    event.id = connection.execute(_APPEND, {c: getattr(event, c) for c in _COLUMNS}).scalar_one()
    logger.info("%s school=%s actor=%s subject=%s:%s", kind, school_id, actor_id, subject_type, subject_id)
    return event


@dataclass(frozen=True)
class _Read:
    """A read audited in this request, to append again if the request is rolled back."""

    kind: str
    summary: str
    school_id: int
    actor_id: int | None
    subject_type: str | None
    subject_id: int | None
    detail: dict[str, Any] | None

    def record(self) -> AuditEvent:
        return record(
            self.kind,
            self.summary,
            school_id=self.school_id,
            actor_id=self.actor_id,
            subject_type=self.subject_type,
            subject_id=self.subject_id,
            detail=self.detail,
        )


def record_read(
    kind: str,
    summary: str,
    *,
    school_id: int,
    actor_id: int | None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Audit a read: a record viewed, a search made. Kept even when the request is rolled back.

    A rejected action (a 400 or 409) still shows the whole record, and rolls its transaction back, with the audit
    row of that view in it. So each read is also remembered for the request, and
    :func:`keep_reads_after_rollback` appends it again in a transaction of its own. (Seven parameters: the row's own
    columns, as for :func:`record`.)
    """
    read = _Read(kind, summary, school_id, actor_id, subject_type, subject_id, detail)
    if has_request_context():
        g.setdefault("audit_reads", []).append(read)
    return read.record()


def keep_reads_after_rollback() -> None:
    """After the request's transaction was rolled back, append the reads it audited again, and commit them alone.

    Called by the request's commit hook. A failure here is logged and does not change the answer already made.
    """
    reads = g.pop("audit_reads", None)
    if not reads:
        return
    try:
        for read in reads:
            read.record()
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        logger.error("reads could not be audited after a rollback: %s", type(error).__name__)


def words_digest(words: Sequence[str]) -> str:
    """A keyed digest of the words of a search, for the audit log, which never keeps the words themselves: they are
    most often a child's name or what happened to them, and administrators read the log without reading concerns.
    Whoever holds the server's key can check whether a search was for given words (the order and repeats of the words
    do not matter); if the key is rotated, older digests can no longer be checked."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    normalised = " ".join(sorted({word.lower() for word in words}))
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def record_search(
    kind: str,
    words: Sequence[str],
    results: int,
    *,
    school_id: int,
    actor_id: int,
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit a search of children or records: who searched, how many words and a keyed digest of them
    (:func:`words_digest`), how much was found, and what ``detail`` adds. Kept even if the request is rolled back."""
    record_read(
        kind,
        "Search made",
        school_id=school_id,
        actor_id=actor_id,
        detail={"words": len(words), "words_digest": words_digest(words), "results": results, **(detail or {})},
    )


def record_about_user(
    kind: str, summary: str, user: User, *, actor: User | None = None, detail: dict[str, Any] | None = None
) -> AuditEvent:
    """Audit an event about an account (sign-in, roles, second factor…) in its school's chain.

    :param actor: who did it; ``None`` means the person themselves (or the system, for a lockout).
    """
    return record(
        kind,
        summary,
        school_id=user.school_id,
        actor_id=actor.id if actor is not None else user.id,
        subject_type="user",
        subject_id=user.id,
        detail=detail,
    )


@dataclass(frozen=True)
class BrokenLink:
    """The first row of a chain whose hash does not follow from the rows before it."""

    chain: int
    seq: int
    event_id: int
    reason: str
    # Which chain: the audit log, the records (concerns and their chronology), or an anchor they fail to match.
    log: str = "audit"


def _chains() -> list[int]:
    return list(db.session.scalars(select(AuditEvent.chain).distinct().order_by(AuditEvent.chain)))


def _rows(chain: int, batch: int = 2000) -> Iterator[AuditEvent]:
    last_seq = 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.chain == chain, AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_seq = rows[-1].seq
        for row in rows:  # keep memory flat on a long chain
            db.session.expunge(row)


def audit_chains() -> list[int]:
    """The audit chains that have a row: each school's id, and 0 for deployment-wide events."""
    return _chains()


def audit_head(chain: int) -> tuple[int, str]:
    """The last row of an audit chain and its hash (0 and the genesis hash for an empty chain)."""
    row = db.session.execute(_CHAIN_HEAD, {"chain": chain}).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


@dataclass(frozen=True)
class AuditWalk:
    """What walking one audit chain found."""

    checked: int
    broken: BrokenLink | None
    last_seq: int
    # The hash of each row asked for (the anchored ones).
    hashes: dict[int, str]


def walk_audit(chain: int, wanted: set[int]) -> AuditWalk:
    """Check one audit chain, row by row; keep the hashes of the ``wanted`` rows (the anchored ones)."""
    checked, expected_prev, expected_seq = 0, GENESIS, 1
    hashes: dict[int, str] = {}
    for event in _rows(chain):
        checked += 1
        reason = None
        if event.seq != expected_seq:
            reason = f"row {expected_seq} is missing (found {event.seq})"
        elif event.prev_hash != expected_prev:
            reason = "its previous-hash does not match the row before it"
        elif _content_hash(event) != event.hash:
            reason = "its content does not match its hash (the row was altered)"
        if reason:
            return AuditWalk(checked, BrokenLink(chain, event.seq, event.id, reason), expected_seq - 1, hashes)
        if event.seq in wanted:
            hashes[event.seq] = event.hash
        expected_prev, expected_seq = event.hash, event.seq + 1
    return AuditWalk(checked, None, expected_seq - 1, hashes)


def verify_chains() -> tuple[int, list[BrokenLink]]:
    """Check every audit chain; return the number of rows checked and the first broken link of each broken chain."""
    checked = 0
    broken: list[BrokenLink] = []
    for chain in _chains():
        walked = walk_audit(chain, set())
        checked += walked.checked
        if walked.broken:
            broken.append(walked.broken)
    return checked, broken
