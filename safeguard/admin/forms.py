"""Forms for managing accounts and school settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3; types-WTForms is at 3.2
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, NumberRange, Optional

from safeguard.auth.models import ROLE_LABELS, Role
from safeguard.core.forms import ConfirmForm, MultiCheckboxField, account_email
from safeguard.schools.models import TIME_ZONES

__all__ = ["ConfirmForm", "SchoolSettingsForm", "UserForm"]

ROLE_CHOICES = [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]
TIME_ZONE_CHOICES = [SelectChoice(zone, zone) for zone in sorted(TIME_ZONES)]


class UserForm(FlaskForm):
    """An account's name, e-mail address and roles."""

    display_name = StringField(
        "Name",
        validators=[DataRequired("Enter the person's name."), Length(max=120)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        "E-mail address",
        validators=[
            DataRequired("Enter an e-mail address."),
            account_email,
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    roles = MultiCheckboxField(
        "Roles",
        choices=ROLE_CHOICES,
        description="Administrators manage accounts and settings but do not read concerns unless they also hold the "
        "DSL role.",
        validators=[DataRequired("Choose at least one role.")],
    )


class SchoolSettingsForm(FlaskForm):
    """Settings that appear on exports and in notifications, and the clocks and ladder of the workflow."""

    name = StringField("School name", validators=[DataRequired("Enter the school's name."), Length(max=200)])
    dsl_contact = StringField(
        "How to reach the DSL team",
        description="Printed on reports for outside agencies, for example a telephone number and a secure e-mail.",
        validators=[Length(max=300)],
    )
    protective_marking = StringField(
        "Protective marking",
        description="Printed at the top and bottom of every exported page.",
        validators=[DataRequired("Enter a protective marking."), Length(max=60)],
    )
    timezone = SelectField(
        "Time zone",
        choices=TIME_ZONE_CHOICES,
        description="Times on screen and in exported documents are shown in this zone, and each document names it.",
        # Checked by AnyOf rather than by the field itself, whose message ("Not a valid choice") says too little.
        validate_choice=False,
        validators=[
            DataRequired("Choose the school's time zone."),
            AnyOf(TIME_ZONES, "Choose a time zone from the list, for example Europe/London."),
        ],
    )
    urgent_ack_minutes = IntegerField(
        "Minutes to acknowledge an urgent concern",
        description="If no DSL acknowledges it in time, every DSL and the head are alerted.",
        validators=[InputRequired("Enter a number of minutes."), NumberRange(1, 240, "Between 1 and 240 minutes.")],
    )
    routine_ack_school_days = IntegerField(
        "School days to acknowledge any other concern",
        validators=[InputRequired("Enter a number of school days."), NumberRange(1, 5, "Between 1 and 5 school days.")],
    )
    onward_contact_label = StringField(
        "Next step beyond the school",
        description="Who is alerted when an urgent concern is still not acknowledged after every DSL and the head were "
        'alerted: for example "Trust safeguarding lead" or "Local authority education safeguarding contact". '
        "Leave empty for no further step.",
        validators=[Length(max=120)],
    )
    onward_contact_email = EmailField(
        "Their e-mail address",
        description="They receive the concern's reference and urgency only, never a name.",
        validators=[Optional(), Email("Enter a valid e-mail address."), Length(max=254)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    levels_of_need = TextAreaField(
        "Levels of need",
        description="One per line, lowest first, as your local authority names them.",
        validators=[DataRequired("Enter at least one level of need."), Length(max=1000)],
        render_kw={"rows": 5},
    )
    lead_dsl_id = SelectField(
        "Lead DSL",
        description="With the head, widens access to restricted records and reads who has seen a record.",
        choices=[],
        validate_choice=False,
    )
