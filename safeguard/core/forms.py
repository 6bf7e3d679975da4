"""Helpers shared by the feature forms."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import current_app, request
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from safeguard.core.emails import InvalidEmail, normalise_email


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes, one per choice."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def attach_error(form: FlaskForm, error: Exception, default_field: str | None = None) -> None:
    """Show a service's error beside the field it names (``error.field``), or at the top of the form."""
    name = getattr(error, "field", None) or default_field
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors"):
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(str(error))
    else:
        form.form_errors.append(str(error))


T = TypeVar("T")


def required_data(data: T | None) -> T:
    """The data of a field whose validators require it (``DataRequired``, ``InputRequired``), once its form has
    validated: never ``None`` then (the field's type says "or None" because it may not have been submitted)."""
    if data is None:
        raise ValueError("a required field has no data: validate the form first")
    return data


class ConfirmForm(FlaskForm):
    """A button that changes something: CSRF-protected, no fields."""


# The largest id a 32-bit integer column holds: anything larger cannot name a record.
MAX_ID = 2**31 - 1


def as_id(value: object) -> int | None:
    """Read a record id from untrusted input: a positive whole number that fits the database, else ``None``."""
    text = str(value or "").strip()
    # ASCII digits only: "²" and "①" pass str.isdigit() but are no number int() reads.
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def json_body(max_bytes: int) -> Any:
    """The request's JSON body, or ``None`` when it is missing, larger than ``max_bytes``, malformed or nested too
    deeply to read (``[[[[…`` a hundred thousand times deep is refused here, not a server error)."""
    if request.mimetype != "application/json":
        return None
    if request.content_length is not None and request.content_length > max_bytes:
        return None
    raw = request.get_data(cache=True)
    if len(raw) > max_bytes:
        return None
    try:
        return current_app.json.loads(raw)
    except ValueError:
        return None


def account_email(form: FlaskForm, field: Field) -> None:
    """WTForms validator: an account's e-mail address by the one rule (:func:`safeguard.core.emails.normalise_email`)."""
    try:
        normalise_email(field.data or "")
    except InvalidEmail as error:
        raise ValidationError(str(error)) from None


class AsciiFieldList(FieldList):  # type: ignore[type-arg]  # generic in types-WTForms only
    """A ``FieldList`` that reads an entry's index from a submitted name (``pupils-0-pupil_id``) in ASCII digits only.

    WTForms accepts any index for which ``str.isdigit()`` is true, then calls ``int()`` on it: ``pupils-²-pupil_id``
    passed the first and failed the second, a 500 (issue 21). As :func:`as_id` does for ids, other digits are ignored.
    """

    def _extract_indices(self, prefix: str, formdata: Any) -> Any:
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]  # type: ignore[attr-defined]
                if index.isascii() and index.isdigit():
                    yield int(index)
