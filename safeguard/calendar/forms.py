"""The school calendar's forms: a term or a closure entered by hand, an iCalendar file to import."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, RadioField, StringField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3
from wtforms.validators import DataRequired, InputRequired, Length

from safeguard.calendar.models import CLOSURE, TERM


class PeriodForm(FlaskForm):
    """A term, or a day or days the school is closed."""

    kind = RadioField(
        "What it is",
        choices=[
            SelectChoice(TERM, "A term (the school is open on its weekdays)"),
            SelectChoice(CLOSURE, "A closure (half-term, INSET day, bank holiday)"),
        ],
        default=TERM,
        validators=[InputRequired("Choose a term or a closure.")],
    )
    name = StringField(
        "Name",
        validators=[DataRequired("Give it a name (for example: Autumn term)."), Length(max=120)],
        description="For example: Autumn term 2026, October half-term, INSET day.",
    )
    first_day = DateField("First day", validators=[InputRequired("Enter the first day.")])
    last_day = DateField("Last day", validators=[InputRequired("Enter the last day.")])


class ImportForm(FlaskForm):
    """An iCalendar file of the school's dates (the local authority's or the trust's term dates)."""

    ics = FileField(
        "iCalendar file (.ics)",
        validators=[FileRequired("Choose an .ics file.")],
        description="Events named with 'term' become terms; 'holiday', 'half-term', 'INSET' or 'closed' become "
        "closures. An import replaces the dates an earlier import brought; dates entered by hand stay.",
    )
