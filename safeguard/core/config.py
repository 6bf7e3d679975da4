"""Configuration defaults. Secrets come from the environment or ``instance/config.py``, never from here."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from safeguard.core.storage import StorageError, parse_key


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run safely (for example production without a real secret)."""


DEFAULTS: dict[str, object] = {
    # Sessions: cookies the browser's scripts cannot read, not sent on cross-site posts.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_NAME": "safeguard_session",
    # Minutes without a request after which a signed-in user is signed out.
    "IDLE_TIMEOUT_MINUTES": 30,
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    # The cookie is sent again only when the session changes (at least once a minute while the person is active,
    # see enforce_idle_timeout), not signed and sent anew on every response.
    "SESSION_REFRESH_EACH_REQUEST": False,
    "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
    # No "SELECT 1" before each request's first statement (SQLAlchemy's pool_pre_ping): a PostgreSQL connection the
    # server has closed is found without a round trip when it leaves the pool (see extensions.py).
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    # Bootstrap's CSS and JS are served by the app itself: school filters block CDNs and the CSP forbids them.
    "BOOTSTRAP_SERVE_LOCAL": True,
    "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
    # Minutes an uploaded pupil import waits in instance/imports for its confirmation before it is deleted.
    "IMPORT_STASH_MINUTES": 60,
    "PRODUCTION": False,
    "SERVER_NAME_FOR_LINKS": None,
    # Mail: the outbox worker delivers over SMTP.
    "MAIL_HOST": "localhost",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "safeguard@localhost",
    # The address that links in e-mails point to (required in production). In development, when it is not set, links
    # use the address the server is reached at (see safeguard.notifications.services.links_base).
    "BASE_URL": None,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": False,
    # Requests one API token may make (Flask-Limiter's notation); a MIS sync or a burst of alerts fits well within it.
    "API_RATE_LIMIT": "300 per minute",
    # The Wonde connector of `flask --app safeguard mis sync`: the broker's address, the school's id there and the
    # school's access token (from the environment, never the repository).
    "WONDE_BASE_URL": "https://api.wonde.com/v1.0",
    "WONDE_SCHOOL_ID": None,
    "WONDE_TOKEN": None,
    # Reverse proxies in front of the app whose X-Forwarded-For and X-Forwarded-Proto are trusted (see proxy.py).
    "PROXY_HOPS": 0,
    # Argon2id cost (RFC 9106 low-memory profile). Lower only in tests.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_KIB": 65536,
    "ARGON2_PARALLELISM": 4,
}

# Environment variables read at start-up, with the config key each one sets.
ENVIRONMENT = {
    "SECRET_KEY": "SECRET_KEY",
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    # The schema owner's address, for the migrations alone (the app connects as a role that owns nothing).
    "MIGRATION_DATABASE_URL": "MIGRATION_DATABASE_URL",
    # The key that signs the chains' checkpoints, and where they are appended (default: in the instance folder).
    "ANCHOR_KEY_FILE": "ANCHOR_KEY_FILE",
    "ANCHOR_FOLDER": "ANCHOR_FOLDER",
    "SAFEGUARD_PRODUCTION": "PRODUCTION",
    "MAIL_HOST": "MAIL_HOST",
    "MAIL_PORT": "MAIL_PORT",
    "MAIL_USERNAME": "MAIL_USERNAME",
    "MAIL_PASSWORD": "MAIL_PASSWORD",
    "MAIL_FROM": "MAIL_FROM",
    "MAIL_USE_TLS": "MAIL_USE_TLS",
    "BASE_URL": "BASE_URL",
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "UPLOAD_ENCRYPTION_KEY": "UPLOAD_ENCRYPTION_KEY",
    "IDLE_TIMEOUT_MINUTES": "IDLE_TIMEOUT_MINUTES",
    "PROXY_HOPS": "PROXY_HOPS",
    "API_RATE_LIMIT": "API_RATE_LIMIT",
    "WONDE_BASE_URL": "WONDE_BASE_URL",
    "WONDE_SCHOOL_ID": "WONDE_SCHOOL_ID",
    "WONDE_TOKEN": "WONDE_TOKEN",
}

_TRUE = {"1", "true", "yes", "on"}
_INTEGER_KEYS = {"MAIL_PORT", "IDLE_TIMEOUT_MINUTES", "PROXY_HOPS"}
_BOOLEAN_KEYS = {"PRODUCTION", "MAIL_USE_TLS"}


def from_environment(environ: dict[str, str] | None = None) -> dict[str, object]:
    """Read the settings the environment provides, converted to their types."""
    environ = dict(os.environ if environ is None else environ)
    found: dict[str, object] = {}
    for variable, key in ENVIRONMENT.items():
        if variable not in environ or environ[variable] == "":
            continue
        value: object = environ[variable]
        if key in _INTEGER_KEYS:
            value = _whole_number(variable, str(value))
        elif key in _BOOLEAN_KEYS:
            value = str(value).strip().lower() in _TRUE
        found[key] = value
    return found


def _whole_number(variable: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{variable} must be a whole number, not {value!r}.") from None


def normalise_database_url(url: str) -> str:
    """Make a ``postgres://`` or ``postgresql://`` URL use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def local_secret_key(instance_path: str) -> str:
    """Return the development secret kept in ``instance/secret_key``, creating it on first run."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n", encoding="utf-8")
    path.chmod(0o600)
    return key


def check_production(config: dict[str, Any]) -> None:
    """Refuse to run in production with a missing or weak secret, without the key that seals attachments, or without
    the address e-mail links point to."""
    if not config.get("PRODUCTION"):
        return
    secret = config.get("SECRET_KEY")
    if not secret or len(str(secret)) < 32:
        raise ConfigError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production "
            '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))").'
        )
    _check_upload_key(config.get("UPLOAD_ENCRYPTION_KEY"))
    if not str(config.get("BASE_URL") or "").startswith(("https://", "http://")):
        raise ConfigError(
            "BASE_URL must be set in production to the address staff open Safeguard at (for example "
            "https://safeguard.example-trust.org.uk): every alert e-mail links to it."
        )


def _check_upload_key(configured: object) -> None:
    """Refuse a missing or malformed UPLOAD_ENCRYPTION_KEY: attachments hold child data and are sealed at rest."""
    make_one = 'make one with: python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"'
    if not configured:
        raise ConfigError(f"UPLOAD_ENCRYPTION_KEY must be set in production to seal attachments at rest ({make_one}).")
    try:
        parse_key(str(configured))
    except StorageError:
        raise ConfigError(f"UPLOAD_ENCRYPTION_KEY must be 32 random bytes in base64 ({make_one}).") from None
