"""The school model."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import available_timezones

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, validates

from safeguard.core.extensions import Model
from safeguard.core.sqltypes import UTCDateTime, utcnow

SCHOOL_CODE = re.compile(r"^[A-Z]{2,6}$")
DEFAULT_PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
# The default ladder of levels of need (the thresholds most local authorities in England use).
DEFAULT_LEVELS_OF_NEED = "Universal\nEarly help\nChild in need\nChild protection"
# The IANA time zones a school may work in: every zone this server's time zone database knows, but "localtime"
# (whatever the server is set to) and "Factory" (no place at all).
TIME_ZONES = frozenset(available_timezones() - {"localtime", "Factory"})


class School(Model):
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
    # IANA time zone the school works in (one of TIME_ZONES); school days, times on screen and in exports use it.
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/London")
    # Minutes within which an urgent concern must be acknowledged before all DSLs and the head are alerted.
    urgent_ack_minutes: Mapped[int] = mapped_column(Integer, default=15)
    # School days (Monday to Friday) within which any other concern must be acknowledged.
    routine_ack_school_days: Mapped[int] = mapped_column(Integer, default=1)
    # The ladder of levels of need, one per line, lowest first.
    levels_of_need: Mapped[str] = mapped_column(Text, default=DEFAULT_LEVELS_OF_NEED)
    # One more step beyond the head, for an urgent concern still not acknowledged after its escalation: who it is
    # (the trust's safeguarding lead, the local authority's education safeguarding contact) and the address their
    # e-mail goes to (reference and urgency only, never a name). Empty: no further step.
    onward_contact_label: Mapped[str] = mapped_column(String(120), default="")
    onward_contact_email: Mapped[str] = mapped_column(String(254), default="")
    # The lowest severity (1 to 5) of a monitoring alert that enters the DSLs' tray; alerts below are counted only.
    monitoring_min_severity: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # When `flask --app safeguard mis sync` last read the broker completely: the next sync asks for changes since.
    mis_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The lead DSL (one account of the school's DSL team): with the head, widens access to restricted records and
    # reads "who has seen this". NULL: not chosen yet (the head alone then).
    lead_dsl_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, name="fk_schools_lead_dsl_id_users")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # After the receiving school confirms receipt of a child's file sent to it: whether this school keeps its copy of
    # the file (True) or only the record of the transfer (the retention rules read it).
    transfer_keeps_file: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    @property
    def level_of_need_choices(self) -> list[str]:
        """The school's levels of need, lowest first."""
        return [line.strip() for line in (self.levels_of_need or "").splitlines() if line.strip()]

    @validates("code")
    def _validate_code(self, _key: str, code: str) -> str:
        """Keep codes to 2–6 capital letters, as references and the CLI expect."""
        if not SCHOOL_CODE.match(code or ""):
            raise ValueError("a school code is 2 to 6 capital letters, for example OAK")
        return code

    def __repr__(self) -> str:
        return f"<School {self.code}>"
