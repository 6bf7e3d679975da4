"""Column types and SQL constructs shared by the models and queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import JSON, DateTime, literal_column
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned as an aware UTC datetime.

    SQLite keeps no time zone and PostgreSQL converts on the way out; storing naive UTC and attaching UTC on
    load gives the same answer on both, so a time never shifts between the embedded and production database.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC; refuse a naive one, whose zone would be a guess."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to the stored naive value."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class json_rows(FunctionElement[Any]):
    """Aggregate: the rows of a group as one JSON array of arrays, ``[[a, b], [a, b], …]``, read back as Python
    lists (``None`` when the group is empty on PostgreSQL, ``[]`` on SQLite).

    A page that shows several small lists (the queue's DSLs, overdue follow-ups, counts by status…) can read them
    all in one statement instead of one each: each statement costs more in the app than the index lookups it runs.
    The order of rows within the array is not guaranteed on SQLite, so put a sort key in each row and sort in Python.
    Timestamps arrive as ISO text (naive UTC, as stored); :func:`utc_from_json` reads them back.
    """

    type = JSON()
    inherit_cache = True
    name = "json_rows"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@overload
def utc_from_json(value: str) -> datetime: ...
@overload
def utc_from_json(value: None) -> None: ...
def utc_from_json(value: str | None) -> datetime | None:
    """A stored timestamp read from :class:`json_rows` (ISO text of naive UTC) as an aware UTC datetime."""
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class json_objects(FunctionElement[Any]):
    """Aggregate: the rows of a group as one JSON array of objects keyed by name, ``[{"id": 1, …}, …]``, read back as
    Python dicts (``None`` when the group is empty on PostgreSQL, ``[]`` on SQLite).

    Like :class:`json_rows`, but each row is decoded by name rather than by position. Keys are written by the code
    (``json_objects(id=Concern.id, …)``), never taken from input. Row order within the array is not guaranteed on
    SQLite: sort in Python.
    """

    type = JSON()
    inherit_cache = True
    name = "json_objects"

    def __init__(self, **columns: Any) -> None:
        pairs: list[Any] = []
        for key, column in columns.items():
            if not key.isidentifier():
                raise ValueError(f"not a key: {key!r}")
            pairs += [literal_column(f"'{key}'"), column]
        super().__init__(*pairs)


@compiles(json_objects, "postgresql")
def _json_objects_postgresql(element: json_objects, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg(json_build_object({compiler.process(element.clauses, **kw)}))"


@compiles(json_objects, "sqlite")
def _json_objects_sqlite(element: json_objects, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_object({compiler.process(element.clauses, **kw)}))"


def json_nested(value: Any) -> Any:
    """A JSON value read through a subquery: SQLite passes it on as text, PostgreSQL as JSON."""
    return json.loads(value) if isinstance(value, str) else value
