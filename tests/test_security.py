"""Two-factor sign-in, lockout, throttling, passwords, headers and the audit chain."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from safeguard.audit import services as audit
from safeguard.audit.models import AuditEvent
from safeguard.auth.models import RecoveryCode, User
from safeguard.auth.passwords import password_problem
from tests import factories

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def _password_step(client, user, password=factories.PASSWORD):
    return factories.submit_form(client, "/auth/sign-in", {"email": user.email, "password": password})


def test_dsl_must_set_up_a_second_factor_before_seeing_anything(client, school, db):
    user = factories.user(school.school, "dsl", email="newdsl@oak.example")
    user.totp_secret = user.totp_enabled_at = None
    db.session.commit()
    response = _password_step(client, user)
    assert response.headers["Location"] == "/auth/two-factor/setup"
    assert client.get("/").status_code == 302  # not signed in yet
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = factories.submit_form(client, "/auth/two-factor/setup", {"code": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    response = factories.submit_form(client, "/auth/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/auth/two-factor/recovery-codes"
    codes = re.findall(
        r'<li class="col">([0-9a-f]{6}-[0-9a-f]{6})</li>',
        client.get("/auth/two-factor/recovery-codes").get_data(as_text=True),
    )
    assert len(codes) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # stored hashed
    response = factories.submit_form(client, "/auth/two-factor/recovery-codes", {}, follow_redirects=True)
    assert "Hello, " in response.get_data(as_text=True)


def test_second_factor_codes_are_single_use_and_recovery_codes_work_once(client, school, db):
    response = _password_step(client, school.dsl)
    assert response.headers["Location"] == "/auth/two-factor"
    code = factories.totp_code(school.dsl)
    assert factories.submit_form(client, "/auth/two-factor", {"code": code}).headers["Location"] == "/"
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    _password_step(client, school.dsl)
    replay = factories.submit_form(client, "/auth/two-factor", {"code": code})
    assert replay.status_code == 401  # the same code cannot be used twice
    from safeguard.auth import twofactor

    codes = twofactor._new_recovery_codes(db.session.get(User, school.dsl.id))
    db.session.commit()
    assert factories.submit_form(client, "/auth/two-factor", {"code": codes[0]}).headers["Location"] == "/"
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    _password_step(client, school.dsl)
    assert factories.submit_form(client, "/auth/two-factor", {"code": codes[0]}).status_code == 401


def test_the_second_step_expires_and_cannot_be_skipped(client, school):
    assert client.get("/auth/two-factor").headers["Location"].startswith("/auth/sign-in")
    _password_step(client, school.head)
    with client.session_transaction() as session:
        session["pending_at"] -= 3600
    response = factories.submit_form(client, "/auth/two-factor", {"code": "123456"}, form_url="/auth/sign-in")
    assert response.headers["Location"].startswith("/auth/sign-in")


def test_repeated_failures_lock_the_account_with_the_same_message(app, client, school, db):
    for _ in range(app.config.get("LOCKOUT_ATTEMPTS", 5)):
        response = _password_step(client, school.staff, "not the password")
        assert response.status_code == 401
    response = _password_step(client, school.staff)  # the right password, but locked
    assert response.status_code == 401
    assert "The e-mail address or password is not right" in response.get_data(as_text=True)
    db.session.refresh(school.staff)
    assert school.staff.locked_until is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "auth.locked")) is not None
    # An administrator unlocks it.
    admin = app.test_client()
    factories.sign_in(admin, school.admin)
    assert "Locked" in admin.get("/admin/users").get_data(as_text=True)
    factories.submit_form(admin, f"/admin/users/{school.staff.id}/unlock", {}, form_url="/admin/users")
    assert _password_step(client, school.staff).status_code == 302


def test_admin_resets_a_second_factor_and_it_is_audited(client, school, sign_in, db):
    from safeguard.core.sqltypes import utcnow

    school.staff.totp_secret, school.staff.totp_enabled_at = factories.TOTP_SECRET, utcnow()
    db.session.commit()
    sign_in(school.admin)
    factories.submit_form(
        client, f"/admin/users/{school.staff.id}/two-factor/reset", {}, form_url=f"/admin/users/{school.staff.id}"
    )
    db.session.refresh(school.staff)
    assert not school.staff.two_factor_enabled
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "auth.two_factor_reset"))
    assert event.actor_id == school.admin.id and event.subject_id == school.staff.id


def test_sign_in_is_throttled_per_account_and_address(app_config, school, make_app):
    app = make_app({**app_config, "RATELIMIT_ENABLED": True})
    client = app.test_client()
    statuses = []
    for _ in range(12):
        statuses.append(_password_step(client, school.staff, "wrong password here").status_code)
    assert 429 in statuses
    assert "Too many attempts" in _password_step(client, school.staff, "x" * 12).get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("Password2024!", False),
        ("qwertyuiop12", False),
        ("iloveyou1234", False),
        ("aaaaaaaaaaaaaaa", False),
        ("correct horse battery staple", True),
        ("Rainy-Thursday-Kettle-47", True),
    ],
)
def test_password_rules(password, ok):
    assert (password_problem(password) is None) is ok


def test_no_inline_script_or_style_in_any_template():
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        source = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source):
            problems.append(f"{path.name}: inline <script>")
        if re.search(r"<style\b", source):
            problems.append(f"{path.name}: <style>")
        if re.search(r"\sstyle\s*=", source):
            problems.append(f"{path.name}: style= attribute")
        if re.search(r"\son[a-z]+\s*=", source):
            problems.append(f"{path.name}: on…= handler")
    assert problems == []


def test_headers_and_no_caching_of_pages_with_childrens_data(client, school, sign_in):
    sign_in(school.dsl)
    response = client.get("/concerns/")
    assert response.headers["Cache-Control"] == "no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_hsts_in_production(tmp_path, database):
    from safeguard import create_app

    app = create_app(
        {
            "PRODUCTION": True,
            "SECRET_KEY": "x" * 48,
            "UPLOAD_ENCRYPTION_KEY": "A" * 43,
            "BASE_URL": "https://safeguard.example-trust.org.uk",
            "SQLALCHEMY_DATABASE_URI": database.fresh(),
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    response = app.test_client().get("/health")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_audit_verify_command_finds_the_first_broken_link(runner, school, db):
    for n in range(3):
        audit.record("test.event", f"Event {n}", school_id=school.school.id)
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "every link holds" in result.output
    second = db.session.scalars(
        select(AuditEvent).where(AuditEvent.chain == school.school.id).order_by(AuditEvent.seq)
    ).all()[1]
    if db.engine.dialect.name == "postgresql":
        # The database refuses the change: the trigger has to be lifted by a superuser to tamper at all.
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text("UPDATE audit_events SET summary = 'x' WHERE id = :id"), {"id": second.id})
        db.session.rollback()
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    db.session.execute(text("UPDATE audit_events SET summary = 'Tampered' WHERE id = :id"), {"id": second.id})
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"row {second.seq}" in result.output and "altered" in result.output


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway Redis server on 127.0.0.1 (what several gunicorn workers share their throttling counts in)."""
    import shutil
    import socket
    import subprocess
    import time as clock

    from tests.conftest import unavailable

    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            clock.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def test_throttling_counts_are_shared_through_redis(app_config, school, make_app, redis_url):
    import redis

    config = {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_url}
    # Two app instances stand for two gunicorn workers: the limit holds across them.
    first, second = make_app(config).test_client(), make_app(config).test_client()
    statuses = [_password_step(c, school.staff, "wrong password here").status_code for c in [first, second] * 6]
    assert 429 in statuses
    keys = redis.Redis.from_url(redis_url).keys("*")
    assert any(b"account" in key for key in keys)
