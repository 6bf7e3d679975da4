"""The body map's form rows: one mark each, placed on an outline or chosen from the list of regions."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is at 3.2
from wtforms.validators import Length, Optional

from safeguard.bodymap.services import NewMark
from safeguard.terminology.model import BodyMapVocabulary

SIDE_CHOICES = [
    SelectChoice("", "No side (the chest, the back…)"),
    SelectChoice("left", "The child's left"),
    SelectChoice("right", "The child's right"),
]
# Rows a form holds at most: more marks are added in a second entry.
MAX_ROWS = 30


class _SeenAtField(DateTimeLocalField):
    """When the mark was seen; its error says what to type."""

    def process_formdata(self, valuelist):
        """Parse the browser's value; explain the expected form on failure."""
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(
                "Enter when the mark was seen as a date and a time, for example 23/11/2026 09:30."
            ) from None


class MarkForm(Form):
    """One mark (a sub-form: the form around it carries the CSRF token)."""

    # Filled in by the outline when the mark is placed on it (fractions of the outline's width and height).
    view = HiddenField()
    x = HiddenField()
    y = HiddenField()
    region = SelectField("Part of the body", validate_choice=False)
    side = SelectField("Side", choices=SIDE_CHOICES, validate_choice=False)
    pupil_id = SelectField("Which child", validate_choice=False)
    kind = SelectField("Kind of mark", validate_choice=False)
    length_cm = StringField("Length (cm)", validators=[Optional(), Length(max=20)], render_kw={"inputmode": "decimal"})
    width_cm = StringField(
        "Width (cm, optional)", validators=[Optional(), Length(max=20)], render_kw={"inputmode": "decimal"}
    )
    shape = StringField(
        "Shape", description="For example: round, a line, finger-tip pattern.", validators=[Length(max=200)]
    )
    colour = StringField("Colour", description="For example: red, purple, yellowing.", validators=[Length(max=200)])
    seen_at = _SeenAtField("When it was seen", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    child_words = TextAreaField(
        "What the child said about it, in their own words",
        description="Write their words exactly. Do not ask leading questions.",
        validators=[Length(max=5000)],
        render_kw={"rows": 2},
    )

    def new_mark(self, zone: ZoneInfo) -> NewMark:
        """The mark as entered, its time read in the school's ``zone``."""
        seen: datetime | None = self.seen_at.data
        return NewMark(
            region_id=self.region.data or "",
            side=self.side.data or "",
            view=self.view.data or "",
            x=self.x.data or "",
            y=self.y.data or "",
            kind=self.kind.data or "",
            length_cm=self.length_cm.data or "",
            width_cm=self.width_cm.data or "",
            shape=self.shape.data or "",
            colour=self.colour.data or "",
            seen_at=seen.replace(tzinfo=zone) if seen else None,
            child_words=self.child_words.data or "",
            pupil_id=int(self.pupil_id.data) if (self.pupil_id.data or "").isdigit() else None,
        )


def marks_field() -> FieldList:
    """The marks of a form: as many rows as entered, and one empty row to enter the next."""
    # One more row than a form offers: a form sent with more is refused by the service, never cut short in silence.
    return FieldList(FormField(MarkForm), min_entries=0, max_entries=MAX_ROWS + 1)


def add_mark_button() -> SubmitField:
    """The button that adds a row without sending the form (without JavaScript, the page comes back with it)."""
    return SubmitField("Add another mark")


class AddMarksForm(FlaskForm):
    """Marks added to a concern after it was logged, in a new chronology entry."""

    marks = marks_field()
    add_mark = add_mark_button()
    note = TextAreaField(
        "Anything to add about these marks (optional)", validators=[Length(max=20_000)], render_kw={"rows": 2}
    )
    wording_kept_reason = StringField(
        "Reason for keeping these words",
        description="Only if you must keep a term the checker flagged.",
        validators=[Optional(), Length(max=500)],
    )
    # Set when the text was refused for its wording: the page then asks for the reason for keeping it.
    wording_flagged = False


def prepare_rows(marks: FieldList, vocabulary: BodyMapVocabulary, children: list[tuple[int, str]]) -> None:
    """Give every row its choices, and end the list with one empty row for the next mark.

    :param children: the concern's children as (id, name): asked for only when there are several.
    """
    entries = list(marks.entries)
    if (not entries or not entries[-1].form.new_mark(ZoneInfo("UTC")).blank) and len(entries) < MAX_ROWS:
        marks.append_entry()
    region_choices = [SelectChoice("", "Choose…")] + [SelectChoice(r.id, r.label) for r in vocabulary.regions.values()]
    kind_choices = [SelectChoice("", "Choose…")] + [SelectChoice(k, label) for k, label in vocabulary.kinds.items()]
    child_choices = [SelectChoice("", "Choose…")] + [SelectChoice(str(i), name) for i, name in children]
    for entry in marks.entries:
        entry.form.region.choices = region_choices
        entry.form.kind.choices = kind_choices
        entry.form.pupil_id.choices = child_choices


def entered_marks(marks: FieldList, zone: ZoneInfo) -> list[NewMark]:
    """The marks of a form as entered (blank rows included: the service sets them aside)."""
    return [entry.form.new_mark(zone) for entry in marks.entries]
