"""JSON read from what people and systems send: one rule for a body too deeply nested to read."""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a document nested too deeply for Python to read (``[[[[…`` ten thousand times) is
    malformed input, a ``ValueError``, like any other JSON that cannot be read.

    Python's decoder recurses once per level, so such a body raised ``RecursionError``, which nothing handling
    ``ValueError`` catches: a server error. How deep it may go depends on how deep the stack already is, so a body
    read safely in one place failed in another (the API read the body, then its validation read it again a few
    frames deeper). Every reader of a request's JSON (``request.get_json``, ``current_app.json.loads``) goes through
    here.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse ``s``; ``ValueError`` if it is not JSON or is nested too deeply to read."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("The JSON is nested too deeply to read.") from None
