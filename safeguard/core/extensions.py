"""Extension objects, created here and bound to an app in :func:`safeguard.create_app`."""

from __future__ import annotations

import select
import sqlite3
from typing import TYPE_CHECKING, Any, ClassVar

from flask import session
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool

# Constraint names are fixed before the first migration so that Alembic can alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model, carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model names its table, so its __table__ is a Table (SQLAlchemy types it as any FROM clause), whose
        # insert() and update() the stores use.
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # At run time db.Model is a class that Flask-SQLAlchemy builds from Base, which a type checker cannot follow as a
    # base class; for it, a model is a Base (whose Mapped[] columns are all it needs).
    Model = Base
else:
    Model = db.Model


class SignedInLoginManager(LoginManager):  # type: ignore[misc]  # Flask-Login ships no type hints
    """Flask-Login's manager, its session protection applied to signed-in sessions only.

    Flask-Login checks every session that holds anything, and on an anonymous one (the sign-in form's CSRF token, a
    pending second factor) it marks a remember-me cookie to be cleared, which writes to the session. Every anonymous
    request then sent the session cookie back, so a request still in flight when the sign-in form was posted (the
    tab's icon, say) replaced the cookie the sign-in had just set with the one from before it, and the second step
    asked the person to sign in again. An anonymous session has nobody signed in to protect.
    """

    def _session_protection_failed(self) -> bool:
        if "_user_id" not in session:
            return False
        return bool(super()._session_protection_failed())


migrate = Migrate()
login_manager = SignedInLoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    """Put an SQLite database in write-ahead-log mode (kept in the file; a no-op once set).

    In SQLite's default rollback-journal mode a reader blocks a writer's commit and a commit blocks every reader:
    with several workers, a DSL opening the queue waited for a teacher logging a concern. In WAL mode readers and
    the one writer run side by side. Durability is unchanged: ``synchronous`` stays at its default (FULL).
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA journal_mode=WAL").close()


@event.listens_for(Engine, "connect")
def _postgresql_without_jit(dbapi_connection: Any, _record: Any) -> None:
    """Turn PostgreSQL's just-in-time compilation off for Safeguard's connections.

    JIT pays for itself on analytical queries that run for seconds; Safeguard's run for milliseconds. The planner
    turns it on by estimated cost, and the access condition's sub-plans inflate the estimate: the queue filtered by
    category, page 29, ran in 13 ms and spent 167 ms more compiling its 369 expressions, on every execution.
    """
    if getattr(dbapi_connection, "pgconn", None) is None:  # psycopg 3 only; SQLite has no JIT
        return
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a setting for the session, outside any transaction
    dbapi_connection.execute("SET jit = off")
    dbapi_connection.autocommit = autocommit


@event.listens_for(Pool, "checkout")
def _closed_by_the_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled PostgreSQL connection that the server has closed; the pool then opens a fresh one.

    A connection waiting in the pool has nothing to read unless the server has ended it (a restart, a fail-over,
    an administrator, an idle timeout): its socket then holds the server's goodbye and end of file. Looking at the
    socket costs nothing, where SQLAlchemy's pre-ping sent a "SELECT 1" and waited for the answer at the start of
    every request. A connection that dies after this look fails its request, as it would after a ping.
    """
    pgconn = getattr(dbapi_connection, "pgconn", None)  # psycopg 3; SQLite has no server to lose
    if pgconn is None:
        return
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the database connection is closed")
    readable, _, _ = select.select([pgconn.socket], [], [], 0)
    if readable:
        raise DisconnectionError("the database server closed the connection")
