"""Forms for exporting and verifying documents."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ExportForm(FlaskForm):
    """Every export asks why: the reason is kept in the audit log."""

    reason = StringField(
        "Reason for this export",
        description="For example: referral to children's social care; request from the police; LADO referral.",
        validators=[DataRequired("Give the reason for this export."), Length(min=3, max=500)],
    )


class ChildFileForm(ExportForm):
    """The child's file: other children are redacted unless the DSL decides otherwise for this referral."""

    include_other_children = BooleanField(
        "Show other children's names",
        description="Only when the receiving agency needs them for this referral: the choice is recorded.",
    )


class TransferForm(ExportForm):
    """Sending the file to the next school."""

    to_school = StringField(
        "Receiving school", validators=[DataRequired("Enter the receiving school."), Length(max=200)]
    )
    method = StringField(
        "How it is sent",
        description="For example: secure e-mail to the receiving DSL; handed over in person.",
        validators=[DataRequired("Say how the file is sent."), Length(max=200)],
    )


class SummaryForm(ExportForm):
    """A period summary: this term so far unless the DSL chooses another period."""

    period_from = DateField(
        "From",
        description="The first day counted. This term's first day is filled in.",
        validators=[DataRequired("Enter the first day of the period.")],
    )
    period_to = DateField(
        "To",
        description="The last day counted, itself included.",
        validators=[DataRequired("Enter the last day of the period.")],
    )
    reason = StringField(
        "Reason for this summary",
        description="For example: termly report to the governing board; annual safeguarding return to the local authority.",
        validators=[DataRequired("Give the reason for this summary."), Length(min=3, max=500)],
    )


class VerifyForm(FlaskForm):
    """Check a PDF against the record."""

    pdf = FileField("The PDF to check", validators=[FileRequired("Choose a PDF file.")])


class ConfirmTransferForm(FlaskForm):
    """Record that the receiving school confirmed receipt."""

    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=500)])
