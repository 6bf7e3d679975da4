"""Sign-in through a school's (or its trust's) OpenID Connect provider, with Authlib's Flask client.

The provider says who the person is: a verified e-mail address of an allowed domain. Safeguard decides what they may
do: an account with that address, active, of a school the provider serves, with the roles Safeguard holds; or, only
when the school allows it, a new account with the staff role. Roles never come from the provider. DSLs, heads,
administrators and trust leads still give a second factor: Safeguard's own, or the provider's multi-factor sign-in
proven by the ID token's ``amr`` holding ``mfa``, when the school accepts it. Authlib checks the ``state`` (kept in
the session, used once), the ``nonce``, and the ID token's signature (the provider's published keys), issuer,
audience and expiry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import current_app
from sqlalchemy import select

from safeguard.audit import services as audit
from safeguard.auth import services, store
from safeguard.auth.models import Role, SignInProvider, User
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.schools.models import School
from safeguard.trusts import store as trust_store

_CLIENTS = "safeguard.oidc_clients"


class SignInRefused(Exception):
    """The provider's answer does not let this person in; the message says why, without naming an account."""


def providers() -> list[SignInProvider]:
    """The active providers, for the sign-in page's buttons."""
    return list(
        db.session.scalars(select(SignInProvider).where(SignInProvider.active.is_(True)).order_by(SignInProvider.id))
    )


def provider(provider_id: int) -> SignInProvider | None:
    """An active provider, or ``None``."""
    found = db.session.get(SignInProvider, provider_id)
    return found if found is not None and found.active else None


def client(found: SignInProvider) -> FlaskOAuth2App:
    """Authlib's client for the provider, kept for the app's life (its discovery document and keys are cached), and
    made anew when the provider's settings change."""
    fingerprint = hashlib.sha256(f"{found.issuer}|{found.client_id}|{found.client_secret}".encode()).hexdigest()[:16]
    name = f"provider{found.id}_{fingerprint}"
    clients: dict[str, FlaskOAuth2App] = current_app.extensions.setdefault(_CLIENTS, {})
    if name not in clients:
        clients[name] = FlaskOAuth2App(
            FlaskIntegration(name),
            name,
            client_id=found.client_id,
            client_secret=found.client_secret,
            server_metadata_url=found.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile"},
        )
    return clients[name]


def _schools_served(found: SignInProvider) -> set[int]:
    if found.school_id is not None:
        return {found.school_id}
    if found.trust_id is not None:
        return {school.id for school in trust_store.schools_of_trust(found.trust_id)}
    return set()


@dataclass(frozen=True)
class Verified:
    """A person the provider signed in, and whether its token proves a multi-factor sign-in the school accepts."""

    user: User
    provider_mfa: bool


def account_for(found: SignInProvider, claims: dict[str, Any]) -> Verified:
    """The account the provider's verified ID token ``claims`` sign in to, provisioned with the staff role when the
    school allows it; :class:`SignInRefused` otherwise. Every refusal is audited in the provider's school."""
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is not True:
        _refuse(found, "the provider did not give a verified e-mail address")
    domain = email.rpartition("@")[2]
    if domain not in found.domains:
        _refuse(found, f"the address's domain ({domain}) is not one this school signs in with")
    user = services.find_user_by_email(email)
    if user is None:
        user = _provision(found, email, claims)
    if user.school_id not in _schools_served(found) and not (
        _schools_served(found) & {c.id for c in store.schools_of(user.id, user.school_id, utcnow())}
    ):
        _refuse(found, "the account is not of a school this provider serves")
    if not user.is_active:
        _refuse(found, "the account is deactivated in Safeguard")
    if user.is_locked(utcnow()):
        _refuse(found, "the account is locked after repeated failures")
    amr = claims.get("amr") or []
    return Verified(user, found.accept_provider_mfa and isinstance(amr, list) and "mfa" in amr)


def _provision(found: SignInProvider, email: str, claims: dict[str, Any]) -> User:
    if not found.provision_staff or found.school_id is None:
        _refuse(found, "no Safeguard account has this address, and the school does not create accounts at sign-in")
    school = db.session.get(School, found.school_id)
    assert school is not None  # noqa: S101 (a foreign key)
    name = str(claims.get("name") or "").strip()[:120] or email.partition("@")[0]
    user, _ = services.create_user(school, email, name, {Role.STAFF})
    # The person signs in through the provider: no password of theirs exists to change.
    user.must_change_password = False
    audit.record_about_user(
        "auth.provisioned",
        f"Account created at first sign-in through {found.name}",
        user,
        detail={"provider": found.id},
    )
    return user


def _refuse(found: SignInProvider, reason: str) -> None:
    audit.record(
        "auth.provider_sign_in_refused",
        f"Sign-in through {found.name} refused: {reason}",
        school_id=found.school_id,
        detail={"provider": found.id, "reason": reason},
    )
    raise SignInRefused(reason)


def add_provider(values: dict[str, Any]) -> SignInProvider:
    """Record a provider (the command line)."""
    found = SignInProvider(**values)
    db.session.add(found)
    db.session.flush()
    return found
