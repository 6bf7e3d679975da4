"""Marks recorded on a child's body map. Never updated or deleted: a correction is a new mark, in a new entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime

# As the concerns' ids: Integer on SQLite (so that it autoincrements), BIGINT on PostgreSQL.
BigId = BigInteger().with_variant(Integer, "sqlite")


class BodyMark(Model):
    """A mark seen on a child: where (a region of the vocabulary and a point on an outline), what it looks like,
    when it was seen, what the child said about it, and who recorded it in which chronology entry."""

    __tablename__ = "body_marks"
    __table_args__ = (
        # A concern's marks in the order they were recorded (their numbers).
        Index("ix_body_marks_school_id_concern_id", "school_id", "concern_id", "id"),
        # A child's combined body map, a period at a time.
        Index("ix_body_marks_school_id_pupil_id_seen_at", "school_id", "pupil_id", "seen_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"))
    # The child the mark is on (one of the concern's children).
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id"))
    # The chronology entry that recorded it: the concern's first entry, or the information added later.
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("concern_events.id"))
    # The region's id in the vocabulary (body-map.yaml), and its name with the side as the record wrote it then.
    region_id: Mapped[str] = mapped_column(String(60))
    region_label: Mapped[str] = mapped_column(String(120))
    # The child's own left or right; None for a region with no sides (the chest).
    side: Mapped[str | None] = mapped_column(String(5))
    # The outline the mark is drawn on, and its place as fractions (0 to 1) of the outline's width and height.
    view: Mapped[str] = mapped_column(String(10))
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    # Whether the person placed it on the outline (True) or chose the region from the list (drawn at its centre).
    placed_on_outline: Mapped[bool] = mapped_column(default=False)
    # The kind's id in the vocabulary (bruise, cut, burn...).
    kind: Mapped[str] = mapped_column(String(20))
    length_cm: Mapped[float] = mapped_column(Float)
    width_cm: Mapped[float | None] = mapped_column(Float)
    shape: Mapped[str] = mapped_column(String(200), default="")
    colour: Mapped[str] = mapped_column(String(200), default="")
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # What the child said about the mark, in their own words, recorded verbatim.
    child_words: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
