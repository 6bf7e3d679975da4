"""Export pages: the concern report, the child's file, the transfer record, the period summary, verification."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from safeguard.audit import services as audit
from safeguard.auth import permissions
from safeguard.auth.permissions import Capability, requires
from safeguard.calendar import services as calendar_services
from safeguard.core.formatting import local_today, zone_named
from safeguard.core.forms import attach_error
from safeguard.core.sqltypes import utcnow
from safeguard.exports import forms, services, store
from safeguard.pupils import store as pupils_store
from safeguard.pupils.models import Pupil

blueprint = Blueprint("exports", __name__, url_prefix="/exports")


def load_pupil(pupil_id: int) -> Pupil:
    """A pupil of the signed-in person's school, or 404 (another school's pupils do not exist here)."""
    pupil = pupils_store.pupil(current_user.school_id, pupil_id)
    if pupil is None:
        abort(404)
    return pupil


def _download(exported: services.ExportedFile):
    response = send_file(
        io.BytesIO(exported.pdf), mimetype="application/pdf", as_attachment=True, download_name=exported.filename
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/")
@requires(Capability.EXPORT)
def index():
    """Reports: the period summary, file transfers and checking a PDF."""
    late = services.unconfirmed_transfers(current_user.school_id, utcnow().date())
    return render_template("exports/index.html", late=late)


@blueprint.route("/concern/<int:concern_id>", methods=["GET", "POST"])
@requires(Capability.EXPORT)
def concern(concern_id: int):
    """Export a concern report."""
    record = store.concern(current_user.school_id, concern_id)
    if record is None or not permissions.can_export(current_user, record):
        abort(404)
    form = forms.ExportForm()
    if form.validate_on_submit():
        try:
            return _download(services.export_concern(record, current_user, form.reason.data or ""))
        except services.ExportError as error:
            attach_error(form, error)
    status = 400 if form.is_submitted() else 200
    return render_template("exports/export.html", form=form, title=f"Export concern {record.reference}"), status


@blueprint.route("/pupil/<int:pupil_id>", methods=["GET", "POST"])
@requires(Capability.EXPORT)
def child_file(pupil_id: int):
    """Export a child's safeguarding file."""
    pupil = load_pupil(pupil_id)
    form = forms.ChildFileForm()
    if form.validate_on_submit():
        try:
            return _download(
                services.export_child_file(
                    pupil, current_user, form.reason.data or "", bool(form.include_other_children.data)
                )
            )
        except services.ExportError as error:
            attach_error(form, error)
    status = 400 if form.is_submitted() else 200
    title = f"Export the safeguarding file of {pupil.display_name}"
    return render_template("exports/export.html", form=form, title=title), status


@blueprint.route("/transfer/<int:pupil_id>", methods=["GET", "POST"])
@requires(Capability.EXPORT)
def transfer(pupil_id: int):
    """Record the file's transfer to the next school and export the transfer record."""
    pupil = load_pupil(pupil_id)
    form = forms.TransferForm()
    if not form.is_submitted():
        form.to_school.data = pupil.destination_school or ""
        form.reason.data = "Transfer of the safeguarding file to the next school"
    if form.validate_on_submit():
        try:
            return _download(
                services.export_transfer(
                    pupil, current_user, form.to_school.data or "", form.method.data or "", form.reason.data or ""
                )
            )
        except services.ExportError as error:
            attach_error(form, error)
    status = 400 if form.is_submitted() else 200
    title = f"Transfer the safeguarding file of {pupil.display_name}"
    return render_template("exports/export.html", form=form, title=title, transfer=True), status


@blueprint.route("/transfer/<int:pupil_id>/confirm", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def confirm_transfer(pupil_id: int):
    """Record that the receiving school's DSL confirmed receipt."""
    pupil = load_pupil(pupil_id)
    if not forms.ConfirmTransferForm().validate_on_submit():
        abort(400)
    try:
        services.confirm_transfer(pupil, current_user)
    except services.ExportError as error:
        flash(str(error), "warning")
    else:
        flash("Receipt of the transferred file has been recorded.", "success")
    return redirect(url_for("exports.transfers"))


@blueprint.route("/transfers")
@requires(Capability.VIEW_ALL_CONCERNS)
def transfers():
    """Transfers sent and awaiting confirmation."""
    pending = services.transfers_awaiting_receipt(current_user.school_id)
    late = {p.id for p in services.late_transfers(current_user.school_id, pending, utcnow().date())}
    return render_template(
        "exports/transfers.html",
        pending=pending,
        late=late,
        form=forms.ConfirmTransferForm(),
        can_confirm=permissions.has(current_user, Capability.ACT_ON_CONCERNS),
    )


@blueprint.route("/oversight")
@requires(Capability.VIEW_OVERSIGHT)
def oversight():
    """The school's numbers at a glance, as charts with the same numbers in tables."""
    return render_template(
        "exports/oversight.html",
        o=services.oversight(current_user.school, utcnow(), permissions.viewer(current_user, utcnow())),
    )


@blueprint.route("/summary", methods=["GET", "POST"])
@requires(Capability.EXPORT)
def summary():
    """Export a period summary for governors and the local authority."""
    form = forms.SummaryForm()
    if not form.is_submitted():
        today = local_today(zone_named(current_user.school.timezone))
        form.period_from.data, form.period_to.data = services.summary_defaults(
            today, calendar_services.calendar(current_user.school_id)
        )
    if form.validate_on_submit():
        try:
            return _download(
                services.export_summary(
                    current_user.school, current_user, form.period_from.data, form.period_to.data, form.reason.data
                )
            )
        except services.ExportError as error:
            attach_error(form, error)
    status = 400 if form.is_submitted() else 200
    return render_template("exports/export.html", form=form, title="Period summary for governors", summary=True), status


@blueprint.route("/verify", methods=["GET", "POST"])
@requires(Capability.EXPORT)
def verify():
    """Check whether a PDF matches the record as held now."""
    form = forms.VerifyForm()
    result = None
    if form.validate_on_submit():
        data = form.pdf.data.read()
        if not data.startswith(b"%PDF"):
            form.pdf.errors = ["That file is not a PDF."]
        else:
            result = services.verify(data, school_id=current_user.school_id)
            audit_verification(result)
    status = 400 if form.is_submitted() and result is None else 200
    return render_template("exports/verify.html", form=form, result=result), status


def audit_verification(result: services.Verification) -> None:
    """Record that a document was checked, and the answer."""
    audit.record(
        "export.verified",
        f"Document checked: {result.outcome}",
        school_id=current_user.school_id,
        actor_id=current_user.id,
        subject_type="export",
        subject_id=result.export.id if result.export else None,
    )
