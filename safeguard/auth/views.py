"""Sign-in, sign-out and changing one's password."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from safeguard.auth import services
from safeguard.auth.forms import ChangePasswordForm, SignInForm
from safeguard.extensions import limiter
from safeguard.forms import attach_error
from safeguard.permissions import Capability, public, requires
from safeguard.sqltypes import utcnow
from safeguard.urls import safe_next

blueprint = Blueprint("auth", __name__, url_prefix="/auth")

SIGN_IN_FAILED = "The e-mail address or password is not right, or the account is not active."


@blueprint.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit("20 per minute", methods=["POST"])
def sign_in():
    """Show the sign-in form and sign a person in."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session: nothing carried over from before sign-in
            login_user(user)
            session["last_seen"] = utcnow().timestamp()
            session.permanent = True
            if user.must_change_password:
                flash("Please choose a new password before you go on.", "info")
                return redirect(url_for("auth.change_password", next=next_url))
            return redirect(next_url or url_for("main.home"))
        g.keep_on_error = True  # keep the audit row of the failed attempt
        flash(SIGN_IN_FAILED, "danger")
        return render_template("auth/sign_in.html", form=form), 401
    status = 400 if form.is_submitted() else 200
    return render_template("auth/sign_in.html", form=form), status


@blueprint.route("/sign-out", methods=["POST"])
@requires(Capability.SIGNED_IN)
def sign_out():
    """Sign out (a POST, so that another site cannot sign a person out)."""
    services.record_sign_out(current_user)
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))


@blueprint.route("/password", methods=["GET", "POST"])
@requires(Capability.SIGNED_IN)
def change_password():
    """Change one's own password (required after an administrator set it)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except services.AccountError as error:
            attach_error(form, error, default_field="new_password")
        else:
            flash("Your password has been changed.", "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form), status


# Endpoints a person who must change their password can still reach.
_ALLOWED_BEFORE_PASSWORD_CHANGE = {
    "auth.change_password",
    "auth.sign_out",
    "auth.sign_in",
    "static",
    "bootstrap.static",
}


@blueprint.before_app_request
def require_password_change():
    """Send a person whose password an administrator set to change it before anything else."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in _ALLOWED_BEFORE_PASSWORD_CHANGE
    ):
        return redirect(url_for("auth.change_password", next=request.full_path if request.method == "GET" else None))
    return None
