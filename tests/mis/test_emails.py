"""A batch's addresses are checked by the one rule: the same answers as core/emails.normalise_email, one by one."""

from __future__ import annotations

import pytest

from safeguard.core.emails import InvalidEmail, normalise_email, normalise_emails

ADDRESSES = [
    "Ava.Patel@Pupils.Oakfield.example.org",
    " jo+monitoring@oakfield.example ",
    "o'brien@oakfield.example",
    "zoë@oakfield.example",
    "no-at-sign.example",
    "two@@oakfield.example",
    "dots..twice@oakfield.example",
    "someone@reserved.test",
    "someone@bücher.example",
    "",
    "x" * 65 + "@oakfield.example",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_batch_check_answers_as_the_single_check(address):
    try:
        single: str | type[InvalidEmail] = normalise_email(address)
    except InvalidEmail:
        single = InvalidEmail
    (batch,) = normalise_emails([address])
    assert (type(batch) if isinstance(batch, InvalidEmail) else batch) == single
