"""The "check my wording" page and the JSON endpoint behind the live hints."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from safeguard.auth.permissions import Capability, requires
from safeguard.core.forms import json_body
from safeguard.terminology import check_text, get_vocabulary, wording_problems
from safeguard.terminology.forms import MAX_TEXT, WordingForm

blueprint = Blueprint("terminology", __name__, url_prefix="/terminology")


@blueprint.route("/check", methods=["GET", "POST"])
@requires(Capability.SIGNED_IN)
def check_page():
    """Check a piece of wording, with or without JavaScript."""
    form = WordingForm()
    findings = None
    status = 200
    if form.validate_on_submit():
        findings = check_text(form.text.data)
        problems = wording_problems(form.text.data, form.kept_reason.data)
        if problems:
            form.text.errors = [*form.text.errors, *problems]
            status = 422
    elif form.is_submitted():
        status = 400
    return (
        render_template("terminology/check.html", form=form, findings=findings, vocabulary=get_vocabulary()),
        status,
    )


@blueprint.route("/api/check", methods=["POST"])
@requires(Capability.SIGNED_IN)
def check_api():
    """Findings for a text, as JSON: ``{"text": "..."}`` → ``{"version": ..., "findings": [...]}``.

    CSRF-protected like every POST (the ``X-CSRFToken`` header); bad JSON or an over-long text is a 400.
    """
    # Every character may arrive as a six-byte escape; the braces and the key add a few more.
    payload = json_body(max_bytes=6 * MAX_TEXT + 1024)
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        return jsonify(error='Send JSON of the form {"text": "..."}.'), 400
    text = payload["text"]
    if len(text) > MAX_TEXT:
        return jsonify(error=f"The text is longer than {MAX_TEXT:,} characters."), 400
    return jsonify(version=get_vocabulary().version, findings=[f.to_dict() for f in check_text(text)])
