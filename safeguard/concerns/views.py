"""Concern pages: log a concern, "My concerns", the DSL's queue, the concern page and its actions."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup

from safeguard.audit import services as audit
from safeguard.auth import permissions
from safeguard.auth import store as accounts
from safeguard.auth.permissions import Capability, ConcernAccess, requires
from safeguard.bodymap import forms as bodymap_forms
from safeguard.bodymap import services as bodymap
from safeguard.concerns import forms, services, store
from safeguard.concerns.rules import follow_up_overdue
from safeguard.concerns.states import Part, Status
from safeguard.core import storage
from safeguard.core.cache import app_cached
from safeguard.core.extensions import db
from safeguard.core.formatting import local_datetime, local_today, school_zone
from safeguard.core.forms import as_id, attach_error, required_data
from safeguard.core.sqltypes import utcnow
from safeguard.core.uploads import safe_filename
from safeguard.exports.services import late_transfers
from safeguard.notifications.services import remember_unread_alert_count
from safeguard.pupils import store as pupils_store
from safeguard.pupils.models import PUPIL_FLAGS, Pupil
from safeguard.safety import services as safety
from safeguard.terminology import Vocabulary, category_choices, get_vocabulary

blueprint = Blueprint("concerns", __name__, url_prefix="/concerns")


def load_concern(concern_id: int):
    """Load a concern the signed-in person may see, or 404 (never 403: a guessed id reveals nothing)."""
    concern = store.concern(current_user.school_id, concern_id)
    if concern is None or not permissions.can_view_concern(current_user, concern):
        abort(404)
    return concern


# ---------------------------------------------------------------------------------------------------------------
# Logging a concern


def _pupil_rows(form: forms.LogConcernForm) -> list[tuple[forms.PupilPartForm, Pupil]]:
    """The pupils on the form, loaded from this school only."""
    ids = [pid for entry in form.pupils.entries if (pid := as_id(entry.form.pupil_id.data)) is not None]
    found = pupils_store.on_roll(current_user.school_id, ids)
    rows = []
    for entry in form.pupils.entries:
        pupil_id = as_id(entry.form.pupil_id.data)
        pupil = found.get(pupil_id) if pupil_id is not None else None
        if pupil is not None:
            rows.append((entry.form, pupil))
    return rows


def _rebuild_pupils(form: forms.LogConcernForm, add: int | None = None, remove: int | None = None) -> None:
    """Add or remove a pupil on the form (the no-JavaScript path), keeping the others and their parts."""
    kept = [(f.pupil_id.data, f.part.data) for f, _ in _pupil_rows(form) if str(f.pupil_id.data) != str(remove)]
    new = add is not None and str(add) not in {str(pid) for pid, _ in kept}
    if new and add is not None and add in pupils_store.on_roll(current_user.school_id, [add]):
        kept.append((str(add), Part.SUBJECT.value if not kept else Part.WITNESS.value))
    while form.pupils.entries:
        form.pupils.pop_entry()
    for pupil_id, part in kept:
        form.pupils.append_entry({"pupil_id": pupil_id, "part": part})


@blueprint.route("/new", methods=["GET", "POST"])
@requires(Capability.SIGNED_IN)
def new():
    """The form any member of staff uses to log a concern."""
    vocabulary = get_vocabulary()
    form = forms.LogConcernForm()
    form.categories.choices = category_choices(vocabulary)
    if request.method == "GET":
        form.opened_at.data = utcnow().isoformat(timespec="seconds")
        if as_id(request.args.get("pupil")):
            _rebuild_pupils(form, add=as_id(request.args.get("pupil")))
    candidates: list[Pupil] = []
    status = 200
    if request.method == "POST":
        add = request.form.get("add_pupil", "")
        remove = request.form.get("remove_pupil", "")
        if form.find_pupils.data or add or remove or form.add_mark.data:
            # Not a submission: the no-JavaScript way of finding, adding and removing pupils, and adding a mark.
            _rebuild_pupils(form, add=as_id(add), remove=as_id(remove))
            if form.find_pupils.data and len((form.pupil_search.data or "").strip()) >= 2:
                candidates = pupils_store.matching(current_user.school_id, form.pupil_search.data)
                if not candidates:
                    form.pupil_search.errors = ["No pupil matches that. Try the surname or the UPN."]
            return _render_new(form, vocabulary, candidates, 200)
        if form.validate_on_submit():
            concern = _log(form)
            if concern is not None:
                return redirect(url_for("concerns.logged", concern_id=concern.id))
        status = 400
    return _render_new(form, vocabulary, candidates, status)


def _log(form: forms.LogConcernForm):
    # The ids as sent: the service loads the pupils and refuses one that is not on this school's roll, so a
    # pupil is never dropped from a concern without the reporter being told.
    try:
        pupils = [
            services.PupilRole(pupil_id, Part(entry.form.part.data))
            for entry in form.pupils.entries
            if (pupil_id := as_id(entry.form.pupil_id.data)) is not None
        ]
    except ValueError:
        form.pupils.errors = ["Choose each pupil's part from the list."]
        return None
    uploads = [
        services.Upload(filename=f.filename or "attachment", data=f.read())
        for f in (form.attachments.data or [])
        if f and f.filename
    ]
    new = services.NewConcern(
        pupils=pupils,
        observed_at=form.observed(utcnow(), school_zone()),
        category_ids=form.categories.data or [],
        account=required_data(form.account.data),
        location=form.location.data or "",
        already_done=form.already_done.data or "",
        immediate_danger=form.immediate_danger.data == "yes",
        wording_kept_reason=form.wording_kept_reason.data,
        uploads=uploads,
        marks=bodymap_forms.entered_marks(form.marks, school_zone()),
    )
    try:
        return services.log_concern(current_user, new)
    except services.ConcernError as error:
        db.session.rollback()
        attach_error(form, error)
        return None


# How many categories the form offers above the collapsed full list.
COMMON_CATEGORIES = 6


def _common_categories(vocabulary: Vocabulary) -> list:
    """The categories offered first: those the school's concerns were filed under most in the last year, topped up
    in the vocabulary's order (the four types of abuse and neglect first) for a school with little history yet."""
    since = utcnow() - timedelta(days=365)
    used = store.most_used_categories(current_user.school_id, since, COMMON_CATEGORIES)
    ids = dict.fromkeys([*used, *(c.id for c in vocabulary.leaves)])
    found = [c for i in ids if (c := vocabulary.category(i)) is not None and not c.is_group]
    return found[:COMMON_CATEGORIES]


