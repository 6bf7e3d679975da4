"""Forms for managing accounts and school settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, StringField
from wtforms.validators import DataRequired, Email, Length

from safeguard.auth.models import ROLE_LABELS, Role
from safeguard.forms import ConfirmForm, MultiCheckboxField

__all__ = ["ConfirmForm", "SchoolSettingsForm", "UserForm"]

ROLE_CHOICES = [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]


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
            Email("Enter a valid e-mail address."),
            Length(max=254),
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
    """Settings that appear on exports and in notifications."""

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
