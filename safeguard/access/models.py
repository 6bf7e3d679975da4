"""Who may see a record beyond the DSL team: the named people of a restricted or sealed record, a concern's case
team, and emergency access. A grant is never deleted: it ends on its date or is revoked (``revoked_at``)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class AccessLevel(enum.StrEnum):
    """How widely a concern or a child's whole file may be seen."""

    # The DSL team and the head.
    STANDARD = "standard"
    # Named people only, chosen from the DSL team and the head.
    RESTRICTED = "restricted"
    # Restricted, and its existence hidden from everyone not named (no row, no count, no search hit).
    SEALED = "sealed"

    @property
    def label(self) -> str:
        return {
            AccessLevel.STANDARD: "Standard: the DSL team and the head",
            AccessLevel.RESTRICTED: "Restricted: named people only",
            AccessLevel.SEALED: "Sealed: named people only, and hidden from everyone else",
        }[self]

    @property
    def rank(self) -> int:
        """Wider is lower: standard 0, restricted 1, sealed 2."""
        return list(AccessLevel).index(self)


class GrantKind(enum.StrEnum):
    """Why a person may see a record."""

    # Named on a restricted or sealed record's list.
    LISTED = "listed"
    # A member of staff invited into one concern, to read it and add notes, until a date.
    CASE_TEAM = "case_team"
    # A DSL or the head outside a restricted record who opened it with a written reason.
    BREAK_GLASS = "break_glass"


# How long emergency access lasts: a working day.
BREAK_GLASS_HOURS = 10


class RecordAccess(Model):
    """One person's access to one concern or one child's file (exactly one of the two)."""

    __tablename__ = "record_access"
    __table_args__ = (
        CheckConstraint("(concern_id IS NULL) <> (pupil_id IS NULL)", name="one_record"),
        # The lists' condition looks a concern's grants up by the person: (school, concern, person).
        Index("ix_record_access_concern", "school_id", "concern_id", "user_id"),
        Index(
            "ix_record_access_pupil",
            "school_id",
            "pupil_id",
            "user_id",
            postgresql_where=text("pupil_id IS NOT NULL"),
            sqlite_where=text("pupil_id IS NOT NULL"),
        ),
        # A person's own grants (the case-team member's invitations).
        Index("ix_record_access_user", "school_id", "user_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("concerns.id"))
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # A GrantKind value.
    kind: Mapped[str] = mapped_column(String(20))
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the access ends by itself (a case team's end date, emergency access); NULL: while the record is listed.
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Why (emergency access's written reason; the reason given when the list changed).
    reason: Mapped[str] = mapped_column(Text, default="")
