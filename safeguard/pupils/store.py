"""Every statement about pupils: the roll, a pupil, type-ahead, and the files sent to another school and not yet
confirmed as received (a labelled sub-query of the queue's statement). Rows are decoded by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Label, bindparam, func, select

from safeguard.core.extensions import db
from safeguard.core.names import MAX_WORDS, search_patterns
from safeguard.core.sqltypes import json_nested, json_objects, utc_from_json
from safeguard.pupils.models import Pupil, awaiting_receipt, display_name, name_matches


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


def pupil(school_id: int, pupil_id: int) -> Pupil | None:
    """A pupil of the school, or ``None`` (another school's pupils do not exist here)."""
    return db.session.scalar(select(Pupil).where(Pupil.school_id == school_id, Pupil.id == pupil_id))


@dataclass(frozen=True)
class RollPage:
    """One page of the school's pupils, in surname order, and how many match."""

    pupils: list[Pupil]
    total: int


# A search's words, each a LIKE pattern (see core/names.py); the words not typed match every key.
_WORDS = [bindparam(f"word{n}", type_=Pupil.search_key.type) for n in range(MAX_WORDS)]
_NAMED = name_matches(_WORDS)
_TYPE_AHEAD = (
    select(Pupil)
    .where(Pupil.school_id == bindparam("school_id"), _NAMED)
    .order_by(Pupil.left_on.is_not(None), Pupil.legal_last_name, Pupil.legal_first_name, Pupil.id)
    .limit(10)
)


def search_words(text: str) -> dict[str, str]:
    """The values of a search's words for a statement using :func:`name_search_condition`. Places for words not
    typed match every key; when ``text`` has no word at all (only punctuation), every place matches none."""
    patterns = search_patterns(text)
    unused = "%" if patterns else ""  # every key starts with a space, so "" matches no key
    return {f"word{n}": patterns[n] if n < len(patterns) else unused for n in range(MAX_WORDS)}


def name_search_condition() -> Any:
    """A pupil matching a search's words (its values from :func:`search_words`): every word typed begins a word of
    the pupil's names or UPN, without regard to case, accents, apostrophes or hyphens."""
    return _NAMED


def roll(school_id: int, term: str, show: str, page: int, page_size: int) -> RollPage:
    """The school's pupils whose names or UPN match ``term`` (any, when empty), one page at a time.

    :param show: ``current`` (on the roll), ``left`` (has left) or anything else for both.
    """
    query = select(Pupil).where(Pupil.school_id == school_id)
    if show == "current":
        query = query.where(Pupil.left_on.is_(None))
    elif show == "left":
        query = query.where(Pupil.left_on.is_not(None))
    values: dict[str, Any] = {}
    if term.strip():
        query = query.where(_NAMED)
        values = search_words(term)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()), values) or 0
    ordered = query.order_by(Pupil.legal_last_name, Pupil.legal_first_name, Pupil.id)
    rows = db.session.scalars(ordered.limit(page_size).offset((page - 1) * page_size), values).all()
    return RollPage(list(rows), total)


def matching(school_id: int, text: str) -> list[Pupil]:
    """The school's pupils whose names or UPN match ``text``, for type-ahead (at most ten, those on the roll first)."""
    return list(db.session.scalars(_TYPE_AHEAD, {"school_id": school_id, **search_words(text)}))
