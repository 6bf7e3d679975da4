"""Safeguard: a school safeguarding incident recorder.

``flask --app safeguard`` finds :func:`create_app`.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, flash, g, redirect, render_template, request, session, url_for
from flask_login import logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from werkzeug.exceptions import BadRequest, HTTPException

from safeguard import terminology
from safeguard.api.sessions import SessionsOffTheApi
from safeguard.auth import passwords
from safeguard.core import config as config_module
from safeguard.core.extensions import bootstrap, csrf, db, limiter, login_manager, migrate
from safeguard.core.forms import as_id
from safeguard.core.jsonbodies import BoundedJSONProvider
from safeguard.core.paths import resource_dir
from safeguard.core.proxy import apply_proxy_fix
from safeguard.core.sqltypes import utcnow

__all__ = ["create_app"]

# Seconds between two writes of a signed-in person's last activity to their session (see enforce_idle_timeout).
ACTIVITY_RECORDED_EVERY = 60
# How long a page answered while the database cannot be reached asks the browser (and a load balancer) to wait.
DATABASE_RETRY_AFTER_SECONDS = 30


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application.

    :param config: settings that override the defaults, ``instance/config.py`` and the environment
        (tests pass their own database and secret here).
    """
    app = Flask(
        __name__,
        instance_path=(config or {}).get("INSTANCE_PATH"),
        instance_relative_config=True,
        template_folder=str(resource_dir("templates")),
        static_folder="static",
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.json = BoundedJSONProvider(app)
    configure(app, config)
    # The API has no browser session: a cookie sent to it is not read, and none is set (safeguard/api/sessions.py).
    app.session_interface = SessionsOffTheApi()
    apply_proxy_fix(app)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    with app.app_context():
        # Refuse to start on an invalid vocabulary: every concern is recorded in its terms.
        terminology.get_vocabulary()
        # And on an invalid retention schedule: reviews and disposals are decided by it.
        from safeguard.retention import services as retention_services

        retention_services.schedule()
    if not app.testing:
        # Everything built so far (modules, the app, templates, the vocabulary) lives as long as the process;
        # frozen, the garbage collector's full collections look only at what requests leave behind instead of
        # walking all of it again in the middle of a request (docs/performance.md). Tests build hundreds of apps
        # in one process, so they do not freeze.
        gc.freeze()
    return app


def configure(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Layer the configuration: package defaults, ``instance/config.py``, the environment, then ``overrides``."""
    app.config.from_mapping(config_module.DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "safeguard.sqlite")
    app.config["MIGRATIONS_DIR"] = str(resource_dir("migrations"))
    app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config_module.from_environment())
    if overrides:
        app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["PRODUCTION"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        config_module.check_production(app.config)
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.local_secret_key(app.instance_path)
    app.config["IDLE_TIMEOUT"] = timedelta(minutes=int(app.config["IDLE_TIMEOUT_MINUTES"]))
    passwords.configure(
        int(app.config["ARGON2_TIME_COST"]),
        int(app.config["ARGON2_MEMORY_KIB"]),
        int(app.config["ARGON2_PARALLELISM"]),
    )
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def register_extensions(app: Flask) -> None:
    """Bind the extension objects to this app."""
    db.init_app(app)
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIR"], render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    # Import the models so that the metadata (and Alembic's autogenerate) knows every table.
    from safeguard.app import models  # noqa: F401
    from safeguard.auth import sessions
    from safeguard.auth.models import User
    from safeguard.auth.store import SIGNED_IN

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        token = session.get(sessions.TOKEN_KEY)
        account_id = as_id(user_id)
        if account_id is None or not token:
            return None
        values = {"user_id": account_id, "token_hash": sessions.token_hash(token), "now": utcnow()}
        row = db.session.execute(SIGNED_IN, values).first()
        if row is None or not row.User.is_active:
            return None
        return sessions.working_in(row, token)


def register_blueprints(app: Flask) -> None:
    """Register one blueprint per feature."""
    from safeguard.access.views import blueprint as access_blueprint
    from safeguard.admin.views import blueprint as admin_blueprint
    from safeguard.adults.views import blueprint as adults_blueprint
    from safeguard.api.views import blueprint as api_blueprint
    from safeguard.api.views import tokens_blueprint as api_tokens_blueprint
    from safeguard.auth.views import blueprint as auth_blueprint
    from safeguard.bodymap.views import blueprint as bodymap_blueprint
    from safeguard.calendar.views import blueprint as calendar_blueprint
    from safeguard.concerns.views import blueprint as concerns_blueprint
    from safeguard.exports.views import blueprint as exports_blueprint
    from safeguard.main.views import blueprint as main_blueprint
    from safeguard.monitoring.views import blueprint as monitoring_blueprint
    from safeguard.notifications.views import blueprint as notifications_blueprint
    from safeguard.pupils.views import blueprint as pupils_blueprint
    from safeguard.retention.views import blueprint as retention_blueprint
    from safeguard.safety.views import blueprint as safety_blueprint
    from safeguard.sar.views import blueprint as sar_blueprint
    from safeguard.terminology.views import blueprint as terminology_blueprint
    from safeguard.transfers.views import blueprint as transfers_blueprint
    from safeguard.trusts.views import blueprint as trusts_blueprint

    for blueprint in (
        main_blueprint,
        auth_blueprint,
        admin_blueprint,
        concerns_blueprint,
        notifications_blueprint,
        exports_blueprint,
        terminology_blueprint,
        pupils_blueprint,
        safety_blueprint,
        bodymap_blueprint,
        retention_blueprint,
        sar_blueprint,
        calendar_blueprint,
        transfers_blueprint,
        adults_blueprint,
        trusts_blueprint,
        api_blueprint,
        api_tokens_blueprint,
        monitoring_blueprint,
        access_blueprint,
    ):
        app.register_blueprint(blueprint)


def register_request_hooks(app: Flask) -> None:
    """Idle sign-out, the one commit per request, and security headers."""
    from safeguard.audit import services as audit
    from safeguard.auth import sessions

    @app.before_request
    def enforce_idle_timeout():
        # Read from the session alone (Flask-Login keeps the signed-in person's id there): a request that never needs
        # the person (/health, a static file) does not load them from the database for this check.
        if "_user_id" not in session:
            return None
        now = utcnow().timestamp()
        last_seen = session.get("last_seen")
        # The time of the last activity is written at most once a minute: writing it on every request changed the
        # session on every request, and a changed session is serialised, signed and sent back as a new cookie each
        # time. So the recorded time may be up to a minute before the last request, and the minute is added back
        # here: nobody is signed out before the idle timeout, and nobody more than a minute after it.
        idle = app.config["IDLE_TIMEOUT"].total_seconds()
        if last_seen is not None and now - float(last_seen) > idle + ACTIVITY_RECORDED_EVERY:
            user_id = as_id(session["_user_id"])
            if user_id is not None:
                sessions.end_current(user_id, session.get(sessions.TOKEN_KEY), sessions.Ended.IDLE)
            logout_user()
            session.clear()
            flash("You were signed out after a period without activity. Please sign in again.", "info")
            return redirect(url_for("auth.sign_in", next=request.full_path if request.method == "GET" else None))
        if last_seen is None or now - float(last_seen) >= ACTIVITY_RECORDED_EVERY:
            session["last_seen"] = now
            sessions.touch(session.get(sessions.TOKEN_KEY))
        if not session.permanent:
            session.permanent = True
        return None

    @app.after_request
    def commit_or_roll_back(response):
        # One transaction per request: a concern and its audit row are saved together or not at all. A rejected
        # request (4xx/5xx) changes nothing, unless the view asked to keep its audit rows (a failed sign-in).
        if not db.session.registry.has():
            # Nothing in the request used the database session (the health check, a static file): no session to
            # make only to commit nothing.
            return response
        if response.status_code < 400 or g.get("keep_on_error"):
            db.session.commit()
        else:
            db.session.rollback()
            # What the person was shown is audited all the same (a rejected action still shows the record).
            audit.keep_reads_after_rollback()
        return response

    from safeguard.core.security import apply_security_headers

    app.after_request(apply_security_headers)


def register_errorhandlers(app: Flask) -> None:
    """Render friendly pages for HTTP errors (problem details on the API); never a stack trace."""
    from safeguard.api import problems
    from safeguard.api.sessions import is_api_request

    def render_error(error: HTTPException):
        db.session.rollback()
        if is_api_request():
            return problems.from_http_error(error)
        code = error.code or 500
        return render_template("errors/error.html", error=error, code=code), code

    def render_csrf_error(error: CSRFError):
        db.session.rollback()
        return render_template("errors/csrf.html", error=error), 400

    def render_data_error(error: DataError):
        # A value the database cannot hold (a number out of range, say) is bad input, not a server error.
        db.session.rollback()
        app.logger.warning("bad input reached the database: %s", type(error.orig).__name__)
        return render_error(BadRequest("A value in the request was out of range."))

    def render_unavailable(error: OperationalError | InterfaceError):
        # The database cannot be reached (a restart, a failover, a lost connection) or is too busy to answer: a
        # passing state, not a fault in the request, so a 503 that says when to try again rather than a bare 500.
        # Only the kind of error is logged: its text can carry the statement and its values.
        # The connection may be gone already; the pool replaces it on the next checkout.
        with contextlib.suppress(OperationalError, InterfaceError):
            db.session.rollback()
        app.logger.warning(
            "database unavailable: %s", type(error.orig).__name__ if error.orig else type(error).__name__
        )
        # Rendered from the environment, not through render_template: its context processors load the signed-in
        # person, which needs the database that is down.
        page = app.jinja_env.get_template("errors/unavailable.html").render(retry_after=DATABASE_RETRY_AFTER_SECONDS)
        return page, 503, {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}

    for code in (400, 403, 404, 405, 409, 413, 422, 429, 500):
        app.register_error_handler(code, render_error)
    app.register_error_handler(DataError, render_data_error)
    app.register_error_handler(OperationalError, render_unavailable)
    app.register_error_handler(InterfaceError, render_unavailable)
    app.register_error_handler(CSRFError, render_csrf_error)


def register_commands(app: Flask) -> None:
    """Add the ``flask --app safeguard`` commands."""
    from safeguard.app.cli import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Register the templates' filters and globals (all in :mod:`safeguard.app.templating`)."""
    from safeguard.app.templating import register_template_helpers as register

    register(app)
