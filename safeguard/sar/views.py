"""Subject access pages: the requests, logging one, its clock, redacting the assembled file, releasing the PDF."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from safeguard.auth import permissions
from safeguard.auth.permissions import Capability, requires
from safeguard.core.forms import attach_error, required_data
from safeguard.notifications import services as notifications
from safeguard.sar import services, store
from safeguard.sar.forms import EmptyForm, ExtendForm, RedactionForm, RequestForm, StopForm
from safeguard.sar.models import SubjectAccessRequest

blueprint = Blueprint("sar", __name__, url_prefix="/sar")


def _request(request_id: int) -> SubjectAccessRequest:
    found = store.request(current_user.school_id, request_id)
    if found is None or not permissions.can_handle_subject_access(current_user, found):
        abort(404)
    return found


def _today():
    return services.now().astimezone(ZoneInfo(current_user.school.timezone)).date()


@blueprint.route("/")
@requires(Capability.HANDLE_SUBJECT_ACCESS)
def index():
    """The school's subject access requests with their clocks."""
    today = _today()
    found = services.with_pupils(current_user.school_id, store.requests(current_user.school_id))
    rows = [(r, p, services.clock_of(r, today)) for r, p in found]
    return render_template("sar/index.html", rows=rows, relationships=services.RELATIONSHIPS)


@blueprint.route("/new", methods=["GET", "POST"])
@requires(Capability.HANDLE_SUBJECT_ACCESS)
def new():
    """Log a request."""
    form = RequestForm()
    if not form.is_submitted():
        form.received_on.data = _today()
        return render_template("sar/new.html", form=form)
    if not form.validate():
        return render_template("sar/new.html", form=form), 400
    child = store.pupil_by_upn(current_user.school_id, form.upn.data or "")
    if child is None:
        form.upn.errors = ["No child on the school's roll has that UPN."]
        return render_template("sar/new.html", form=form), 400
    try:
        made = services.log_request(
            current_user.school,
            current_user,
            services.NewRequest(
                pupil_id=child.id,
                requester_name=form.requester_name.data or "",
                relationship=form.relationship.data or "",
                competence_note=form.competence_note.data or "",
                received_on=required_data(form.received_on.data),
            ),
            services.now(),
        )
    except services.SarError as error:
        attach_error(form, error, "requester_name")
        return render_template("sar/new.html", form=form), 400
    flash(f"Request {made.reference} logged.", "success")
    return redirect(url_for("sar.show", request_id=made.id), 303)


def _render(found: SubjectAccessRequest, status: int = 200, **forms):
    today = _today()
    return (
        render_template(
            "sar/show.html",
            request_=found,
            pupil=store.pupil(found.school_id, found.pupil_id),
            clock=services.clock_of(found, today),
            events=store.events(found.school_id, found.id),
            redactions=store.redactions(found.school_id, found.id),
            relationships=services.RELATIONSHIPS,
            stop_reasons=services.STOP_REASONS,
            reasons=services.REDACTION_REASONS,
            stop_form=forms.get("stop_form") or StopForm(formdata=None, prefix="stop"),
            extend_form=forms.get("extend_form") or ExtendForm(formdata=None, prefix="extend"),
        ),
        status,
    )


@blueprint.route("/<int:request_id>")
@requires(Capability.HANDLE_SUBJECT_ACCESS)
def show(request_id: int):
    """A request: who asked, about whom, its clock, its history and its redaction log."""
    found = _request(request_id)
    notifications.mark_link_read(current_user, url_for("sar.show", request_id=found.id))  # its overdue alert
    return _render(found)


@blueprint.route("/<int:request_id>/stop", methods=["POST"])
@requires(Capability.HANDLE_SUBJECT_ACCESS)
def stop(request_id: int):
    """Stop the clock."""
    found = _request(request_id)
    form = StopForm(prefix="stop")
    if not form.validate_on_submit():
        return _render(found, 400, stop_form=form)
    try:
        services.stop_clock(found, current_user, form.reason.data or "", current_user.school, services.now())
    except services.SarError as error:
        attach_error(form, error, "reason")
        return _render(found, 409, stop_form=form)
    flash("The clock is stopped.", "success")
    return redirect(url_for("sar.show", request_id=found.id), 303)


@blueprint.route("/<int:request_id>/restart", methods=["POST"])
@requires(Capability.HANDLE_SUBJECT_ACCESS)
def restart(request_id: int):
    """Restart the clock."""
    found = _request(request_id)
    if not EmptyForm().validate_on_submit():
        return _render(found, 400)
    try:
        services.restart_clock(found, current_user, current_user.school, services.now())
    except services.SarError as error:
        flash(str(error), "danger")
        return _render(found, 409)
    flash("The clock is running again.", "success")
    return redirect(url_for("sar.show", request_id=found.id), 303)


