"""The one place the app keeps what it built for later requests (per app, bounded).

Request-long values live in ``flask.g``; what outlives a request (the menu for a set of capabilities, the category
filter's options for a vocabulary) lives here, under a namespace, and is built again when evicted. Only values that
depend on nothing but their key belong here, never a record's data.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app

T = TypeVar("T")

# Entries kept per namespace; a namespace that fills is emptied and built again as it is used.
MAX_ENTRIES = 2048


def app_cached(namespace: str, key: Hashable, build: Callable[[], T]) -> T:
    """The value kept for ``key`` in ``namespace``, built by ``build()`` the first time it is asked for."""
    spaces: dict[str, dict[Hashable, Any]] = current_app.extensions.setdefault("safeguard.cache", {})
    kept = spaces.setdefault(namespace, {})
    if key not in kept:
        if len(kept) >= MAX_ENTRIES:
            kept.clear()
        kept[key] = build()
    return kept[key]  # type: ignore[no-any-return]
