"""Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238) and single-use recovery codes."""

from __future__ import annotations

import base64
import secrets
import time

import pyotp
import segno
from sqlalchemy import select

from safeguard.audit import services as audit
from safeguard.auth import sessions
from safeguard.auth.models import RecoveryCode, User
from safeguard.auth.passwords import hash_password, verify_password
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow

ISSUER = "Safeguard"
RECOVERY_CODES = 10


def new_secret() -> str:
    """A fresh random TOTP secret (base32)."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=f"{ISSUER} ({user.school.code})")


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data URI, drawn here: no outside service ever sees the secret."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _accept(user: User, secret: str, code: str, now: float | None = None) -> bool:
    """Whether ``code`` is valid now (one step either side allowed) and newer than the last code used."""
    code = (code or "").replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    moment = now if now is not None else time.time()
    current = int(moment // totp.interval)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # a code is never accepted twice
            user.totp_last_step = step
            return True
    return False


def enable(user: User, secret: str, code: str) -> list[str] | None:
    """Confirm enrolment with a first code; return the recovery codes (shown once), or ``None`` if wrong."""
    if not _accept(user, secret, code):
        return None
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record_about_user("auth.two_factor_enabled", "Two-factor sign-in set up", user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    for old in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        db.session.delete(old)
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(code)))
    db.session.flush()
    return codes


def verify(user: User, code: str) -> bool:
    """Check a code from the app, or a recovery code (which is then used up)."""
    if not user.two_factor_enabled:
        return False
    cleaned = (code or "").strip().lower()
    # Enabled means a secret is set (two_factor_enabled); the test says so to the type checker too.
    if user.totp_secret and _accept(user, user.totp_secret, cleaned):
        return True
    if "-" in cleaned:
        for row in db.session.scalars(
            select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ):
            if verify_password(row.code_hash, cleaned):
                row.used_at = utcnow()
                audit.record_about_user("auth.recovery_code_used", "Recovery code used", user)
                return True
    return False


def remaining_recovery_codes(user: User) -> int:
    """How many unused recovery codes the user has."""
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def reset(user: User, *, actor: User, summary: str = "Two-factor sign-in reset by an administrator") -> None:
    """Remove a user's second factor (they set it up again at next sign-in); audited with ``summary``."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    for row in db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        db.session.delete(row)
    db.session.flush()
    sessions.end_all(user, sessions.Ended.SECOND_FACTOR_RESET)
    audit.record_about_user("auth.two_factor_reset", summary, user, actor=actor)
