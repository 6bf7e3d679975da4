"""A trust of two schools (Oakfield and Elmwood), a DSL who covers both, and a pupil with a concern in each."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from safeguard.auth import services as auth_services
from safeguard.auth.models import Role, User
from safeguard.concerns.models import Concern
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.trusts import store
from tests import factories


@dataclass
class TrustSetting:
    """The trust, its two schools, the DSL of both, and a concern in each school."""

    trust_id: int
    oak: factories.SchoolWithStaff
    elm: factories.SchoolWithStaff
    shared_dsl: User
    oak_concern: Concern
    elm_concern: Concern


@pytest.fixture
def trust(app, school, other_school) -> TrustSetting:
    return build_trust(school, other_school)


def build_trust(school: factories.SchoolWithStaff, other_school: factories.SchoolWithStaff) -> TrustSetting:
    """Put the two schools in a trust, with a DSL of both and a concern in each; committed."""
    trust_id = store.add_trust("Riverside Learning Trust", utcnow())
    store.set_trust(school.school.id, trust_id)
    store.set_trust(other_school.school.id, trust_id)
    shared = factories.user(school.school, Role.DSL, email="sam.cover@oak.example", name="Sam Cover")
    auth_services.set_school_roles(shared, other_school.school, {Role.DSL}, actor=None)
    db.session.commit()
    amira = factories.pupil(school.school, "Amira", "Hassan")
    bilal = factories.pupil(other_school.school, "Bilal", "Hassan")
    oak_concern = factories.concern(school.staff, [amira])
    elm_concern = factories.concern(
        other_school.staff,
        [bilal],
        account="At 9:05 Bilal said he had not eaten since Friday and his brother had to look after him.",
        categories=("abuse-neglect",),
    )
    db.session.commit()
    return TrustSetting(trust_id, school, other_school, shared, oak_concern, elm_concern)
