"""The school calendar's page: its terms and closures, entered by hand or imported from an iCalendar file."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from safeguard.auth.permissions import Capability, requires
from safeguard.calendar import forms, services, store
from safeguard.core.forms import ConfirmForm, attach_error

blueprint = Blueprint("calendar", __name__, url_prefix="/calendar")


def _page(period_form: forms.PeriodForm, import_form: forms.ImportForm, status: int = 200):
    rows = store.periods(current_user.school_id)
    return (
        render_template(
            "calendar/index.html",
            rows=rows,
            calendar=store.as_calendar(rows),
            form=period_form,
            import_form=import_form,
            remove_form=ConfirmForm(),
        ),
        status,
    )


@blueprint.route("/", methods=["GET", "POST"])
@requires(Capability.MANAGE_SCHOOL)
def index():
    """The school's terms and closures, and the form to add one."""
    form = forms.PeriodForm()
    if form.validate_on_submit():
        try:
            services.add_period(
                current_user.school_id,
                current_user.id,
                form.kind.data or "",
                form.name.data or "",
                form.first_day.data,
                form.last_day.data,
            )
        except services.CalendarError as error:
            attach_error(form, error)
        else:
            flash(f"{form.name.data} has been added to the school calendar.", "success")
            return redirect(url_for("calendar.index"))
    return _page(form, forms.ImportForm(formdata=None), 400 if form.is_submitted() else 200)


@blueprint.route("/import", methods=["POST"])
@requires(Capability.MANAGE_SCHOOL)
def import_ics():
    """Import the school's dates from an iCalendar file."""
    form = forms.ImportForm()
    if form.validate_on_submit():
        try:
            result = services.import_ics(current_user.school_id, current_user.id, form.ics.data.read())
        except services.CalendarError as error:
            attach_error(form, error)
        else:
            message = f"Imported {result.terms} terms and {result.closures} closures."
            if result.ignored:
                message += f" Left out (neither a term nor a closure): {', '.join(result.ignored)}."
            flash(message, "success")
            return redirect(url_for("calendar.index"))
    return _page(forms.PeriodForm(formdata=None), form, 400)


@blueprint.route("/<int:period_id>/remove", methods=["POST"])
@requires(Capability.MANAGE_SCHOOL)
def remove(period_id: int):
    """Remove a term or a closure."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.remove_period(current_user.school_id, current_user.id, period_id)
    except services.CalendarError:
        abort(404)
    flash("The date has been removed from the school calendar.", "success")
    return redirect(url_for("calendar.index"))
