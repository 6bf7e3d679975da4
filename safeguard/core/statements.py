"""Plain SQL statements run in the request's one transaction, beside the session's objects."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from safeguard.core.extensions import db


def transaction_connection() -> Connection:
    """The connection of the session's transaction, after flushing what the request has added.

    The pages and actions a DSL uses most (the queue, a child's chronology, logging a concern, its alerts, every
    audit row) run statements built once, of plain columns and rows: through the session's ``execute`` each paid
    for ORM work they do not need. Flushing first keeps what the session's ``execute`` promises: the statement sees
    (and may refer to) whatever the request added before it.
    """
    session = db.session
    session.flush()
    return session.connection()