@blueprint.route("/<int:request_id>/extend", methods=["POST"])
@requires(Capability.HANDLE_SUBJECT_ACCESS)
def extend(request_id: int):
    """Extend the time allowed."""
    found = _request(request_id)
    form = ExtendForm(prefix="extend")
    if not form.validate_on_submit():
        return _render(found, 400, extend_form=form)
    try:
        services.extend(
            found,
            current_user,
            int(form.months.data or 0),
            form.reason.data or "",
            current_user.school,
            services.now(),
        )
    except services.SarError as error:
        attach_error(form, error, "reason")
        return _render(found, 409, extend_form=form)
    flash("The time allowed is extended.", "success")
    return redirect(url_for("sar.show", request_id=found.id), 303)


def _render_redact(found: SubjectAccessRequest, status: int = 200, form: RedactionForm | None = None):
    assembled = services.assemble(found)
    spans = services.active_spans(found)
    sections = [
        (section, [(p, _segments(p.text, spans.get(p.key, []))) for p in section.passages])
        for section in assembled.sections
    ]
    return (
        render_template(
            "sar/redact.html",
            request_=found,
            sections=sections,
            reasons=services.REDACTION_REASONS,
            failed=form,
            redactions=store.redactions(found.school_id, found.id),
        ),
        status,
    )


def _segments(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, str, str | None]]:
    """(offset, text, reason) runs of a passage for the page: the DSL sees what they redacted, marked."""
    made: list[tuple[int, str, str | None]] = []
    at = 0
    for start, end, reason in spans:
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            made.append((at, text[at:start], None))
        made.append((start, text[start:end], services.REDACTION_REASONS.get(reason, reason)))
        at = end
    if at < len(text):
        made.append((at, text[at:], None))
    return made


@blueprint.route("/<int:request_id>/redact")
@requires(Capability.HANDLE_SUBJECT_ACCESS)
def redact(request_id: int):
    """Everything held about the child, passage by passage, with a redaction form beside each."""
    found = _request(request_id)
    try:
        return _render_redact(found)
    except services.SarError as error:
        flash(str(error), "danger")
        return redirect(url_for("sar.show", request_id=found.id), 303)


@blueprint.route("/<int:request_id>/redactions", methods=["POST"])
@requires(Capability.HANDLE_SUBJECT_ACCESS)
def add_redaction(request_id: int):
    """Redact a selection, some words, or a whole passage, with its reason."""
    found = _request(request_id)
    form = RedactionForm()
    if not form.validate_on_submit():
        return _render_redact(found, 400, form)
    try:
        count = services.add_redaction(
            found,
            current_user,
            services.NewRedaction(
                passage=form.passage.data or "",
                reason=form.reason.data or "",
                start=form.start.data,
                end=form.end.data,
                words=form.words.data or "",
                whole=bool(form.whole.data),
            ),
            services.now(),
        )
    except services.SarError as error:
        attach_error(form, error, "words")
        return _render_redact(found, 409, form)
    flash(f"{count} redaction{'s' if count != 1 else ''} made.", "success")
    return redirect(url_for("sar.redact", request_id=found.id, _anchor=f"passage-{form.passage.data}"), 303)


@blueprint.route("/<int:request_id>/redactions/<int:redaction_id>/withdraw", methods=["POST"])
@requires(Capability.HANDLE_SUBJECT_ACCESS)
def withdraw_redaction(request_id: int, redaction_id: int):
    """Withdraw a redaction (the log keeps it)."""
    found = _request(request_id)
    redaction = store.redaction(found.school_id, found.id, redaction_id)
    if redaction is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("sar.redact", request_id=found.id), 303)
    try:
        services.withdraw_redaction(found, redaction, current_user, services.now())
    except services.SarError as error:
        flash(str(error), "danger")
        return redirect(url_for("sar.redact", request_id=found.id), 303)
    flash("Redaction withdrawn.", "success")
    return redirect(url_for("sar.redact", request_id=found.id), 303)


@blueprint.route("/<int:request_id>/release", methods=["POST"])
@requires(Capability.HANDLE_SUBJECT_ACCESS)
def release(request_id: int):
    """Release the redacted file as a PDF (logged, audited, and known to verify-pdf)."""
    found = _request(request_id)
    if not EmptyForm().validate_on_submit():
        return _render(found, 400)
    try:
        released = services.release(found, current_user, current_user.school, services.now())
    except services.SarError as error:
        flash(str(error), "danger")
        return _render(found, 409)
    response = send_file(
        io.BytesIO(released.pdf), mimetype="application/pdf", as_attachment=True, download_name=released.filename
    )
    response.headers["Cache-Control"] = "no-store"
    return response
