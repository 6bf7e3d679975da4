"""Retention pages: the review queue, a review and its decisions, approving a disposal, holds, the school's periods."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from safeguard.auth import permissions
from safeguard.auth.permissions import Capability, requires
from safeguard.core.forms import attach_error, required_data
from safeguard.retention import services, store
from safeguard.retention.forms import ApproveForm, HoldForm, KeepForm, PeriodForm, ReasonForm
from safeguard.retention.models import Disposal, LegalHold, RetentionReview

blueprint = Blueprint("retention", __name__, url_prefix="/retention")


def _review(review_id: int) -> RetentionReview:
    found = store.review(current_user.school_id, review_id)
    if found is None:
        abort(404)
    return found


def _disposal(disposal_id: int) -> Disposal:
    found = store.disposal(current_user.school_id, disposal_id)
    if found is None:
        abort(404)
    return found


def _hold(hold_id: int) -> LegalHold:
    found = store.hold(current_user.school_id, hold_id)
    if found is None:
        abort(404)
    return found


@blueprint.route("/")
@requires(Capability.REVIEW_RETENTION)
def index():
    """The review queue: files to decide, disposals awaiting approval, holds, destruction records."""
    school_id = current_user.school_id
    lead_id = store.lead_dsl_id(school_id)
    proposed = store.disposals(school_id, "proposed")
    return render_template(
        "retention/index.html",
        queue=store.queue(school_id),
        proposed=proposed,
        approvable={d.id for d in proposed if permissions.can_approve_disposal(current_user, d, lead_id)},
        holds=store.active_holds(school_id),
        destroyed=store.disposals(school_id, "destroyed"),
        kept=store.recently_kept(school_id),
        lead=store.user(school_id, lead_id),
        approve_form=ApproveForm(),
        hold_kinds=services.HOLD_KINDS,
    )


def _render_review(review: RetentionReview, status: int = 200, **forms):
    school_id = current_user.school_id
    lead_id = store.lead_dsl_id(school_id)
    pending = store.pending_disposal(school_id, review.id)
    return (
        render_template(
            "retention/review.html",
            review=review,
            pupil=services.pupil_of(review),
            concerns=store.file_concerns(school_id, review.pupil_id),
            holds=store.active_holds(school_id, review.pupil_id),
            pending=pending,
            proposer=store.user(school_id, pending.proposed_by_id) if pending else None,
            can_decide=permissions.can_decide_retention(current_user, review, lead_id),
            can_approve=pending is not None and permissions.can_approve_disposal(current_user, pending, lead_id),
            lead=store.user(school_id, lead_id),
            keep_form=forms.get("keep_form") or KeepForm(formdata=None, prefix="keep"),
            hold_form=forms.get("hold_form") or HoldForm(formdata=None, prefix="hold"),
            dispose_form=forms.get("dispose_form") or ReasonForm(formdata=None, prefix="dispose"),
            withdraw_form=forms.get("withdraw_form") or ReasonForm(formdata=None, prefix="withdraw"),
            lift_form=ReasonForm(formdata=None, prefix="lift"),
            approve_form=ApproveForm(),
            hold_kinds=services.HOLD_KINDS,
        ),
        status,
    )


@blueprint.route("/reviews/<int:review_id>")
@requires(Capability.REVIEW_RETENTION)
def review(review_id: int):
    """A review: whose file, why it came due, what it holds (no account), and the decisions."""
    return _render_review(_review(review_id))


@blueprint.route("/reviews/<int:review_id>/keep", methods=["POST"])
@requires(Capability.REVIEW_RETENTION)
def keep(review_id: int):
    """Keep the file for a further period."""
    found = _review(review_id)
    form = KeepForm(prefix="keep")
    if not form.validate_on_submit():
        return _render_review(found, 400, keep_form=form)
    try:
        services.keep(found, current_user, required_data(form.years.data), form.reason.data or "", services.now())
    except services.RetentionError as error:
        attach_error(form, error)
        return _render_review(found, 409, keep_form=form)
    flash(f"The file is kept until {found.kept_until:%d %b %Y}; it will come due for review again then.", "success")
    return redirect(url_for("retention.index"), 303)


@blueprint.route("/reviews/<int:review_id>/hold", methods=["POST"])
@requires(Capability.REVIEW_RETENTION)
def hold(review_id: int):
    """Place a legal hold on the file."""
    found = _review(review_id)
    form = HoldForm(prefix="hold")
    if not form.validate_on_submit():
        return _render_review(found, 400, hold_form=form)
    try:
        services.place_hold(
            found,
            current_user,
            form.kind.data or "",
            form.reason.data or "",
            form.external_reference.data or "",
            services.now(),
        )
    except services.RetentionError as error:
        attach_error(form, error)
        return _render_review(found, 409, hold_form=form)
    flash("Legal hold placed: the file cannot be disposed of while the hold stands.", "success")
    return redirect(url_for("retention.review", review_id=found.id), 303)


@blueprint.route("/reviews/<int:review_id>/dispose", methods=["POST"])
@requires(Capability.REVIEW_RETENTION)
def dispose(review_id: int):
    """Propose the file's disposal (the other of the lead DSL and the head approves it)."""
    found = _review(review_id)
    form = ReasonForm(prefix="dispose")
    if not form.validate_on_submit():
        return _render_review(found, 400, dispose_form=form)
    try:
        proposed = services.propose_disposal(found, current_user, form.reason.data or "", services.now())
    except services.RetentionError as error:
        attach_error(form, error, "reason")
        return _render_review(found, 409, dispose_form=form)
    flash(f"Disposal {proposed.reference} proposed: it now awaits approval.", "success")
    return redirect(url_for("retention.review", review_id=found.id), 303)