def _render_new(form, vocabulary, candidates, status):
    just_now = local_datetime(form.just_now(utcnow()), "%H:%M")
    form.observed_when.description = f"“Just now” records {just_now}, when you opened this form."
    pupil_rows = _pupil_rows(form)
    bodymap_forms.prepare_rows(form.marks, vocabulary.body_map, [(p.id, p.display_name) for _, p in pupil_rows])
    return (
        render_template(
            "concerns/new.html",
            form=form,
            vocabulary=vocabulary,
            common_categories=_common_categories(vocabulary),
            pupil_rows=pupil_rows,
            candidates=candidates,
            part_choices=forms.PART_CHOICES,
        ),
        status,
    )


@blueprint.route("/<int:concern_id>/logged")
@requires(Capability.SIGNED_IN)
def logged(concern_id: int):
    """Confirmation with the reference, shown to the person who logged the concern."""
    concern = load_concern(concern_id)
    if concern.reporter_id != current_user.id:
        abort(404)
    routing = services.Routing.of(store.logged_detail(concern))
    marks = bodymap.concern_marks(concern.school_id, concern.id)
    return render_template(
        "concerns/logged.html", concern=concern, routing=routing, worker=safety.worker_now(), marks=marks
    )


@blueprint.route("/mine")
@requires(Capability.SIGNED_IN)
def mine():
    """The concerns the signed-in person logged, with whether the DSL team has acknowledged each."""
    page = min(as_id(request.args.get("page")) or 1, 100_000)
    rows, total = store.reported_by(current_user.school_id, current_user.id, page)
    return render_template("concerns/mine.html", concerns=rows, total=total, page=page)


