"""No browser session on the API: a request to ``/api/`` gets a null session, so a cookie sent with it is never read
(a signed-in browser cannot call the API) and no cookie is set by its answer."""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

API_PREFIX = "/api/"


def is_api_request() -> bool:
    """Whether the request being answered is one to the API."""
    return has_request_context() and request.path.startswith(API_PREFIX)


class SessionsOffTheApi(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions everywhere but the API."""

    def open_session(self, app: Flask, request: Request) -> Any:
        """A null session for the API (it ignores cookies); the signed cookie's session elsewhere."""
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)
