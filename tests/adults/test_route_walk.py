"""Every route, for every role, with real concerns about adults: the route-walking test of the children's records,
with the adult a concern is about holding each role in turn. The adult finds nothing of it, on any page."""

from __future__ import annotations

import re

import pytest

from safeguard.auth.models import Role
from safeguard.core.extensions import db
from tests import factories

ROLES = [role.value for role in Role]
_STATIC = {"static", "bootstrap.static"}


def _get_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in _STATIC and "GET" in rule.methods:
            yield rule


def _adult_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("adults.") and "<int:case_id>" in rule.rule:
            method = "GET" if "GET" in rule.methods else "POST"
            yield rule, method


def _signed_in(app, user):
    client = app.test_client()
    factories.sign_in(client, user)
    return client


def _expected(viewer: str, subject_role: str, is_subject: bool) -> str:
    """What a viewer may do with an allegation about an adult holding ``subject_role``: act, or nothing (404)."""
    if is_subject:
        return "nothing"
    routed = "chair" if subject_role == "head" else "head"
    return "act" if viewer == routed else "nothing"


@pytest.mark.parametrize("subject_role", ROLES)
def test_every_role_against_an_allegation_about_each_role(app, client, school, raise_about, subject_role):
    subject = factories.user(
        school.school, subject_role, email=f"subject-{subject_role}@oak.example", name="Robin Vale"
    )
    db.session.commit()
    raised = raise_about(school.staff, subject)
    problems = []
    for viewer_name, viewer in [(r, school.user(r)) for r in ROLES] + [("subject", subject)]:
        client = _signed_in(app, viewer)
        token = factories.csrf_token(client, "/")
        expected = _expected(viewer_name, subject_role, viewer is subject)
        for rule, method in _adult_routes(app):
            url = rule.rule.replace("<int:case_id>", str(raised.id))
            response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
            status = response.status_code
            if status >= 500:
                problems.append(f"{viewer_name}: {method} {url} gave {status}")
            elif rule.endpoint == "adults.raised":
                # The confirmation is the writer's alone.
                if status != (200 if viewer is school.staff else 404):
                    problems.append(f"{viewer_name}: {method} {url} gave {status}")
            elif expected == "nothing" and status != 404:
                problems.append(f"{viewer_name}: {method} {url} gave {status}, expected 404")
            elif expected == "act" and status in (401, 403, 404):
                problems.append(f"{viewer_name}: {method} {url} gave {status}, expected access")
        listed = raised.reference in client.get("/adults/").get_data(as_text=True)
        if listed != (expected == "act"):
            problems.append(f"{viewer_name}: the list {'shows' if listed else 'hides'} the case")
    assert problems == []


@pytest.mark.parametrize("subject_role", ROLES)
def test_the_adult_finds_nothing_anywhere(app, client, school, raise_about, subject_role):
    """Every page the adult can open (the queue, alerts, search, audit, exports, the home page): no trace."""
    subject = factories.user(
        school.school, subject_role, email=f"subject-{subject_role}@oak.example", name="Robin Vale"
    )
    child = factories.pupil(school.school, "Amira", "Haddad")
    db.session.commit()
    raised = raise_about(school.staff, subject, pupil_ids=[child.id])
    factories.sign_in(client, subject)
    for rule in _get_routes(app):
        url = re.sub(
            r"<(?:[a-z]+:)?([a-z_]+)>",
            lambda m: (
                str(raised.id)
                if "case" in m.group(1)
                else (str(child.id) if "pupil" in m.group(1) else ("1" if "id" in m.group(1) else "x"))
            ),
            rule.rule,
        )
        if rule.endpoint == "auth.sign_out":
            continue
        body = client.get(url).get_data(as_text=True)
        assert raised.reference not in body, url
        assert "concern about an adult involving this child" not in body, url
