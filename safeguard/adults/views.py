"""Concerns about adults: raising one, the case managers' list, the case page and its actions, the LADO summary, the
settings. A case nobody may see answers 404 whoever asks (the adult it is about above all)."""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from safeguard.adults import forms, services, store
from safeguard.adults.states import INTERIM_MEASURES, OUTCOMES, RELATIONS, THRESHOLD, Routed, Track
from safeguard.auth.permissions import Capability, can_act_on_adult_concern, requires
from safeguard.core.extensions import db
from safeguard.core.formatting import school_zone
from safeguard.core.forms import as_id, attach_error, required_data
from safeguard.core.sqltypes import utcnow
from safeguard.notifications import services as notifications

blueprint = Blueprint("adults", __name__, url_prefix="/adults")


def load_case(case_id: int) -> store.Case:
    """The case if the signed-in person may see it, else 404 (never 403: a guessed id reveals nothing)."""
    case = services.load(current_user, case_id)
    if case is None:
        abort(404)
    return case


def load_case_to_act(case_id: int) -> store.Case:
    """The case if the signed-in person may act on it: 404 when they cannot see it, 403 when they only read it."""
    case = load_case(case_id)
    if not can_act_on_adult_concern(current_user, case):
        abort(403)
    return case


def _people_choices(blank: str, without: int | None = None) -> list:
    people = store.school_people(current_user.school_id)
    return forms.choices([("", blank)] + [(str(p.id), p.name) for p in people if p.id != without])


# ---------------------------------------------------------------------------------------------------------------
# Raising a concern


@blueprint.route("/new", methods=["GET", "POST"])
@requires(Capability.SIGNED_IN)
def new():
    """The form for a concern about an adult who works with children."""
    form = forms.RaiseAdultConcernForm()
    form.subject_user_id.choices = _people_choices("Choose, or write their name below", without=current_user.id)
    form.pupils.choices = forms.choices(
        (str(c.id), f"{c.name} ({c.year_group})") for c in store.roll(current_user.school_id)
    )
    status = 200
    if form.validate_on_submit():
        raised = _raise(form)
        if raised is not None:
            return redirect(url_for("adults.raised", case_id=raised.id))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("adults/new.html", form=form), status


def _raise(form: forms.RaiseAdultConcernForm):
    new = services.NewAdultConcern(
        subject_user_id=as_id(form.subject_user_id.data),
        subject_name=form.subject_name.data or "",
        subject_relation=form.subject_relation.data or "",
        subject_role=form.subject_role.data or "",
        account=required_data(form.account.data),
        happened_at=forms.as_utc(required_data(form.happened_at.data), school_zone()),
        location=form.location.data or "",
        threshold=form.threshold.data or "",
        pupil_ids=[pid for value in form.pupils.data or [] if (pid := as_id(value)) is not None],
        wording_kept_reason=form.wording_kept_reason.data,
    )
    try:
        return services.raise_concern(current_user, new)
    except services.ConcernError as error:
        db.session.rollback()
        attach_error(form, error)
        return None


@blueprint.route("/<int:case_id>/raised")
@requires(Capability.SIGNED_IN)
def raised(case_id: int):
    """The confirmation the writer sees: the reference and whom it went to, nothing more."""
    found = store.reported(current_user.school_id, current_user.id, case_id)
    if found is None:
        abort(404)
    routed = Routed(found.routed_to)
    told = len(store.case_managers(current_user.school_id, routed.value, [], None))
    return render_template("adults/raised.html", case=found, routed=routed, told=told, Track=Track)


# ---------------------------------------------------------------------------------------------------------------
# The case managers' pages


@blueprint.route("/")
@requires(Capability.SIGNED_IN)
def index():
    """The concerns about adults the signed-in person may see: allegations and the low-level log, with patterns."""
    rows = store.cases(services.viewer(current_user))
    now = utcnow()
    return render_template(
        "adults/index.html",
        allegations=[r for r in rows if r.track == Track.ALLEGATION],
        low_level=[r for r in rows if r.track == Track.LOW_LEVEL],
        patterns=services.patterns(rows, now),
        now=now,
        relations=RELATIONS,
    )


