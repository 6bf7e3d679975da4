"""Pupil forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, StringField
from wtforms.validators import DataRequired, Length


class ImportForm(FlaskForm):
    """Upload the MIS export."""

    csv_file = FileField("The CSV file exported from your MIS", validators=[FileRequired("Choose a CSV file.")])


class ConfirmImportForm(FlaskForm):
    """Confirm or cancel the previewed import."""

    token = HiddenField(validators=[DataRequired()])


class LeftForm(FlaskForm):
    """Mark a pupil as left."""

    left_on = DateField("Leaving date", validators=[DataRequired("Enter the leaving date.")])
    destination = StringField(
        "Destination school", description="Where the child has gone, if known.", validators=[Length(max=200)]
    )
