"""What the MIS sends (``PUT /api/v1/pupils`` and ``PUT /api/v1/staff``) and what it is answered.

A field left out of a record keeps what Safeguard holds; a field sent (even as null) is applied.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from safeguard.api.fields import NO_CONTROL, STRICT, limits

MAX_BATCH = 5000

Name = Annotated[str, limits(100, 1), NO_CONTROL, STRICT]
ShortText = Annotated[str, limits(200), NO_CONTROL, STRICT]
Upn = Annotated[str, limits(20, 1), NO_CONTROL, STRICT, Field(description="The 13-character unique pupil number.")]


class Leaving(BaseModel):
    """A leaver: when they left and where they went."""

    model_config = ConfigDict(extra="forbid")

    left_on: date = Field(description="The leaving date (YYYY-MM-DD).")
    destination: Annotated[str, limits(200), NO_CONTROL, STRICT] | None = Field(
        None, description="The next school or destination, when known."
    )


class Contact(BaseModel):
    """A contact of the child, as the MIS holds them. Children who share a contact (by ``contact_id``) are shown as
    siblings."""

    model_config = ConfigDict(extra="forbid")

    contact_id: Annotated[str, limits(100, 1), NO_CONTROL, STRICT] = Field(
        description="The MIS's id for the person: the same for each child they are a contact of."
    )
    name: Annotated[str, limits(200, 1), NO_CONTROL, STRICT]
    relationship: Annotated[str, limits(60), NO_CONTROL, STRICT] = ""
    parental_responsibility: bool = Field(False, strict=True)
    priority: int | None = Field(None, ge=1, le=99, strict=True, description="1: contact first.")
    phone: Annotated[str, limits(40), NO_CONTROL, STRICT] = ""
    email: Annotated[str, limits(254), NO_CONTROL, STRICT] = ""


class PupilRecord(BaseModel):
    """A pupil as the MIS holds them, keyed by UPN."""

    model_config = ConfigDict(extra="forbid")

    upn: Upn
    legal_first_name: Name
    legal_last_name: Name
    preferred_name: Annotated[str, limits(100), NO_CONTROL, STRICT] | None = None
    date_of_birth: date
    year_group: Annotated[str, limits(20), NO_CONTROL, STRICT] | None = None
    form_group: Annotated[str, limits(40), NO_CONTROL, STRICT] | None = Field(
        None, description="The registration (form or tutor) group."
    )
    sen_status: Literal["none", "sen_support", "ehc_plan"] | None = Field(
        None, description="none, sen_support (K) or ehc_plan (E)."
    )
    looked_after: bool | None = Field(None, strict=True)
    previously_looked_after: bool | None = Field(None, strict=True)
    username: Annotated[str, limits(200), NO_CONTROL, STRICT] | None = Field(
        None, description="The child's username on school devices (monitoring alerts are matched by it)."
    )
    email: Annotated[str, limits(254), NO_CONTROL, STRICT] | None = Field(
        None, description="The child's school e-mail address (monitoring alerts are matched by it too)."
    )
    mis_id: Annotated[str, limits(100), NO_CONTROL, STRICT] | None = None
    contacts: list[Contact] | None = Field(None, max_length=30, description="Replaces the child's contacts when sent.")
    leaving: Leaving | None = Field(None, description="Set for a leaver; null for a child on the roll.")


class PupilBatch(BaseModel):
    """Up to 5,000 pupils: all applied, or none."""

    model_config = ConfigDict(extra="forbid")

    records: list[PupilRecord] = Field(max_length=MAX_BATCH)


class StaffRecord(BaseModel):
    """A member of staff as the MIS holds them, keyed by e-mail address."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, limits(254, 3), NO_CONTROL, STRICT]
    display_name: Annotated[str, limits(120, 1), NO_CONTROL, STRICT] = Field(
        description="The name shown to colleagues, for example 'Ms A Jones'."
    )
    left_on: date | None = Field(None, description="Set for a leaver: the account is deactivated, never deleted.")


class StaffBatch(BaseModel):
    """Up to 5,000 members of staff: all applied, or none."""

    model_config = ConfigDict(extra="forbid")

    records: list[StaffRecord] = Field(max_length=MAX_BATCH)


class SyncAnswer(BaseModel):
    """What a batch did."""

    model_config = ConfigDict(title="SyncAnswer")

    received: int
    created: int
    updated: int
    unchanged: int
    left: int = Field(description="Records marked as leavers by this batch (pupils marked left, staff deactivated).")
