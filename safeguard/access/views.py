"""Confidentiality pages: who may see a concern or a child's file, case teams, emergency access, who has seen a
record, and the quick exit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # new in WTForms 3.3

from safeguard.access import forms, services
from safeguard.access import store as access_store
from safeguard.access.models import AccessLevel, GrantKind
from safeguard.audit import services as audit
from safeguard.auth import permissions, sessions
from safeguard.auth import services as auth_services
from safeguard.auth.permissions import Capability, public, requires
from safeguard.concerns import store as concerns_store
from safeguard.concerns.models import Concern
from safeguard.core.extensions import db
from safeguard.core.forms import as_id, attach_error, required_data
from safeguard.core.sqltypes import utcnow
from safeguard.pupils import store as pupils_store

blueprint = Blueprint("access", __name__)


def _concern(concern_id: int, check) -> Concern:
    """A concern the person sees and may do this to, or 404 (never 403: nothing about it is told)."""
    concern = concerns_store.concern(current_user.school_id, concern_id)
    if concern is None or not check(current_user, concern):
        abort(404)
    return concern


def _people_choices(form: forms.AccessForm) -> None:
    form.people.choices = [SelectChoice(p.id, p.display_name) for p in services.team_members(current_user.school_id)]


def _concern_page(concern, form=None, team_form=None, status: int = 200):
    now = utcnow()
    grants = access_store.concern_grants(concern.school_id, concern.id)
    listed = [g for g in grants if g.kind == GrantKind.LISTED and g.revoked_at is None]
    if form is None:
        form = forms.AccessForm(formdata=None, level=concern.access_level, people=[g.user_id for g in listed])
    _people_choices(form)
    if team_form is None:
        team_form = forms.CaseTeamForm(formdata=None, prefix="team")
    team_form.user_id.choices = [SelectChoice("", "Choose a member of staff")] + [
        SelectChoice(str(p.id), p.display_name) for p in services.staff_members(concern.school_id)
    ]
    return (
        render_template(
            "access/concern.html",
            concern=concern,
            form=form,
            team_form=team_form,
            end_form=forms.EndCaseTeamForm(formdata=None),
            grants=grants,
            now=now,
            level=AccessLevel(concern.access_level),
            can_widen=permissions.can_widen_access(current_user, concern),
            can_manage_team=permissions.can_manage_case_team(current_user, concern),
            can_see_seen=permissions.can_see_who_has_seen(current_user, concern),
        ),
        status,
    )


@blueprint.route("/concerns/<int:concern_id>/access", methods=["GET", "POST"])
@requires(Capability.VIEW_ALL_CONCERNS)
def concern_access(concern_id: int):
    """Who may see a concern: its level and named people, its case team and emergency accesses."""
    concern = _concern(concern_id, permissions.can_set_access)
    form = forms.AccessForm()
    _people_choices(form)
    if not form.is_submitted():
        return _concern_page(concern)
    if form.validate():
        change = services.AccessChange(
            AccessLevel(form.level.data), frozenset(form.people.data or ()), form.reason.data or ""
        )
        try:
            services.set_concern_access(concern, current_user, change)
        except services.AccessError as error:
            db.session.rollback()
            concern = _concern(concern_id, permissions.can_set_access)
            attach_error(form, error)
        else:
            flash("Who may see this concern has been changed, and the change recorded on it.", "success")
            if not permissions.can_view_concern(current_user, concern):
                return redirect(url_for("concerns.queue"))
            return redirect(url_for("access.concern_access", concern_id=concern.id))
    return _concern_page(concern, form=form, status=400)


@blueprint.route("/concerns/<int:concern_id>/case-team", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def invite(concern_id: int):
    """Invite a member of staff into the concern's case team."""
    concern = _concern(concern_id, permissions.can_manage_case_team)
    team_form = forms.CaseTeamForm(prefix="team")
    if team_form.validate_on_submit():
        try:
            services.invite_to_case_team(
                concern,
                current_user,
                as_id(team_form.user_id.data) or 0,
                required_data(team_form.until.data),
                team_form.reason.data or "",
            )
        except services.AccessError as error:
            db.session.rollback()
            concern = _concern(concern_id, permissions.can_manage_case_team)
            attach_error(team_form, error)
        else:
            flash("The member of staff has been invited into the case team and alerted.", "success")
            return redirect(url_for("access.concern_access", concern_id=concern.id) + "#case-team")
    return _concern_page(concern, team_form=team_form, status=400)


