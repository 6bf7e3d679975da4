"""The safety check page, for administrators and the head."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from safeguard.auth.permissions import Capability, requires
from safeguard.safety import services

blueprint = Blueprint("safety", __name__, url_prefix="/safety")


@blueprint.route("/")
@requires(Capability.SAFETY_CHECK)
def check():
    """Whether every concern can reach someone who can act on it: the same checks as ``flask --app safeguard
    doctor``, for the signed-in person's school."""
    checks = services.school_checks(current_user.school)
    return render_template("safety/check.html", checks=checks, failing=services.failing(checks), Status=services.Status)
