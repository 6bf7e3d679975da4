"""Plain SQL statements run in the request's one transaction, beside the session's objects; a batch of records
bound as one parameter."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, TextClause, bindparam, cast, column, func, select, text, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import CTE, Select
from sqlalchemy.types import TypeEngine

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


# ---------------------------------------------------------------------------------------------------------------
# A lock held to the commit

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:namespace, :key)")


@functools.cache
def _no_op_write(table: str) -> TextClause:
    """A write that changes no row of ``table``: on SQLite it takes the database's write lock all the same."""
    return text(f"UPDATE {table} SET rowid = rowid WHERE 0 = 1")  # noqa: S608 - a table name from the code


def hold_until_commit(connection: Connection, namespace: int, key: int, sqlite_table: str) -> None:
    """Wait until no other transaction holds the lock of ``(namespace, key)``, then hold it to this one's end.

    PostgreSQL takes an advisory lock, released at commit or rollback. SQLite locks the whole database for writing,
    so a write statement that changes no row (of ``sqlite_table``, any table the caller writes) takes that lock now,
    waiting for another writer to commit, instead of at the caller's first real write.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(_ADVISORY_LOCK, {"namespace": namespace, "key": key})
    elif connection.dialect.name == "sqlite":
        connection.execute(_no_op_write(sqlite_table))


# ---------------------------------------------------------------------------------------------------------------
# A batch of records as one parameter


def records_json(rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows (each a mapping of column name to value) as the JSON text :func:`records` reads: dates as ISO text
    (as SQLite stores them), booleans as ``true``/``false``, ``None`` as ``null``."""
    return json.dumps(list(rows), default=_json_value, separators=(",", ":"), ensure_ascii=False)


def _json_value(value: Any) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a value a batch of records may carry")


def records(parameter: str, columns: Mapping[str, TypeEngine[Any]], dialect: str) -> CTE:
    """A batch of records bound as one parameter (JSON text from :func:`records_json`), read in SQL as a table whose
    columns are the records' keys, with ``columns``' types.

    A batch of any size is then one statement per table (``INSERT … SELECT``, ``UPDATE … FROM``, ``IN``), planned
    once: never one statement per row, nor one per slice of a few hundred rows (a statement's bound values are
    limited in number). PostgreSQL reads it with ``jsonb_to_recordset``, SQLite with ``json_each`` and
    ``json_extract``; a key missing from a record reads as NULL. The batch is a materialised common table
    expression, read once: joined to a table, it is the side the join starts from, each of its rows finding the
    table's row by an index (SQLite would otherwise scan the JSON again for each row of the table).

    :param dialect: ``postgresql`` or ``sqlite`` (build the statement for each, once).
    """
    bound = bindparam(parameter, type_=String())
    query: Select[Any]
    if dialect == "postgresql":
        typed = [column(name, type_) for name, type_ in columns.items()]
        batch = (
            func.jsonb_to_recordset(cast(bound, JSONB)).table_valued(*typed).render_derived("batch", with_types=True)
        )
        query = select(*(batch.c[name] for name in columns))
    else:
        each = func.json_each(bound).table_valued("value")
        query = select(
            *(
                type_coerce(func.json_extract(each.c.value, f"$.{name}"), type_).label(name)
                for name, type_ in columns.items()
            )
        )
    return query.cte(parameter).prefix_with("MATERIALIZED")
