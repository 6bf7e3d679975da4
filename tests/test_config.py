"""Configuration: secrets, production refusal, database URLs."""

from __future__ import annotations

import base64
import os
import shlex
import subprocess
import sys

import pytest

from safeguard import create_app
from safeguard.core.config import ConfigError, normalise_database_url

UPLOAD_KEY = base64.b64encode(os.urandom(32)).decode()
BASE_URL = "https://safeguard.example-trust.org.uk"


def test_production_refuses_to_start_without_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"PRODUCTION": True, "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_refuses_a_short_secret(tmp_path):
    with pytest.raises(ConfigError):
        create_app({"PRODUCTION": True, "SECRET_KEY": "dev", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_sets_secure_cookies(tmp_path):
    app = create_app(
        {
            "PRODUCTION": True,
            "SECRET_KEY": "x" * 48,
            "UPLOAD_ENCRYPTION_KEY": UPLOAD_KEY,
            "BASE_URL": BASE_URL,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_an_upload_encryption_key(tmp_path, monkeypatch):
    monkeypatch.delenv("UPLOAD_ENCRYPTION_KEY", raising=False)
    config = {
        "PRODUCTION": True,
        "SECRET_KEY": "x" * 48,
        "BASE_URL": BASE_URL,
        "INSTANCE_PATH": str(tmp_path),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
    }
    with pytest.raises(ConfigError) as refused:
        create_app(config)
    message = str(refused.value)
    assert "UPLOAD_ENCRYPTION_KEY must be set in production" in message and "\n" not in message
    # The command the message gives makes a key production accepts.
    program, *arguments = shlex.split(message.split("make one with: ")[1].removesuffix(")."))
    assert program == "python"
    made = subprocess.run([sys.executable, *arguments], capture_output=True, text=True, check=True).stdout.strip()
    assert create_app({**config, "UPLOAD_ENCRYPTION_KEY": made}).config["UPLOAD_ENCRYPTION_KEY"] == made


@pytest.mark.parametrize("key", ["not base64!", base64.b64encode(b"sixteen bytes!!!").decode()])
def test_production_refuses_a_malformed_upload_encryption_key(tmp_path, key):
    with pytest.raises(ConfigError, match="UPLOAD_ENCRYPTION_KEY must be 32 random bytes in base64"):
        create_app(
            {
                "PRODUCTION": True,
                "SECRET_KEY": "x" * 48,
                "UPLOAD_ENCRYPTION_KEY": key,
                "INSTANCE_PATH": str(tmp_path),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            }
        )


def test_production_from_the_environment_needs_the_upload_key_too(tmp_path, monkeypatch):
    monkeypatch.setenv("SAFEGUARD_PRODUCTION", "1")
    monkeypatch.setenv("SECRET_KEY", "y" * 48)
    monkeypatch.setenv("BASE_URL", BASE_URL)
    monkeypatch.delenv("UPLOAD_ENCRYPTION_KEY", raising=False)
    with pytest.raises(ConfigError, match="UPLOAD_ENCRYPTION_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    monkeypatch.setenv("UPLOAD_ENCRYPTION_KEY", UPLOAD_KEY)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["PRODUCTION"] is True


def test_development_generates_a_local_secret_once(tmp_path):
    from safeguard.core.config import local_secret_key

    first = local_secret_key(str(tmp_path))
    assert len(first) >= 32
    assert local_secret_key(str(tmp_path)) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_use_psycopg_3(url, expected):
    assert normalise_database_url(url) == expected


def test_security_headers_on_every_page(client):
    response = client.get("/auth/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_served_app_keeps_its_startup_objects_out_of_full_collections(tmp_path):
    # A full garbage collection walking every module, template and the vocabulary stopped a request for tens of
    # milliseconds; the served app freezes them once built (see create_app), the test apps do not.
    import gc

    gc.unfreeze()
    try:
        create_app({"TESTING": True, "SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.db"})
        assert gc.get_freeze_count() == 0
        create_app({"SECRET_KEY": "x" * 48, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
