"""A trust and its schools, the access a school grants its trust lead, and concerns linked across schools."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from safeguard.concerns.models import ConcernEvent
from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class Trust(Model):
    """A multi-academy trust: a group of the deployment's schools with one trust safeguarding lead (or several)."""

    __tablename__ = "trusts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TrustSchool(Model):
    """A school of a trust; a school belongs to one trust at most."""

    __tablename__ = "trust_schools"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"), index=True)


class GrantStatus(enum.StrEnum):
    """Where a trust lead's request for access to a school's records stands."""

    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"
    # Ended by the school before its last day (a grant simply past its end is still "granted", and not live).
    ENDED = "ended"

    @property
    def label(self) -> str:
        """The word shown on screen."""
        return {"requested": "Asked for", "granted": "Granted", "refused": "Refused", "ended": "Ended early"}[self]


class TrustAccessGrant(Model):
    """A trust lead's access to one school's records: asked for with a purpose and a number of days, granted (or
    refused) by one of the school's DSLs. While live (granted, from ``starts_at`` up to ``ends_at``) the trust lead
    may work in that school and read its records, each read audited in the school's log; never act on them."""

    __tablename__ = "trust_access_grants"
    __table_args__ = (
        Index("ix_trust_access_grants_school_id_status", "school_id", "status"),
        Index("ix_trust_access_grants_user_id_school_id", "user_id", "school_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    # The trust lead who asked.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Why the trust lead needs to see the records (a review, a complaint, cover while the DSL is away).
    purpose: Mapped[str] = mapped_column(Text)
    # How many days the access lasts from the moment it is granted.
    days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=GrantStatus.REQUESTED.value)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TrustConcernLink(Model):
    """Two concerns of different schools of one trust linked (siblings, one family), kept once from each side so
    that each school's statement reads its own rows, school first."""

    __tablename__ = "trust_concern_links"
    __table_args__ = (
        UniqueConstraint("concern_id", "other_concern_id", name="uq_trust_concern_links_concern_id"),
        Index("ix_trust_concern_links_school_id_concern_id", "school_id", "concern_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"))
    other_school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    other_concern_id: Mapped[int] = mapped_column(BigId, ForeignKey("concerns.id"))
    trust_id: Mapped[int] = mapped_column(ForeignKey("trusts.id"))
    reason: Mapped[str] = mapped_column(Text)
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# The trust dashboard's referrals over a period, for every school at once (migration 0019).
Index(
    "ix_concern_events_referrals",
    ConcernEvent.school_id,
    ConcernEvent.at,
    postgresql_where=text("kind = 'referral'"),
    sqlite_where=text("kind = 'referral'"),
)
