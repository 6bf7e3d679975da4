"""Hostile requests to the API over HTTP: random, huge, mistyped, binary and replayed bodies and headers, with good,
bad and wrong-scope tokens. No answer may be a 500 or anything but problem details when refused, and a refused
request changes nothing (the audit of the token's use aside, which is kept on purpose).

``API_HOSTILE_EXAMPLES`` requests (2,000 by default) per database.
"""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeguard.api.scopes import Scope
from tests import factories
from tests.api.conftest import alert_body
from tests.test_hostile_input import _snapshot

EXAMPLES = int(os.environ.get("API_HOSTILE_EXAMPLES", "2000"))

ENDPOINTS = [
    ("POST", "/api/v1/alerts"),
    ("PUT", "/api/v1/pupils"),
    ("PUT", "/api/v1/staff"),
    ("GET", "/api/v1/alerts/1"),
    ("GET", "/api/v1/alerts/99999999999999999999"),
    ("POST", "/api/v1/pupils"),
    ("GET", "/api/v1/openapi.json"),
]
hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "\x00", "null", "'; DROP TABLE pupils;--", "data:image/png;base64,iVBORw0KGgo=", "é" * 300]
    ),
    st.text(min_size=250, max_size=2000),
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        hostile_text,
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)),
    max_leaves=12,
)
ALERT_FIELDS = list(alert_body())
PUPIL_FIELDS = [
    "upn",
    "legal_first_name",
    "legal_last_name",
    "date_of_birth",
    "sen_status",
    "contacts",
    "leaving",
    "email",
]


@st.composite
def bodies(draw) -> bytes:
    kind = draw(st.sampled_from(["alert", "pupils", "staff", "json", "bytes", "deep"]))
    if kind == "alert":
        body = alert_body(event_id=draw(st.text(min_size=1, max_size=10)))
        for name in draw(st.lists(st.sampled_from([*ALERT_FIELDS, "screenshot", "extra"]), max_size=3)):
            body[name] = draw(json_values)
        return json.dumps(body).encode()
    if kind in ("pupils", "staff"):
        fields = PUPIL_FIELDS if kind == "pupils" else ["email", "display_name", "left_on"]
        records = draw(st.lists(st.dictionaries(st.sampled_from(fields), json_values, max_size=6), max_size=4))
        return json.dumps({"records": records}).encode()
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "deep":
        depth = draw(st.integers(min_value=10, max_value=100_000))
        return b"[" * depth + b"]" * draw(st.sampled_from([0, depth]))
    return draw(st.binary(max_size=300))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_hostile_requests_never_fail_and_refused_ones_change_nothing(api, school, make_token, data):
    if not hasattr(school, "tokens"):
        factories.pupil(school.school, "Jamie", "Smith", username="jsmith15")
        school.tokens = {
            "full": make_token(school.school),
            "alerts only": make_token(school.school, Scope.ALERTS_WRITE),
            "garbage": "sgapi_" + "A" * 43,
            "none": None,
        }
    method, path = data.draw(st.sampled_from(ENDPOINTS))
    token = school.tokens[data.draw(st.sampled_from(sorted(school.tokens)))]
    headers = {}
    if data.draw(st.booleans()):
        headers["Idempotency-Key"] = data.draw(st.text(alphabet=st.characters(max_codepoint=255), max_size=300))
    content_type = data.draw(
        st.sampled_from(
            ["application/json", "application/json; charset=utf-8", "text/plain", "image/png", "multipart/form-data"]
        )
    )
    body = data.draw(bodies()) if method != "GET" else None
    before = _snapshot()
    try:
        answer = api.call(method, path, raw=body, token=token, headers=headers, content_type=content_type)
    except (ValueError, UnicodeEncodeError):
        return  # a header the HTTP client itself refuses to send
    assert answer.status < 500, (method, path, answer.status, answer.body[:300])
    if answer.status >= 400:
        assert answer.media_type == "application/problem+json", (answer.status, answer.body[:200])
        assert _snapshot() == before, (method, path, answer.status)
