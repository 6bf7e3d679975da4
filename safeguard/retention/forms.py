"""Retention forms: the decisions of a review, the approval of a disposal, lifting a hold, the school's periods."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is at 3.2
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from safeguard.retention.schedule import KINDS

HOLD_CHOICES = [
    SelectChoice("inquiry", "A statutory or public inquiry"),
    SelectChoice("litigation", "Litigation (a claim, or one expected)"),
    SelectChoice("police", "A police request or investigation"),
]
_REASON = [DataRequired("Give the reason."), Length(min=5, max=500, message="Give the reason (5 to 500 characters).")]


class KeepForm(FlaskForm):
    """Keep the file for a further period."""

    years = IntegerField(
        "Keep for how many more years",
        validators=[InputRequired("Enter a number of years."), NumberRange(1, 25, "Enter 1 to 25 years.")],
    )
    reason = TextAreaField("Why it is kept for longer", validators=_REASON, render_kw={"rows": 3})


class HoldForm(FlaskForm):
    """Place a legal hold."""

    kind = SelectField("What the hold is for", choices=HOLD_CHOICES, validators=[DataRequired()])
    external_reference = StringField(
        "Their reference (if any)", validators=[Length(max=120)], description="The inquiry's, court's or police's."
    )
    reason = TextAreaField("Why the file must be held", validators=_REASON, render_kw={"rows": 3})


class ReasonForm(FlaskForm):
    """A decision that needs only its reason: propose a disposal, withdraw it, lift a hold."""

    reason = TextAreaField("Reason", validators=_REASON, render_kw={"rows": 3})


class ApproveForm(FlaskForm):
    """Approve a proposed disposal (the CSRF token is the whole form: the button is the decision)."""


class PeriodForm(FlaskForm):
    """Lengthen one of the school's retention periods."""

    kind = SelectField("Kind of record", choices=[SelectChoice(k, k) for k in KINDS], validators=[DataRequired()])
    years = IntegerField(
        "Years", validators=[InputRequired("Enter a number of years."), NumberRange(1, 200, "Enter 1 to 200 years.")]
    )
    reason = TextAreaField("Why the school keeps it for longer", validators=_REASON, render_kw={"rows": 2})