@blueprint.route("/concerns/<int:concern_id>/case-team/end", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def end_invitation(concern_id: int):
    """End a case team member's invitation now."""
    concern = _concern(concern_id, permissions.can_manage_case_team)
    form = forms.EndCaseTeamForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.end_case_team_member(concern, current_user, as_id(form.grant_id.data) or 0)
    except services.AccessError as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        flash("The invitation has ended.", "success")
    return redirect(url_for("access.concern_access", concern_id=concern_id) + "#case-team")


@blueprint.route("/concerns/<int:concern_id>/seen")
@requires(Capability.VIEW_ALL_CONCERNS)
def concern_seen(concern_id: int):
    """Who has seen a concern: every audited view, with emergency accesses' reasons (the lead DSL and the head)."""
    concern = _concern(
        concern_id,
        lambda user, c: permissions.can_view_concern(user, c) and permissions.can_see_who_has_seen(user, c),
    )
    seen = services.who_has_seen(concern.school_id, "concern", concern.id)
    audit.record_read(
        "concern.seen_list_viewed",
        f"Who has seen concern {concern.reference} viewed",
        school_id=concern.school_id,
        actor_id=current_user.id,
        subject_type="concern_seen",
        subject_id=concern.id,
    )
    return render_template("access/seen.html", title=f"Who has seen {concern.reference}", record=concern, seen=seen)


@blueprint.route("/emergency-access", methods=["GET", "POST"])
@requires(Capability.VIEW_ALL_CONCERNS)
def emergency():
    """Open a restricted record one is not named on, with a written reason ("break glass")."""
    form = forms.BreakGlassForm()
    if form.validate_on_submit():
        try:
            concern = services.break_glass(
                current_user, form.reference.data or "", form.reason.data or "", form.wording_kept_reason.data
            )
        except services.AccessError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash("Emergency access recorded: the people on this record's list have been alerted.", "warning")
            return redirect(url_for("concerns.show", concern_id=concern.id))
    status = 400 if form.is_submitted() else 200
    return render_template("access/emergency.html", form=form), status


def _pupil(pupil_id: int):
    pupil = pupils_store.pupil(current_user.school_id, pupil_id)
    if pupil is None:
        abort(404)
    named = access_store.file_named(pupil.school_id, pupil.id, current_user.id, utcnow())
    return pupil, bool(named and named[1])


@blueprint.route("/pupils/<int:pupil_id>/access", methods=["GET", "POST"])
@requires(Capability.VIEW_ALL_CONCERNS)
def file_access(pupil_id: int):
    """Who may see a child's whole file: every concern about the child."""
    pupil, named = _pupil(pupil_id)
    if not permissions.can_set_file_access(current_user, pupil, named):
        abort(404)
    grants = access_store.file_grants(pupil.school_id, pupil.id)
    listed = [g.user_id for g in grants if g.kind == GrantKind.LISTED and g.revoked_at is None]
    form = (
        forms.AccessForm()
        if request.method == "POST"
        else forms.AccessForm(formdata=None, level=pupil.access_level, people=listed)
    )
    _people_choices(form)
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            change = services.AccessChange(
                AccessLevel(form.level.data), frozenset(form.people.data or ()), form.reason.data or ""
            )
            try:
                services.set_file_access(pupil, current_user, change)
            except services.AccessError as error:
                db.session.rollback()
                pupil, named = _pupil(pupil_id)
                attach_error(form, error)
            else:
                flash("Who may see this child's file has been changed.", "success")
                return redirect(url_for("pupils.show", pupil_id=pupil.id))
    return render_template(
        "access/file.html",
        pupil=pupil,
        form=form,
        grants=grants,
        level=AccessLevel(pupil.access_level),
        can_see_seen=permissions.can_see_who_has_seen(current_user, pupil),
    ), status


@blueprint.route("/pupils/<int:pupil_id>/seen")
@requires(Capability.VIEW_ALL_CONCERNS)
def file_seen(pupil_id: int):
    """Who has seen a child's file (the lead DSL and the head)."""
    pupil, named = _pupil(pupil_id)
    if not permissions.can_see_who_has_seen(current_user, pupil) or not (
        pupil.access_level == AccessLevel.STANDARD or named
    ):
        abort(404)
    seen = services.who_has_seen(pupil.school_id, "pupil", pupil.id)
    audit.record_read(
        "pupil.seen_list_viewed",
        "Who has seen a child's file viewed",
        school_id=pupil.school_id,
        actor_id=current_user.id,
        subject_type="pupil_seen",
        subject_id=pupil.id,
    )
    return render_template(
        "access/seen.html", title=f"Who has seen {pupil.display_name}'s file", record=None, seen=seen
    )


# ---------------------------------------------------------------------------------------------------------------
# Quick exit


@blueprint.route("/exit", methods=["GET", "POST"])
@public
def quick_exit():
    """The quick exit. Its button (a form, with the CSRF token) and its script (Shift three times) post here: the
    person is signed out at once, so that the next visit needs the password; then, as on a plain visit, a neutral
    page that shows nothing of Safeguard."""
    if request.method == "POST":
        if current_user.is_authenticated:
            auth_services.record_sign_out(current_user)
            sessions.end_current(current_user.id, session.get(sessions.TOKEN_KEY), sessions.Ended.SIGNED_OUT)
            logout_user()
        session.clear()
        return redirect(url_for("access.quick_exit"), 303)
    response = make_response(render_template("access/exit.html"))
    response.headers["Cache-Control"] = "no-store"
    return response
