"""Fixtures for confidentiality: a lead DSL and a deputy, pupils, and browsers signed in as anyone."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from safeguard.auth import services as auth_services
from safeguard.auth import sessions
from safeguard.auth.models import Role, User
from safeguard.core.extensions import db
from tests import factories


@dataclass
class Team:
    """The school's people for these tests: the lead DSL, a deputy, the head, two members of staff."""

    lead: User
    deputy: User
    head: User
    staff: User
    pastoral: User


@pytest.fixture
def team(school) -> Team:
    deputy = factories.user(school.school, Role.DSL, email="deputy@oak.example", name="Tom Hughes")
    pastoral = factories.user(school.school, Role.STAFF, email="pastoral@oak.example", name="Pastoral Lead")
    auth_services.set_lead_dsl(school.school, school.dsl.id, actor=None)
    db.session.commit()
    return Team(lead=school.dsl, deputy=deputy, head=school.head, staff=school.staff, pastoral=pastoral)


@pytest.fixture
def children(school):
    return [
        factories.pupil(school.school, "Amira", "Haddad"),
        factories.pupil(school.school, "Oliver", "Bennett"),
    ]


@pytest.fixture
def browser_of(app):
    """A test client signed in as ``user``: a server-side session started as the sign-in does after the second
    factor (the sign-in forms themselves are walked by tests/test_auth.py and the browser journeys)."""

    def _browser(user: User) -> FlaskClient:
        client = app.test_client()
        token = sessions.start(user, "pytest", "127.0.0.1")
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
            session[sessions.TOKEN_KEY] = token
        return client

    return _browser
