"""Fixtures for concerns about adults: a colleague to raise one about, and a helper raising one through the service."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safeguard.adults import services
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from tests import factories


@pytest.fixture
def colleague(school):
    """A teacher at the first school, the adult a concern is about."""
    account = factories.user(school.school, "staff", email="colleague@oak.example", name="Hannah Lewis")
    db.session.commit()
    return account


@pytest.fixture
def raise_about():
    """Raise a concern about ``subject`` (an account) as ``reporter``, through the service; committed."""

    def _raise(reporter, subject, threshold="yes", pupil_ids=(), now=None, name=""):
        raised = services.raise_concern(
            reporter,
            services.NewAdultConcern(
                subject_user_id=subject.id if subject is not None else None,
                subject_name=name,
                subject_relation="staff",
                subject_role="Class teacher",
                account="During the lesson the adult grabbed a child's arm hard and shouted at the child.",
                happened_at=(now or utcnow()) - timedelta(hours=1),
                location="Classroom 4",
                threshold=threshold,
                pupil_ids=list(pupil_ids),
            ),
            now=now,
        )
        db.session.commit()
        return raised

    return _raise
