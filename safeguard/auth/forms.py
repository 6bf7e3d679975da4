"""Sign-in and password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from safeguard.auth.passwords import MAX_LENGTH, MIN_LENGTH


class SignInForm(FlaskForm):
    """E-mail address and password."""

    email = EmailField(
        "E-mail address",
        validators=[DataRequired("Enter your e-mail address."), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(FlaskForm):
    """Change one's own password."""

    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        description=f"At least {MIN_LENGTH} characters. A few unrelated words make a strong, memorable password.",
        validators=[
            DataRequired("Enter a new password."),
            Length(
                min=MIN_LENGTH,
                max=MAX_LENGTH,
                message=f"Use between {MIN_LENGTH} and {MAX_LENGTH} characters.",
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[
            DataRequired("Enter the new password again."),
            EqualTo("new_password", "The passwords do not match."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class TwoFactorForm(FlaskForm):
    """The code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        description="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
        validators=[DataRequired("Enter the code."), Length(max=20)],
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "text",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


class EnrolForm(FlaskForm):
    """Confirm a new authenticator with its first code."""

    code = StringField(
        "Code from your authenticator app",
        description="Scan the QR code (or type the key), then enter the 6 digits the app shows.",
        validators=[DataRequired("Enter the 6-digit code."), Length(max=10)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class AwayForm(FlaskForm):
    """A DSL's absence: the first and last day away, or clearing it."""

    away_from = DateField(
        "First day away",
        validators=[Optional()],
        description="While you are away you still see everything, but you are not counted as the team's cover.",
    )
    away_until = DateField("Last day away", validators=[Optional()])
    clear = BooleanField("I am not away: clear my away dates")


class LinkPasswordForm(FlaskForm):
    """A new password, set by the account's owner through a one-time link."""

    new_password = PasswordField(
        "New password",
        description=f"At least {MIN_LENGTH} characters. A few unrelated words make a strong, memorable password.",
        validators=[
            DataRequired("Enter a new password."),
            Length(min=MIN_LENGTH, max=MAX_LENGTH, message=f"Use between {MIN_LENGTH} and {MAX_LENGTH} characters."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[
            DataRequired("Enter the new password again."),
            EqualTo("new_password", "The passwords do not match."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class LinkSecondFactorForm(FlaskForm):
    """The owner's password, before their second factor is removed through a one-time link."""

    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
