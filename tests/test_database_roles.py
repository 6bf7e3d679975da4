"""Least privilege on PostgreSQL: the app connects as a role that owns nothing, the migrations run as the owner
(``MIGRATION_DATABASE_URL``) and grant the app's role only what it needs (issue 21)."""

from __future__ import annotations

import io
import os
import secrets
import string
from collections.abc import Iterator

import pytest
from flask_migrate import upgrade
from pypdf import PdfReader
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from safeguard import create_app
from safeguard.concerns import services
from safeguard.core.extensions import db as _db
from safeguard.exports import services as exports
from tests import factories
from tests.conftest import IsolatedClient, base_config

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only")


class Deployment:
    """A database owned by one role and used by another, as the README's deployment section sets them up."""

    def __init__(self, server_url: str) -> None:
        url = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
        suffix = secrets.token_hex(4)
        self.owner, self.app_role, self.name = f"sg_owner_{suffix}", f"sg_app_{suffix}", f"safeguard_roles_{suffix}"
        self.server = create_engine(url, isolation_level="AUTOCOMMIT")
        with self.server.connect() as connection:
            connection.execute(text(f"CREATE ROLE {self.owner} LOGIN NOSUPERUSER NOCREATEROLE"))
            connection.execute(text(f"CREATE ROLE {self.app_role} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB"))
            connection.execute(text(f"CREATE DATABASE {self.name} OWNER {self.owner}"))
        database = url.set(database=self.name)
        self.owner_url = database.set(username=self.owner).render_as_string(hide_password=False)
        self.app_url = database.set(username=self.app_role).render_as_string(hide_password=False)

    def drop(self) -> None:
        with self.server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
            connection.execute(text(f"DROP ROLE IF EXISTS {self.app_role}"))
            connection.execute(text(f"DROP ROLE IF EXISTS {self.owner}"))
        self.server.dispose()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    made = Deployment(os.environ["TEST_DATABASE_URL"])
    tmp = tmp_path_factory.mktemp("roles")
    app = create_app(base_config(made.app_url, tmp) | {"MIGRATION_DATABASE_URL": made.owner_url})
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    yield made
    made.drop()


@pytest.fixture
def limited_app(deployment, tmp_path):
    """The app, connecting as the role that owns nothing."""
    app = create_app(base_config(deployment.app_url, tmp_path))
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


def test_the_schema_belongs_to_the_owner_and_the_app_role_owns_nothing(limited_app, deployment):
    owners = {
        row.tableowner
        for row in _db.session.execute(text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'"))
    }
    assert owners == {deployment.owner}
    assert _db.session.scalar(text("SELECT current_user")) == deployment.app_role
    assert not _db.session.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE concern_events DISABLE TRIGGER concern_events_append_only",
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "ALTER TABLE concerns ADD COLUMN rewritten text",
        "DROP TRIGGER concerns_keep_facts ON concerns",
        "SET session_replication_role = replica",
        "UPDATE concern_events SET summary = 'Rewritten'",
        "DELETE FROM concern_events",
        "UPDATE audit_events SET summary = 'Rewritten'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "DELETE FROM record_links",
        "UPDATE body_marks SET region_label = 'Rewritten'",
        "DELETE FROM concerns",
        "UPDATE concerns SET account = 'Rewritten'",
        "CREATE TABLE shadow (id integer)",
    ],
)
def test_the_app_role_cannot_rewrite_the_records(limited_app, statement):
    code = "".join(secrets.choice(string.ascii_uppercase) for _ in range(5))
    school = factories.school_with_staff(code, "Rowan School")
    child = factories.pupil(school.school, "Amira", "Haddad")
    factories.concern(school.staff, [child])
    with pytest.raises(DatabaseError):
        _db.session.execute(text(statement))
        _db.session.flush()
    _db.session.rollback()


def test_the_app_works_as_the_limited_role(limited_app, tmp_path):
    school = factories.school_with_staff("LIM", "Limes Primary School")
    child = factories.pupil(school.school, "Amira", "Haddad")
    client = limited_app.test_client()
    factories.sign_in(client, school.staff)
    page = client.get("/concerns/new")
    assert page.status_code == 200
    concern = factories.concern(school.staff, [child])
    services.acknowledge(concern, school.dsl, None)
    services.add_addendum(concern, school.staff, "Amira later said it had happened twice before.")
    _db.session.commit()
    dsl = limited_app.test_client()
    factories.sign_in(dsl, school.dsl)
    assert dsl.get(f"/concerns/{concern.id}").status_code == 200
    assert dsl.get("/concerns/?q=Amira").status_code == 200
    exported = exports.export_concern(concern, school.dsl, "Referral to children's social care")
    _db.session.commit()
    assert "Amira" in PdfReader(io.BytesIO(exported.pdf)).pages[0].extract_text()
    runner = limited_app.test_cli_runner()
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    from safeguard.notifications.cli import run_once

    run_once()
