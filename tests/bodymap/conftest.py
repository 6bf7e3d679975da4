"""Fixtures for the body map: pupils at the first school."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def pupils(school):
    """Two pupils at the first school."""
    return [
        factories.pupil(school.school, "Amira", "Haddad"),
        factories.pupil(school.school, "Oliver", "Bennett"),
    ]
