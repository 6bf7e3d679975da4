"""Request validation (pydantic models through spectree) and the OpenAPI 3.1 document generated from the same models.

Spectree validates each request's JSON against the view's model before the view runs; a failure is answered as
problem details listing every failing field (not spectree's own list), and the document it generates is the one
committed as ``docs/api/openapi.json`` and served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from spectree import SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from safeguard.api.problems import FieldProblem, Problem, pointer

API_VERSION = "1.0.0"


class FieldError(BaseModel):
    """One failing field of a request."""

    pointer: str = Field(description="A JSON pointer to the field in the request body (RFC 6901).")
    detail: str
    index: int | None = Field(None, description="For a batch: the index of the record (from 0).")


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(title="ProblemDetails")

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


def _problem_from_validation(_request: Any, _response: Any, error: Any, _instance: Any, *_args: Any) -> None:
    """Spectree's hook before the view: a request that failed validation is answered as problem details."""
    if error is None:
        return
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        location = list(item.get("loc", ()))
        index = location[1] if len(location) > 1 and location[0] == "records" and isinstance(location[1], int) else None
        problems.append(FieldProblem(pointer(location), str(item.get("msg", "invalid")), index))
    count = len(problems)
    raise Problem(
        422,
        f"{count} invalid value{'s' if count != 1 else ''} in the request: nothing was changed.",
        errors=problems,
    )


spec = SpecTree(
    "flask",
    mode="strict",
    title="Safeguard API",
    version=API_VERSION,
    description=(
        "The JSON API for the systems around a school: its MIS (pupils and staff) and its filtering and monitoring "
        "software (alerts). Authenticate with the school's API token as `Authorization: Bearer <token>`. Errors are "
        "RFC 9457 problem details. Every write accepts an `Idempotency-Key` header."
    ),
    before=_problem_from_validation,
    validation_error_status=422,
    validation_error_model=ProblemDetails,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer", description="The school's API token"),
        )
    ],
    security={"bearer": []},
    annotations=True,
    # Components named as the models are (AlertIn, not AlertIn.8f3c9cc): the document reads as the API is written.
    naming_strategy=lambda model: model.__name__,
)


def document() -> dict[str, Any]:
    """The OpenAPI document of the API (call within the app's context: it reads the app's routes)."""
    document: dict[str, Any] = spec.spec
    return document