def _render_case(case: store.Case, status: int = 200, **given):
    record = case.record
    version = str(record.version)
    settings = store.settings(record.school_id)
    log = services.adult_log(current_user, case)
    lado = given.get("lado") or forms.LadoForm(
        formdata=None, version=version, lado_name=record.lado_name, lado_contact=record.lado_contact
    )
    deputy = given.get("deputy") or forms.DeputyForm(
        formdata=None, version=version, deputy_id=str(record.deputy_id or "")
    )
    deputy.deputy_id.choices = _people_choices("Nobody", without=record.subject_user_id)
    person = given.get("person") or forms.PersonForm(formdata=None)
    person.person_id.choices = _people_choices("Choose a person", without=record.subject_user_id)
    return (
        render_template(
            "adults/case.html",
            case=case,
            record=record,
            can_act=can_act_on_adult_concern(current_user, case),
            entries=store.entries(record.school_id, record.id),
            children=store.children(record.school_id, record.id),
            added=store.added_people(record.school_id, record.id),
            reporter=store.person_name(record.school_id, record.reporter_id),
            deputy_name=store.person_name(record.school_id, record.deputy_id) if record.deputy_id else None,
            school_deputy=(
                store.person_name(record.school_id, settings.deputy_id)
                if settings and settings.deputy_id and record.routed_to == Routed.HEAD
                else None
            ),
            log=log,
            patterns=services.patterns(log, utcnow()),
            lado_on_time=services.lado_on_time(record),
            lado_form=lado,
            interim_form=given.get("interim") or forms.InterimForm(formdata=None, version=version),
            outcome_form=given.get("outcome") or forms.OutcomeForm(formdata=None, version=version),
            track_form=given.get("track") or forms.TrackForm(formdata=None, version=version),
            deputy_form=deputy,
            person_form=person,
            remove_form=forms.RemovePersonForm(formdata=None),
            export_form=given.get("export") or forms.ExportForm(formdata=None),
            Track=Track,
            Routed=Routed,
            relations=RELATIONS,
            thresholds=THRESHOLD,
            measures=INTERIM_MEASURES,
            outcomes=OUTCOMES,
        ),
        status,
    )


@blueprint.route("/<int:case_id>")
@requires(Capability.SIGNED_IN)
def show(case_id: int):
    """A case: the concern, the LADO discussion, interim arrangements, outcome, the adult's log and the chronology."""
    case = load_case(case_id)
    services.record_view(current_user, case)
    notifications.mark_link_read(current_user, url_for("adults.show", case_id=case.record.id))  # its alerts
    return _render_case(case)


def _act(case: store.Case, form, name: str, action):
    """Validate ``form`` and run ``action``; back to the case, or the case again with the errors (400)."""
    if form.validate_on_submit():
        try:
            message = action()
        except services.ConcernError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash(message or "Saved.", "success")
            return redirect(url_for("adults.show", case_id=case.record.id) + f"#{name}")
    db.session.rollback()
    case = load_case(case.record.id)
    return _render_case(case, 400, **{name: form})


@blueprint.route("/<int:case_id>/lado", methods=["POST"])
@requires(Capability.SIGNED_IN)
def lado(case_id: int):
    """Record the discussion with the LADO."""
    case = load_case_to_act(case_id)
    form = forms.LadoForm()

    def action() -> str:
        services.record_lado(
            current_user,
            case,
            int(form.version.data or 0),
            services.LadoDiscussion(
                discussed_at=forms.as_utc(required_data(form.discussed_at.data), school_zone()),
                lado_name=form.lado_name.data or "",
                lado_contact=form.lado_contact.data or "",
                advice=form.advice.data or "",
                reference=form.reference.data or "",
                strategy_meeting=bool(form.strategy_meeting.data),
                police=bool(form.police.data),
                childrens_social_care=bool(form.childrens_social_care.data),
                involvement=form.involvement.data or "",
                wording_kept_reason=form.wording_kept_reason.data,
            ),
        )
        return "The discussion with the LADO is recorded."

    return _act(case, form, "lado", action)


