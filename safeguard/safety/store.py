"""The safety check's reads: what the banners need on every page, in one statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Label, bindparam, select
from sqlalchemy.sql.elements import BindParameter

from safeguard.auth import store as accounts
from safeguard.core.sqltypes import UTCDateTime
from safeguard.core.statements import transaction_connection
from safeguard.notifications import store as alerts


def banner_state_columns(
    school_id: BindParameter[Any], today: BindParameter[Any], now: BindParameter[Any]
) -> list[Label[Any]]:
    """What the banners depend on, as labelled sub-queries (``last_beat``, ``cover``): a page that reads its own
    statement anyway (the queue) adds them to it and decodes them with :func:`banner_state_of`."""
    return [alerts.last_beat_column(), accounts.cover_count_column(school_id, today, now)]


_BANNER_STATE = select(
    *banner_state_columns(
        bindparam("school_id"), bindparam("today", type_=Date()), bindparam("now", type_=UTCDateTime())
    )
)


@dataclass(frozen=True)
class BannerState:
    """When the worker last finished a pass (``None``: never), and how many DSLs are the school's cover."""

    last_beat: datetime | None
    cover: int


def banner_state(school_id: int, today: date, now: datetime) -> BannerState:
    """What the banners of a page depend on, in one statement."""
    return banner_state_of(
        transaction_connection().execute(_BANNER_STATE, {"school_id": school_id, "today": today, "now": now}).one()
    )


def banner_state_of(row: Any) -> BannerState:
    """The banners' state from a row holding the columns of :func:`banner_state_columns`, by their labels."""
    return BannerState(row.last_beat, row.cover or 0)
