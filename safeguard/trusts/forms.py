"""The trust lead's request for access, and a link between concerns of two schools of a trust."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from safeguard.trusts.services import LONGEST_GRANT_DAYS


def _school_id(value: object) -> int | None:
    """A school's id as chosen in a list: ASCII digits only (anything else is no choice)."""
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


class RequestAccessForm(FlaskForm):
    """Which school, why, and for how many days."""

    school_id = SelectField("School", coerce=_school_id, validators=[InputRequired("Choose a school.")])
    purpose = TextAreaField(
        "What you need the records for",
        description="The school's DSLs read this to decide. For example: a review of the school's response to "
        "neglect concerns this term.",
        validators=[DataRequired("Say what you need the records for."), Length(max=2000)],
    )
    days = IntegerField(
        "For how many days",
        description=f"From the moment the school grants it; at most {LONGEST_GRANT_DAYS} days.",
        default=7,
        validators=[
            InputRequired("Say for how many days."),
            NumberRange(1, LONGEST_GRANT_DAYS, f"Ask for 1 to {LONGEST_GRANT_DAYS} days."),
        ],
    )


class LinkForm(FlaskForm):
    """A concern of this school, and the concern of another school of the trust it is linked to."""

    reference = StringField(
        "This school's concern",
        description="Its reference, for example OAK-2026-0042.",
        validators=[DataRequired("Enter the reference of this school's concern."), Length(max=24)],
    )
    other_school_id = SelectField("The other school", coerce=_school_id, validators=[InputRequired("Choose a school.")])
    other_reference = StringField(
        "The other school's concern",
        validators=[DataRequired("Enter the reference of the other school's concern."), Length(max=24)],
    )
    reason = TextAreaField(
        "Why they are linked",
        description="For example: the children are siblings.",
        validators=[DataRequired("Say why the concerns are linked."), Length(max=500)],
    )
