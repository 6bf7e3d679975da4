"""Every registered route, for every role and for an anonymous visitor, gives the expected answer.

A route without a declared permission fails this test, so no route can be added unguarded.
"""

from __future__ import annotations

import re

import pytest

from safeguard.auth.models import Role
from safeguard.auth.permissions import API_TOKEN, PERMISSION_ATTRIBUTE, PUBLIC, PUBLIC_SIGNED, ROLE_CAPABILITIES
from tests import factories

ROLES = [role.value for role in Role]
_STATIC = {"static", "bootstrap.static"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in _STATIC:
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        yield rule, method


def _url(rule) -> str:
    # Any id will do: the answer must be decided by the permission before the record is looked up, and a record
    # that is missing or in another school is a 404, never a 500.
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "1" if "id" in m.group(1) else "x", rule.rule)


def test_every_route_declares_its_permission(app):
    unguarded = [
        rule.rule for rule, _ in _routes(app) if not hasattr(app.view_functions[rule.endpoint], PERMISSION_ATTRIBUTE)
    ]
    assert unguarded == []


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_every_route_answers_each_role_as_expected(app, client, school, sign_in, role):
    if role != "anonymous":
        sign_in(school.user(role))
    token = factories.csrf_token(client, "/" if role != "anonymous" else "/auth/sign-in")
    problems = []
    for rule, method in _routes(app):
        required = getattr(app.view_functions[rule.endpoint], PERMISSION_ATTRIBUTE)
        url = _url(rule)
        response = client.get(url) if method == "GET" else client.open(url, method=method, data={"csrf_token": token})
        status = response.status_code
        if status >= 500:
            problems.append(f"{method} {url}: {status}")
        elif required in (PUBLIC, PUBLIC_SIGNED):
            continue
        elif str(required).startswith(f"{API_TOKEN}:"):
            # The API takes a token, never a browser's session: every role is a 401 there.
            if status != 401:
                problems.append(f"{method} {url}: {role} got {status} from the API without a token, expected 401")
        elif role == "anonymous":
            if status != 302 or "/auth/sign-in" not in response.headers["Location"]:
                problems.append(f"{method} {url}: anonymous got {status}, expected a redirect to sign in")
        elif required in ROLE_CAPABILITIES[Role(role)]:
            if status in (401, 403):
                problems.append(f"{method} {url}: {role} holds {required} but got {status}")
        elif status != 403:
            problems.append(f"{method} {url}: {role} lacks {required} but got {status}")
        if role != "anonymous" and method != "GET" and rule.endpoint == "auth.sign_out" and status < 400:
            sign_in(school.user(role))  # signed out by the walk: sign in again for the rest of it
            token = factories.csrf_token(client, "/")
    assert problems == []


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_a_member_of_two_schools_by_the_role_of_the_school_chosen(
    app, client, school, other_school, sign_in, role
):
    """A staff member of one school who holds ``role`` in a second school, working in the second: every route
    answers as it answers ``role`` (and with the second school's records only: see tests/trusts/)."""
    from safeguard.auth import services as auth_services
    from safeguard.core.extensions import db
    from safeguard.core.sqltypes import utcnow

    person = factories.user(school.school, Role.STAFF, email="member@oak.example", name="Two Schools")
    auth_services.set_school_roles(person, other_school.school, {Role(role)}, actor=None)
    person.totp_secret = factories.TOTP_SECRET
    person.totp_enabled_at = utcnow()
    db.session.commit()

    def sign_in_there() -> str:
        sign_in(person)
        factories.submit_form(client, "/auth/school", {"school_id": str(other_school.school.id)})
        return factories.csrf_token(client, "/")

    token = sign_in_there()
    assert "ELM" in client.get("/").get_data(as_text=True)
    problems = []
    for rule, method in _routes(app):
        required = getattr(app.view_functions[rule.endpoint], PERMISSION_ATTRIBUTE)
        url = _url(rule)
        response = client.get(url) if method == "GET" else client.open(url, method=method, data={"csrf_token": token})
        status = response.status_code
        if status >= 500:
            problems.append(f"{method} {url}: {status}")
        elif required in (PUBLIC, PUBLIC_SIGNED):
            continue
        elif str(required).startswith(f"{API_TOKEN}:"):
            if status != 401:
                problems.append(f"{method} {url}: {role} got {status} from the API without a token, expected 401")
        elif required in ROLE_CAPABILITIES[Role(role)]:
            if status in (401, 403):
                problems.append(f"{method} {url}: {role} holds {required} but got {status}")
        elif status != 403:
            problems.append(f"{method} {url}: {role} lacks {required} but got {status}")
        if method != "GET" and rule.endpoint == "auth.sign_out" and status < 400:
            token = sign_in_there()
    assert problems == []
