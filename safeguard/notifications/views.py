"""The signed-in person's alerts."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from safeguard.auth.permissions import Capability, requires
from safeguard.notifications import services

blueprint = Blueprint("notifications", __name__, url_prefix="/notifications")


@blueprint.before_app_request
def remember_address() -> None:
    """In development, note where this server is reached, for the links of e-mails the worker writes."""
    services.remember_served_address()


@blueprint.route("/")
@requires(Capability.SIGNED_IN)
def index():
    """Unread alerts, urgent first."""
    notifications = services.unread(current_user, limit=100)
    services.mark_account_alerts_read(current_user)
    return render_template("notifications/index.html", notifications=notifications)
