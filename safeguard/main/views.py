"""Landing pages and the health check."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from safeguard.auth.permissions import Capability, public, requires

blueprint = Blueprint("main", __name__)


@blueprint.route("/")
@requires(Capability.SIGNED_IN)
def home():
    """The signed-in person's starting page, shaped by what their roles let them do."""
    return render_template("main/home.html", user=current_user)


@blueprint.route("/health")
@public
def health():
    """A plain answer for load balancers and uptime checks; reveals nothing."""
    return {"status": "ok"}
