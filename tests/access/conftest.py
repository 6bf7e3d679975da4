"""Fixtures for confidentiality: a lead DSL and a deputy, and pupils (``browser_of``, a browser signed in as
anyone, is in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from safeguard.auth import services as auth_services
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
