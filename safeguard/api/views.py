"""The JSON API at ``/api/v1``, and the administrators' page of the school's API tokens.

Each view of the API: the token and its scope (401/403, :func:`auth.permissions.requires_token`), the token's rate
limit, the body (413, 415, 400, images refused), the idempotency key (the first answer again, or 409), validation
by the view's pydantic model (422, every failing field listed), then one service. Every answer that is not a success
is problem details, and a refused request changes nothing (the request's one transaction is rolled back).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from spectree import Response as Documented

from safeguard.api import services, store
from safeguard.api.forms import RevokeForm, TokenForm
from safeguard.api.problems import FieldProblem, Problem
from safeguard.api.scopes import Scope
from safeguard.api.validation import ProblemDetails, document, spec
from safeguard.auth.permissions import Capability, public, requires, requires_token
from safeguard.core.extensions import csrf, limiter
from safeguard.core.forms import as_id
from safeguard.core.sqltypes import utcnow
from safeguard.mis import services as mis
from safeguard.mis.schemas import PupilBatch, StaffBatch, SyncAnswer
from safeguard.monitoring import services as monitoring
from safeguard.monitoring import store as alerts
from safeguard.monitoring.models import MonitoringAlert
from safeguard.monitoring.schemas import AlertAnswer, AlertIn

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
# The API is called by other systems with a token, never from a browser's form: CSRF does not apply to it.
csrf.exempt(blueprint)

F = TypeVar("F", bound=Callable[..., Any])

# The largest bodies accepted: one alert; a batch of 5,000 pupils with their contacts.
ALERT_BYTES = 64 * 1024
BATCH_BYTES = 24 * 1024 * 1024
PROBLEMS = {f"HTTP_{status}": ProblemDetails for status in (400, 401, 403, 409, 413, 415, 422, 429)}


def _token_key() -> str:
    """The rate limit's key: the token sent (by its digest, never its text), or the address without one."""
    header = request.headers.get("Authorization", "")
    if header:
        return "api-token:" + services.fingerprint("", "", header.encode("utf-8", "replace"))[:32]
    return "api-address:" + (request.remote_addr or "")


rate_limited = limiter.limit(lambda: str(current_app.config["API_RATE_LIMIT"]), key_func=_token_key)


def _read_json(max_bytes: int) -> Any:
    """The request's JSON body, or the problem with it."""
    mimetype = request.mimetype or ""
    if mimetype.startswith("image/") or mimetype.startswith("multipart/"):
        raise Problem(415, monitoring.IMAGE_REFUSED, kind="image-refused")
    if mimetype != "application/json":
        raise Problem(415, "Send the body as JSON, with 'Content-Type: application/json'.")
    if request.content_length is not None and request.content_length > max_bytes:
        raise Problem(413, f"The body is larger than {max_bytes:,} bytes, the most this resource accepts.")
    request.max_content_length = max_bytes
    data = request.get_data(cache=True)
    try:
        return current_app.json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise Problem(400, "The body is not well-formed JSON in UTF-8.") from None


def _check_batch_size(payload: Any) -> None:
    """A batch of more records than the API takes is too large (413), before each record is validated."""
    records = payload.get("records") if isinstance(payload, dict) else None
    if isinstance(records, list) and len(records) > mis.MAX_BATCH:
        raise Problem(
            413,
            f"A batch holds at most {mis.MAX_BATCH:,} records; this one has {len(records):,}.",
            errors=[FieldProblem("/records", f"more than {mis.MAX_BATCH:,} records")],
        )


