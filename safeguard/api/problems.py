"""RFC 9457 problem details: every answer of the API that is not a success.

A problem names its status, a title, a detail a person can act on and, for bad input, each failing field as a JSON
pointer into the body (``/records/3/upn``) with the record's index when the body is a batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"

# The types of problem this API answers with (URNs: they identify, they are not pages to fetch).
TYPES = {
    400: "urn:safeguard:problem:malformed",
    401: "urn:safeguard:problem:unauthenticated",
    403: "urn:safeguard:problem:forbidden",
    404: "urn:safeguard:problem:not-found",
    405: "urn:safeguard:problem:method-not-allowed",
    409: "urn:safeguard:problem:conflict",
    413: "urn:safeguard:problem:too-large",
    415: "urn:safeguard:problem:unsupported-media-type",
    422: "urn:safeguard:problem:invalid",
    429: "urn:safeguard:problem:rate-limited",
}
TITLES = {
    400: "The request is not well-formed JSON",
    401: "A valid API token is needed",
    403: "The token does not allow this",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "The request is too large",
    415: "The request must be JSON",
    422: "The request has invalid values",
    429: "Too many requests",
}


@dataclass(frozen=True)
class FieldProblem:
    """One failing field: where it is (a JSON pointer), which record of a batch, and what is wrong."""

    pointer: str
    detail: str
    index: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The field's problem as the body lists it."""
        answer: dict[str, Any] = {"pointer": self.pointer, "detail": self.detail}
        if self.index is not None:
            answer["index"] = self.index
        return answer


def pointer(location: Iterable[str | int]) -> str:
    """A JSON pointer (RFC 6901) to a place in the body."""
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in location]
    return "/" + "/".join(parts) if parts else ""


class Problem(HTTPException):
    """An API error answered as problem details (raise it from any layer of a request to the API)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: Sequence[FieldProblem] = (),
        kind: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = status
        self.detail = detail
        self.errors = list(errors)
        self.kind = kind
        self.extra_headers = headers or {}
        # The known token a request was refused with (its use is audited all the same).
        self.token: Any = None

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        """The problem as an ``application/problem+json`` answer."""
        return problem_response(self.code or 400, self.detail, self.errors, self.kind, self.extra_headers)


def problem_response(
    status: int,
    detail: str,
    errors: Sequence[FieldProblem] = (),
    kind: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An answer of problem details."""
    body: dict[str, Any] = {
        "type": f"urn:safeguard:problem:{kind}" if kind else TYPES.get(status, "about:blank"),
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [error.as_json() for error in errors]
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_http_error(error: HTTPException) -> Response:
    """A werkzeug error (a route not found, a method not allowed, a body too large, a rate limit) as problem
    details."""
    status = error.code or 500
    if isinstance(error, Problem):
        return error.get_response()
    details = {
        404: "There is no such resource in this API.",
        405: "This resource does not accept that method.",
        413: "The request body is larger than this API accepts.",
        429: "This token has sent too many requests: wait a minute and send again.",
    }
    detail = details.get(status) or (error.description or TITLES.get(status, "Error"))
    headers = {"Allow": error.response.headers["Allow"]} if status == 405 and error.response is not None else {}
    if status == 405 and not headers:
        headers = {k: v for k, v in error.get_headers() if k == "Allow"}
    return problem_response(status, detail, headers=headers)
