"""Managing the school's accounts and settings (administrators only)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3

from safeguard.admin.forms import ConfirmForm, SchoolSettingsForm, UserForm
from safeguard.auth import approvals, services, sessions, twofactor
from safeguard.auth import store as accounts
from safeguard.auth.models import ROLE_LABELS, Role, User
from safeguard.auth.permissions import Capability, requires
from safeguard.core.extensions import db
from safeguard.core.forms import as_id, attach_error
from safeguard.core.sqltypes import utcnow
from safeguard.schools import services as school_services

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


def get_school_user(user_id: int) -> User:
    """Load a user of the signed-in person's school, or 404 (another school's accounts do not exist here)."""
    user = accounts.school_account(current_user.school_id, user_id)
    if user is None:
        abort(404)
    return user


@blueprint.route("/users")
@requires(Capability.MANAGE_USERS)
def users():
    """List the school's accounts."""
    rows = accounts.school_accounts(current_user.school_id)
    return render_template("admin/users.html", users=rows, confirm=ConfirmForm(), now=utcnow())


@blueprint.route("/users/new", methods=["GET", "POST"])
@requires(Capability.MANAGE_USERS)
def new_user():
    """Create an account; the one-time password is shown once."""
    form = UserForm()
    if form.validate_on_submit():
        roles = {Role(r) for r in form.roles.data}
        # The DSL and head roles are proposed, for a second person to approve: the account starts without them.
        now_roles = (roles - approvals.GUARDED_ROLES) or {Role.STAFF}
        try:
            user, password = services.create_user(
                current_user.school, form.email.data, form.display_name.data, now_roles, actor=current_user
            )
            if roles != now_roles:
                approvals.change_roles(user, roles, actor=current_user)
        except services.AccountError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            if roles != now_roles:
                flash(_proposed(user), "info")
            return render_template("admin/password_issued.html", user=user, password=password)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@blueprint.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Capability.MANAGE_USERS)
def edit_user(user_id: int):
    """Change an account's name, e-mail address and roles."""
    user = get_school_user(user_id)
    form = UserForm(obj=user)
    if not form.is_submitted():
        form.roles.data = [r.value for r in Role if r in user.roles]
    if form.validate_on_submit():
        try:
            services.update_details(user, form.display_name.data or "", form.email.data or "", actor=current_user)
            proposed = approvals.change_roles(user, {Role(r) for r in form.roles.data or []}, actor=current_user)
        except services.AccountError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash(f"The account of {user.display_name} has been saved.", "success")
            if proposed:
                flash(_proposed(user), "info")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    guarded = approvals.reset_needs_two_people(user)
    waiting = [
        (approvals.RequestKind(item.kind), approvals.waiting_for(item))
        for item in approvals.pending(current_user.school_id)
        if item.user_id == user.id
    ]
    page = render_template(
        "admin/user_form.html", form=form, user=user, confirm=ConfirmForm(), guarded=guarded, waiting=waiting
    )
    return page, status


def _proposed(user: User) -> str:
    return (
        f"The change to the DSL or head role of {user.display_name} is proposed: it is made once a second person "
        "approves it (Account approvals). The DSL team has been told."
    )


@blueprint.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires(Capability.MANAGE_USERS)
def deactivate(user_id: int):
    """Ask first, on a page of its own (so that the question works without JavaScript), then deactivate."""
    user = get_school_user(user_id)
    try:
        services.check_deactivation(user, actor=current_user)
    except services.AccountError as error:
        flash(str(error), "warning")
        return redirect(url_for("admin.users"))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.set_active(user, False, actor=current_user)
        except services.AccountError as error:  # another DSL deactivated since the question was asked
            flash(str(error), "warning")
            return redirect(url_for("admin.users"))
        flash(f"The account of {user.display_name} has been deactivated; everything they recorded is kept.", "success")
        return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/deactivate.html", user=user, form=form), status


@blueprint.route("/users/<int:user_id>/reactivate", methods=["POST"])
@requires(Capability.MANAGE_USERS)
def reactivate(user_id: int):
    """Reactivate a deactivated account (nothing is lost by it: no question asked)."""
    user = get_school_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_active(user, True, actor=current_user)
    flash(f"The account of {user.display_name} has been reactivated.", "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/users/<int:user_id>/password", methods=["POST"])
@requires(Capability.MANAGE_USERS)
def reset_password(user_id: int):
    """Issue a new one-time password."""
    user = get_school_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if approvals.reset_needs_two_people(user):
        return _ask_for_reset(user, approvals.RequestKind.PASSWORD_RESET)
    password = services.reset_password(user, actor=current_user)
    return render_template("admin/password_issued.html", user=user, password=password)


