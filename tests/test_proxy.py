"""Behind a reverse proxy: the sign-in throttle and the audit log see each client's own address, not the proxy's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from safeguard.audit.models import AuditEvent
from safeguard.core.config import ConfigError, from_environment
from tests import factories

SIGN_INS_PER_ADDRESS = 20  # a minute, as auth.views allows
NEIGHBOUR = "203.0.113.7"
TEACHER = "198.51.100.4"


@pytest.fixture
def behind_proxy(app_config, make_app):
    """An app with sign-in throttling on, trusting ``hops`` proxies; returns a client per client address."""

    def _make(hops: int):
        app = make_app(
            {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", "PROXY_HOPS": hops}
        )

        def client_at(address: str, sent_by_client: str | None = None):
            # The proxy adds the address it sees to whatever the client sent in the header itself.
            client = app.test_client()
            forwarded = f"{sent_by_client}, {address}" if sent_by_client else address
            client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
            return client

        return client_at

    return _make


def _wrong_passwords(client, count: int) -> list[int]:
    """Try ``count`` sign-ins with wrong details (a different address each time, as a guesser would)."""
    return [
        factories.submit_form(
            client, "/auth/sign-in", {"email": f"guess{n}@oak.example", "password": "not the password"}
        ).status_code
        for n in range(count)
    ]


def _signed_in_from(db, user) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.ip_address).where(AuditEvent.kind == "auth.signed_in", AuditEvent.actor_id == user.id)
        )
    )


def test_one_address_is_throttled_while_another_still_signs_in(behind_proxy, school, db):
    client_at = behind_proxy(1)
    neighbour = client_at(NEIGHBOUR)
    assert set(_wrong_passwords(neighbour, SIGN_INS_PER_ADDRESS)) == {401}
    assert _wrong_passwords(neighbour, 1) == [429]
    response = factories.sign_in(client_at(TEACHER), school.staff, follow_redirects=False)
    assert response.status_code == 302  # signed in, not throttled with the neighbour
    assert _signed_in_from(db, school.staff) == [TEACHER]


def test_a_client_cannot_escape_the_throttle_by_sending_the_header_itself(behind_proxy, school, db):
    client_at = behind_proxy(1)
    statuses = [
        _wrong_passwords(client_at(NEIGHBOUR, sent_by_client=f"10.0.0.{n}"), 1)[0]
        for n in range(SIGN_INS_PER_ADDRESS + 1)
    ]
    assert statuses[-1] == 429
    failed_from = set(db.session.scalars(select(AuditEvent.ip_address).where(AuditEvent.kind == "auth.sign_in_failed")))
    assert failed_from == {NEIGHBOUR}


def test_without_trusted_proxies_the_header_is_ignored(behind_proxy, school, db):
    client_at = behind_proxy(0)
    neighbour = client_at(NEIGHBOUR)
    assert set(_wrong_passwords(neighbour, SIGN_INS_PER_ADDRESS)) == {401}
    # Every request comes from the one address that connected (the test client's), whatever the header says.
    response = factories.sign_in(client_at(TEACHER), school.staff, follow_redirects=False)
    assert response.status_code == 429
    failed_from = set(db.session.scalars(select(AuditEvent.ip_address).where(AuditEvent.kind == "auth.sign_in_failed")))
    assert failed_from == {"127.0.0.1"}


def test_proxy_hops_is_read_from_the_environment():
    assert from_environment({"PROXY_HOPS": "2"})["PROXY_HOPS"] == 2
    assert "PROXY_HOPS" not in from_environment({})


@pytest.mark.parametrize("value", ["two", "-1"])
def test_a_bad_proxy_hops_is_refused_with_a_message(app_config, make_app, monkeypatch, value):
    monkeypatch.setenv("PROXY_HOPS", value)
    with pytest.raises(ConfigError, match="PROXY_HOPS must be"):
        make_app(app_config)
