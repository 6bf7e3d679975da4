"""What an API token may be given: one scope per kind of write or read."""

from __future__ import annotations

import enum


class Scope(enum.StrEnum):
    """A scope an administrator grants a token."""

    PUPILS_WRITE = "pupils:write"
    STAFF_WRITE = "staff:write"
    ALERTS_WRITE = "alerts:write"
    ALERTS_READ = "alerts:read"

    @property
    def label(self) -> str:
        """What the scope allows, as the tokens page says it."""
        return SCOPE_LABELS[self]


SCOPE_LABELS = {
    Scope.PUPILS_WRITE: "Send pupils (MIS sync)",
    Scope.STAFF_WRITE: "Send staff (MIS sync)",
    Scope.ALERTS_WRITE: "Send monitoring alerts",
    Scope.ALERTS_READ: "Read monitoring alerts' outcomes",
}


def parse_scopes(text: str) -> list[Scope]:
    """Parse ``"alerts:write,pupils:write"``; raise ``ValueError`` naming an unknown scope."""
    scopes: list[Scope] = []
    for part in (text or "").replace(" ", ",").split(","):
        part = part.strip().lower()
        if not part:
            continue
        try:
            scope = Scope(part)
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise ValueError(f"unknown scope {part!r} (known scopes: {known})") from None
        if scope not in scopes:
            scopes.append(scope)
    if not scopes:
        raise ValueError("at least one scope is needed")
    return scopes