# ---------------------------------------------------------------------------------------------------------------
# The queue


def _filters() -> store.QueueFilters:
    args = request.args

    def as_date(name: str) -> date | None:
        try:
            return date.fromisoformat(args.get(name, ""))
        except ValueError:
            return None

    assignee = args.get("assignee", "")
    return store.QueueFilters(
        status=args.get("status", "open") or "open",
        category=args.get("category", "")[:80],
        pupil_id=as_id(args.get("pupil")),
        assignee_id=0 if assignee == "none" else as_id(assignee),
        date_from=as_date("from"),
        date_to=as_date("to"),
        search=args.get("q", "")[:100],
        page=min(as_id(args.get("page")) or 1, 100_000),
    )


def category_filter_options(vocabulary: Vocabulary, selected: str) -> Markup:
    """The category filter's ``<option>`` elements with ``selected`` marked: every category is on every visit to the
    queue, so they are rendered once per vocabulary and selection and kept."""
    if selected not in vocabulary.categories:
        selected = ""  # only real categories become keys, so the kept fragments stay few
    macro = get_template_attribute("concerns/_category_options.html", "options")
    return app_cached("category-filter-options", (vocabulary.version, selected), lambda: macro(vocabulary, selected))


@blueprint.route("/")
@requires(Capability.VIEW_ALL_CONCERNS)
def queue():
    """The DSL team's queue: urgent and overdue first, then oldest first."""
    filters = _filters()
    now = utcnow()
    today = local_today(school_zone(), now)
    result = store.queue(
        current_user.school_id,
        filters,
        now,
        today=today,
        user_id=current_user.id,
        viewer=permissions.viewer(current_user, now),
    )
    if filters.search:
        services.record_search(filters.search, result.total, current_user)
    remember_unread_alert_count(result.unread_alerts)
    if result.banner_state is not None:
        safety.remember_banner_state(result.banner_state)
    return render_template(
        "concerns/queue.html",
        result=result,
        filters=filters,
        now=now,
        category_options=category_filter_options(get_vocabulary(), filters.category),
        late_transfers=late_transfers(current_user.school_id, result.awaiting_receipt, today),
        statuses=list(Status),
    )


@blueprint.route("/search", methods=["GET", "POST"])
@requires(Capability.SEARCH_RECORDS)
def search():
    """Search the words of the school's accounts, notes and actions (each search is audited)."""
    form = forms.TextSearchForm()
    result = None
    if form.validate_on_submit():
        try:
            result = services.search_text(current_user, form.q.data or "")
        except services.ConcernError as error:
            attach_error(form, error)
    status = 400 if form.is_submitted() and result is None else 200
    return render_template("concerns/search.html", form=form, result=result), status


# ---------------------------------------------------------------------------------------------------------------
# The concern page


# FlaskForm is untyped (Flask-WTF ships no types), so these are Any to the type checker.
ACTION_FORMS: dict[str, type[forms.FlaskForm]] = {
    "acknowledge": forms.AcknowledgeForm,
    "assign": forms.AssignForm,
    "level": forms.LevelOfNeedForm,
    "note": forms.NoteForm,
    "action": forms.ActionForm,
    "decision": forms.DecisionForm,
    "status": forms.StatusForm,
    "link": forms.LinkForm,
    "follow_up": forms.FollowUpDoneForm,
    "addendum": forms.AddendumForm,
    "protocol": forms.ProtocolAnswerForm,
}


