"""The school model."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from safeguard.extensions import db
from safeguard.sqltypes import UTCDateTime, utcnow

SCHOOL_CODE = re.compile(r"^[A-Z]{2,6}$")
DEFAULT_PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"


class School(db.Model):
    """A school in the deployment. Every record that belongs to a school carries its ``school_id``."""

    __tablename__ = "schools"
    __table_args__ = (CheckConstraint("length(code) BETWEEN 2 AND 6", name="code_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # 2 to 6 capital letters; the prefix of every concern reference (OAK-2026-0042).
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Shown at the top and bottom of every exported page.
    protective_marking: Mapped[str] = mapped_column(String(60), default=DEFAULT_PROTECTIVE_MARKING)
    # How the DSL team can be reached, printed on reports for outside agencies.
    dsl_contact: Mapped[str] = mapped_column(String(300), default="")
    # IANA time zone the school works in; school days and times on screen use it.
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/London")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @validates("code")
    def _validate_code(self, _key: str, code: str) -> str:
        """Keep codes to 2–6 capital letters, as references and the CLI expect."""
        if not SCHOOL_CODE.match(code or ""):
            raise ValueError("a school code is 2 to 6 capital letters, for example OAK")
        return code

    def __repr__(self) -> str:
        return f"<School {self.code}>"