def accepts_json(max_bytes: int, refuse_images: bool = False) -> Callable[[F], F]:
    """Read the body before validation: its size and type, its JSON, and (for alerts) any image it carries."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            payload = _read_json(max_bytes)
            if refuse_images:
                found = monitoring.imagery(payload)
                if found:
                    raise Problem(422, monitoring.IMAGE_REFUSED, errors=found, kind="image-refused")
            _check_batch_size(payload)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def idempotent(view: F) -> F:
    """Answer a write sent again with the same ``Idempotency-Key`` and body with its first answer; the same key with
    another body is a 409; a first answer that succeeded is kept for the key."""

    @wraps(view)
    def once(*args: Any, **kwargs: Any) -> Any:
        key = services.check_key(request.headers.get("Idempotency-Key"))
        if key is None:
            return view(*args, **kwargs)
        token = g.api_token
        print_ = services.fingerprint(request.method, request.path, request.get_data(cache=True))
        kept = services.earlier_answer(token.id, key, print_)
        if kept is not None:
            replay = jsonify(kept.body)
            replay.status_code = kept.status
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        response = view(*args, **kwargs)
        if isinstance(response, Response) and response.status_code < 400:
            services.keep_answer(token.id, key, print_, response.status_code, response.get_json(silent=True) or {})
        return response

    return once  # type: ignore[return-value]


@blueprint.after_request
def audit_token_use(response: Response) -> Response:
    """Audit each use of a token (kept even when the request was refused), and keep API answers out of caches."""
    token = g.get("api_token")
    if token is not None:
        services.record_use(token, request.method, request.path, response.status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _alert_answer(alert: alerts.AlertStatus | MonitoringAlert, status: int) -> Response:
    answer = AlertAnswer(
        id=alert.id,
        status=alert.outcome,  # type: ignore[arg-type]
        in_tray=alert.in_tray,
        matched=alert.pupil_id is not None,
    )
    response = jsonify(answer.model_dump())
    response.status_code = status
    response.headers["Location"] = url_for("api.alert", alert_id=alert.id)
    return response


@blueprint.post("/alerts")
@requires_token(Scope.ALERTS_WRITE)
@rate_limited
@accepts_json(ALERT_BYTES, refuse_images=True)
@idempotent
@spec.validate(json=AlertIn, resp=Documented(HTTP_201=AlertAnswer, HTTP_200=AlertAnswer, **PROBLEMS), tags=["alerts"])
def receive_alert(json: AlertIn) -> Response:
    """Receive an alert from the school's monitoring software.

    201 with the alert's id and status; 200 with the same for a repeat (the same vendor and event_id). Never an
    image: a request carrying one (a data URL, base64 of an image, an image content type) is refused with a 422.
    """
    token = g.api_token
    received = monitoring.receive_alert(store.school(token.school_id), token.id, json)
    return _alert_answer(received.alert, 201 if received.created else 200)


@blueprint.get("/alerts/<alert_id>")
@requires_token(Scope.ALERTS_READ)
@rate_limited
@spec.validate(resp=Documented(HTTP_200=AlertAnswer, **PROBLEMS, HTTP_404=ProblemDetails), tags=["alerts"])
def alert(alert_id: str) -> Response:
    """An alert of the school: its status (new, attached, false_positive or no_further_action)."""
    identifier = as_id(alert_id)
    found = alerts.alert(g.api_token.school_id, identifier) if identifier is not None else None
    if found is None:
        raise Problem(404, "The school has no alert with this id.")
    return _alert_answer(found, 200)


@blueprint.put("/pupils")
@requires_token(Scope.PUPILS_WRITE)
@rate_limited
@accepts_json(BATCH_BYTES)
@idempotent
@spec.validate(json=PupilBatch, resp=Documented(HTTP_200=SyncAnswer, **PROBLEMS), tags=["mis"])
def sync_pupils(json: PupilBatch) -> Response:
    """Create and update pupils from the MIS, keyed by UPN; mark leavers (never delete).

    The whole batch is checked first: one bad record and nothing is applied, with every problem listed by the
    record's index.
    """
    token = g.api_token
    try:
        result = mis.sync_pupils(store.school(token.school_id), json.records, source=f"token {token.id}")
    except mis.BatchRejected as rejected:
        raise Problem(422, str(rejected), errors=rejected.problems) from None
    return jsonify(result.model_dump())


@blueprint.put("/staff")
@requires_token(Scope.STAFF_WRITE)
@rate_limited
@accepts_json(BATCH_BYTES)
@idempotent
@spec.validate(json=StaffBatch, resp=Documented(HTTP_200=SyncAnswer, **PROBLEMS), tags=["mis"])
def sync_staff(json: StaffBatch) -> Response:
    """Create and update staff accounts from the MIS, keyed by e-mail address (new accounts hold the staff role
    only); a leaver's account is deactivated, never deleted."""
    token = g.api_token
    try:
        result = mis.sync_staff(store.school(token.school_id), json.records, source=f"token {token.id}")
    except mis.BatchRejected as rejected:
        raise Problem(422, str(rejected), errors=rejected.problems) from None
    return jsonify(result.model_dump())


@blueprint.get("/openapi.json")
@public
def openapi() -> Response:
    """The API's OpenAPI 3.1 document (also committed as docs/api/openapi.json)."""
    return jsonify(document())


# ---------------------------------------------------------------------------------------------------------------
# The administrators' page of tokens

tokens_blueprint = Blueprint("api_tokens", __name__, url_prefix="/admin/api-tokens")


@tokens_blueprint.route("/", methods=["GET", "POST"])
@requires(Capability.MANAGE_SCHOOL)
def index():
    """The school's API tokens; make one (shown once)."""
    form = TokenForm()
    school = current_user.school
    made = None
    if form.validate_on_submit():
        try:
            scopes = [Scope(value) for value in form.scopes.data or []]
            made = services.create_token(school, form.name.data or "", scopes, form.days.data or 0, current_user)
        except (services.TokenError, ValueError) as error:
            field = getattr(form, getattr(error, "field", None) or "name")
            field.errors = [*field.errors, str(error)]
    status = 200 if made or not form.errors else 400
    return (
        render_template(
            "api/tokens.html",
            form=form,
            made=made,
            tokens=store.school_tokens(school.id),
            revoke_form=RevokeForm(),
            now=utcnow(),
        ),
        status,
    )


@tokens_blueprint.post("/<token_id>/revoke")
@requires(Capability.MANAGE_SCHOOL)
def revoke(token_id: str):
    """Revoke a token at once."""
    identifier = as_id(token_id)
    token = store.token(current_user.school_id, identifier) if identifier is not None else None
    if token is None:
        abort(404)
    if not RevokeForm().validate_on_submit():
        return redirect(url_for("api_tokens.index"))
    if services.revoke_token(current_user.school, token.id, current_user):
        flash(f"The token for {token.name} was revoked: it no longer works.", "success")
    return redirect(url_for("api_tokens.index"))
