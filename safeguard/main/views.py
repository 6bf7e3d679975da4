"""Landing pages and the health check."""

from __future__ import annotations

from flask import Blueprint, make_response, render_template
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from safeguard.adults import services as adults
from safeguard.auth import permissions
from safeguard.auth.permissions import Capability, public, requires
from safeguard.concerns import store as concerns_store
from safeguard.core.extensions import db
from safeguard.core.formatting import css_string, local_today, school_zone
from safeguard.core.sqltypes import utcnow
from safeguard.safety import services as safety
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
        attention = concerns_store.attention(
            current_user.school_id, now, local_today(school_zone(), now), permissions.viewer(current_user, now)
        )
    adult_cases = adults.open_summary(current_user)
    return render_template("main/home.html", user=current_user, attention=attention, adult_cases=adult_cases)


@blueprint.route("/health")
@public
def health():
    """A plain answer for load balancers and uptime checks, and a separate readiness field for monitoring.

    ``status`` is "ok" whenever the app answers, as load balancers expect: a stopped worker is no reason to take the
    web server out of service (staff could no longer log concerns). ``readiness`` says whether alerts and escalations
    are being sent: the worker's heartbeat, no older than five minutes. Nothing about any school is revealed.
    """
    try:
        worker = safety.worker_now()
    except SQLAlchemyError:
        db.session.rollback()
        return {"status": "ok", "readiness": {"worker": "unknown", "database": "unreachable"}}
    beat = worker.last_beat.isoformat() if worker.last_beat else None
    state = "running" if worker.running else "not running"
    return {"status": "ok", "readiness": {"worker": state, "worker_last_heartbeat": beat}}


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
