"""The transfer pages' forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from safeguard.transfers.models import LINK, SAFEGUARD

PAPER = "paper"


class PartnerForm(FlaskForm):
    """A school this one exchanges files with."""

    name = StringField("School's name", validators=[DataRequired("Enter the school's name."), Length(max=200)])
    url = StringField(
        "Address of its Safeguard",
        validators=[Optional(), Length(max=300)],
        description="For example https://safeguard.elmwood.sch.uk. Leave empty for a school that sends files only.",
    )
    public_key = StringField(
        "Its public key",
        validators=[DataRequired("Enter the school's public key."), Length(max=100)],
        description="44 characters ending in '='. Compare its fingerprint with the school's DSL, by telephone or on "
        "headed paper, before sending them anything.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class SendForm(FlaskForm):
    """How the child's file goes to the next school."""

    way = RadioField(
        "How to send it",
        choices=[
            SelectChoice(SAFEGUARD, "To the school's Safeguard (signed and encrypted, with a signed receipt)"),
            SelectChoice(LINK, "A one-time link, for a school on another system (with a code you send separately)"),
            SelectChoice(PAPER, "Paper or secure e-mail (a PDF with a receipt page to return)"),
        ],
        default=SAFEGUARD,
        validators=[InputRequired("Choose how to send the file.")],
    )
    partner = SelectField("Receiving school", choices=[], validate_choice=False)
    to_name = StringField(
        "Receiving school's name (for a link)",
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    days = IntegerField(
        "Days the link stays valid",
        default=7,
        validators=[Optional(), NumberRange(min=1, max=14, message="Between 1 and 14 days.")],
    )


class CodeForm(FlaskForm):
    """The code the sending school gave, to download the file."""

    code = StringField(
        "Code",
        validators=[DataRequired("Enter the code the sending school gave you."), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class ConfirmReceiptForm(FlaskForm):
    """The receiving DSL confirms receipt on the link's page."""

    code = StringField(
        "Code",
        validators=[DataRequired("Enter the code the sending school gave you."), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(
        "Your name and role",
        validators=[DataRequired("Enter your name and role."), Length(max=150)],
        description="For example: Sam Patel, designated safeguarding lead.",
    )


class SettingsForm(FlaskForm):
    """What this school keeps once the receiving school has confirmed receipt."""

    keeps_file = BooleanField(
        "Keep our copy of the child's file after receipt is confirmed",
        description="Unticked: after receipt, only the record of the transfer is kept here (the retention rules "
        "remove the file).",
    )
