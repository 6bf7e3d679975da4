"""WebAuthn passkeys as the second factor, with Duo Labs' py_webauthn (the ``webauthn`` package).

The browser's part is ``static/js/passkeys.js``. Each ceremony's challenge is kept in the (signed) session and used
once; the relying party is this server's host name and the origin the request came to (``WEBAUTHN_RP_ID`` and
``WEBAUTHN_ORIGIN`` override them behind a proxy).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from sqlalchemy import delete, insert, select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from safeguard.audit import services as audit
from safeguard.auth.models import Passkey, User
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.core.statements import transaction_connection


class PasskeyError(ValueError):
    """A passkey's answer was not accepted; the message is for the person."""


def _rp_id() -> str:
    return str(current_app.config.get("WEBAUTHN_RP_ID") or request.host.partition(":")[0])


def _origin() -> str:
    return str(current_app.config.get("WEBAUTHN_ORIGIN") or request.host_url.rstrip("/"))


def passkeys_of(user_id: int) -> list[Passkey]:
    """The person's passkeys, oldest first."""
    return list(db.session.scalars(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)))


def has_passkey(user_id: int) -> bool:
    """Whether the person has registered a passkey."""
    return db.session.scalar(select(Passkey.id).where(Passkey.user_id == user_id).limit(1)) is not None


def registration_options(user: User) -> tuple[str, str]:
    """The options for the browser to create a passkey (JSON), and the challenge to keep (base64url)."""
    options = generate_registration_options(
        rp_id=_rp_id(),
        rp_name="Safeguard",
        user_id=str(user.id).encode(),
        user_name=user.email,
        user_display_name=user.display_name,
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in passkeys_of(user.id)
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def register(user: User, credential: dict[str, Any], challenge: str, name: str) -> None:
    """Verify the browser's new credential against the challenge and keep it; audited."""
    name = (name or "").strip()[:80] or "Passkey"
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=_rp_id(),
            expected_origin=_origin(),
        )
    except Exception as error:
        raise PasskeyError("The passkey could not be added. Please try again.") from error
    transaction_connection().execute(
        insert(Passkey).values(
            user_id=user.id,
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            name=name,
            created_at=utcnow(),
        )
    )
    audit.record_about_user("auth.passkey_added", "Passkey added", user, detail={"name": name})


def authentication_options(user: User) -> tuple[str, str]:
    """The options for the browser to sign in with one of the person's passkeys (JSON), and the challenge."""
    options = generate_authentication_options(
        rp_id=_rp_id(),
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in passkeys_of(user.id)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), bytes_to_base64url(options.challenge)


def verify(user: User, credential: dict[str, Any], challenge: str) -> bool:
    """Whether the browser's answer is a valid signature of the challenge by one of the person's passkeys."""
    raw_id = str(credential.get("rawId") or credential.get("id") or "")
    found = db.session.scalar(select(Passkey).where(Passkey.user_id == user.id, Passkey.credential_id == raw_id))
    if found is None:
        return False
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=_rp_id(),
            expected_origin=_origin(),
            credential_public_key=base64url_to_bytes(found.public_key),
            credential_current_sign_count=found.sign_count,
        )
    except Exception:
        return False
    transaction_connection().execute(
        update(Passkey).where(Passkey.id == found.id).values(sign_count=verified.new_sign_count, last_used_at=utcnow())
    )
    return True


def parse(body: bytes) -> dict[str, Any]:
    """A credential posted by the browser, as JSON; :class:`PasskeyError` for anything else."""
    try:
        value = current_app.json.loads(body or b"{}")
    except ValueError as error:
        raise PasskeyError("The answer was not understood.") from error
    if not isinstance(value, dict) or not isinstance(value.get("credential"), dict):
        raise PasskeyError("The answer was not understood.")
    return value


def remove(user: User, passkey_id: int) -> bool:
    """The person removes one of their own passkeys (lost, or a computer given back); whether one was. Audited."""
    found = db.session.scalar(select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id))
    if found is None:
        return False
    transaction_connection().execute(delete(Passkey).where(Passkey.id == found.id, Passkey.user_id == user.id))
    audit.record_about_user("auth.passkey_removed", "Passkey removed", user, detail={"name": found.name})
    return True
