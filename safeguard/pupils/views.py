"""Pupil pages: the roll, a pupil's page, marking leavers, the MIS import, and the type-ahead search."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from safeguard.audit import services as audit
from safeguard.concerns import queries
from safeguard.core import permissions
from safeguard.core.extensions import db
from safeguard.core.forms import as_id, attach_error
from safeguard.core.permissions import Capability, requires
from safeguard.core.sqltypes import utcnow
from safeguard.pupils import services
from safeguard.pupils.forms import ConfirmImportForm, ImportForm, LeftForm
from safeguard.pupils.models import Pupil, pupil_search

blueprint = Blueprint("pupils", __name__, url_prefix="/pupils")
PAGE_SIZE = 50
IMPORT_TTL_SECONDS = 3600


def _today():
    return utcnow().astimezone(ZoneInfo(current_user.school.timezone)).date()


def load_pupil(pupil_id: int) -> Pupil:
    """A pupil of the signed-in person's school, or 404."""
    pupil = db.session.scalar(select(Pupil).where(Pupil.id == pupil_id, Pupil.school_id == current_user.school_id))
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
    query = select(Pupil).where(Pupil.school_id == current_user.school_id)
    if show == "current":
        query = query.where(Pupil.left_on.is_(None))
    elif show == "left":
        query = query.where(Pupil.left_on.is_not(None))
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(
                func.lower(Pupil.legal_first_name + " " + Pupil.legal_last_name).like(like),
                func.lower(Pupil.preferred_name).like(like),
                func.lower(Pupil.upn) == q,
            )
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(Pupil.legal_last_name, Pupil.legal_first_name).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "pupils/index.html", pupils=rows, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)), q=q, show=show
    )


def _render_pupil(pupil: Pupil, left_form: LeftForm) -> str:
    """The pupil's page: their details, their whole chronology and the form to mark them as left."""
    return render_template(
        "pupils/show.html",
        pupil=pupil,
        chronology=queries.pupil_chronology(pupil.school_id, pupil.id),
        left_form=left_form,
        can_act=permissions.has(current_user, Capability.ACT_ON_CONCERNS),
        can_export=permissions.has(current_user, Capability.EXPORT),
    )


@blueprint.route("/<int:pupil_id>")
@requires(Capability.VIEW_ALL_CONCERNS)
def show(pupil_id: int):
    """A pupil's details and their whole safeguarding chronology."""
    pupil = load_pupil(pupil_id)
    page = _render_pupil(pupil, LeftForm(formdata=None))
    # Recorded once the page is made, as on the concern page: the school's audit chain (one writer at a time) is
    # then held only from here to the commit, not while a chronology of a thousand entries renders.
    audit.record(
        "pupil.viewed",
        "Pupil's safeguarding record viewed",
        school_id=pupil.school_id,
        actor_id=current_user.id,
        subject_type="pupil",
        subject_id=pupil.id,
    )
    return page


@blueprint.route("/<int:pupil_id>/left", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def mark_left(pupil_id: int):
    """Mark a pupil as left."""
    pupil = load_pupil(pupil_id)
    form = LeftForm()
    if form.validate_on_submit():
        try:
            services.mark_left(pupil, form.left_on.data, form.destination.data, current_user, _today())
        except services.PupilError as error:
            attach_error(form, error)
        else:
            flash(f"{pupil.display_name} is marked as left. Their record is kept.", "success")
            return redirect(url_for("pupils.show", pupil_id=pupil.id))
    return _render_pupil(pupil, form), 400


def _imports_dir() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _stash(data: bytes) -> str:
    token = secrets.token_hex(16)
    folder = _imports_dir()
    (folder / f"{token}.csv").write_bytes(data)
    meta = {"user": current_user.id, "school": current_user.school_id, "at": time.time()}
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def _unstash(token: str) -> bytes | None:
    if not token.isalnum():
        return None
    folder = _imports_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.csv").read_bytes()
    except (OSError, ValueError):
        return None
    fresh = time.time() - meta.get("at", 0) < IMPORT_TTL_SECONDS
    if meta.get("user") != current_user.id or meta.get("school") != current_user.school_id or not fresh:
        return None
    return data


def _drop(token: str) -> None:
    for suffix in (".csv", ".json"):
        (_imports_dir() / f"{token}{suffix}").unlink(missing_ok=True)


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
                token = _stash(data)
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
    """Apply a previewed import."""
    form = ConfirmImportForm()
    data = _unstash(form.token.data or "") if form.validate_on_submit() else None
    if data is None:
        flash("That import has expired or was already applied. Upload the file again.", "warning")
        return redirect(url_for("pupils.import_upload")), 303
    result = services.apply_import(current_user.school, data, _today(), current_user)
    _drop(form.token.data)
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


@blueprint.route("/api/search")
@requires(Capability.SIGNED_IN)
def search_api():
    """Type-ahead for the concern form: names, UPN, year and class only — never flags or dates of birth."""
    q = request.args.get("q", "")
    if not isinstance(q, str) or len(q) > 100:
        return jsonify(error="The search is too long."), 400
    if len(q.strip()) < 2:
        return jsonify(results=[])
    pupils = db.session.scalars(pupil_search(current_user.school_id, q))
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
