"""The "check my wording" form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

MAX_TEXT = 50_000


class WordingForm(FlaskForm):
    """A text to check, and an optional reason for keeping flagged words."""

    text = TextAreaField(
        "Your wording",
        description="Write as you would in a concern. The child's own words go in quotation marks and are never "
        "flagged.",
        validators=[DataRequired("Write something to check."), Length(max=MAX_TEXT)],
        render_kw={"rows": 8},
    )
    kept_reason = StringField(
        "Reason for keeping these words",
        description="Only if you must keep a term the checker flagged, for example because you are quoting the name "
        "of an offence.",
        validators=[Optional(), Length(max=500)],
    )