def _set_choices(name: str, form: forms.FlaskForm, concern) -> None:
    """The choices of the forms whose options depend on the school (its DSLs, its levels of need, the agencies)."""
    if name == "assign":
        form.assignee.choices = [forms.SelectChoice("", "Nobody")] + [
            forms.SelectChoice(str(p.id), p.display_name) for p in accounts.school_dsls(concern.school_id)
        ]
    elif name == "level":
        form.level.choices = [forms.SelectChoice("", "Choose…")] + [
            forms.SelectChoice(level, level) for level in current_user.school.level_of_need_choices
        ]
    elif name == "action":
        form.agency_id.choices = [forms.SelectChoice("", "Choose…")] + [
            forms.SelectChoice(a.id, f"{a.name} ({a.country})") for a in get_vocabulary().agencies
        ]


# The concern page's panels of actions, each a <details> of one or two forms (in ``templates/concerns/panels/``),
# with the text of its summary. A panel's forms are drawn on the page only when they were just sent back (with their
# errors, or after someone else changed the concern); otherwise the panel is fetched when it is opened, or shown on a
# page of its own without JavaScript. Drawn on every view, these forms were half of the page's rendering, for a DSL
# who opens one of them at a time.
PANELS: dict[str, str] = {
    "action": "Record an action or referral",
    "decision": "Record a decision",
    "note": "Add a note",
    "status": "Change status",
    "assign": "Assignment and level of need",
    "link": "Link a related concern",
}
# The forms of each panel; a form's panel is where the page opens after it is sent.
PANEL_FORMS: dict[str, tuple[str, ...]] = {name: (name,) for name in PANELS} | {"assign": ("assign", "level")}
PANEL_OF: dict[str, str] = {form: panel for panel, names in PANEL_FORMS.items() for form in names}
# Drawn on every view of the page for those who may act: small, or always open.
ALWAYS_DRAWN = ("acknowledge", "follow_up", "addendum", "protocol")


def _action_forms(concern, names: Iterable[str], version: int, opened_at: str, **bound):
    """The action forms ``names`` for the concern page, as of the concern's ``version`` seen at ``opened_at`` (the
    page's, so that a change made since the page was opened is caught when the form is sent); ``bound`` are forms
    just sent, shown again as they were."""
    # Each form has its own prefix: the page holds several, and their fields need distinct ids and names.
    made = {name: ACTION_FORMS[name](formdata=None, prefix=name) for name in names if name not in bound}
    made.update(bound)
    for name, form in made.items():
        if hasattr(form, "version") and not form.version.data:
            form.version.data = str(version)
            form.opened_at.data = opened_at
        _set_choices(name, form, concern)
    if "assign" in made and made["assign"].assignee.data is None and concern.assignee_id:
        made["assign"].assignee.data = str(concern.assignee_id)
    if "level" in made and made["level"].level.data is None:
        made["level"].level.data = concern.level_of_need or ""
    return made


@blueprint.route("/<int:concern_id>/act/<name>")
@requires(Capability.ACT_ON_CONCERNS)
def panel(concern_id: int, name: str):
    """One panel of the concern page's actions: fetched into the page when it is opened (``part=panel``), or a page
    of its own without JavaScript. It carries the version and time of the concern page it was opened from."""
    if name not in PANELS:
        abort(404)
    concern = load_concern(concern_id)
    if not permissions.can_act_on_concern(current_user, concern):
        abort(403)
    version = as_id(request.args.get("version")) or concern.version
    opened_at = _parse_time(request.args.get("opened_at"), default=utcnow()).isoformat()
    made = _action_forms(concern, PANEL_FORMS[name], version, opened_at)
    template = "concerns/panel_part.html" if request.args.get("part") == "panel" else "concerns/panel.html"
    return render_template(template, concern=concern, forms=made, name=name, title=PANELS[name])


