"""Fixtures for the concern workflow: pupils (the SMTP server, ``mailbox``, is in the suite's conftest)."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def pupils(school):
    """Three pupils at the first school."""
    return [
        factories.pupil(school.school, "Amira", "Haddad", child_in_need=True),
        factories.pupil(school.school, "Oliver", "Bennett"),
        factories.pupil(school.school, "Zoë", "Kowalczyk"),
    ]
