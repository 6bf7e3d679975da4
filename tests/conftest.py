"""Shared fixtures: a database built by the migrations, the app, a client, and helpers to sign in by role.

The suite runs on SQLite by default and on PostgreSQL when ``TEST_DATABASE_URL`` names a server (a fresh
database is created on it for the run and dropped afterwards). ``SAFEGUARD_STRICT_TESTS=1`` (set by CI) turns a
missing browser or database into a failure instead of a skip.
"""

from __future__ import annotations

import contextvars
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from safeguard import create_app
from safeguard.core.extensions import db as _db
from tests import factories

STRICT = os.environ.get("SAFEGUARD_STRICT_TESTS") == "1"

hypothesis_settings.register_profile("ci", deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")


def unavailable(what: str) -> None:
    """Skip a test that needs ``what``; fail it instead in strict mode (CI), where nothing may be skipped."""
    if STRICT:
        pytest.fail(f"{what} is not available, and SAFEGUARD_STRICT_TESTS=1 forbids skipping", pytrace=False)
    pytest.skip(f"{what} is not available")


def base_config(database_url: str, instance_path: Path) -> dict:
    """The configuration every test app starts from."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance_path / "instance"),
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(instance_path / "uploads"),
        "RATELIMIT_ENABLED": False,
        # Argon2id still, at a cost that keeps the suite fast.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 1024,
        "ARGON2_PARALLELISM": 1,
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": 1,
    }


def _migrate(database_url: str, instance_path: Path) -> None:
    """Build the schema the only way it is ever built: by running the migrations."""
    from flask_migrate import upgrade

    app = create_app(base_config(database_url, instance_path))
    with app.app_context():
        upgrade()
        _db.engine.dispose()


class Database:
    """The test run's database: how to give each test a clean copy of the migrated schema."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        server_url = os.environ.get("TEST_DATABASE_URL")
        self.postgres = bool(server_url)
        if self.postgres:
            self._create_postgres(server_url)
        else:
            self.template = tmp / "template.sqlite"
            _migrate(f"sqlite:///{self.template}", tmp)
        self.counter = 0

    def _create_postgres(self, server_url: str) -> None:
        url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
        self.name = f"safeguard_test_{secrets.token_hex(4)}"
        self.admin_engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with self.admin_engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        except Exception as error:  # the server named by TEST_DATABASE_URL must be there: always a failure
            pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL cannot be used: {error}", returncode=3)
        self.url = url.set(database=self.name).render_as_string(hide_password=False)
        _migrate(self.url, self.tmp)
        engine = create_engine(self.url)
        tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
        engine.dispose()
        self.truncate_sql = "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"

    def fresh(self) -> str:
        """Return the URL of a database holding the migrated schema and no rows."""
        if self.postgres:
            engine = create_engine(self.url)
            with engine.begin() as connection:
                connection.execute(text(self.truncate_sql))
            engine.dispose()
            return self.url
        self.counter += 1
        path = self.tmp / f"test-{self.counter}.sqlite"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self) -> None:
        """Remove the run's PostgreSQL database."""
        if self.postgres:
            with self.admin_engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin_engine.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory) -> Iterator[Database]:
    """The test run's migrated database."""
    database = Database(tmp_path_factory.mktemp("db"))
    yield database
    database.drop()


@pytest.fixture
def app_config(database, tmp_path) -> dict:
    """The configuration of this test's app; tests may change it before asking for ``app``."""
    return base_config(database.fresh(), tmp_path)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own application context, as in production.

    The test itself holds an application context (for factories and queries). Without this, Flask would reuse
    it for each request, so ``g`` (and with it the CSRF token) and the database session would leak from one
    request to the next and from the test into the app.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(app_config) -> Iterator[Flask]:
    """An app on a clean database, with an application context pushed for the test's own code."""
    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        _db.session.remove()
        _settle_connections()
        _db.engine.dispose()


def _settle_connections(timeout: float = 5.0) -> None:
    """Wait for requests still in flight (a live server's threads) to give their database connection back.

    ``dispose`` closes only the connections in the pool. One still checked out by a request thread would go back
    to the discarded pool afterwards and be closed by the garbage collector, in some later test, as a
    ``ResourceWarning`` that fails that test.
    """
    checkedout = getattr(_db.engine.pool, "checkedout", None)
    if checkedout is None:
        return
    deadline = time.monotonic() + timeout
    while checkedout() and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture
def make_app():
    """Build extra apps with their own configuration; their database connections are closed afterwards."""
    made = []

    def _make(config: dict) -> Flask:
        extra = create_app(config)
        extra.test_client_class = IsolatedClient
        made.append(extra)
        return extra

    yield _make
    for extra in made:
        with extra.app_context():
            # A served extra app (a second school's instance) may still be answering in a request thread.
            _settle_connections()
            _db.engine.dispose()


@pytest.fixture
def db(app):
    """The SQLAlchemy extension, bound to the test database."""
    return _db


@pytest.fixture
def client(app) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def count_statements(app) -> Callable:
    """``with count_statements() as seen:`` collects the SQL of every statement run on the app's engine."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        seen: list[str] = []

        def note(_connection, _cursor, statement, _parameters, _context, _executemany) -> None:
            seen.append(statement)

        event.listen(_db.engine, "before_cursor_execute", note)
        try:
            yield seen
        finally:
            event.remove(_db.engine, "before_cursor_execute", note)

    return counting


@pytest.fixture
def runner(app):
    """A CLI runner for ``flask --app safeguard`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def school(app):
    """A school with one user of each role."""
    return factories.school_with_staff("OAK", "Oakfield Primary School")


@pytest.fixture
def other_school(app):
    """A second school, whose records must never be reachable from the first."""
    return factories.school_with_staff("ELM", "Elmwood Academy")


@pytest.fixture
def sign_in(client):
    """Sign ``client`` in as a user by submitting the real sign-in form."""

    def _sign_in(user, password: str = factories.PASSWORD, follow: bool = True):
        return factories.sign_in(client, user, password, follow_redirects=follow)

    return _sign_in


@pytest.fixture
def browser_of(app):
    """A test client signed in as ``user``: a server-side session started as the sign-in does after the second
    factor (the sign-in forms themselves are walked by tests/test_auth.py and the browser journeys)."""
    from safeguard.auth import sessions

    def _browser(user) -> FlaskClient:
        client = app.test_client()
        token = sessions.start(user, "pytest", "127.0.0.1")
        _db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session[sessions.TOKEN_KEY] = token
        return client

    return _browser


class Mailbox:
    """Messages received by the local SMTP server."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"


@pytest.fixture
def mailbox(app):
    """A real SMTP server on a free port of 127.0.0.1; the app is pointed at it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port)
    yield box
    controller.stop()
