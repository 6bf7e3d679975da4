"""The one rule for an e-mail address, wherever an account's address is written: the administrators' form, the
account services and the command line.

Two rules drifted apart before: the form checked addresses with ``email_validator`` (which refuses reserved names
such as ``.test``), while accounts created from the command line were only checked for an ``@``, so an account could
be created that its own edit form then refused to save.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 254


class InvalidEmail(ValueError):
    """An address that cannot be an account's; the message is fit to show beside the field."""


def normalise_email(address: str) -> str:
    """The address as accounts keep it (trimmed, lower case, its domain in its normal form), or :class:`InvalidEmail`.

    The syntax and the domain are checked (reserved names such as ``.test`` or ``.invalid`` refused); whether the
    domain receives mail is not looked up, so that an account can be created without a network.
    """
    address = (address or "").strip()
    if not address:
        raise InvalidEmail("Enter an e-mail address.")
    if len(address) > MAX_LENGTH:
        raise InvalidEmail(f"An e-mail address can be at most {MAX_LENGTH} characters.")
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(f"Enter a valid e-mail address: {error}") from None
    return checked.normalized.lower()
