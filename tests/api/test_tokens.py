"""Tokens: made on the command line and on the administrators' page (shown once, kept hashed), revoked there, and
rate limited per token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from safeguard.api.models import ApiToken
from safeguard.api.scopes import Scope
from safeguard.api.services import token_hash
from safeguard.core.extensions import db
from tests import factories
from tests.api.conftest import alert_body


def test_the_command_line_prints_the_token_once_on_its_own_last_line(runner, school, api):
    result = runner.invoke(
        args=["api-token", "create", "--school", "OAK", "--scopes", "alerts:write,pupils:write", "--days", "7"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"sgapi_[A-Za-z0-9_\-]{43}", token)
    kept = db.session.scalar(select(ApiToken))
    assert kept.token_hash == token_hash(token) and token not in (kept.prefix, kept.token_hash)
    assert kept.scope_list == ["alerts:write", "pupils:write"]
    assert (kept.expires_at - kept.created_at).days == 7
    assert api.call("POST", "/api/v1/alerts", alert_body(), token=token).status == 201


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--school", "NOPE", "--scopes", "alerts:write"], "no school"),
        (["--school", "OAK", "--scopes", "alerts:delete"], "unknown scope"),
        (["--school", "OAK", "--scopes", "alerts:write", "--days", "0"], "1 to"),
    ],
)
def test_the_command_line_refuses_what_it_cannot_make(runner, school, args, message):
    result = runner.invoke(args=["api-token", "create", *args])
    assert result.exit_code == 1 and message in result.output
    assert db.session.scalar(select(ApiToken)) is None


def test_an_administrator_makes_a_token_sees_it_once_and_revokes_it(client, school, sign_in, api):
    sign_in(school.admin)
    made = factories.submit_form(
        client, "/admin/api-tokens/", {"name": "Smoothwall", "scopes": ["alerts:write"], "days": "365"}
    )
    page = made.get_data(as_text=True)
    token = re.search(r'value="(sgapi_[^"]+)"', page).group(1)
    assert "shown only this once" in page
    again = client.get("/admin/api-tokens/").get_data(as_text=True)
    assert token not in again and "Smoothwall" in again
    assert api.call("POST", "/api/v1/alerts", alert_body(), token=token).status == 201
    kept = db.session.scalar(select(ApiToken))
    factories.submit_form(client, f"/admin/api-tokens/{kept.id}/revoke", {}, form_url="/admin/api-tokens/")
    assert api.call("POST", "/api/v1/alerts", alert_body(event_id="2"), token=token).status == 401


def test_a_dsl_cannot_make_tokens(client, school, sign_in):
    sign_in(school.dsl)
    assert client.get("/admin/api-tokens/").status_code == 403


@pytest.fixture
def app_config(app_config):
    """Rate limits on, at three requests a minute for the API."""
    return {**app_config, "RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"}


def test_each_token_is_rate_limited_on_its_own(api, school, make_token):
    first, second = make_token(school.school, Scope.ALERTS_WRITE), make_token(school.school, Scope.ALERTS_WRITE)
    answers = [api.call("POST", "/api/v1/alerts", alert_body(event_id=str(n)), token=first).status for n in range(4)]
    assert answers == [201, 201, 201, 429]
    refused = api.call("POST", "/api/v1/alerts", alert_body(event_id="x"), token=first)
    assert refused.media_type == "application/problem+json"
    assert api.call("POST", "/api/v1/alerts", alert_body(event_id="y"), token=second).status == 201