@blueprint.route("/disposals/<int:disposal_id>/approve", methods=["POST"])
@requires(Capability.REVIEW_RETENTION)
def approve(disposal_id: int):
    """Approve a proposed disposal: the content is destroyed and the destruction record kept."""
    found = _disposal(disposal_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        flash("This form had expired. Please approve again.", "danger")
        return redirect(url_for("retention.review", review_id=found.review_id), 303)
    try:
        services.approve_disposal(found, current_user, services.now())
    except services.RetentionError as error:
        flash(str(error), "danger")
        return redirect(url_for("retention.review", review_id=found.review_id), 303)
    flash(f"File disposed of: its content is destroyed. Destruction record {found.reference}.", "success")
    return redirect(url_for("retention.index"), 303)


@blueprint.route("/disposals/<int:disposal_id>/withdraw", methods=["POST"])
@requires(Capability.REVIEW_RETENTION)
def withdraw(disposal_id: int):
    """Withdraw a proposed disposal."""
    found = _disposal(disposal_id)
    review = _review(found.review_id)
    form = ReasonForm(prefix="withdraw")
    if not form.validate_on_submit():
        return _render_review(review, 400, withdraw_form=form)
    try:
        services.withdraw_disposal(found, current_user, form.reason.data or "")
    except services.RetentionError as error:
        attach_error(form, error, "reason")
        return _render_review(review, 409, withdraw_form=form)
    flash("Disposal withdrawn: the review is open again.", "success")
    return redirect(url_for("retention.review", review_id=review.id), 303)


@blueprint.route("/holds/<int:hold_id>/lift", methods=["POST"])
@requires(Capability.REVIEW_RETENTION)
def lift(hold_id: int):
    """Lift a legal hold."""
    found = _hold(hold_id)
    form = ReasonForm(prefix="lift")
    if not form.validate_on_submit():
        flash("Give the reason for lifting the hold (5 to 500 characters).", "danger")
        return redirect(url_for("retention.index"), 303)
    try:
        services.lift_hold(found, current_user, form.reason.data or "", services.now())
    except services.RetentionError as error:
        flash(str(error), "danger")
        return redirect(url_for("retention.index"), 303)
    flash("Legal hold lifted.", "success")
    return redirect(url_for("retention.index"), 303)


def _render_schedule(form: PeriodForm, status: int = 200):
    return (
        render_template(
            "retention/schedule.html",
            periods=services.school_periods(current_user.school_id),
            schedule=services.schedule(),
            form=form,
            can_decide=permissions.can_decide_retention(
                current_user, services.school_record(current_user.school), store.lead_dsl_id(current_user.school_id)
            ),
        ),
        status,
    )


@blueprint.route("/schedule", methods=["GET", "POST"])
@requires(Capability.REVIEW_RETENTION)
def schedule():
    """The retention schedule, with the school's longer periods; the lead DSL or the head may lengthen one."""
    form = PeriodForm()
    if not form.is_submitted():
        return _render_schedule(form)
    if not form.validate():
        return _render_schedule(form, 400)
    try:
        services.lengthen(
            current_user.school,
            current_user,
            form.kind.data or "",
            required_data(form.years.data),
            form.reason.data or "",
            services.now(),
        )
    except services.RetentionError as error:
        attach_error(form, error, "years")
        return _render_schedule(form, 409)
    flash("The school's retention period is lengthened.", "success")
    return redirect(url_for("retention.schedule"), 303)
