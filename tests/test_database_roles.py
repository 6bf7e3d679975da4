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
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from safeguard import create_app
from safeguard.auth import approvals
from safeguard.auth.models import Role
from safeguard.bodymap.services import NewMark
from safeguard.concerns import services as concern_services
from safeguard.concerns.models import Concern
from safeguard.core.extensions import db as _db
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
    concern = factories.concern(school.staff, [child])
    # A mark on the body map too, so that every statement has rows to refuse: the app's role may update the
    # chronology and the marks (a disposal's change), so there it is the triggers that refuse.
    concern_services.add_marks(
        concern, school.staff, [NewMark(region_id="forearm", side="left", kind="bruise", length_cm="2")]
    )
    _db.session.commit()
    with pytest.raises(DatabaseError):
        _db.session.execute(text(statement))
        _db.session.flush()
    _db.session.rollback()


def test_the_app_works_as_the_limited_role(limited_app):
    """The journeys of a concern through the real forms, with the app connecting as the role that owns nothing."""
    school = factories.school_with_staff("LIM", "Limes Primary School")
    child = factories.pupil(school.school, "Amira", "Haddad")
    teacher = limited_app.test_client()
    factories.sign_in(teacher, school.staff)
    logged = factories.submit_form(
        teacher,
        "/concerns/new",
        {
            "immediate_danger": "no",
            "observed_at": "2026-11-23T09:30",
            "location": "Year 6 classroom",
            "categories": ["abuse-physical"],
            "account": 'Amira said "my dad hit me with a belt last night". She has a bruise on her upper arm.',
            "already_done": "Listened and told her I would share it with the DSL.",
            "pupils-0-pupil_id": str(child.id),
            "pupils-0-part": "subject",
        },
        follow_redirects=True,
    )
    assert "Your concern has been sent to the DSL team" in logged.get_data(as_text=True)
    concern = _db.session.scalar(select(Concern).where(Concern.school_id == school.school.id))
    dsl = limited_app.test_client()
    factories.sign_in(dsl, school.dsl)
    acknowledged = factories.submit_form(
        dsl,
        f"/concerns/{concern.id}/acknowledge",
        {"acknowledge-version": str(concern.version)},
        form_url=f"/concerns/{concern.id}",
        follow_redirects=True,
    )
    assert "Acknowledged." in acknowledged.get_data(as_text=True)
    assert dsl.get("/concerns/?q=Amira").status_code == 200
    exported = factories.submit_form(
        dsl, f"/exports/concern/{concern.id}", {"reason": "Referral to children's social care"}
    )
    assert exported.status_code == 200 and exported.mimetype == "application/pdf"
    assert "Amira" in PdfReader(io.BytesIO(exported.data)).pages[0].extract_text()
    # The worker's pass (alerts, escalation, anchoring) and the checks.
    from safeguard.notifications.cli import run_once

    run_once()
    runner = limited_app.test_cli_runner()
    assert runner.invoke(args=["audit", "anchor"]).exit_code == 0
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    # The two-person rule's tables: a proposal, an approval.
    request = approvals.change_roles(school.staff, {Role.STAFF, Role.DSL}, actor=school.admin)
    approvals.approve(request, school.head)
    _db.session.commit()


def test_a_disposal_works_as_the_limited_role_and_the_records_still_verify(limited_app):
    """Retention's disposal replaces a chronology's content: the one change the app's role may make to those rows
    (its UPDATE grant is held in check by the disposal triggers), after sealing the disposal in the records chain."""
    from datetime import date, timedelta

    from safeguard.audit import anchors
    from safeguard.concerns import services as concern_services
    from safeguard.concerns.models import ConcernEvent, Part
    from safeguard.core.sqltypes import utcnow
    from safeguard.retention import services as retention
    from safeguard.retention.models import RetentionReview
    from safeguard.retention.store import DESTROYED

    code = "".join(secrets.choice(string.ascii_uppercase) for _ in range(5))
    school = factories.school_with_staff(code, "Hazel School")
    former = factories.pupil(school.school, "Zebedee", "Ashworth", born=f"{date.today().year - 26}-01-15")
    when = utcnow() - timedelta(days=365 * 15)
    concern = concern_services.log_concern(
        school.staff,
        concern_services.NewConcern(
            pupils=[concern_services.PupilRole(former.id, Part.SUBJECT)],
            observed_at=when - timedelta(hours=1),
            location="Playground",
            category_ids=["abuse-physical"],
            account='Zebedee said "my uncle hurts me" and showed a bruise.',
            already_done="Told the DSL.",
            uploads=[],
        ),
        now=when,
    )
    _db.session.commit()
    (opened,) = retention.open_due_reviews(school.school, utcnow())
    _db.session.commit()
    review = _db.session.get(RetentionReview, opened.review_id)
    disposal = retention.propose_disposal(review, school.dsl, "Retention period over; nothing relevant.", utcnow())
    _db.session.commit()
    retention.approve_disposal(disposal, school.head, utcnow())
    _db.session.commit()
    _db.session.expire_all()
    assert _db.session.get(Concern, concern.id).account == DESTROYED
    entries = _db.session.scalars(select(ConcernEvent).where(ConcernEvent.concern_id == concern.id)).all()
    assert entries and all(entry.summary == DESTROYED for entry in entries)
    result = anchors.verify()
    assert result.broken == []
