"""Contract tests of the API's alerts, tokens, errors and idempotency, over HTTP against the running app."""

from __future__ import annotations

import base64
import json
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from safeguard.api.models import ApiToken
from safeguard.api.scopes import Scope
from safeguard.audit.models import AuditEvent
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.monitoring.models import MonitoringAlert
from safeguard.notifications.models import Notification, OutboxMessage
from tests import factories
from tests.api.conftest import alert_body

PROBLEM = "application/problem+json"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4).decode()


def _alerts() -> int:
    return db.session.scalar(select(func.count()).select_from(MonitoringAlert)) or 0


def test_the_openapi_document_in_the_repository_is_the_one_served(api):
    served = api.call("GET", "/api/v1/openapi.json")
    assert served.status == 200
    committed = json.loads((Path(__file__).parents[2] / "docs" / "api" / "openapi.json").read_text())
    assert served.json == committed
    assert committed["openapi"].startswith("3.1")
    assert {"/api/v1/alerts", "/api/v1/pupils", "/api/v1/staff"} <= set(committed["paths"])


def test_an_alert_is_received_once_and_a_repeat_answers_the_same(api, school, make_token):
    factories.pupil(school.school, "Jamie", "Smith", username="jsmith15")
    token = make_token(school.school, Scope.ALERTS_WRITE)
    first = api.call("POST", "/api/v1/alerts", alert_body(), token=token)
    assert first.status == 201
    assert first.json["status"] == "new" and first.json["in_tray"] and first.json["matched"]
    assert first.headers["Location"] == f"/api/v1/alerts/{first.json['id']}"
    again = api.call("POST", "/api/v1/alerts", alert_body(), token=token)
    assert again.status == 200
    assert again.json == first.json
    assert _alerts() == 1


def test_an_alert_below_the_schools_severity_is_counted_not_shown(api, school, make_token):
    token = make_token(school.school, Scope.ALERTS_WRITE)
    answer = api.call("POST", "/api/v1/alerts", alert_body(severity=2, username="nobody"), token=token)
    assert answer.status == 201
    assert answer.json["in_tray"] is False and answer.json["matched"] is False


def test_a_severity_5_alert_alerts_the_dsl_team_at_once(api, school, make_token):
    token = make_token(school.school, Scope.ALERTS_WRITE)
    answer = api.call("POST", "/api/v1/alerts", alert_body(severity=5), token=token)
    assert answer.status == 201
    notes = db.session.scalars(select(Notification)).all()
    assert [n.user_id for n in notes] == [school.dsl.id]
    assert notes[0].link == f"/monitoring/alerts/{answer.json['id']}"
    mail = db.session.scalars(select(OutboxMessage)).all()
    assert [m.to_address for m in mail] == [school.dsl.email]
    assert "jsmith15" not in mail[0].body and "tablets" not in mail[0].body


def test_no_token_a_bad_token_a_revoked_or_expired_token_is_401(api, school, make_token):
    missing = api.call("POST", "/api/v1/alerts", alert_body())
    assert missing.status == 401 and missing.media_type == PROBLEM
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert api.call("POST", "/api/v1/alerts", alert_body(), token="sgapi_" + "x" * 43).status == 401
    revoked = make_token(school.school, Scope.ALERTS_WRITE)
    db.session.execute(update(ApiToken).values(revoked_at=utcnow()))
    db.session.commit()
    answer = api.call("POST", "/api/v1/alerts", alert_body(), token=revoked)
    assert answer.status == 401 and "revoked" in answer.json["detail"]
    expired = make_token(school.school, Scope.ALERTS_WRITE, days=1)
    db.session.execute(
        update(ApiToken).where(ApiToken.revoked_at.is_(None)).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    answer = api.call("POST", "/api/v1/alerts", alert_body(), token=expired)
    assert answer.status == 401 and "expired" in answer.json["detail"]
    assert _alerts() == 0


def test_a_token_without_the_scope_is_403(api, school, make_token):
    token = make_token(school.school, Scope.PUPILS_WRITE)
    answer = api.call("POST", "/api/v1/alerts", alert_body(), token=token)
    assert answer.status == 403 and answer.media_type == PROBLEM
    assert "alerts:write" in answer.json["detail"]
    assert api.call("GET", "/api/v1/alerts/1", token=token).status == 403


def test_a_browser_session_does_not_work_on_the_api_and_a_token_not_on_the_pages(
    api, app, client, school, sign_in, make_token
):
    sign_in(school.staff)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    assert api.call("GET", "/concerns/mine", headers={"Cookie": f"{cookie.key}={cookie.value}"}).status == 200
    answer = api.call("GET", "/api/v1/alerts/1", headers={"Cookie": f"{cookie.key}={cookie.value}"})
    assert answer.status == 401
    assert "Set-Cookie" not in answer.headers
    token = make_token(school.school)
    page = api.call("GET", "/concerns/mine", token=token)
    assert "Sign in" in page.body.decode("utf-8", "replace")


def test_every_use_of_a_token_is_audited_even_when_refused(api, school, make_token):
    token = make_token(school.school, Scope.ALERTS_WRITE)
    api.call("POST", "/api/v1/alerts", alert_body(), token=token)
    api.call("POST", "/api/v1/alerts", alert_body(severity=9), token=token)
    api.call("GET", "/api/v1/alerts/1", token=token)
    uses = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "api.token_used").order_by(AuditEvent.id))
    assert [event.detail["status"] for event in uses] == [201, 422, 403]


