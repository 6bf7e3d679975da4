"""Field constraints the API's models share: text a database can hold, without control characters.

Use as ``Annotated[str, limits(60, 1), NO_CONTROL, STRICT]``.
"""

from __future__ import annotations

import re

from pydantic import AfterValidator, Field, StringConstraints

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    """Refuse NUL and the other control characters but tab and line breaks (a database cannot hold NUL)."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def limits(max_length: int, min_length: int = 0) -> StringConstraints:
    """Trimmed, and from ``min_length`` to ``max_length`` characters."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


NO_CONTROL = AfterValidator(_no_control_characters)
# A string must be sent as a string (not a number turned into one).
STRICT = Field(strict=True)
