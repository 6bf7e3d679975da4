"""The safety check's reads: what the banners need on every page, in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, bindparam, select

from safeguard.auth import store as accounts
from safeguard.core.extensions import db
from safeguard.core.sqltypes import UTCDateTime
from safeguard.notifications import store as alerts

_BANNER_STATE = select(
    alerts.last_beat_column(),
    accounts.cover_count_column(
        bindparam("school_id"), bindparam("today", type_=Date()), bindparam("now", type_=UTCDateTime())
    ),
)


@dataclass(frozen=True)
class BannerState:
    """When the worker last finished a pass (``None``: never), and how many DSLs are the school's cover."""

    last_beat: datetime | None
    cover: int


def banner_state(school_id: int, today: date, now: datetime) -> BannerState:
    """What the banners of a page depend on, in one statement."""
    row = db.session.execute(_BANNER_STATE, {"school_id": school_id, "today": today, "now": now}).one()
    return BannerState(row.last_beat, row.cover or 0)
