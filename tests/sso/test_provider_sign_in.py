"""Signing in through a real OpenID Connect provider: provisioning, refusals, the second factor, and a replayed or
tampered answer."""

from __future__ import annotations

from sqlalchemy import select, update

from safeguard.audit.models import AuditEvent
from safeguard.auth.models import Role, SignInProvider, User
from safeguard.core.extensions import db
from tests import factories


def _set(**values) -> None:
    db.session.execute(update(SignInProvider).values(**values))
    db.session.commit()


def _signed_in_as(client) -> str:
    home = client.get("/")
    if home.status_code != 200:
        return ""
    return home.get_data(as_text=True)


def test_the_sign_in_page_offers_the_provider(client, provider_server):
    page = client.get("/auth/sign-in").get_data(as_text=True)
    assert "Sign in with Oakfield 365" in page


def test_a_member_of_staff_signs_in_through_the_provider(client, school, provider_server):
    response, _ = provider_server.sign_in(client, "teacher")
    assert response.status_code == 302
    assert school.staff.display_name in _signed_in_as(client)


def test_first_sign_in_creates_a_staff_account_only_when_the_school_allows_it(client, provider_server):
    response, _ = provider_server.sign_in(client, "newcomer")
    assert response.status_code == 401
    assert "does not create accounts" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "new.teacher@oak.example")) is None

    _set(provision_staff=True)
    response, _ = provider_server.sign_in(client, "newcomer")
    assert response.status_code == 302
    made = db.session.scalar(select(User).where(User.email == "new.teacher@oak.example"))
    assert made is not None and made.roles == {Role.STAFF} and not made.must_change_password
    assert "new.teacher" in _signed_in_as(client)
    kinds = set(db.session.scalars(select(AuditEvent.kind)))
    assert {"auth.provisioned", "user.created", "auth.signed_in"} <= kinds


def test_an_address_of_another_domain_is_refused(client, provider_server):
    _set(provision_staff=True)
    response, _ = provider_server.sign_in(client, "outsider")
    assert response.status_code == 401
    assert "not one this school signs in with" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "someone@elsewhere.example")) is None
    assert _signed_in_as(client) == ""


def test_an_unverified_address_is_refused(client, provider_server):
    response, _ = provider_server.sign_in(client, "unverified")
    assert response.status_code == 401
    assert _signed_in_as(client) == ""


def test_a_deactivated_account_cannot_sign_in_through_the_provider(client, school, provider_server):
    school.staff.active = False
    db.session.commit()
    response, _ = provider_server.sign_in(client, "teacher")
    assert response.status_code == 401
    assert "deactivated" in response.get_data(as_text=True)
    assert _signed_in_as(client) == ""


def test_a_dsl_without_the_providers_mfa_still_gives_a_second_factor(client, school, provider_server):
    response, _ = provider_server.sign_in(client, "dsl")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/two-factor"
    assert _signed_in_as(client) == ""  # not signed in before the code
    factories.submit_form(client, "/auth/two-factor", {"code": factories.totp_code(school.dsl)})
    assert school.dsl.display_name in _signed_in_as(client)


def test_the_providers_mfa_is_a_second_factor_only_where_the_school_accepts_it(app, school, provider_server):
    # Not accepted: the code is asked for even though the provider says "mfa".
    first = app.test_client()
    response, _ = provider_server.sign_in(first, "dsl-mfa")
    assert response.headers["Location"] == "/auth/two-factor"
    # Accepted: "mfa" in the ID token's amr stands for the second factor; without it, the code is still asked for.
    _set(accept_provider_mfa=True)
    second = app.test_client()
    response, _ = provider_server.sign_in(second, "dsl-mfa")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert school.dsl.display_name in _signed_in_as(second)
    third = app.test_client()
    response, _ = provider_server.sign_in(third, "dsl")
    assert response.headers["Location"] == "/auth/two-factor"


def test_a_replayed_answer_is_refused(client, provider_server):
    response, callback = provider_server.sign_in(client, "teacher")
    assert response.status_code == 302
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    replayed, _ = provider_server.sign_in(client, "teacher", callback=callback)
    assert replayed.status_code == 401
    assert _signed_in_as(client) == ""


def test_a_tampered_id_token_is_refused(client, provider_server):
    provider_server.proxy.mode = "tamper"  # the teacher's token, rewritten to name the DSL
    response, _ = provider_server.sign_in(client, "teacher")
    assert response.status_code == 401
    assert _signed_in_as(client) == ""


def test_a_wrong_state_is_refused(client, provider_server):
    callback = provider_server.callback_for(client, "teacher")
    forged = callback.replace("state=", "state=forged")
    response, _ = provider_server.sign_in(client, "teacher", callback=forged)
    assert response.status_code == 401
    assert _signed_in_as(client) == ""


def test_a_wrong_nonce_is_refused(client, provider_server):
    provider_server.proxy.mode = "nonce"  # the provider is asked for a token with another nonce
    response, _ = provider_server.sign_in(client, "teacher")
    assert response.status_code == 401
    assert _signed_in_as(client) == ""


def test_the_command_line_adds_a_provider_for_a_school_or_a_trust(runner, school):
    args = ["sso", "add", "--name", "Microsoft 365", "--school", "OAK", "--issuer", "https://login.example/oak/v2.0"]
    args += ["--client-id", "abc", "--client-secret-stdin", "--domains", "Oak.example, oak.sch.example", "--provision"]
    result = runner.invoke(args=args, input="the-secret\n")
    assert result.exit_code == 0, result.output
    found = db.session.scalar(select(SignInProvider))
    assert found.allowed_domains == "oak.example,oak.sch.example" and found.provision_staff
    refused = runner.invoke(args=[*args[:4], "--trust", "Nowhere", *args[6:]], input="s\n")
    assert refused.exit_code != 0
    insecure = runner.invoke(args=[*args[:6], "--issuer", "http://login.example", *args[8:]], input="s\n")
    assert insecure.exit_code != 0 and "https" in insecure.output


def test_a_school_can_turn_password_sign_in_off(app, runner, school, provider_server):
    result = runner.invoke(args=["sso", "password", "--school", "OAK", "--off"])
    assert result.exit_code == 0, result.output
    password_client = app.test_client()
    response = factories.sign_in(password_client, school.staff, follow_redirects=False)
    assert response.status_code == 401
    provider_client = app.test_client()
    response, _ = provider_server.sign_in(provider_client, "teacher")
    assert response.status_code == 302
    assert runner.invoke(args=["sso", "password", "--school", "OAK", "--on"]).exit_code == 0
    assert factories.sign_in(password_client, school.staff, follow_redirects=False).status_code == 302
