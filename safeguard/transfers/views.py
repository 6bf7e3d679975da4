"""Transfer pages: the school's key and partner schools, sending a child's file, the files sent and received, the
one-time link's page, and the inbox and receipts other Safeguards post to."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from safeguard.auth import permissions
from safeguard.auth.permissions import Capability, public, public_signed, requires
from safeguard.core.extensions import csrf, limiter
from safeguard.core.formatting import local_today, zone_named
from safeguard.core.forms import ConfirmForm, attach_error
from safeguard.pupils import store as pupils_store
from safeguard.transfers import crypto, forms, services, store
from safeguard.transfers.models import LINK, SAFEGUARD, ReceivedTransfer

blueprint = Blueprint("transfers", __name__, url_prefix="/transfers")

NO_STORE = {"Cache-Control": "no-store"}


@blueprint.route("/")
@requires(Capability.EXPORT)
def index():
    """The files this school has sent, each with its state, and the files received."""
    today = local_today(zone_named(current_user.school.timezone))
    can_import = permissions.has(current_user, Capability.ACT_ON_CONCERNS)
    return render_template(
        "transfers/index.html",
        sent=services.sent_states(current_user.school_id, today),
        received=store.received(current_user.school_id) if can_import else [],
        can_import=can_import,
    )


@blueprint.route("/keys", methods=["GET", "POST"])
@requires(Capability.EXPORT)
def keys():
    """This school's public key and fingerprint, and the schools it exchanges files with."""
    form = forms.PartnerForm()
    if form.validate_on_submit():
        try:
            added = services.add_partner(
                current_user.school_id,
                current_user,
                form.name.data or "",
                form.url.data or "",
                form.public_key.data or "",
            )
        except services.TransferError as error:
            attach_error(form, error)
        else:
            flash(f"{form.name.data} has been registered, with the key fingerprint {added.fingerprint}.", "success")
            return redirect(url_for("transfers.keys"))
    partners = [(p, crypto.fingerprint(p.public_key)) for p in store.partners(current_user.school_id)]
    own = services.public_key(current_user.school_id)
    address = services.own_address(request.host_url)
    status = 400 if form.is_submitted() else 200
    return render_template("transfers/keys.html", own=own, address=address, partners=partners, form=form), status


@blueprint.route("/settings", methods=["GET", "POST"])
@requires(Capability.MANAGE_SCHOOL)
def settings():
    """Whether the school keeps its copy of a file once the receiving school has confirmed receipt."""
    school = current_user.school
    form = forms.SettingsForm()
    if not form.is_submitted():
        form.keeps_file.data = school.transfer_keeps_file
    if form.validate_on_submit():
        services.set_keeps_file(school, current_user, bool(form.keeps_file.data))
        flash("The transfer setting has been saved.", "success")
        return redirect(url_for("transfers.settings"))
    return render_template("transfers/settings.html", form=form), 400 if form.is_submitted() else 200


def _load_pupil(pupil_id: int):
    pupil = pupils_store.pupil(current_user.school_id, pupil_id)
    if pupil is None:
        abort(404)
    return pupil


def _send(form: forms.SendForm, pupil):
    """Send as the form says: the answer to give, or None to show the form again with its errors."""
    if form.way.data == forms.PAPER:
        return redirect(url_for("exports.transfer", pupil_id=pupil.id))
    if form.way.data == SAFEGUARD:
        partner = store.partner(
            current_user.school_id, int(form.partner.data or 0) if str(form.partner.data or "").isdigit() else 0
        )
        if partner is None:
            raise services.TransferError("Choose the receiving school.", "partner")
        services.send_to_partner(pupil, current_user, partner, services.own_address(request.host_url))
        flash(f"The file has been delivered to {partner.name}, which sent a signed receipt.", "success")
        return redirect(url_for("transfers.index"))
    if form.way.data == LINK:
        link = services.make_link(pupil, current_user, form.to_name.data or "", form.days.data or 0)
        address = url_for("transfers.collect", token=link.token, _external=True)
        return render_template("transfers/link_made.html", pupil=pupil, link=link, address=address), 200, NO_STORE
    raise services.TransferError("Choose how to send the file.", "way")