def _ask_for_reset(user: User, kind: approvals.RequestKind):
    """Propose the reset of a DSL's, head's or administrator's account, for a second person to approve."""
    try:
        approvals.request_reset(user, kind, actor=current_user)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        flash(
            f"{kind.label.capitalize()} for {user.display_name} is asked for: once a second person approves it "
            f"(Account approvals), {user.display_name} gets a one-time link by e-mail. They and the DSL team have "
            "been told.",
            "info",
        )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@blueprint.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@requires(Capability.MANAGE_USERS)
def reset_two_factor(user_id: int):
    """Remove a user's second factor (a lost phone): they set it up again when they next sign in."""
    user = get_school_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if approvals.reset_needs_two_people(user):
        return _ask_for_reset(user, approvals.RequestKind.SECOND_FACTOR_RESET)
    twofactor.reset(user, actor=current_user)
    flash(f"Two-factor sign-in for {user.display_name} has been reset.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@blueprint.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@requires(Capability.MANAGE_USERS)
def end_sessions(user_id: int):
    """Sign a person out of every browser (a lost phone, a shared computer left signed in)."""
    user = get_school_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ended = sessions.end_everywhere(user, actor=current_user)
    flash(
        f"{user.display_name} has been signed out everywhere ({ended} browser{'' if ended == 1 else 's'}).", "success"
    )
    return redirect(url_for("admin.edit_user", user_id=user.id))


@blueprint.route("/users/<int:user_id>/unlock", methods=["POST"])
@requires(Capability.MANAGE_USERS)
def unlock(user_id: int):
    """Lift a lockout after repeated failed sign-ins."""
    user = get_school_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.unlock(user, actor=current_user)
    flash(f"The account of {user.display_name} has been unlocked.", "success")
    return redirect(url_for("admin.users"))


@blueprint.route("/requests")
@requires(Capability.APPROVE_ACCOUNT_CHANGES)
def requests():
    """Changes to accounts waiting for a second person: what each is, who proposed it, whom it still waits for."""
    pending = approvals.pending(current_user.school_id)
    rows = [
        {
            "request": item,
            "kind": approvals.RequestKind(item.kind),
            "waiting_for": approvals.waiting_for(item),
            "can_approve": approvals.slot_for(current_user, item) is not None,
            "can_withdraw": item.proposed_by_id == current_user.id,
        }
        for item in pending
    ]
    return render_template("admin/requests.html", rows=rows, confirm=ConfirmForm(), labels=ROLE_LABELS)


def _school_request(request_id: int):
    found = accounts.school_request(current_user.school_id, request_id)
    if found is None:
        abort(404)
    return found


@blueprint.route("/requests/<int:request_id>/approve", methods=["POST"])
@requires(Capability.APPROVE_ACCOUNT_CHANGES)
def approve_request(request_id: int):
    """Approve a change someone else proposed; it is made once every approval it needs is given."""
    account_request = _school_request(request_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        made = approvals.approve(account_request, current_user)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(url_for("admin.requests"))
    flash("Approved, and the change is made." if made else "Approved: it now waits for the other approval.", "success")
    return redirect(url_for("admin.requests"))


@blueprint.route("/requests/<int:request_id>/decline", methods=["POST"])
@requires(Capability.APPROVE_ACCOUNT_CHANGES)
def decline_request(request_id: int):
    """Decline a change someone else proposed, or withdraw one's own proposal."""
    account_request = _school_request(request_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        approvals.decline(account_request, current_user)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(url_for("admin.requests"))
    flash("The request is closed; nothing was changed.", "success")
    return redirect(url_for("admin.requests"))


@blueprint.route("/school", methods=["GET", "POST"])
@requires(Capability.MANAGE_SCHOOL)
def school_settings():
    """Change the school's settings."""
    school = current_user.school
    form = SchoolSettingsForm(obj=school)
    form.lead_dsl_id.choices = [SelectChoice("", "Not chosen")] + [
        SelectChoice(str(person.id), person.display_name) for person in accounts.school_dsls(school.id)
    ]
    if not form.is_submitted():
        form.lead_dsl_id.data = str(school.lead_dsl_id or "")
    if form.validate_on_submit():
        try:
            services.set_lead_dsl(school, as_id(form.lead_dsl_id.data), actor=current_user)
            school_services.update_settings(
                school,
                actor=current_user,
                name=form.name.data,
                dsl_contact=form.dsl_contact.data or "",
                protective_marking=form.protective_marking.data,
                timezone=form.timezone.data,
                urgent_ack_minutes=form.urgent_ack_minutes.data,
                routine_ack_school_days=form.routine_ack_school_days.data,
                levels_of_need=form.levels_of_need.data,
                onward_contact_label=form.onward_contact_label.data or "",
                onward_contact_email=(form.onward_contact_email.data or "").strip().lower(),
            )
        except (school_services.SchoolError, services.AccountError) as error:
            attach_error(form, error)
        else:
            flash("The school's settings have been saved.", "success")
            return redirect(url_for("admin.school_settings"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/school.html", form=form, school=school), status
