"""Subject access forms: logging a request, its clock, a redaction."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is at 3.2
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from safeguard.sar.services import REDACTION_REASONS, RELATIONSHIPS, STOP_REASONS


class RequestForm(FlaskForm):
    """Log a request."""

    upn = StringField(
        "The child's UPN",
        validators=[DataRequired("Enter the child's UPN."), Length(max=20)],
        description="The unique pupil number, as on the pupil's page.",
    )
    requester_name = StringField("Who is asking", validators=[DataRequired("Enter who is asking."), Length(max=200)])
    relationship = SelectField(
        "Their relationship to the child",
        choices=[SelectChoice(k, v) for k, v in RELATIONSHIPS.items()],
        validators=[DataRequired()],
    )
    competence_note = TextAreaField(
        "Competence or authority",
        description="For the child: whether they understand the request (their age and maturity). For a third "
        "party: the authority they hold.",
        validators=[Length(max=2000)],
        render_kw={"rows": 3},
    )
    received_on = DateField("Received on", validators=[DataRequired("Enter the date the request was received.")])


class StopForm(FlaskForm):
    """Stop the clock."""

    reason = SelectField(
        "Why the clock stops",
        choices=[SelectChoice(k, v) for k, v in STOP_REASONS.items()],
        validators=[DataRequired()],
    )


class EmptyForm(FlaskForm):
    """A button (restart the clock, release, withdraw a redaction): the CSRF token is the whole form."""


class ExtendForm(FlaskForm):
    """Extend the time allowed."""

    months = SelectField(
        "Time allowed from receipt",
        choices=[SelectChoice("2", "Two months"), SelectChoice("3", "Three months")],
        validators=[DataRequired()],
    )
    reason = TextAreaField(
        "Why (a complex or numerous request)",
        render_kw={"rows": 2},
        validators=[DataRequired("Give the reason for the extension."), Length(min=5, max=500)],
    )


class RedactionForm(FlaskForm):
    """Redact within one passage: the selection's start and end (the page's script fills them), words to find, or
    the whole passage; and the reason."""

    passage = HiddenField(validators=[DataRequired(), Length(max=60)])
    words = StringField("Words to redact", validators=[Length(max=2000)])
    start = IntegerField("From character", validators=[Optional(), NumberRange(0, 1_000_000)])
    end = IntegerField("To character", validators=[Optional(), NumberRange(0, 1_000_000)])
    whole = BooleanField("The whole passage")
    reason = SelectField(
        "Reason", choices=[SelectChoice(k, v) for k, v in REDACTION_REASONS.items()], validators=[InputRequired()]
    )
