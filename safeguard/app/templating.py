"""Every helper the templates use, registered in one place: filters, globals and the values every page has.

Templates only display: they get values prepared in Python (times already in the school's zone, lists already in
order) and write the markup. Nothing here builds HTML; the main menu is a rendered template, kept by what it
depends on (see :func:`main_menu`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from safeguard.auth import permissions
from safeguard.bodymap.outlines import OUTLINES
from safeguard.concerns.presenters import ChronologyLine, action_target_label, chronology_lines, entry_line
from safeguard.concerns.store import ChronologyEntry
from safeguard.core.cache import app_cached
from safeguard.core.formatting import centimetres, local_date, local_datetime, minutes_text, school_zone
from safeguard.core.sqltypes import utcnow
from safeguard.notifications.services import unread_alert_count, unread_badge
from safeguard.safety.services import Banner, banners
from safeguard.terminology import check_text


def main_menu() -> Markup:
    """The menu's items for the signed-in person on this page.

    What it shows depends only on the page (the link marked as current), the person's capabilities and their unread
    alerts, so it is rendered once for each and kept.
    """
    key = (request.script_root, request.endpoint, permissions.capabilities(current_user), unread_alert_count())
    return app_cached("menu", key, lambda: Markup(render_template("_nav_items.html")))  # noqa: S704 (a template)


def concern_url_base() -> str:
    """The concern pages' address without the id, for lists that link hundreds of concerns."""
    return url_for("concerns.show", concern_id=0).removesuffix("0")


def child_chronology(entries: list[ChronologyEntry]) -> list[ChronologyLine]:
    """The lines of a child's chronology, with times in the school's zone."""
    return chronology_lines(entries, school_zone())


# Whoever holds one of these has a long main menu: their own pages (My concerns, Check my wording) go in the menu
# under their name, so that the main menu fits one line on a laptop.
LONG_MENU = frozenset({permissions.Capability.VIEW_ALL_CONCERNS, permissions.Capability.MANAGE_USERS})


def personal_menu_grouped() -> bool:
    """Whether the signed-in person's own pages are grouped under their name rather than in the main menu."""
    return bool(LONG_MENU & permissions.capabilities(current_user))


def safety_banners() -> list[Banner]:
    """The breaks in the alerting chain the signed-in person should see on this page (see safeguard.safety)."""
    return banners(current_user)


def _page_values() -> dict[str, Any]:
    """What every page may ask: the person's capabilities and unread alerts."""
    return {
        "Capability": permissions.Capability,
        "can": lambda capability: permissions.has(current_user, capability),
        "unread_alerts": unread_alert_count() if current_user.is_authenticated else 0,
    }


def register_template_helpers(app: Flask) -> None:
    """Register the filters, the globals and the page values with the app's Jinja environment."""
    app.add_template_filter(local_datetime, "datetime")
    app.add_template_filter(local_date, "date")
    app.add_template_filter(centimetres, "cm")
    app.add_template_filter(minutes_text, "minutes")
    app.add_template_filter(unread_badge, "unread_badge")
    app.jinja_env.globals["body_outlines"] = OUTLINES
    app.add_template_global(school_zone, "school_zone")
    app.add_template_global(check_text, "wording_findings")
    app.add_template_global(main_menu, "main_menu")
    app.add_template_global(safety_banners, "safety_banners")
    app.add_template_global(personal_menu_grouped, "personal_menu_grouped")
    app.add_template_global(concern_url_base, "concern_url_base")
    app.add_template_global(child_chronology, "child_chronology")
    app.add_template_global(action_target_label, "action_target_label")
    app.add_template_global(entry_line, "entry_line")
    # When a page was made: a printed page says when it was printed.
    app.add_template_global(utcnow, "now_utc")
    app.context_processor(_page_values)
