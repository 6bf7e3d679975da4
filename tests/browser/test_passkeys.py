"""Browser journey: a passkey is added on the sign-in security page and used as the second sign-in step, with
Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain) standing for a phone or a security key."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from safeguard.auth.models import Passkey
from safeguard.core.extensions import db
from tests import factories
from tests.browser.conftest import check_accessibility


def _sign_in_with_password(page, base: str, user) -> None:
    page.goto(base + "/auth/sign-in")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    with page.expect_navigation():  # the form's answer, not the page already loaded
        page.get_by_role("button", name="Sign in").click()


def test_a_passkey_is_added_and_used_to_sign_in(page, live_server, school):
    # A passkey's relying party is a host name, never an address: the page is opened as localhost.
    base = live_server.url.replace("127.0.0.1", "localhost")
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    _sign_in_with_password(page, base, school.staff)
    page.goto(base + "/auth/security")
    check_accessibility(page)
    page.get_by_label("A name for the new passkey").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Your passkey has been added.")).to_be_visible()
    expect(page.get_by_text("Work laptop")).to_be_visible()
    assert db.session.scalar(select(Passkey.name)) == "Work laptop"

    page.get_by_role("button", name="Sign out").click()
    _sign_in_with_password(page, base, school.staff)
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name=f"Hello, {school.staff.display_name}")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(select(Passkey.last_used_at)) is not None
    page.goto(base + "/auth/security")
    page.get_by_role("button", name="Remove Work laptop").click()
    expect(page.get_by_text("The passkey has been removed.")).to_be_visible()
    assert db.session.scalar(select(Passkey.id)) is None
