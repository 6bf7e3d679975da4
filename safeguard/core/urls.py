"""Safe handling of ``next=`` redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, otherwise ``None`` (no open redirect).

    Only a path beginning with a single ``/`` is accepted: no scheme, no host, no ``//host`` or ``/\\host``
    (browsers treat a backslash as a slash), and no control characters.
    """
    if not target or len(target) > 2000:
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
