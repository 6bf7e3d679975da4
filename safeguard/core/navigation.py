"""The main menu, rendered once for each way it can look and then reused.

Every page a signed-in person opens carries the menu: eight links with their addresses, the checks of what the
person may do and the count of unread alerts. Rendered on every page it was half of the page layout's time (0.13 of
0.22 ms), more than a page such as the queue spends on anything but its rows. What it shows depends only on the page
(the link marked as current), the person's capabilities and their unread alerts, so it is kept by those.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup

from safeguard.core import permissions
from safeguard.notifications.services import unread_alert_count

# Menus kept per app: a few pages times a few sets of roles times the unread counts seen; cleared when full.
MAX_KEPT = 2048


def main_menu() -> Markup:
    """The menu's items for the signed-in person on this page."""
    menus: dict[tuple, Markup] = current_app.extensions.setdefault("safeguard.menus", {})
    key = (request.script_root, request.endpoint, permissions.capabilities(current_user), unread_alert_count())
    menu = menus.get(key)
    if menu is None:
        if len(menus) >= MAX_KEPT:
            menus.clear()
        menu = menus[key] = Markup(render_template("_nav_items.html"))  # noqa: S704 (a rendered template)
    return menu
