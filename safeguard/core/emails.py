"""The one rule for an e-mail address, wherever an account's address is written: the administrators' form, the
account services and the command line.

Two rules drifted apart before: the form checked addresses with ``email_validator`` (which refuses reserved names
such as ``.test``), while accounts created from the command line were only checked for an ``@``, so an account could
be created that its own edit form then refused to save.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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


# A local part in the common dot-atom form (RFC 5322), ASCII only: anything else gets the whole check above.
_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def normalise_emails(addresses: Sequence[str]) -> list[str | InvalidEmail]:
    """Each address as :func:`normalise_email` keeps it, or its :class:`InvalidEmail`: the same rule, for a batch.

    A batch from the MIS holds thousands of addresses on a few domains. Checking a domain is most of the cost of the
    check, so each domain is checked once (by :func:`normalise_email`), and each local part in the common dot-atom
    form by its pattern; any other address gets the whole check.
    """
    domains: dict[str, str | InvalidEmail] = {}
    answers: list[str | InvalidEmail] = []
    for address in addresses:
        trimmed = (address or "").strip()
        local, _, domain = trimmed.rpartition("@")
        if not local or len(trimmed) > MAX_LENGTH or len(local) > 64 or not _DOT_ATOM.match(local):
            try:
                answers.append(normalise_email(trimmed))
            except InvalidEmail as error:
                answers.append(error)
            continue
        if domain not in domains:
            try:
                domains[domain] = normalise_email(f"postmaster@{domain}").rpartition("@")[2]
            except InvalidEmail as error:
                domains[domain] = error
        checked = domains[domain]
        answers.append(checked if isinstance(checked, InvalidEmail) else f"{local.lower()}@{checked}")
    return answers
