"""What the confidentiality pages accept."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3
from wtforms.validators import DataRequired, InputRequired, Length

from safeguard.access.models import AccessLevel
from safeguard.core.forms import MultiCheckboxField

LEVEL_CHOICES = [SelectChoice(level.value, level.label) for level in AccessLevel]


class AccessForm(FlaskForm):
    """Who may see a concern or a child's file: the level, the people named, and why."""

    level = RadioField("Who may see it", choices=LEVEL_CHOICES, validators=[InputRequired("Choose who may see it.")])
    people = MultiCheckboxField(
        "Named people (restricted or sealed)",
        description="Chosen from the DSL team and the head. You stay on the list yourself.",
        choices=[],
        coerce=int,
        validate_choice=False,
    )
    reason = TextAreaField(
        "Why",
        description="Recorded on the record with your name and the time.",
        validators=[DataRequired("Give the reason for this change."), Length(max=2000)],
    )
    wording_kept_reason = HiddenField()


class CaseTeamForm(FlaskForm):
    """Invite a member of staff into one concern's case team."""

    user_id = SelectField("Member of staff", choices=[], validate_choice=False)
    until = DateField("Until (the last day of access)", validators=[InputRequired("Enter the last day of access.")])
    reason = TextAreaField(
        "Why they need it", validators=[DataRequired("Give the reason for inviting them."), Length(max=2000)]
    )


class EndCaseTeamForm(FlaskForm):
    """End a case team member's invitation."""

    grant_id = HiddenField(validators=[DataRequired()])


class BreakGlassForm(FlaskForm):
    """Open a restricted record in an emergency."""

    reference = StringField(
        "Reference of the record",
        description="For example OAK-2026-0042.",
        validators=[DataRequired("Enter the record's reference."), Length(max=24)],
    )
    reason = TextAreaField(
        "Why you need to open it now",
        description="The people on the record's list are alerted at once, with your name.",
        validators=[DataRequired("Give the reason for opening this record."), Length(max=2000)],
    )
    wording_kept_reason = HiddenField()
