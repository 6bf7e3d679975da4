"""Forms for logging a concern and for the actions a DSL takes on one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    DateTimeLocalField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is at 3.2
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from safeguard.bodymap.forms import add_mark_button, marks_field
from safeguard.concerns.states import ACTION_KINDS, DECISION_KINDS, REFERRAL_TARGETS, Part, Status
from safeguard.core.forms import AsciiFieldList

PART_CHOICES = [SelectChoice(p.value, p.label) for p in Part]
# The answers to "when did it happen?"; "just now" is the moment the form was opened, if that was this long ago at most.
JUST_NOW = "now"
EARLIER = "earlier"
JUST_NOW_WITHIN = timedelta(hours=12)


def _kept_reason_field() -> StringField:
    """Why the writer keeps terms the checker flagged: asked for only when it flags some."""
    return StringField(
        "Reason for keeping these words",
        description="Only if you must keep a term the checker flagged, for example because you are quoting the "
        "name of an offence.",
        validators=[Optional(), Length(max=500)],
    )


MAX_TEXT = 20_000


class FriendlyDateTimeField(DateTimeLocalField):
    """A date-and-time input whose error says what to type."""

    def process_formdata(self, valuelist):
        """Parse the browser's value; explain the expected form on failure."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter when it happened as a date and a time, for example 23/11/2026 09:30.") from None


class PupilPartForm(Form):
    """One pupil on the concern and their part in it (a sub-form: the parent form carries the CSRF token)."""

    pupil_id = HiddenField()
    name = HiddenField()
    part = SelectField("Their part", choices=PART_CHOICES, default=Part.SUBJECT.value)


class LogConcernForm(FlaskForm):
    """What a member of staff records about a worry."""

    pupils = AsciiFieldList(FormField(PupilPartForm), min_entries=0, max_entries=12)
    pupil_search = StringField(
        "Find a pupil",
        description="Type part of a name or the UPN.",
        validators=[Optional(), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    find_pupils = SubmitField("Find")
    immediate_danger = RadioField(
        "Is a child in immediate danger or at risk of significant harm?",
        choices=[SelectChoice("no", "No"), SelectChoice("yes", "Yes")],
        validators=[InputRequired("Say whether a child is in immediate danger or at risk of significant harm.")],
    )
    # Asked, never assumed: a time filled in when the form opened was saved for an incident an hour before it.
    observed_when = RadioField(
        "When did it happen, or when were you told?",
        choices=[SelectChoice(JUST_NOW, "Just now"), SelectChoice(EARLIER, "Earlier: I will give the date and time")],
        validators=[Optional()],
    )
    observed_at = FriendlyDateTimeField("Date and time it happened", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    # When the form was opened (UTC, ISO 8601): "just now" is that moment, not the moment the form is sent.
    opened_at = HiddenField()
    location = StringField(
        "Where?", description="For example: Year 4 classroom, playground, online.", validators=[Length(max=200)]
    )
    # Choices come from the vocabulary in force (set by the view).
    categories = SelectMultipleField(
        "What kind of concern is it?",
        description="Choose every category that fits. Guidance appears for some.",
        validators=[DataRequired("Choose at least one category.")],
        # The service checks ids against the vocabulary and says so in words a teacher understands.
        validate_choice=False,
    )
    account = TextAreaField(
        "What happened?",
        description="Facts only: what you saw and heard, with the child's own words in quotation marks. "
        "Do not investigate or ask leading questions.",
        validators=[DataRequired("Describe what happened."), Length(max=MAX_TEXT)],
        render_kw={"rows": 8},
    )
    wording_kept_reason = _kept_reason_field()
    already_done = TextAreaField(
        "What have you done already?",
        description="For example: listened and reassured the child, told them you must share it with the DSL.",
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 3},
    )
    # The body map: the marks seen on a child, each placed on an outline or chosen from the list of regions.
    marks = marks_field()
    add_mark = add_mark_button()
    attachments = MultipleFileField(
        "Attach documents (optional)",
        description="A scan of handwritten notes, a letter, or a body map: PDF, Word, JPEG or PNG, 10 MB each, "
        "up to 5 files.",
    )

    def observed(self, now: datetime, zone: ZoneInfo) -> datetime:
        """When it happened, as an aware time: :meth:`just_now` for "just now", otherwise the date and time given,
        in ``zone``."""
        if self.observed_when.data != JUST_NOW and self.observed_at.data is not None:
            return self.observed_at.data.replace(tzinfo=zone)
        return self.just_now(now)

    def just_now(self, now: datetime) -> datetime:
        """What "just now" means: the minute the form was opened (the minute it was sent when that is unknown or not
        within the last twelve hours)."""
        try:
            opened = datetime.fromisoformat(self.opened_at.data or "")
            opened = opened.replace(tzinfo=UTC) if opened.tzinfo is None else opened.astimezone(UTC)
        except (ValueError, OverflowError):
            opened = now
        moment = opened if now - JUST_NOW_WITHIN <= opened <= now else now
        return moment.replace(second=0, microsecond=0)

    def validate(self, extra_validators=None) -> bool:
        """Every field's rules, then when it happened: "Just now", or a date and time (a time typed without choosing
        "Earlier" is taken as meant)."""
        valid = super().validate(extra_validators)
        when = self.observed_when
        if when.data == JUST_NOW or self.observed_at.data is not None or self.observed_at.errors:
            return valid
        if when.data == EARLIER:
            self.observed_at.errors = [
                *self.observed_at.errors,
                "Enter the date and time it happened, or choose “Just now”.",
            ]
        else:
            when.errors = [*when.errors, "Say when it happened: choose “Just now”, or enter the date and time."]
        return False


class VersionedForm(FlaskForm):
    """A DSL action: carries the version of the concern the page showed (optimistic locking)."""

    # Required, in ASCII digits: an action without a readable version would skip the check that nobody changed the
    # concern since the page was loaded.
    version = HiddenField(
        validators=[
            InputRequired("This form is out of date. Reload the concern and try again."),
            Regexp(r"\A[0-9]{1,9}\Z", message="This form is out of date. Reload the concern and try again."),
        ]
    )
    # When the page was loaded: a DSL whose page is out of date is shown what changed since.
    opened_at = HiddenField()
    wording_kept_reason = _kept_reason_field()
    # Set when the text was refused for its wording: the page then asks for the reason for keeping it.
    wording_flagged = False


class AcknowledgeForm(VersionedForm):
    """Acknowledge a new concern."""


class AssignForm(VersionedForm):
    """Assign to a DSL."""

    assignee = SelectField("Assign to", validators=[Optional()])


class LevelOfNeedForm(VersionedForm):
    """Set the level of need."""

    level = SelectField("Level of need", validators=[DataRequired("Choose a level of need.")])


class NoteForm(VersionedForm):
    """Add a note."""

    text = TextAreaField(
        "Note", validators=[DataRequired("Write the note."), Length(max=MAX_TEXT)], render_kw={"rows": 3}
    )


class ActionForm(VersionedForm):
    """Record an action, a referral or a report to an agency."""

    kind = SelectField(
        "What was done",
        choices=[SelectChoice("", "Choose…")] + [SelectChoice(k, v) for k, v in ACTION_KINDS.items()],
        validators=[DataRequired("Choose what was done.")],
    )
    target = SelectField(
        "Referral to",
        choices=[SelectChoice("", "Choose…")] + [SelectChoice(k, v) for k, v in REFERRAL_TARGETS.items()],
        validators=[Optional()],
    )
    agency_id = SelectField("Agency", validators=[Optional()])
    on = DateField("Date", validators=[Optional()])
    external_reference = StringField(
        "Their reference", description="The reference the agency gave, if any.", validators=[Length(max=100)]
    )
    reason = TextAreaField(
        "Reason for not informing parents or carers",
        description="Needed when parents or carers are not told: for example, telling them could put the child at "
        "greater risk.",
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 2},
    )
    details = TextAreaField("Details", validators=[Length(max=MAX_TEXT)], render_kw={"rows": 3})
    follow_up_on = DateField(
        "Follow up by (optional)",
        description="For example, chase children's social care if there is no reply by then.",
        validators=[Optional()],
    )
    follow_up_what = StringField("What to follow up", validators=[Length(max=300)])


class DecisionForm(VersionedForm):
    """Record a decision with its rationale."""

    decision = SelectField(
        "Decision",
        choices=[SelectChoice("", "Choose…")] + [SelectChoice(k, v) for k, v in DECISION_KINDS.items()],
        validators=[DataRequired("Choose the decision.")],
    )
    rationale = TextAreaField(
        "Rationale for the decision",
        description="Why this decision: inspectors look for the reasoning, especially for a decision not to refer.",
        validators=[DataRequired("Record the rationale."), Length(max=MAX_TEXT)],
        render_kw={"rows": 3},
    )


class StatusForm(VersionedForm):
    """Change the status (closing needs an outcome and rationale)."""

    status = SelectField(
        "New status",
        choices=[SelectChoice(s.value, s.label) for s in Status if s != Status.NEW],
        validators=[DataRequired("Choose a status.")],
    )
    outcome = StringField("Outcome (when closing)", validators=[Length(max=200)])
    rationale = TextAreaField(
        "Rationale for closing or reopening",
        description="When closing: why no more is needed. When reopening: why.",
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 2},
    )
    unanswered_reason = TextAreaField(
        "Why required guided-response steps are unanswered (if any)",
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 2},
    )
    open_follow_ups_reason = TextAreaField(
        "Why close with a follow-up still open (if any)",
        description="Or mark the follow-up done first, under Follow-ups.",
        validators=[Length(max=MAX_TEXT)],
        render_kw={"rows": 2},
    )