@blueprint.route("/send/<int:pupil_id>", methods=["GET", "POST"])
@requires(Capability.EXPORT)
def send(pupil_id: int):
    """Send a child's file to the next school: to its Safeguard, by a one-time link, or on paper."""
    pupil = _load_pupil(pupil_id)
    form = forms.SendForm()
    partners = store.partners(current_user.school_id)
    form.partner.choices = [("", "Choose a school")] + [(str(p.id), p.name) for p in partners if p.url]
    if not form.is_submitted():
        form.to_name.data = pupil.destination_school or ""
    if form.validate_on_submit():
        try:
            return _send(form, pupil)
        except (services.TransferError, services.PackageError) as error:
            attach_error(form, error)
    status = 400 if form.is_submitted() else 200
    return render_template("transfers/send.html", form=form, pupil=pupil, has_partners=bool(partners)), status


def _received(received_id: int) -> ReceivedTransfer:
    """A file this school received, or a 404."""
    found = store.received_one(current_user.school_id, received_id)
    if found is None:
        abort(404)
    return found


@blueprint.route("/received/<int:received_id>", methods=["GET", "POST"])
@requires(Capability.ACT_ON_CONCERNS)
def received(received_id: int):
    """Review a file received and import it; once imported, its chronology as the sending school kept it."""
    found = _received(received_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            pupil = services.import_received(found, current_user)
        except services.TransferError as error:
            flash(str(error), "warning")
            return redirect(url_for("transfers.received", received_id=found.id))
        told = services.tell_sender(found, current_user)
        flash(
            f"The file has been imported under {pupil.display_name}."
            + (
                " The sending school has been told."
                if told
                else " The sending school could not be told: let them know."
            ),
            "success",
        )
        return redirect(url_for("transfers.received", received_id=found.id))
    record = None if found.imported_at else services.for_review(services.contents_of(found)["record"])
    concerns = store.imported(current_user.school_id, found.id) if record is None else record["concerns"]
    shown, restricted = services.readable(concerns, current_user)
    return render_template(
        "transfers/received.html",
        found=found,
        record=record,
        shown=shown,
        restricted=restricted,
        reads_all=permissions.reads_restricted_transfers(current_user),
        form=form,
        fingerprint=crypto.fingerprint,
    )


@blueprint.route("/received/<int:received_id>/pdf")
@requires(Capability.ACT_ON_CONCERNS)
def received_pdf(received_id: int):
    """The PDF the sending school put in the package, as it sent it (for the lead DSL: ``services.sent_pdf``)."""
    found = _received(received_id)
    try:
        pdf, filename = services.sent_pdf(found, current_user)
    except services.TransferError:
        abort(403)
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=filename)
    response.headers.update(NO_STORE)
    return response


@blueprint.route("/inbox", methods=["POST"])
@public_signed
@csrf.exempt
@limiter.limit("30 per minute")
def inbox():
    """Another Safeguard posts a package here; the answer is a receipt signed by the receiving school, or why not."""
    try:
        receipt = services.receive_package(request.get_data(cache=False)[: crypto.MAX_PACKAGE_BYTES + 1])
    except services.PackageError as error:
        return jsonify(error=str(error)), 400
    return receipt, 200, {"Content-Type": "application/json", **NO_STORE}


@blueprint.route("/receipts", methods=["POST"])
@public_signed
@csrf.exempt
@limiter.limit("30 per minute")
def receipts():
    """A receiving school's Safeguard posts here the signed confirmation that its DSL imported a file."""
    try:
        services.receive_confirmation(request.get_data(cache=False)[:65536].decode("utf-8", "replace"))
    except services.PackageError as error:
        return jsonify(error=str(error)), 400
    return jsonify(ok=True)


@blueprint.route("/collect/<token>", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
def collect(token: str):
    """The one-time link's page: the code gives the file once; then the receiving DSL confirms receipt here."""
    try:
        sent = services.link_transfer(token)
    except services.TransferError as error:
        return render_template("transfers/collect.html", problem=str(error)), 410 if "expired" in str(error) else 404
    code_form, confirm_form = forms.CodeForm(), forms.ConfirmReceiptForm()
    if sent.delivered_at is None and code_form.validate_on_submit():
        try:
            data, filename = services.download_link(sent, code_form.code.data or "")
        except services.TransferError as error:
            attach_error(code_form, error)
        else:
            response = send_file(
                io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name=filename
            )
            response.headers.update(NO_STORE)
            return response
    elif sent.delivered_at is not None and confirm_form.validate_on_submit():
        try:
            services.confirm_link(sent, confirm_form.code.data or "", confirm_form.name.data or "")
        except services.TransferError as error:
            attach_error(confirm_form, error)
        else:
            return render_template("transfers/collect.html", sent=sent, confirmed=True), 200, NO_STORE
    status = 400 if request.method == "POST" else 200
    return (
        render_template("transfers/collect.html", sent=sent, code_form=code_form, confirm_form=confirm_form),
        status,
        NO_STORE,
    )