# Each child's latest entries shown beside a concern; their page has the rest, a year at a time.
LATEST_ENTRIES_SHOWN = 25


def _marks_form(concern, bound) -> bodymap_forms.AddMarksForm:
    """The form adding marks to the concern's body map (the one just sent, if it was), with its rows' choices."""
    sent = bound.pop("marks", None)
    form = sent or bodymap_forms.AddMarksForm(formdata=None, prefix="marks")
    # The form just sent is shown open, with what was typed.
    form.sent = sent is not None
    # The editor (five outlines and a row of a dozen fields) is drawn only when asked for (its link adds
    # ``?add=marks``) or sent back with errors: drawn on every view of a concern it was about a quarter of the page's
    # rendering, for a form seldom used. Without JavaScript it works the same.
    form.shown = form.sent or request.args.get("add") == "marks"
    if form.shown:
        children = [(link.pupil_id, link.pupil.display_name) for link in concern.pupil_links]
        bodymap_forms.prepare_rows(form.marks, get_vocabulary().body_map, children)
    return form


def render_concern(concern, http_status: int = 200, stale: datetime | None = None, **bound):
    """Render the concern page as the signed-in person may see it, and audit the view (every time the record is
    shown, a rejected action's page too: see ``audit.record_read``)."""
    page = _concern_page(concern, http_status, stale, **bound)
    # Recorded once the page is made, so that the school's audit chain (one writer at a time) is held only from
    # here to the commit, not while a long chronology renders: views of one school's concerns then run side by side.
    services.record_view(concern, current_user)
    return page


def _concern_page(concern, http_status: int, stale: datetime | None, **bound):
    """The concern page as the signed-in person may see it."""
    access = permissions.concern_access(current_user, concern)
    marks_form = _marks_form(concern, bound)
    recorded = bodymap.concern_marks(concern.school_id, concern.id)
    # Numbered as on the concern, then narrowed to those the person may see; new ones are numbered from the next.
    marks = [
        (number, mark)
        for number, mark in enumerate(recorded, 1)
        if permissions.can_see_mark(current_user, concern, mark.recorded_by_id)
    ]
    marks_form.first_number = len(recorded) + 1
    if access == ConcernAccess.RECEIVED:
        # A sealed concern's reporter: that it was received, and nothing more.
        return render_template("concerns/received.html", concern=concern), http_status
    if access == ConcernAccess.REPORTER:
        return (
            render_template(
                "concerns/reporter_view.html",
                concern=concern,
                events=store.events(concern, permissions.viewer(current_user, utcnow()), reporter_view=True),
                addendum_form=bound.get("addendum") or forms.AddendumForm(formdata=None, prefix="addendum"),
                marks=marks,
                marks_form=marks_form,
                body_map=get_vocabulary().body_map,
            ),
            http_status,
        )
    vocabulary = get_vocabulary()
    now = utcnow()
    opened_at = now.isoformat()
    # The panel of a form just sent is drawn open on the page, with every form it holds.
    open_panels = {PANEL_OF[name] for name in bound if name in PANEL_OF}
    drawn = [*ALWAYS_DRAWN, *(form for panel in open_panels for form in PANEL_FORMS[panel])]
    viewer = permissions.viewer(current_user, now)
    events = store.events(concern, viewer)
    follow_ups = store.follow_ups(concern)
    today = local_today(school_zone(), now)
    return (
        render_template(
            "concerns/concern.html",
            concern=concern,
            overdue=concern.is_overdue(now),
            events=events,
            attachments=store.attachments(concern),
            follow_ups=follow_ups,
            overdue_follow_ups={f.id for f in follow_ups if follow_up_overdue(f.done_at, f.due_on, today)},
            linked=store.linked(concern, viewer),
            chronologies={
                link.pupil_id: store.pupil_chronology(
                    concern.school_id, link.pupil_id, limit=LATEST_ENTRIES_SHOWN, viewer=viewer
                )
                for link in concern.pupil_links
            },
            categories={c.category_id: vocabulary.category(c.category_id) for c in concern.category_links},
            forms=_action_forms(concern, drawn, concern.version, opened_at, **bound),
            panels=PANELS,
            opened_at=opened_at,
            open_panels=open_panels,
            can_act=permissions.can_act_on_concern(current_user, concern),
            can_export=permissions.can_export(current_user, concern),
            can_add=permissions.can_add_information(current_user, concern),
            guided=services.protocol_progress(concern),
            stale=stale,
            # When the page the DSL acted from was out of date, what changed since they opened it.
            changes=[e for e in events if e.at > stale] if stale is not None else [],
            # The form the person just sent: its section is opened again, with what they typed.
            active=next(iter(bound), None),
            flag_labels=PUPIL_FLAGS,
            latest_shown=LATEST_ENTRIES_SHOWN,
            marks=marks,
            marks_form=marks_form,
            body_map=vocabulary.body_map,
            access=access,
            access_level=concern.access_level,
            can_set_access=permissions.can_set_access(current_user, concern),
            can_see_seen=permissions.can_see_who_has_seen(current_user, concern),
            emergency_accesses=[e for e in events if e.kind == "emergency_access"],
        ),
        http_status,
    )


