"""The main menu: kept once rendered, it must still mark the current page, follow the person's roles and count
their unread alerts as they are now."""

from __future__ import annotations

import re

from tests import factories


def _menu(client, path: str) -> str:
    """The whole navigation bar: the main menu and the person's own menu under their name."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<nav class="navbar.*?</nav>', page, re.S).group(0)


def _current(menu: str) -> list[str]:
    return re.findall(r'aria-current="page" href="[^"]*">([^<]+)<', menu)


def test_the_menu_marks_the_page_and_counts_unread_alerts_as_they_are_now(client, school, sign_in, db):
    pupil = factories.pupil(school.school, "Amira", "Khan")
    sign_in(school.dsl)
    assert _current(_menu(client, "/concerns/")) == ["Concerns"]
    assert _current(_menu(client, "/concerns/mine")) == ["My concerns"]
    assert "unread" not in _menu(client, "/concerns/")
    # A concern logged since: the same page's menu now shows the alert, then two.
    factories.concern(school.staff, [pupil])
    assert re.search(r">1<span class=\"visually-hidden\"> unread", _menu(client, "/concerns/"))
    factories.concern(school.staff, [pupil])
    assert re.search(r">2<span class=\"visually-hidden\"> unread", _menu(client, "/concerns/"))


def test_the_menu_follows_each_persons_roles(client, school, sign_in):
    sign_in(school.staff)
    staff_menu = _menu(client, "/concerns/mine")
    assert "Log a concern" in staff_menu and ">Concerns<" not in staff_menu and ">Pupils<" not in staff_menu
    client.post("/auth/sign-out", data={"csrf_token": factories.csrf_token(client, "/")})
    sign_in(school.dsl)
    dsl_menu = _menu(client, "/concerns/mine")
    assert ">Concerns<" in dsl_menu and ">Pupils<" in dsl_menu and ">Accounts<" not in dsl_menu


def test_long_menus_group_the_persons_own_pages_and_the_schools(client, school, sign_in):
    sign_in(school.admin)
    admin_menu = _menu(client, "/admin/users")
    # Accounts, settings, pupils' import and the safety check under "School"; the person's own pages under their name.
    school_menu = re.search(r'>School</button>\s*<ul class="dropdown-menu">(.*?)</ul>', admin_menu, re.S).group(1)
    assert re.findall(r">([^<>]+)</a>", school_menu) == [
        "Accounts",
        "School settings",
        "Import pupils",
        "Safety check",
        "School calendar",
        "Account approvals",
        "API tokens",
    ]
    assert _current(school_menu) == ["Accounts"]
    personal = re.search(r"Administrator OAK · OAK</button>\s*<ul[^>]*>(.*?)</ul>", admin_menu, re.S).group(1)
    assert re.findall(r">([^<>]+)</a>", personal) == ["My concerns", "Check my wording", "Sign-in security"]


def test_the_trust_dashboard_counts_the_trust_leads_unread_alerts_with_its_numbers(
    client, school, sign_in, db, count_statements
):
    from safeguard.core.sqltypes import utcnow
    from safeguard.notifications import services as alerts
    from safeguard.trusts import store as trust_store

    trust_store.set_trust(school.school.id, trust_store.add_trust("Riverside Learning Trust", utcnow()))
    db.session.commit()
    sign_in(school.trust_lead)
    assert "unread" not in _menu(client, "/trust/")
    for n in (1, 2):
        alerts.alert_linked(
            [school.trust_lead],
            school_id=school.school.id,
            path="/trust/school-access",
            message="A school answered your request for access.",
            subject="Your request for access",
            lines="A school answered your request for access.",
        )
        db.session.commit()
        with count_statements() as statements:
            menu = _menu(client, "/trust/")
        assert re.search(rf">{n}<span class=\"visually-hidden\"> unread", menu)
        # The signed-in person, then the trust and every school's numbers with the unread alerts: nothing read apart.
        assert len(statements) == 2, statements
