"""The trust dashboard, the trust lead's requests for access, the school's decisions on them, and concerns linked
across the schools of a trust."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from safeguard.auth.permissions import Capability, requires
from safeguard.concerns.services import WordingError
from safeguard.core.formatting import zone_named
from safeguard.core.forms import ConfirmForm, as_id, attach_error
from safeguard.core.sqltypes import utcnow
from safeguard.notifications.services import remember_unread_alert_count
from safeguard.trusts import services, store
from safeguard.trusts.forms import LinkForm, RequestAccessForm
from safeguard.trusts.models import GrantStatus

blueprint = Blueprint("trusts", __name__, url_prefix="/trust")


@blueprint.route("/")
@requires(Capability.VIEW_TRUST)
def dashboard():
    """Numbers of every school of the trust, this period beside the one before; no child's name or account."""
    days = as_id(request.args.get("days")) or 28
    # The schools of one trust share a zone: the periods are days of the zone of the school the trust lead works in.
    board = services.dashboard(current_user, utcnow(), days, zone_named(current_user.school.timezone))
    if board is None:
        return render_template("trusts/no_trust.html")
    remember_unread_alert_count(board.unread_alerts)
    return render_template("trusts/dashboard.html", d=board, periods=services.PERIODS)


@blueprint.route("/access", methods=["GET", "POST"])
@requires(Capability.VIEW_TRUST)
def access():
    """The trust lead asks a school of the trust for access to its records, and sees their requests."""
    trust = services.trust_for(current_user)
    if trust is None:
        return render_template("trusts/no_trust.html")
    schools = store.schools_of_trust(trust.id)
    form = RequestAccessForm()
    form.school_id.choices = [(None, "Choose a school")] + [(s.id, f"{s.name} ({s.code})") for s in schools]
    if form.validate_on_submit():
        try:
            services.request_access(current_user, form.school_id.data, form.purpose.data, form.days.data)
        except (services.TrustError, WordingError) as error:
            attach_error(form, error, default_field="purpose")
        else:
            flash("Your request has been sent to the school's DSLs. You will see their answer here.", "success")
            return redirect(url_for("trusts.access"))
    status = 400 if form.is_submitted() else 200
    grants = store.trust_lead_grants(trust.id, current_user.id)
    return render_template("trusts/access.html", form=form, grants=grants, now=utcnow(), trust=trust), status


@blueprint.route("/school-access")
@requires(Capability.DECIDE_TRUST_ACCESS)
def school_access():
    """The trust lead's requests for access to this school's records, to grant, refuse or end; and the school's
    concerns linked to concerns of the trust's other schools."""
    return _school_page(_link_form(), 200)


def _link_form() -> LinkForm:
    form = LinkForm()
    form.other_school_id.choices = [(None, "Choose a school")] + [
        (c.id, f"{c.name} ({c.code})") for c in services.linkable_schools(current_user)
    ]
    return form


def _school_page(link_form: LinkForm, status: int):
    trust = services.trust_for(current_user)
    links = store.school_links(current_user.school_id)
    references = store.references(current_user.school_id, [link.concern_id for link in links])
    return (
        render_template(
            "trusts/school_access.html",
            trust=trust,
            grants=store.school_grants(current_user.school_id),
            now=utcnow(),
            form=ConfirmForm(),
            link_form=link_form,
            links=links,
            references=references,
            GrantStatus=GrantStatus,
        ),
        status,
    )


@blueprint.route("/school-access/<int:grant_id>/grant", methods=["POST"])
@requires(Capability.DECIDE_TRUST_ACCESS)
def grant(grant_id: int):
    """Grant a trust lead access to this school's records, from now for the days asked."""
    return _decide(grant_id, "grant")


@blueprint.route("/school-access/<int:grant_id>/refuse", methods=["POST"])
@requires(Capability.DECIDE_TRUST_ACCESS)
def refuse(grant_id: int):
    """Refuse a trust lead's request for access to this school's records."""
    return _decide(grant_id, "refuse")


@blueprint.route("/school-access/<int:grant_id>/end", methods=["POST"])
@requires(Capability.DECIDE_TRUST_ACCESS)
def end(grant_id: int):
    """End a trust lead's access to this school's records before its last day."""
    return _decide(grant_id, "end")


def _decide(grant_id: int, decision: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if decision == "end":
            services.end_access(current_user, grant_id)
        else:
            services.decide(current_user, grant_id, grant=decision == "grant")
    except LookupError:
        abort(404)
    except services.TrustError as error:
        flash(str(error), "warning")
        return redirect(url_for("trusts.school_access"))
    done = {"grant": "Access granted.", "refuse": "Request refused.", "end": "Access ended."}[decision]
    flash(done, "success")
    return redirect(url_for("trusts.school_access"))


@blueprint.route("/links", methods=["POST"])
@requires(Capability.DECIDE_TRUST_ACCESS)
def link():
    """Link a concern of this school to a concern of another school of the trust that the DSL also sees."""
    form = _link_form()
    if form.validate_on_submit():
        concern = store.concern_by_reference(current_user.school_id, form.reference.data.strip().upper())
        if concern is None:
            form.reference.errors = ["This school has no concern with that reference."]
        else:
            try:
                services.link(
                    current_user, concern, form.other_school_id.data, form.other_reference.data, form.reason.data
                )
            except (services.TrustError, WordingError) as error:
                attach_error(form, error, default_field="other_reference")
            else:
                flash("The two concerns are linked.", "success")
                return redirect(url_for("trusts.school_access"))
    return _school_page(form, 400)