@blueprint.route("/<int:concern_id>")
@requires(Capability.SIGNED_IN)
def show(concern_id: int):
    """The concern page; every view is recorded."""
    concern = load_concern(concern_id)
    # The menu's count of unread alerts comes from the same statement.
    remember_unread_alert_count(services.mark_seen(concern, current_user))
    return render_concern(concern)


def _act(concern_id: int, form_name: str, apply, success: str):
    """Run one DSL action: load (404), check permission (403), validate, call the service, flash and redirect.

    A concern changed since the page was loaded gives 409 with the changes shown and the typed text kept; an action
    someone else already took (the concern acknowledged, the follow-up done) goes back to the concern, saying who
    did it and when; text with terms to avoid gives 400 with the terms named and a place to give the reason for
    keeping them.
    """
    concern = load_concern(concern_id)
    if not permissions.can_act_on_concern(current_user, concern):
        abort(403)
    form = ACTION_FORMS[form_name](prefix=form_name)
    _set_choices(form_name, form, concern)
    if not form.validate_on_submit():
        return render_concern(concern, 400, **{form_name: form})
    try:
        apply(concern, form, as_id(form.version.data))
    except services.StaleConcern:
        # Someone else saved first (caught by the version check, or by the database at the same instant).
        db.session.rollback()
        concern = load_concern(concern_id)
        opened_at = _parse_time(form.opened_at.data)
        form.version.data = str(concern.version)
        form.opened_at.data = utcnow().isoformat()
        return render_concern(concern, 409, stale=opened_at, **{form_name: form})
    except services.AlreadyDone as done:
        # Someone else did it first: nothing to keep or correct, so back to the concern as it now stands.
        db.session.rollback()
        flash(str(done), "warning")
        return redirect(url_for("concerns.show", concern_id=concern_id))
    except services.ConcernError as error:
        db.session.rollback()
        concern = load_concern(concern_id)
        attach_error(form, error)
        form.wording_flagged = isinstance(error, services.WordingError)
        return render_concern(concern, 400, **{form_name: form})
    flash(success, "success")
    return redirect(url_for("concerns.show", concern_id=concern.id) + f"#{PANEL_OF.get(form_name, form_name)}")


def _parse_time(value: str | None, default: datetime | None = None) -> datetime:
    """A time sent back by a form or a link; ``default`` (the start of time, unless given) if it is not one."""
    try:
        parsed = datetime.fromisoformat(value or "")
    except ValueError:
        return default or datetime.fromtimestamp(0, tz=utcnow().tzinfo)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=utcnow().tzinfo)


