"""Statements about alerts that other pages read: the signed-in person's unread count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter, Label, func, select

from safeguard.notifications.models import Notification

# An alert is unread until its person opens the concern it is about: the one definition, for every count.
UNREAD = Notification.read_at.is_(None)


def unread_count_column(user_id: BindParameter[Any]) -> Label[Any]:
    """How many unread alerts a person has, as a sub-query labelled ``unread``."""
    return select(func.count()).where(Notification.user_id == user_id, UNREAD).scalar_subquery().label("unread")
