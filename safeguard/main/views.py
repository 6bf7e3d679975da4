"""Landing pages and the health check."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template
from flask_login import current_user

from safeguard.auth import permissions
from safeguard.auth.permissions import Capability, public, requires
from safeguard.concerns import store as concerns_store
from safeguard.core.formatting import css_string, local_today, school_zone
from safeguard.core.sqltypes import utcnow
from safeguard.schools.models import DEFAULT_PROTECTIVE_MARKING

blueprint = Blueprint("main", __name__)


@blueprint.route("/")
@requires(Capability.SIGNED_IN)
def home():
    """The signed-in person's starting page, shaped by what their roles let them do: "Log a concern" first for
    everyone, and for those who see every concern, what needs the DSL team now."""
    attention = None
    if permissions.has(current_user, Capability.VIEW_ALL_CONCERNS):
        now = utcnow()
        attention = concerns_store.attention(current_user.school_id, now, local_today(school_zone(), now))
    return render_template("main/home.html", user=current_user, attention=attention)


@blueprint.route("/health")
@public
def health():
    """A plain answer for load balancers and uptime checks; reveals nothing."""
    return {"status": "ok"}


@blueprint.route("/print.css")
@public
def print_stylesheet():
    """The school's protective marking at the head and foot of every printed page (the default marking before
    anyone signs in): a stylesheet of its own, since the marking is the school's and no style may be inline."""
    marking = current_user.school.protective_marking if current_user.is_authenticated else ""
    response = make_response(
        render_template("main/print.css", marking=css_string(marking or DEFAULT_PROTECTIVE_MARKING))
    )
    response.mimetype = "text/css"
    return response