@blueprint.route("/<int:concern_id>/acknowledge", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def acknowledge(concern_id: int):
    """Acknowledge a new concern."""
    # Acknowledging is safe whatever changed meanwhile: a second acknowledgement is refused by the rule itself.
    return _act(
        concern_id,
        "acknowledge",
        lambda c, f, seen: services.acknowledge(c, current_user, None),
        "Acknowledged. The reporter can now see that the DSL team has received it.",
    )


@blueprint.route("/<int:concern_id>/assign", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def assign(concern_id: int):
    """Assign the concern to a DSL."""
    return _act(
        concern_id,
        "assign",
        lambda c, f, seen: services.assign(c, current_user, as_id(f.assignee.data), seen),
        "Assignment saved.",
    )


@blueprint.route("/<int:concern_id>/level", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def level(concern_id: int):
    """Set the level of need."""
    return _act(
        concern_id,
        "level",
        lambda c, f, seen: services.set_level_of_need(c, current_user, f.level.data, seen),
        "Level of need saved.",
    )


@blueprint.route("/<int:concern_id>/note", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def note(concern_id: int):
    """Add a note."""
    return _act(
        concern_id,
        "note",
        lambda c, f, seen: services.add_note(c, current_user, f.text.data, seen, f.wording_kept_reason.data),
        "Note added to the chronology.",
    )


def _action_input(form: forms.ActionForm) -> services.ActionInput:
    return services.ActionInput(
        kind=form.kind.data,
        details=form.details.data or "",
        reason=form.reason.data or "",
        target=form.target.data or "",
        agency_id=form.agency_id.data or "",
        on=form.on.data,
        external_reference=form.external_reference.data or "",
        follow_up_on=form.follow_up_on.data,
        follow_up_what=form.follow_up_what.data or "",
        wording_kept_reason=form.wording_kept_reason.data,
    )


@blueprint.route("/<int:concern_id>/action", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def action(concern_id: int):
    """Record an action, referral or report to an agency."""
    return _act(
        concern_id,
        "action",
        lambda c, f, seen: services.record_action(c, current_user, _action_input(f), seen),
        "Action recorded in the chronology.",
    )


@blueprint.route("/<int:concern_id>/decision", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def decision(concern_id: int):
    """Record a decision and its rationale."""
    return _act(
        concern_id,
        "decision",
        lambda c, f, seen: services.record_decision(
            c, current_user, f.decision.data, f.rationale.data, seen, f.wording_kept_reason.data
        ),
        "Decision recorded with its rationale.",
    )


@blueprint.route("/<int:concern_id>/status", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def status(concern_id: int):
    """Change the status."""

    def apply(concern, form, seen):
        change = services.StatusChange(
            status=form.status.data,
            outcome=form.outcome.data or "",
            rationale=form.rationale.data or "",
            unanswered_reason=form.unanswered_reason.data or "",
            open_follow_ups_reason=form.open_follow_ups_reason.data or "",
            wording_kept_reason=form.wording_kept_reason.data,
        )
        services.change_status(concern, current_user, change, seen)

    return _act(concern_id, "status", apply, "Status changed.")


@blueprint.route("/<int:concern_id>/link", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def link(concern_id: int):
    """Link a related concern."""
    return _act(
        concern_id,
        "link",
        lambda c, f, seen: services.link_concerns(c, current_user, f.reference.data, seen),
        "Concerns linked.",
    )


@blueprint.route("/<int:concern_id>/follow-up", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def follow_up_done(concern_id: int):
    """Mark a follow-up done."""
    return _act(
        concern_id,
        "follow_up",
        lambda c, f, seen: services.complete_follow_up(c, current_user, as_id(f.follow_up_id.data), seen),
        "Follow-up marked as done.",
    )


@blueprint.route("/<int:concern_id>/protocol", methods=["POST"])
@requires(Capability.ACT_ON_CONCERNS)
def protocol(concern_id: int):
    """Answer the next step of a guided response."""

    def apply(concern, form, seen):
        given = services.ProtocolAnswer(
            protocol_id=form.protocol_id.data,
            step_id=form.step_id.data,
            answer_id=form.answer.data,
            reason=form.reason.data or "",
            wording_kept_reason=form.wording_kept_reason.data,
        )
        answer = services.answer_protocol_step(concern, current_user, given, seen)
        if answer.action is not None and answer.action.urgency == "immediate":
            flash(f"Immediate referral needed: {answer.action.text}", "danger")

    return _act(concern_id, "protocol", apply, "Answer recorded in the chronology.")


@blueprint.route("/<int:concern_id>/addendum", methods=["POST"])
@requires(Capability.SIGNED_IN)
def addendum(concern_id: int):
    """Add information: the reporter to their own concern, or a DSL."""
    concern = load_concern(concern_id)
    if not permissions.can_add_information(current_user, concern):
        abort(403)
    form = forms.AddendumForm(prefix="addendum")
    if form.validate_on_submit():
        try:
            services.add_addendum(concern, current_user, required_data(form.text.data), form.wording_kept_reason.data)
        except services.ConcernError as error:
            db.session.rollback()
            concern = load_concern(concern_id)
            attach_error(form, error)
            form.wording_flagged = isinstance(error, services.WordingError)
        else:
            flash("Your information has been added. The original account is unchanged.", "success")
            return redirect(url_for("concerns.show", concern_id=concern.id))
    return render_concern(concern, 400, addendum=form)


@blueprint.route("/<int:concern_id>/body-map", methods=["POST"])
@requires(Capability.SIGNED_IN)
def add_marks(concern_id: int):
    """Add marks to the concern's body map: the reporter to their own concern, or a DSL. Nothing is edited."""
    concern = load_concern(concern_id)
    if not permissions.can_add_information(current_user, concern):
        abort(403)
    form = bodymap_forms.AddMarksForm(prefix="marks")
    if form.add_mark.data:
        # The no-JavaScript way of adding a row: the page comes back with what was typed and an empty row.
        return render_concern(concern, 200, marks=form)
    if form.validate_on_submit():
        try:
            services.add_marks(
                concern,
                current_user,
                bodymap_forms.entered_marks(form.marks, school_zone()),
                form.note.data or "",
                form.wording_kept_reason.data,
            )
        except services.ConcernError as error:
            db.session.rollback()
            concern = load_concern(concern_id)
            attach_error(form, error)
            form.wording_flagged = isinstance(error, services.WordingError)
        else:
            flash("The marks have been added to the body map. The marks recorded before are unchanged.", "success")
            return redirect(url_for("concerns.show", concern_id=concern.id) + "#body-map")
    return render_concern(concern, 400, marks=form)


@blueprint.route("/<int:concern_id>/attachments/<int:attachment_id>")
@requires(Capability.SIGNED_IN)
def attachment(concern_id: int, attachment_id: int):
    """Download an attachment, after the same permission check as the concern itself."""
    concern = load_concern(concern_id)
    if permissions.concern_access(current_user, concern) != ConcernAccess.FULL:
        abort(404)
    item = store.attachment(concern, attachment_id)
    if item is None:
        abort(404)
    try:
        data = storage.load(concern.school_id, item.storage_name, item.sha256)
    except storage.StorageError:
        abort(410)
    audit.record(
        "attachment.downloaded",
        f"Attachment downloaded ({concern.reference})",
        school_id=concern.school_id,
        actor_id=current_user.id,
        subject_type="attachment",
        subject_id=item.id,
    )
    # Names kept before they were cleaned on upload are cleaned here too, since the name goes into a header.
    response = send_file(
        io.BytesIO(data),
        mimetype=item.content_type,
        as_attachment=True,
        download_name=safe_filename(item.original_name),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