@blueprint.route("/<int:case_id>/interim", methods=["POST"])
@requires(Capability.SIGNED_IN)
def interim(case_id: int):
    """Record interim arrangements with their reasons."""
    case = load_case_to_act(case_id)
    form = forms.InterimForm()

    def action() -> str:
        services.record_interim(
            current_user,
            case,
            int(form.version.data or 0),
            form.measure.data or "",
            form.reason.data or "",
            form.wording_kept_reason.data,
        )
        return "Interim arrangements recorded."

    return _act(case, form, "interim", action)


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@blueprint.route("/<int:case_id>/outcome", methods=["POST"])
@requires(Capability.SIGNED_IN)
def outcome(case_id: int):
    """Record the outcome and close the case."""
    case = load_case_to_act(case_id)
    form = forms.OutcomeForm()

    def action() -> str:
        services.record_outcome(
            current_user,
            case,
            int(form.version.data or 0),
            services.Outcome(
                outcome=form.outcome.data or "",
                notes=form.notes.data or "",
                dbs_referral=_yes_no(form.dbs_referral.data),
                dbs_reason=form.dbs_reason.data or "",
                tra_referral=_yes_no(form.tra_referral.data),
                tra_reason=form.tra_reason.data or "",
                retirement_date=form.retirement_date.data,
                wording_kept_reason=form.wording_kept_reason.data,
            ),
        )
        return "Outcome recorded; the case is closed."

    return _act(case, form, "outcome", action)


@blueprint.route("/<int:case_id>/track", methods=["POST"])
@requires(Capability.SIGNED_IN)
def track(case_id: int):
    """Treat the case on the other track."""
    case = load_case_to_act(case_id)
    form = forms.TrackForm()

    def action() -> str:
        services.change_track(current_user, case, int(form.version.data or 0), form.reason.data or "")
        return "Track changed."

    return _act(case, form, "track", action)


@blueprint.route("/<int:case_id>/deputy", methods=["POST"])
@requires(Capability.SIGNED_IN)
def deputy(case_id: int):
    """Name the deputy case manager of this case."""
    case = load_case_to_act(case_id)
    form = forms.DeputyForm()
    form.deputy_id.choices = _people_choices("Nobody")

    def action() -> str:
        services.set_deputy(current_user, case, int(form.version.data or 0), as_id(form.deputy_id.data))
        return "Deputy case manager saved."

    return _act(case, form, "deputy", action)


@blueprint.route("/<int:case_id>/people", methods=["POST"])
@requires(Capability.SIGNED_IN)
def add_person(case_id: int):
    """Let another person read the case."""
    case = load_case_to_act(case_id)
    form = forms.PersonForm()
    form.person_id.choices = _people_choices("Choose a person")

    def action() -> str:
        name = services.add_person(current_user, case, required_data(as_id(form.person_id.data)))
        return f"{name} can now see this case."

    return _act(case, form, "person", action)


@blueprint.route("/<int:case_id>/people/remove", methods=["POST"])
@requires(Capability.SIGNED_IN)
def remove_person(case_id: int):
    """Stop a person added to the case from reading it."""
    case = load_case_to_act(case_id)
    form = forms.RemovePersonForm()
    person_id = as_id(form.person_id.data)
    if not form.validate_on_submit() or person_id is None:
        abort(400)
    try:
        services.remove_person(current_user, case, person_id)
    except services.ConcernError as error:
        abort(400, str(error))
    flash("Removed from the case.", "success")
    return redirect(url_for("adults.show", case_id=case_id) + "#people")


@blueprint.route("/<int:case_id>/summary", methods=["POST"])
@requires(Capability.SIGNED_IN)
def export(case_id: int):
    """The case summary PDF for the LADO."""
    case = load_case(case_id)
    form = forms.ExportForm()
    if form.validate_on_submit():
        try:
            pdf, filename = services.export_summary(current_user, case, form.reason.data or "")
        except (services.ConcernError, ValueError) as error:
            db.session.rollback()
            attach_error(form, error, "reason")
        else:
            return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True, download_name=filename)
    db.session.rollback()
    return _render_case(load_case(case_id), 400, export=form)


@blueprint.route("/settings", methods=["GET", "POST"])
@requires(Capability.MANAGE_ADULT_CONCERNS)
def settings():
    """The deputy case manager and the LADO contact, set by the head or the chair of governors."""
    found = store.settings(current_user.school_id)
    form = forms.SettingsForm(
        obj=None if request.method == "POST" else found,
        deputy_id=str(found.deputy_id or "") if found and request.method != "POST" else None,
    )
    form.deputy_id.choices = _people_choices("Nobody")
    status = 200
    if form.validate_on_submit():
        try:
            services.save_settings(
                current_user, as_id(form.deputy_id.data), form.lado_name.data or "", form.lado_contact.data or ""
            )
        except services.ConcernError as error:
            db.session.rollback()
            attach_error(form, error)
            status = 400
        else:
            flash("Settings saved.", "success")
            return redirect(url_for("adults.settings"))
    elif request.method == "POST":
        status = 400
    return render_template("adults/settings.html", form=form), status