class LinkForm(VersionedForm):
    """Link a related concern."""

    reference = StringField(
        "Reference of the related concern",
        description="For example OAK-2026-0042.",
        validators=[DataRequired("Enter a reference."), Length(max=24)],
    )


class FollowUpDoneForm(VersionedForm):
    """Mark a follow-up as done."""

    follow_up_id = IntegerField(validators=[InputRequired()])


class AddendumForm(FlaskForm):
    """Add information to a concern (the original account is never edited)."""

    text = TextAreaField(
        "Add information",
        description="Anything you have learned or remembered since. The original account stays as it was.",
        validators=[DataRequired("Write the information you want to add."), Length(max=MAX_TEXT)],
        render_kw={"rows": 3},
    )
    wording_kept_reason = _kept_reason_field()
    wording_flagged = False


class ProtocolAnswerForm(VersionedForm):
    """An answer to one step of a guided response."""

    protocol_id = HiddenField(validators=[DataRequired()])
    step_id = HiddenField(validators=[DataRequired()])
    answer = RadioField("Answer", validators=[InputRequired("Choose an answer.")], validate_choice=False)
    reason = TextAreaField("Reason (needed for some answers)", validators=[Length(max=MAX_TEXT)], render_kw={"rows": 2})


class TextSearchForm(FlaskForm):
    """Search the words of the records. Sent by POST, so that the words (often a child's name or what happened)
    stay out of addresses, server logs and the browser's history."""

    q = StringField(
        "Words to find",
        description='Every word must appear in the entry; "bruises" also finds "bruised".',
        validators=[DataRequired("Type a word to search for (two letters or more)."), Length(max=200)],
    )
