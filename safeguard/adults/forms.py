"""Forms for concerns about adults: raising one, and what the case manager records."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from safeguard.adults.states import INTERIM_MEASURES, OUTCOMES, RELATIONS, THRESHOLD
from safeguard.concerns.forms import MAX_TEXT, FriendlyDateTimeField

OUT_OF_DATE = "This form is out of date. Reload the case and try again."
YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


def choices(pairs) -> list:
    """Choices for a select or radio field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def kept_reason_field() -> StringField:
    """Why the writer keeps terms the checker flagged."""
    return StringField(
        "Reason for keeping flagged words",
        description="Only if you must keep a term the checker flagged, for example when quoting the name of an offence.",
        validators=[Optional(), Length(max=500)],
    )


def as_utc(value: datetime, zone: ZoneInfo) -> datetime:
    """A time typed in the school's zone, as an aware UTC time."""
    return value.replace(tzinfo=zone).astimezone(UTC)


class RaiseAdultConcernForm(FlaskForm):
    """A concern about an adult who works with children."""

    subject_user_id = SelectField(
        "The adult, if they have an account here", validate_choice=True, validators=[Optional()]
    )
    subject_name = StringField(
        "Or their name",
        description="For someone without an account: supply staff, a contractor, a volunteer.",
        validators=[Optional(), Length(max=120)],
    )
    subject_relation = SelectField("How they work with the school", choices=choices(RELATIONS.items()))
    subject_role = StringField(
        "Their job or role",
        description="For example: Year 4 teacher, lunchtime supervisor.",
        validators=[Optional(), Length(max=120)],
    )
    happened_at = FriendlyDateTimeField("When it happened", validators=[InputRequired("Say when it happened.")])
    location = StringField("Where", validators=[Optional(), Length(max=200)])
    account = TextAreaField(
        "What happened",
        description="Facts, in your own words; what a child said, in their words. Do not investigate or question the adult.",
        validators=[DataRequired("Say what happened."), Length(max=MAX_TEXT)],
        render_kw={"rows": 8},
    )
    pupils = SelectMultipleField("Children involved, if any", validators=[Optional()], render_kw={"size": 6})
    threshold = RadioField(
        "Do you think it may meet the harm threshold?",
        description="That the adult may have harmed a child, committed an offence against a child, behaved in a way "
        "that shows they may pose a risk to children, or behaved in a way that shows they may not be suitable to work "
        "with children. If you are not sure, say so: the case manager decides.",
        choices=choices(THRESHOLD.items()),
        validators=[InputRequired("Say whether you think it may meet the harm threshold.")],
    )
    wording_kept_reason = kept_reason_field()


class VersionedForm(FlaskForm):
    """An action on a case, carrying the version the page showed."""

    version = HiddenField(validators=[InputRequired(OUT_OF_DATE), Regexp(r"\A[0-9]{1,9}\Z", message=OUT_OF_DATE)])


class LadoForm(VersionedForm):
    """The discussion with the Local Authority Designated Officer."""

    discussed_at = FriendlyDateTimeField("When you discussed it with the LADO", validators=[InputRequired("Say when.")])
    lado_name = StringField("LADO", validators=[Optional(), Length(max=200)])
    lado_contact = StringField("How to reach them", validators=[Optional(), Length(max=300)])
    advice = TextAreaField(
        "The LADO's advice", validators=[DataRequired("Write the LADO's advice."), Length(max=MAX_TEXT)]
    )
    reference = StringField("The LADO's reference", validators=[Optional(), Length(max=60)])
    strategy_meeting = BooleanField("A strategy meeting was advised")
    police = BooleanField("The police are involved")
    childrens_social_care = BooleanField("Children's social care are involved")
    involvement = TextAreaField("What was agreed with them", validators=[Optional(), Length(max=MAX_TEXT)])
    wording_kept_reason = kept_reason_field()


class InterimForm(VersionedForm):
    """Interim arrangements while the allegation is looked into."""

    measure = SelectField("Interim arrangement", choices=choices(INTERIM_MEASURES.items()))
    reason = TextAreaField("Reasons", validators=[DataRequired("Give the reasons."), Length(max=MAX_TEXT)])
    wording_kept_reason = kept_reason_field()


class OutcomeForm(VersionedForm):
    """The outcome of the case."""

    outcome = RadioField(
        "Outcome",
        choices=[SelectChoice(code, f"{label}: {meaning}") for code, (label, meaning) in OUTCOMES.items()],
        validators=[Optional()],
    )
    notes = TextAreaField("How the case was concluded", validators=[DataRequired("Write how."), Length(max=MAX_TEXT)])
    dbs_referral = RadioField(
        "Referral to the Disclosure and Barring Service made?", choices=YES_NO, validators=[Optional()]
    )
    dbs_reason = TextAreaField("Why (DBS)", validators=[Optional(), Length(max=MAX_TEXT)], render_kw={"rows": 2})
    tra_referral = RadioField(
        "Referral to the Teaching Regulation Agency made?", choices=YES_NO, validators=[Optional()]
    )
    tra_reason = TextAreaField("Why (TRA)", validators=[Optional(), Length(max=MAX_TEXT)], render_kw={"rows": 2})
    retirement_date = DateField(
        "The adult's normal retirement date, if known",
        description="The record is kept until then or for ten years from the allegation, whichever is later.",
        validators=[Optional()],
    )
    wording_kept_reason = kept_reason_field()


class TrackForm(VersionedForm):
    """Treat the case on the other track."""

    reason = TextAreaField(
        "Why", validators=[DataRequired("Give the reason."), Length(max=2000)], render_kw={"rows": 2}
    )


class DeputyForm(VersionedForm):
    """The deputy case manager of this case."""

    deputy_id = SelectField("Deputy case manager for this case", validate_choice=True)


class PersonForm(FlaskForm):
    """A person to add to (or remove from) the case."""

    person_id = SelectField("Person", validate_choice=True, validators=[DataRequired("Choose a person.")])


class RemovePersonForm(FlaskForm):
    """A person to remove from the case."""

    person_id = HiddenField(validators=[Regexp(r"\A[0-9]{1,10}\Z", message="Choose a person.")])


class ExportForm(FlaskForm):
    """Why the case summary is exported."""

    reason = StringField(
        "Reason for export",
        description="For example: case summary for the LADO.",
        validators=[DataRequired("Give the reason for this export."), Length(min=3, max=500)],
    )


class SettingsForm(FlaskForm):
    """The school's settings for concerns about adults."""

    deputy_id = SelectField("Deputy case manager (for the head's cases)", validate_choice=True)
    lado_name = StringField("Local Authority Designated Officer (LADO)", validators=[Optional(), Length(max=200)])
    lado_contact = StringField(
        "How to reach the LADO", description="Telephone and secure e-mail.", validators=[Optional(), Length(max=300)]
    )
