"""Pupil pages: the roll, a pupil's page, marking leavers, the MIS import, and the type-ahead search."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from safeguard.access import store as access_store
from safeguard.auth import permissions
from safeguard.auth.permissions import Capability, requires
from safeguard.bodymap import services as bodymap
from safeguard.concerns import services as concern_services
from safeguard.concerns.states import EventKind
from safeguard.core.formatting import school_zone
from safeguard.core.forms import as_id, attach_error, required_data
from safeguard.core.sqltypes import utcnow
from safeguard.pupils import services
from safeguard.pupils import store as pupils_store
from safeguard.pupils.forms import ConfirmImportForm, ImportForm, LeftForm
from safeguard.pupils.models import Pupil
from safeguard.terminology import get_vocabulary

blueprint = Blueprint("pupils", __name__, url_prefix="/pupils")
PAGE_SIZE = 50


def _today():
    return utcnow().astimezone(ZoneInfo(current_user.school.timezone)).date()


def load_pupil(pupil_id: int) -> Pupil:
    """A pupil of the signed-in person's school, or 404."""
    pupil = pupils_store.pupil(current_user.school_id, pupil_id)
    if pupil is None:
        abort(404)
    return pupil


@blueprint.route("/")
@requires(Capability.VIEW_ALL_CONCERNS)
def index():
    """The school's pupils, searchable."""
    q = request.args.get("q", "")[:100].strip().lower()
    show = request.args.get("show", "current")
    page = min(as_id(request.args.get("page")) or 1, 100_000)
    found = pupils_store.roll(current_user.school_id, q, show, page, PAGE_SIZE)
    if q:
        services.record_search(q, found.total, current_user)
    pages = max(1, -(-found.total // PAGE_SIZE))
    return render_template(
        "pupils/index.html", pupils=found.pupils, total=found.total, page=page, pages=pages, q=q, show=show
    )


def _chronology_request() -> concern_services.ChronologyRequest:
    """What of the child's chronology the page's address asks for (anything unreadable is left unset)."""
    args = request.args
    year_arg = args.get("year", "")
    year: int | str | None = concern_services.ALL_YEARS if year_arg == concern_services.ALL_YEARS else as_id(year_arg)
    return concern_services.ChronologyRequest(
        year=year,
        concern_id=as_id(args.get("concern")),
        category_id=args.get("category", "")[:80] or None,
        kind=args.get("kind", "")[:40] or None,
    )


def _body_map(pupil: Pupil) -> bodymap.CombinedMap:
    """The child's combined body map for the period the page's address asks for (dates in the school's zone)."""
    args = request.args
    zone = school_zone()

    def day(name: str, days_after: int = 0) -> datetime | None:
        try:
            chosen = date.fromisoformat(args.get(name, "")[:10])
        except ValueError:
            return None
        return datetime.combine(chosen + timedelta(days=days_after), time.min, zone)

    return bodymap.combined_map(
        pupil.school_id,
        pupil.id,
        args.get("period", "")[:10],
        utcnow(),
        start=day("from"),
        end=day("to", 1),
        viewer=permissions.viewer(current_user, utcnow()),
    )


def _render_pupil(pupil: Pupil, left_form: LeftForm) -> str:
    """The pupil's page: their details, their chronology (a year at a time) and the form to mark them as left."""
    return render_template(
        "pupils/show.html",
        pupil=pupil,
        chronology=concern_services.child_chronology(
            current_user.school, pupil.id, _chronology_request(), permissions.viewer(current_user, utcnow())
        ),
        kinds=list(EventKind),
        all_years=concern_services.ALL_YEARS,
        left_form=left_form,
        body_map=_body_map(pupil),
        body_map_vocabulary=get_vocabulary().body_map,
        body_map_periods=bodymap.PERIODS,
        can_act=permissions.has(current_user, Capability.ACT_ON_CONCERNS),
        can_export=permissions.has(current_user, Capability.EXPORT),
        around=services.surroundings(current_user, pupil),
        can_set_file_access=permissions.can_set_file_access(current_user, pupil, _named_on_file(pupil)),
    )


def _named_on_file(pupil: Pupil) -> bool:
    """Whether the signed-in person is named on the child's file (a restricted or sealed one)."""
    if pupil.access_level == "standard":
        return False
    named = access_store.file_named(pupil.school_id, pupil.id, current_user.id, utcnow())
    return bool(named and named[1])


@blueprint.route("/<int:pupil_id>")
@requires(Capability.VIEW_ALL_CONCERNS)
def show(pupil_id: int):
    """A pupil's details and their whole safeguarding chronology."""
    pupil = load_pupil(pupil_id)
    page = _render_pupil(pupil, LeftForm(formdata=None))
    # Recorded once the page is made, as on the concern page: the school's audit chain (one writer at a time) is
    # then held only from here to the commit, not while a chronology of a thousand entries renders.
    services.record_view(pupil, current_user)
    return page


@blueprint.route("/<int:pupil_id>/left", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def mark_left(pupil_id: int):
    """Mark a pupil as left."""
    pupil = load_pupil(pupil_id)
    form = LeftForm()
    if form.validate_on_submit():
        try:
            services.mark_left(pupil, required_data(form.left_on.data), form.destination.data, current_user, _today())
        except services.PupilError as error:
            attach_error(form, error)
        else:
            flash(f"{pupil.display_name} is marked as left. Their record is kept.", "success")
            return redirect(url_for("pupils.show", pupil_id=pupil.id))
    page = _render_pupil(pupil, form)
    services.record_view(pupil, current_user)  # the whole record is shown again with the form's errors
    return page, 400


@blueprint.route("/import", methods=["GET", "POST"])
@requires(Capability.MANAGE_PUPILS)
def import_upload():
    """Upload the MIS export and see what it would change."""
    form = ImportForm()
    result = None
    token = None
    status = 200
    if form.validate_on_submit():
        data = form.csv_file.data.read()
        try:
            result = services.preview(current_user.school, data, _today())
        except services.ImportError_ as error:
            form.csv_file.errors = [str(error)]
            status = 400
        else:
            if result.ok:
                token = services.stash_import(data, current_user.id, current_user.school_id)
            else:
                status = 422
    elif form.is_submitted():
        status = 400
    return (
        render_template(
            "pupils/import.html",
            form=form,
            result=result,
            confirm=ConfirmImportForm(formdata=None, token=token) if token else None,
            headers=services.HEADERS,
        ),
        status,
    )


@blueprint.route("/import/confirm", methods=["POST"])
@requires(Capability.MANAGE_PUPILS)
def import_confirm():
    """Apply a previewed import; the file kept since the preview is deleted."""
    form = ConfirmImportForm()
    data = None
    if form.validate_on_submit():
        data = services.take_stashed_import(form.token.data, current_user.id, current_user.school_id)
    if data is None:
        flash("That import has expired or was already applied. Upload the file again.", "warning")
        return redirect(url_for("pupils.import_upload")), 303
    result = services.apply_import(current_user.school, data, _today(), current_user)
    if not result.ok:  # the roll changed between preview and confirmation in a way that makes a row bad
        flash("The file no longer imports cleanly. Upload it again to see why.", "danger")
        return redirect(url_for("pupils.import_upload")), 303
    flash(
        f"Import complete: {len(result.added)} added, {len(result.changed)} changed, {result.unchanged} unchanged.",
        "success",
    )
    if permissions.has(current_user, Capability.VIEW_ALL_CONCERNS):
        return redirect(url_for("pupils.index"))
    return redirect(url_for("pupils.import_upload"))


@blueprint.route("/import/cancel", methods=["POST"])
@requires(Capability.MANAGE_PUPILS)
def import_cancel():
    """Abandon a previewed import: nothing is imported and the file kept since the preview is deleted."""
    form = ConfirmImportForm()
    if form.validate_on_submit() and services.cancel_stashed_import(
        form.token.data, current_user.id, current_user.school_id
    ):
        flash("Import cancelled: nothing was imported and the uploaded file has been deleted.", "info")
    else:
        flash("That import had already expired or been applied.", "warning")
    return redirect(url_for("pupils.import_upload")), 303


@blueprint.route("/api/search")
@requires(Capability.SIGNED_IN)
def search_api():
    """Type-ahead for the concern form: names, UPN, year and class only — never flags or dates of birth."""
    q = request.args.get("q", "")
    if not isinstance(q, str) or len(q) > 100:
        return jsonify(error="The search is too long."), 400
    if len(q.strip()) < 2:
        return jsonify(results=[])
    pupils = pupils_store.matching(current_user.school_id, q)
    services.record_search(q.strip(), len(pupils), current_user)
    return jsonify(
        results=[
            {
                "id": p.id,
                "name": p.display_name,
                "upn": p.upn,
                "year_group": p.year_group,
                "class_name": p.class_name,
                "left": p.has_left,
            }
            for p in pupils
        ]
    )
