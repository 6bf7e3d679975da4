"""What the monitoring software sends (``POST /api/v1/alerts``) and what it is answered."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, ConfigDict, Field

from safeguard.api.fields import NO_CONTROL, STRICT, limits

Vendor = Annotated[str, limits(60, 1), NO_CONTROL, STRICT]
EventId = Annotated[str, limits(200, 1), NO_CONTROL, STRICT]
Username = Annotated[str, limits(200, 1), NO_CONTROL, STRICT]
Category = Annotated[str, limits(120, 1), NO_CONTROL, STRICT]
Excerpt = Annotated[str, limits(1000), NO_CONTROL, STRICT]


class AlertIn(BaseModel):
    """An alert from the school's filtering and monitoring software. Never an image: a screenshot may be child
    sexual abuse material, and a request carrying one is refused."""

    model_config = ConfigDict(extra="forbid", title="Alert")

    vendor: Vendor = Field(description="The monitoring product, for example 'Smoothwall'.")
    event_id: EventId = Field(description="The vendor's id for the event: the same vendor and id is one alert.")
    occurred_at: AwareDatetime = Field(description="When it happened (RFC 3339, with its offset).")
    username: Username = Field(description="The username on the device, as the vendor saw it.")
    category: Category = Field(description="The vendor's category, for example 'Self-harm'.")
    severity: int = Field(ge=1, le=5, strict=True, description="1 (lowest) to 5 (most severe).")
    excerpt: Excerpt = Field(description="A short text (what was typed or searched), at most 1,000 characters.")
    link: AnyHttpUrl = Field(max_length=2000, description="The event in the vendor's console.")


class AlertAnswer(BaseModel):
    """The alert as Safeguard holds it."""

    model_config = ConfigDict(title="AlertAnswer")

    id: int
    status: Literal["new", "attached", "false_positive", "no_further_action"] = Field(
        description="new: waiting for the DSL team (or counted only, below the school's lowest severity); otherwise "
        "how it ended."
    )
    in_tray: bool = Field(description="Whether it is shown to the DSL team (at or above the school's severity).")
    matched: bool = Field(description="Whether the username was matched to a pupil.")