def test_bad_input_is_problem_details_naming_the_field(api, school, make_token):
    token = make_token(school.school, Scope.ALERTS_WRITE)
    answer = api.call("POST", "/api/v1/alerts", alert_body(severity=7, occurred_at="yesterday"), token=token)
    assert answer.status == 422 and answer.media_type == PROBLEM
    pointers = {error["pointer"] for error in answer.json["errors"]}
    assert pointers == {"/severity", "/occurred_at"}
    unknown = api.call("POST", "/api/v1/alerts", alert_body(colour="red"), token=token)
    assert unknown.status == 422 and unknown.json["errors"][0]["pointer"] == "/colour"
    naive = api.call("POST", "/api/v1/alerts", alert_body(occurred_at="2026-11-30T10:15:00"), token=token)
    assert naive.status == 422
    malformed = api.call("POST", "/api/v1/alerts", raw=b'{"vendor": ', token=token)
    assert malformed.status == 400 and malformed.media_type == PROBLEM
    not_json = api.call("POST", "/api/v1/alerts", raw=b"vendor=x", token=token, content_type="text/plain")
    assert not_json.status == 415
    huge = api.call("POST", "/api/v1/alerts", alert_body(excerpt="a" * 100_000), token=token)
    assert huge.status == 413 and huge.media_type == PROBLEM
    assert _alerts() == 0


def test_json_nested_at_the_depth_python_can_read_is_refused_never_a_server_error(api, school, make_token):
    # How deep a body Python can read depends on how deep the stack already is: the API once read a body safely, and
    # its validation read it again a few frames deeper and failed (a 500, found by the hostile-input campaign). Every
    # depth around the interpreter's limit is sent, so that whichever depth sits on the edge here is among them.
    token = make_token(school.school, Scope.ALERTS_WRITE)
    limit = sys.getrecursionlimit()
    answers = {}
    for depth in range(limit - 300, limit + 20, 2):
        answer = api.call("POST", "/api/v1/alerts", raw=b"[" * depth + b"]" * depth, token=token)
        answers[depth] = answer.status
    assert all(400 <= status < 500 for status in answers.values()), {d: s for d, s in answers.items() if s >= 500}
    assert _alerts() == 0


def test_an_image_is_never_accepted(api, school, make_token):
    token = make_token(school.school, Scope.ALERTS_WRITE)
    for body in (
        alert_body(excerpt="data:image/png;base64," + PNG),
        alert_body(excerpt=PNG),
        alert_body(screenshot=PNG),
        alert_body(attachment={"content": base64.b64encode(bytes(range(256)) * 2).decode()}),
    ):
        answer = api.call("POST", "/api/v1/alerts", body, token=token)
        assert answer.status == 422, body
        assert answer.json["type"] == "urn:safeguard:problem:image-refused"
        assert "child sexual abuse material" in answer.json["detail"]
    picture = api.call("POST", "/api/v1/alerts", raw=base64.b64decode(PNG), token=token, content_type="image/png")
    assert picture.status == 415 and "never accepted" in picture.json["detail"]
    assert _alerts() == 0


def test_idempotency_keys(api, school, make_token):
    token = make_token(school.school, Scope.ALERTS_WRITE)
    key = {"Idempotency-Key": "5f1c0a4e-key"}
    first = api.call("POST", "/api/v1/alerts", alert_body(), token=token, headers=key)
    again = api.call("POST", "/api/v1/alerts", alert_body(), token=token, headers=key)
    assert first.status == again.status == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    other = api.call("POST", "/api/v1/alerts", alert_body(event_id="evt-2"), token=token, headers=key)
    assert other.status == 409 and other.media_type == PROBLEM
    too_long = api.call(
        "POST", "/api/v1/alerts", alert_body(event_id="evt-3"), token=token, headers={"Idempotency-Key": "k" * 201}
    )
    assert too_long.status == 422
    # Another token's key of the same name is its own.
    second = make_token(school.school, Scope.ALERTS_WRITE)
    theirs = api.call("POST", "/api/v1/alerts", alert_body(event_id="evt-9"), token=second, headers=key)
    assert theirs.status == 201
    assert _alerts() == 2


def test_an_alert_is_read_with_alerts_read_and_only_in_its_own_school(api, school, other_school, make_token):
    sent = api.call("POST", "/api/v1/alerts", alert_body(), token=make_token(school.school, Scope.ALERTS_WRITE))
    reader = make_token(school.school, Scope.ALERTS_READ)
    answer = api.call("GET", f"/api/v1/alerts/{sent.json['id']}", token=reader)
    assert answer.status == 200 and answer.json["id"] == sent.json["id"]
    elsewhere = make_token(other_school.school, Scope.ALERTS_READ)
    missing = api.call("GET", f"/api/v1/alerts/{sent.json['id']}", token=elsewhere)
    assert missing.status == 404 and missing.media_type == PROBLEM


def test_unknown_resources_and_methods_are_problem_details(api, school, make_token):
    token = make_token(school.school)
    assert api.call("GET", "/api/v1/nothing", token=token).media_type == PROBLEM
    wrong = api.call("DELETE", "/api/v1/alerts", token=token)
    assert wrong.status == 405 and wrong.media_type == PROBLEM
