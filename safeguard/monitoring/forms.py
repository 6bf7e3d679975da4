"""The tray's forms: attach an alert to a concern, close it with a reason, match it to a pupil, the school's
lowest severity."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is at 3.2
from wtforms.validators import DataRequired, Length, Optional

from safeguard.monitoring.models import Outcome


def _kept_reason_field() -> StringField:
    """Why the DSL keeps terms the checker flagged (the vendor's text may quote them)."""
    return StringField(
        "Reason for keeping flagged words",
        description="Only if the checker flags a term you must keep, for example because the alert quotes what the "
        "pupil typed.",
        validators=[Optional(), Length(max=500)],
    )


class AttachNewForm(FlaskForm):
    """Log a new concern about the alert's pupil, with the alert as a chronology entry."""

    # Choices come from the vocabulary in force (set by the view).
    categories = SelectMultipleField(
        "What kind of concern is it?",
        validators=[DataRequired("Choose at least one category.")],
        validate_choice=False,
    )
    account = TextAreaField(
        "What the alert shows, in your words",
        description="Left empty, the concern's account names the alert, which is attached below it.",
        validators=[Optional(), Length(max=20_000)],
        render_kw={"rows": 3},
    )
    wording_kept_reason = _kept_reason_field()


class AttachExistingForm(FlaskForm):
    """Attach the alert to a concern already logged."""

    reference = StringField(
        "The concern's reference",
        description="For example OAK-2026-0042.",
        validators=[DataRequired("Enter the concern's reference."), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    wording_kept_reason = _kept_reason_field()


class CloseForm(FlaskForm):
    """End the alert without a concern: a false positive, or no further action; the reason is required."""

    outcome = RadioField(
        "Outcome",
        choices=[
            SelectChoice(Outcome.FALSE_POSITIVE.value, "False positive: the alert was wrong"),
            SelectChoice(Outcome.NO_FURTHER_ACTION.value, "No further action: looked into, nothing more to do"),
        ],
        validators=[DataRequired("Choose false positive or no further action.")],
    )
    reason = TextAreaField(
        "Reason",
        description="Kept with the outcome for the annual filtering and monitoring review.",
        validators=[DataRequired("Say why."), Length(max=2000)],
        render_kw={"rows": 3},
    )
    wording_kept_reason = _kept_reason_field()


class MatchForm(FlaskForm):
    """Match an unmatched alert to a pupil."""

    pupil_id = HiddenField(validators=[DataRequired("Choose a pupil.")])


class SeverityForm(FlaskForm):
    """The lowest severity that enters the tray."""

    min_severity = SelectField(
        "Lowest severity shown in the tray",
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        description="Alerts below it are counted for the annual review, not shown.",
        validators=[DataRequired("Choose a severity from 1 to 5.")],
    )
