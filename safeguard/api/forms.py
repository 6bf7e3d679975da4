"""The administrators' form for making an API token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is at 3.2
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from safeguard.api.scopes import SCOPE_LABELS
from safeguard.api.services import DEFAULT_DAYS, MAX_DAYS
from safeguard.core.forms import ConfirmForm, MultiCheckboxField

__all__ = ["RevokeForm", "TokenForm"]


class TokenForm(FlaskForm):
    """What a new token is for, what it may do and how long it lasts."""

    name = StringField(
        "What system is it for?",
        description="For example: Wonde (MIS sync), or Smoothwall (monitoring alerts).",
        validators=[DataRequired("Name the system the token is for."), Length(max=120)],
        render_kw={"autocomplete": "off"},
    )
    scopes = MultiCheckboxField(
        "What may it do?",
        choices=[SelectChoice(scope.value, f"{label} ({scope.value})") for scope, label in SCOPE_LABELS.items()],
        validators=[DataRequired("Choose at least one thing the token may do.")],
    )
    days = IntegerField(
        "Days until it expires",
        default=DEFAULT_DAYS,
        validators=[
            InputRequired("Enter a number of days."),
            NumberRange(1, MAX_DAYS, f"Between 1 and {MAX_DAYS} days."),
        ],
    )


class RevokeForm(ConfirmForm):
    """The button revoking a token."""
