"""The DSLs' monitoring tray: alerts waiting (urgent first), the unmatched list, one alert and its outcome."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from safeguard.audit import services as audit
from safeguard.auth.permissions import Capability, requires
from safeguard.core.forms import as_id
from safeguard.monitoring import forms, services, store
from safeguard.monitoring.models import OUTCOME_LABELS, MonitoringAlert, Outcome
from safeguard.notifications import services as notifications
from safeguard.pupils import services as pupil_services
from safeguard.pupils import store as pupils_store
from safeguard.terminology import category_choices, get_vocabulary

blueprint = Blueprint("monitoring", __name__, url_prefix="/monitoring")


@blueprint.route("/")
@requires(Capability.ACT_ON_CONCERNS)
def tray():
    """Alerts waiting for the DSL team, most severe first."""
    school = current_user.school
    form = forms.SeverityForm(min_severity=str(school.monitoring_min_severity))
    return render_template(
        "monitoring/tray.html",
        alerts=store.tray(school.id),
        counts=store.counts(school.id),
        severity_form=form,
        school=school,
    )


@blueprint.route("/unmatched")
@requires(Capability.ACT_ON_CONCERNS)
def unmatched():
    """Waiting alerts whose username matched no pupil: to be matched by hand."""
    school = current_user.school
    return render_template(
        "monitoring/unmatched.html", alerts=store.unmatched(school.id), counts=store.counts(school.id)
    )


@blueprint.post("/settings")
@requires(Capability.ACT_ON_CONCERNS)
def settings():
    """Set the lowest severity that enters the tray."""
    form = forms.SeverityForm()
    severity = as_id(form.min_severity.data) if form.validate_on_submit() else None
    if severity is None or not 1 <= severity <= 5:
        flash("Choose a severity from 1 to 5.", "danger")
        return redirect(url_for("monitoring.tray")), 303
    services.set_min_severity(current_user.school, severity, current_user)
    flash(f"Alerts of severity {severity} and above now enter the tray; those below are counted only.", "success")
    return redirect(url_for("monitoring.tray"))


def _alert(alert_id: str) -> MonitoringAlert:
    identifier = as_id(alert_id)
    found = store.alert(current_user.school_id, identifier) if identifier is not None else None
    if found is None:
        abort(404)
    return found


def _page(alert: MonitoringAlert, status: int = 200, **given: Any):
    """The alert's page with its forms (those given keep what the DSL typed and its errors)."""
    vocabulary = get_vocabulary()
    attach_new = given.get("attach_new") or forms.AttachNewForm(formdata=None)
    attach_new.categories.choices = category_choices(vocabulary)
    query = request.args.get("q", "").strip()[:100] if request.method == "GET" else ""
    candidates = pupils_store.matching(current_user.school_id, query) if query else []
    if query:
        pupil_services.record_search(query, len(candidates), current_user)
    pupil = pupils_store.pupil(current_user.school_id, alert.pupil_id) if alert.pupil_id else None
    audit.record_read(
        "monitoring.alert_viewed",
        "Monitoring alert viewed",
        school_id=alert.school_id,
        actor_id=current_user.id,
        subject_type="monitoring_alert",
        subject_id=alert.id,
    )
    notifications.mark_link_read(current_user, url_for("monitoring.show", alert_id=alert.id))
    page = render_template(
        "monitoring/alert.html",
        alert=alert,
        pupil=pupil,
        outcome_label=OUTCOME_LABELS[Outcome(alert.outcome)],
        is_new=alert.outcome == Outcome.NEW.value,
        attach_new=attach_new,
        attach_existing=given.get("attach_existing") or forms.AttachExistingForm(formdata=None),
        close_form=given.get("close_form") or forms.CloseForm(formdata=None),
        match_form=forms.MatchForm(formdata=None),
        query=query,
        candidates=candidates,
        flagged=given.get("flagged", False),
    )
    return page, status


@blueprint.route("/alerts/<alert_id>")
@requires(Capability.ACT_ON_CONCERNS)
def show(alert_id: str):
    """One alert: what the vendor sent, the pupil, and the ways to end it."""
    return _page(_alert(alert_id))


def _refused(alert: MonitoringAlert, error: services.TriageError, name: str, form: Any):
    """The alert's page again, the error beside its field (or at the top)."""
    field = getattr(form, error.field or "", None)
    if field is not None and error.field != "pupil_id":
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "danger")
    flagged = error.field in {"wording_kept_reason", "account", "reason", "excerpt"}
    return _page(
        alert, 409 if "meanwhile" in str(error) or "already" in str(error) else 400, flagged=flagged, **{name: form}
    )


@blueprint.post("/alerts/<alert_id>/attach-new")
@requires(Capability.ACT_ON_CONCERNS)
def attach_new(alert_id: str):
    """Log a new concern from the alert and attach the alert to it."""
    alert = _alert(alert_id)
    form = forms.AttachNewForm()
    form.categories.choices = category_choices(get_vocabulary())
    if not form.validate_on_submit():
        return _page(alert, 400, attach_new=form)
    try:
        concern = services.attach_to_new(
            alert, current_user, form.categories.data or [], form.account.data or "", form.wording_kept_reason.data
        )
    except services.TriageError as error:
        return _refused(alert, error, "attach_new", form)
    flash(f"Concern {concern.reference} logged, with the alert in its chronology.", "success")
    return redirect(url_for("concerns.show", concern_id=concern.id))


@blueprint.post("/alerts/<alert_id>/attach")
@requires(Capability.ACT_ON_CONCERNS)
def attach_existing(alert_id: str):
    """Attach the alert to a concern already logged."""
    alert = _alert(alert_id)
    form = forms.AttachExistingForm()
    if not form.validate_on_submit():
        return _page(alert, 400, attach_existing=form)
    try:
        concern = services.attach_to_existing(
            alert, current_user, form.reference.data or "", form.wording_kept_reason.data
        )
    except services.TriageError as error:
        return _refused(alert, error, "attach_existing", form)
    flash(f"The alert is now an entry in the chronology of {concern.reference}.", "success")
    return redirect(url_for("concerns.show", concern_id=concern.id))


@blueprint.post("/alerts/<alert_id>/close")
@requires(Capability.ACT_ON_CONCERNS)
def close(alert_id: str):
    """End the alert as a false positive or as needing no further action, with the reason."""
    alert = _alert(alert_id)
    form = forms.CloseForm()
    if not form.validate_on_submit():
        return _page(alert, 400, close_form=form)
    try:
        outcome = Outcome(form.outcome.data)
        services.close(alert, current_user, outcome, form.reason.data or "", form.wording_kept_reason.data)
    except services.TriageError as error:
        return _refused(alert, error, "close_form", form)
    flash(f"Alert closed: {OUTCOME_LABELS[outcome].lower()}.", "success")
    return redirect(url_for("monitoring.tray"))


@blueprint.post("/alerts/<alert_id>/match")
@requires(Capability.ACT_ON_CONCERNS)
def match(alert_id: str):
    """Match an unmatched alert to a pupil, by hand."""
    alert = _alert(alert_id)
    form = forms.MatchForm()
    pupil_id = as_id(form.pupil_id.data) if form.validate_on_submit() else None
    try:
        services.match_pupil(alert, current_user, pupil_id)
    except services.TriageError as error:
        flash(str(error), "danger")
        return _page(alert, 400)
    flash("The alert is matched to the pupil and waits in the tray.", "success")
    return redirect(url_for("monitoring.show", alert_id=alert.id))
