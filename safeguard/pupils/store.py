"""Statements about pupils that other pages read: files sent to another school and not yet confirmed as received."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Label, select

from safeguard.core.extensions import db
from safeguard.core.sqltypes import json_nested, json_objects, utc_from_json
from safeguard.pupils.models import Pupil, awaiting_receipt, display_name


class AwaitingReceipt(NamedTuple):
    """A pupil whose file was sent to another school, not yet confirmed as received."""

    pupil_id: int
    display_name: str
    transfer_to: str | None
    transfer_sent_at: datetime


def awaiting_receipt_column(school_id: BindParameter[Any]) -> Label[Any]:
    """The school's transferred files awaiting receipt, as a sub-query labelled ``awaiting``."""
    return (
        select(
            json_objects(
                id=Pupil.id,
                first=Pupil.legal_first_name,
                last=Pupil.legal_last_name,
                preferred=Pupil.preferred_name,
                to=Pupil.transfer_to,
                sent_at=Pupil.transfer_sent_at,
            )
        )
        .where(Pupil.school_id == school_id, awaiting_receipt)
        .scalar_subquery()
        .label("awaiting")
    )


def transfers(value: Any) -> list[AwaitingReceipt]:
    """The files of an :func:`awaiting_receipt_column`, longest waiting first."""
    rows = (
        AwaitingReceipt(
            row["id"],
            display_name(row["first"], row["last"], row["preferred"]),
            row["to"],
            utc_from_json(row["sent_at"]),
        )
        for row in json_nested(value) or ()
    )
    return sorted(rows, key=lambda t: (t.transfer_sent_at, t.pupil_id))


def on_roll(school_id: int, pupil_ids: list[int]) -> dict[int, Pupil]:
    """The pupils of ``pupil_ids`` that are on the school's roll, by id (others are not there)."""
    if not pupil_ids:
        return {}
    query = select(Pupil).where(Pupil.school_id == school_id, Pupil.id.in_(pupil_ids))
    return {pupil.id: pupil for pupil in db.session.scalars(query)}
