"""Sign-in, sign-out and changing one's password."""

from __future__ import annotations

from authlib.integrations.base_client import OAuthError
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from joserfc.errors import JoseError

from safeguard.auth import approvals, oidc, passkeys, services, sessions, store, twofactor
from safeguard.auth.forms import (
    AwayForm,
    ChangePasswordForm,
    EnrolForm,
    LinkPasswordForm,
    LinkSecondFactorForm,
    SignInForm,
    TwoFactorForm,
)
from safeguard.auth.models import Role
from safeguard.auth.permissions import Capability, public, requires
from safeguard.core.extensions import limiter
from safeguard.core.formatting import local_today, school_zone
from safeguard.core.forms import ConfirmForm, as_id, attach_error
from safeguard.core.sqltypes import utcnow
from safeguard.core.urls import safe_next

blueprint = Blueprint("auth", __name__, url_prefix="/auth")

SIGN_IN_FAILED = "The e-mail address or password is not right, or the account is not active."


def _account_key() -> str:
    """Throttle sign-in attempts per account as well as per address."""
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


@blueprint.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit("20 per minute", methods=["POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=_account_key)
def sign_in():
    """Show the sign-in form and sign a person in."""
    next_url = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            return _after_first_factor(user, next_url)
        g.keep_on_error = True  # keep the audit row of the failed attempt
        flash(SIGN_IN_FAILED, "danger")
        return render_template("auth/sign_in.html", form=form, providers=oidc.providers()), 401
    status = 400 if form.is_submitted() else 200
    return render_template("auth/sign_in.html", form=form, providers=oidc.providers()), status


def _after_first_factor(user, next_url: str | None, *, second_factor_given: bool = False):
    """The password (or the provider) said who the person is: the second factor next when the account needs one,
    unless the provider's multi-factor sign-in stands for it."""
    session.clear()  # a fresh session: nothing carried over from before sign-in
    has_factor = user.two_factor_enabled or passkeys.has_passkey(user.id)
    if not second_factor_given and (has_factor or user.two_factor_required):
        # Not signed in yet: the second factor (or setting one up) comes first.
        session["pending_user_id"] = user.id
        session["pending_at"] = utcnow().timestamp()
        session["pending_next"] = next_url
        target = "auth.two_factor" if has_factor else "auth.two_factor_setup"
        return redirect(url_for(target))
    return _finish_sign_in(user, next_url)


PROVIDER_FAILED = "Sign-in through {name} did not work. Please try again, or sign in with your password."


@blueprint.route("/sso/<int:provider_id>")
@public
@limiter.limit("20 per minute")
def provider_sign_in(provider_id: int):
    """Send the person to their school's OpenID Connect provider (Microsoft 365, Google Workspace…)."""
    found = oidc.provider(provider_id)
    if found is None:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    session["provider_next"] = safe_next(request.args.get("next"))
    callback = url_for("auth.provider_callback", provider_id=found.id, _external=True)
    try:
        return oidc.client(found).authorize_redirect(callback)
    except (OAuthError, JoseError, OSError, ValueError):
        flash(PROVIDER_FAILED.format(name=found.name), "danger")
        return redirect(url_for("auth.sign_in"))


@blueprint.route("/sso/<int:provider_id>/callback")
@public
@limiter.limit("20 per minute")
def provider_callback(provider_id: int):
    """The provider's answer: check it (state, nonce, the ID token's signature, issuer, audience and expiry), find or
    provision the account, then the second factor when needed."""
    found = oidc.provider(provider_id)
    if found is None:
        abort(404)
    next_url = safe_next(session.get("provider_next"))
    try:
        token = oidc.client(found).authorize_access_token()
        verified = oidc.account_for(found, dict(token.get("userinfo") or {}))
    except oidc.SignInRefused as refused:
        g.keep_on_error = True  # keep the audit row of the refusal
        flash(f"Sign-in through {found.name} was refused: {refused}.", "danger")
        return render_template("auth/sign_in.html", form=SignInForm(), providers=oidc.providers()), 401
    except (OAuthError, JoseError, OSError, ValueError, KeyError):
        flash(PROVIDER_FAILED.format(name=found.name), "danger")
        return render_template("auth/sign_in.html", form=SignInForm(), providers=oidc.providers()), 401
    return _after_first_factor(verified.user, next_url, second_factor_given=verified.provider_mfa)


def _finish_sign_in(user, next_url: str | None):
    """Sign the person in after every step passed."""
    for key in ("pending_user_id", "pending_at", "pending_next"):
        session.pop(key, None)
    services.complete_sign_in(user)
    login_user(user)
    _start_session(user)
    session["last_seen"] = utcnow().timestamp()
    session.permanent = True
    if user.must_change_password:
        flash("Please choose a new password before you go on.", "info")
        return redirect(url_for("auth.change_password", next=next_url))
    several = len(sessions.schools(user)) > 1
    if several or user.has_role(Role.TRUST_LEAD):
        # The menu offers to switch school (a trust lead's access to a school may be granted later).
        session[SEVERAL_SCHOOLS] = True
    if several:
        # Several schools: the person chooses the one to work in first.
        return redirect(url_for("auth.choose_school", next=next_url))
    return redirect(next_url or url_for("main.home"))


# Kept in the session cookie at sign-in: whether the person's menu offers to switch school.
SEVERAL_SCHOOLS = "several_schools"


@blueprint.route("/school", methods=["GET", "POST"])
@requires(Capability.SIGNED_IN)
def choose_school():
    """Choose the school to work in, of those where the person holds a role (or, as trust lead, has been granted
    access); every page then shows that school's records alone."""
    next_url = safe_next(request.args.get("next"))
    choices = sessions.schools(current_user)
    form = ConfirmForm()
    if request.method == "POST":
        school_id = as_id(request.form.get("school_id"))
        if not form.validate_on_submit() or school_id is None:
            abort(400)
        choice = sessions.switch_school(current_user, session.get(sessions.TOKEN_KEY) or "", school_id)
        if choice is None:
            abort(404)
        session[SEVERAL_SCHOOLS] = True
        flash(f"You are working in {choice.name}.", "success")
        return redirect(next_url or url_for("main.home"))
    return render_template("auth/choose_school.html", choices=choices, form=form, next_url=next_url)


def _start_session(user) -> None:
    """Record this browser's session on the server and keep its token in the cookie."""
    session[sessions.TOKEN_KEY] = sessions.start(user, request.user_agent.string, request.remote_addr)


PENDING_SECONDS = 600


def _pending_user():
    """The person who has given their password and not yet their second factor (for at most 10 minutes)."""
    user_id, at = session.get("pending_user_id"), session.get("pending_at")
    if not user_id or not at or utcnow().timestamp() - float(at) > PENDING_SECONDS:
        return None
    user = store.account(int(user_id))
    if user is None or not user.is_active or user.is_locked(utcnow()):
        return None
    return user


def _pending_key() -> str:
    return f"pending:{session.get('pending_user_id', '-')}"


@blueprint.route("/two-factor", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=_pending_key)
def two_factor():
    """The second sign-in step: a code from the authenticator app, or a recovery code."""
    user = _pending_user()
    with_passkey = user is not None and passkeys.has_passkey(user.id)
    if user is None or not (user.two_factor_enabled or with_passkey):
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.sign_in"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        if twofactor.verify(user, form.code.data):
            return _finish_sign_in(user, session.get("pending_next"))
        services.register_failure(user, "wrong second-factor code")
        g.keep_on_error = True
        if user.is_locked(utcnow()):
            session.clear()
            flash(SIGN_IN_FAILED, "danger")
            return redirect(url_for("auth.sign_in"))
        form.code.errors = ["That code is not right. Codes change every 30 seconds: enter the one shown now."]
        return render_template("auth/two_factor.html", form=form, with_passkey=with_passkey), 401
    status = 400 if form.is_submitted() else 200
    return render_template("auth/two_factor.html", form=form, with_passkey=with_passkey), status


PASSKEY_CHALLENGE = "passkey_challenge"


@blueprint.route("/two-factor/passkey/options", methods=["POST"])
@public
@limiter.limit("10 per minute")
def passkey_sign_in_options():
    """The challenge for signing in with one of the pending person's passkeys (JSON, for passkeys.js)."""
    user = _pending_user()
    if user is None or not passkeys.has_passkey(user.id):
        return {"error": "Please sign in again."}, 401
    options, session[PASSKEY_CHALLENGE] = passkeys.authentication_options(user)
    return current_app.response_class(options, mimetype="application/json")


@blueprint.route("/two-factor/passkey", methods=["POST"])
@public
@limiter.limit("10 per minute")
@limiter.limit("10 per minute", key_func=_pending_key)
def passkey_sign_in():
    """The second sign-in step with a passkey: the browser's signature of the challenge."""
    user = _pending_user()
    challenge = session.pop(PASSKEY_CHALLENGE, None)
    if user is None or not challenge:
        return {"error": "Please sign in again."}, 401
    try:
        body = passkeys.parse(request.get_data())
    except passkeys.PasskeyError as error:
        return {"error": str(error)}, 400
    if not passkeys.verify(user, body["credential"], challenge):
        services.register_failure(user, "passkey not accepted")
        g.keep_on_error = True
        return {"error": "That passkey was not accepted. Try again, or enter a code."}, 401
    finished = _finish_sign_in(user, session.get("pending_next"))
    return {"redirect": finished.location}


@blueprint.route("/passkeys/<int:passkey_id>/remove", methods=["POST"])
@requires(Capability.SIGNED_IN)
def remove_passkey(passkey_id: int):
    """Remove one of one's own passkeys."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not passkeys.remove(current_user, passkey_id):
        abort(404)
    flash("The passkey has been removed.", "success")
    return redirect(url_for("auth.security"))


@blueprint.route("/passkeys/options", methods=["POST"])
@requires(Capability.SIGNED_IN)
def passkey_registration_options():
    """The options for adding a passkey (JSON, for passkeys.js)."""
    options, session[PASSKEY_CHALLENGE] = passkeys.registration_options(current_user)
    return current_app.response_class(options, mimetype="application/json")


@blueprint.route("/passkeys", methods=["POST"])
@requires(Capability.SIGNED_IN)
def add_passkey():
    """Keep the passkey the browser created, once its answer to the challenge is verified."""
    challenge = session.pop(PASSKEY_CHALLENGE, None)
    try:
        body = passkeys.parse(request.get_data())
        if not challenge:
            raise passkeys.PasskeyError("Please start again.")
        passkeys.register(current_user, body["credential"], challenge, str(body.get("name") or ""))
    except passkeys.PasskeyError as error:
        return {"error": str(error)}, 400
    flash("Your passkey has been added. You can use it instead of a code when you sign in.", "success")
    return {"redirect": url_for("auth.security")}


@blueprint.route("/two-factor/setup", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"])
def two_factor_setup():
    """Set up an authenticator app: required for DSLs, heads and administrators, optional for other staff."""
    user = current_user if current_user.is_authenticated else _pending_user()
    if user is None:
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.sign_in"))
    if user.two_factor_enabled and not current_user.is_authenticated:
        return redirect(url_for("auth.two_factor"))
    secret = session.get("enrol_secret") or twofactor.new_secret()
    session["enrol_secret"] = secret
    form = EnrolForm()
    if form.validate_on_submit():
        codes = twofactor.enable(user, secret, form.code.data)
        if codes is not None:
            session.pop("enrol_secret", None)
            session["recovery_codes"] = codes
            if not current_user.is_authenticated:
                session["pending_done"] = True
            return redirect(url_for("auth.recovery_codes"))
        form.code.errors = ["That code is not right. Check the time on your phone, and enter the code shown now."]
    status = 400 if form.is_submitted() else 200
    uri = twofactor.provisioning_uri(user, secret)
    return (
        render_template(
            "auth/two_factor_setup.html",
            form=form,
            qr=twofactor.qr_data_uri(uri),
            secret=secret,
            user=user,
            required=user.two_factor_required,
        ),
        status,
    )


@blueprint.route("/two-factor/recovery-codes", methods=["GET", "POST"])
@public
def recovery_codes():
    """Show the new recovery codes once; continuing finishes signing in."""
    codes = session.get("recovery_codes")
    if not codes:
        return redirect(url_for("main.home") if current_user.is_authenticated else url_for("auth.sign_in"))
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        session.pop("recovery_codes", None)
        if current_user.is_authenticated:
            flash("Two-factor sign-in is set up.", "success")
            return redirect(url_for("auth.security"))
        user = _pending_user()
        if user is None:
            return redirect(url_for("auth.sign_in"))
        session.pop("pending_done", None)
        return _finish_sign_in(user, session.get("pending_next"))
    return render_template("auth/recovery_codes.html", codes=codes, form=ConfirmForm())


@blueprint.route("/security")
@requires(Capability.SIGNED_IN)
def security():
    """The person's sign-in security: whether a second factor is set up, and how many recovery codes remain."""
    return _security_page(AwayForm(obj=current_user), 200)


def _security_page(away_form: AwayForm, status: int):
    return (
        render_template(
            "auth/security.html",
            remaining=twofactor.remaining_recovery_codes(current_user) if current_user.two_factor_enabled else 0,
            passkeys=passkeys.passkeys_of(current_user.id),
            confirm=ConfirmForm(),
            away_form=away_form,
            today=local_today(school_zone()),
        ),
        status,
    )


@blueprint.route("/security/away", methods=["POST"])
@requires(Capability.SET_AWAY)
def set_away():
    """A DSL records the days they are away (or clears them): they are not counted as the team's cover then."""
    form = AwayForm()
    if form.validate_on_submit():
        first, last = (None, None) if form.clear.data else (form.away_from.data, form.away_until.data)
        try:
            services.set_away(current_user, first, last, today=local_today(school_zone()))
        except services.AccountError as error:
            attach_error(form, error, default_field="away_from")
        else:
            flash("Your away dates have been saved." if first else "Your away dates have been cleared.", "success")
            return redirect(url_for("auth.security"))
    return _security_page(form, 400)


@blueprint.route("/sign-out", methods=["POST"])
@requires(Capability.SIGNED_IN)
def sign_out():
    """Sign out (a POST, so that another site cannot sign a person out)."""
    services.record_sign_out(current_user)
    sessions.end_current(current_user.id, session.get(sessions.TOKEN_KEY), sessions.Ended.SIGNED_OUT)
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
            # Changing the password ended every session (see services.change_password); this browser gets a new one.
            _start_session(current_user)
            flash(
                "Your password has been changed. Every other browser signed in as you has been signed out.", "success"
            )
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/change_password.html", form=form), status


@blueprint.route("/sessions")
@requires(Capability.SIGNED_IN)
def signed_in_browsers():
    """The browsers signed in as this person, with a way to sign each of them out."""
    return render_template(
        "auth/sessions.html",
        live=sessions.live(
            current_user,
            session.get(sessions.TOKEN_KEY),
            idle=current_app.config["IDLE_TIMEOUT"],
            lifetime=current_app.config["PERMANENT_SESSION_LIFETIME"],
        ),
        form=ConfirmForm(),
    )


@blueprint.route("/sessions/<int:session_id>/end", methods=["POST"])
@requires(Capability.SIGNED_IN)
def end_session(session_id: int):
    """Sign out one other browser."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if sessions.end_own(current_user, session_id):
        flash("That browser has been signed out.", "success")
    else:
        flash("That browser was already signed out.", "info")
    return redirect(url_for("auth.signed_in_browsers"))


@blueprint.route("/sessions/end-others", methods=["POST"])
@requires(Capability.SIGNED_IN)
def end_other_sessions():
    """Sign out every browser but this one."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ended = sessions.end_others(current_user, session.get(sessions.TOKEN_KEY) or "")
    flash(
        f"{ended} other browser{'' if ended == 1 else 's'} signed out." if ended else "No other browser was signed in.",
        "success",
    )
    return redirect(url_for("auth.signed_in_browsers"))


@blueprint.route("/account-link/<token>", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def account_link(token: str):
    """A one-time link e-mailed to an account's owner after a reset two people approved: set a new password, or
    remove the second factor to set it up again. An unknown, used or expired link answers 404."""
    link = approvals.live_link(token)
    if link is None:
        abort(404)
    form = LinkPasswordForm() if link.purpose == "password" else LinkSecondFactorForm()
    if form.validate_on_submit():
        try:
            if link.purpose == "password":
                approvals.use_password_link(link, form.new_password.data or "")
            else:
                approvals.use_second_factor_link(link, form.password.data or "")
        except services.AccountError as error:
            attach_error(form, error, default_field="new_password" if link.purpose == "password" else "password")
        else:
            if current_user.is_authenticated:
                logout_user()
            flash(
                "Your new password is set: sign in with it."
                if link.purpose == "password"
                else "Two-factor sign-in was removed: sign in, and set it up again with your authenticator app.",
                "success",
            )
            return redirect(url_for("auth.sign_in"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/account_link.html", form=form, link=link), status
