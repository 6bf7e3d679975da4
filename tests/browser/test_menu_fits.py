"""The menu fits: at 1280 px every role's main menu sits on one line; on a phone it is one tidy menu behind the
toggle, its groups opening in place."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from safeguard.auth.models import Role
from safeguard.core.extensions import db
from tests import factories
from tests.browser.conftest import check_accessibility, open_main_menu, open_menu_group, sign_in

# Every line of text in the bar (the brand, each menu item, the person's menu, "Sign out"), by where it sits: one
# line means one height for all of them. Measured on the text itself, since an item too narrow for its words wraps
# them inside itself (what made the DSL's bar 104 px high, on three lines).
MEASURE = """() => {
  const bar = document.querySelector('nav.navbar');
  const items = [bar.querySelector('.navbar-brand'), ...bar.querySelectorAll('#main-nav > ul > li'),
                 ...bar.querySelectorAll('#main-nav > div > *')].filter(e => e.offsetParent !== null);
  const middles = [];
  for (const item of items) {
    const range = document.createRange();
    range.selectNodeContents(item);
    for (const rect of range.getClientRects()) if (rect.height > 4 && rect.width > 4) middles.push(rect.top + rect.height / 2);
  }
  middles.sort((a, b) => a - b);
  // Texts of different sizes (the brand, a small button) sit a pixel or two apart on one line; wrapped items put
  // their lines 12 px or more apart.
  const lines = middles.filter((m, i) => i === 0 || m - middles[i - 1] > 6).length;
  return {height: Math.round(bar.getBoundingClientRect().height), lines: lines, items: items.length};
}"""


@pytest.fixture
def admin_and_dsl(school):
    """A DSL who also administers the school: the longest menu there is."""
    person = factories.user(school.school, "dsl", email="both@oak.example", name="Priya Shah-Whitfield")
    person.roles = {Role.DSL, Role.ADMIN}
    db.session.commit()
    return person


@pytest.mark.parametrize("role", ["staff", "dsl", "head", "admin", "admin,dsl"])
def test_each_roles_menu_fits_one_line_on_a_laptop(page, school, admin_and_dsl, role):
    person = admin_and_dsl if role == "admin,dsl" else school.user(role)
    sign_in(page, person, factories.PASSWORD)
    measured = page.evaluate(MEASURE)
    print(f"\n{role}: menu bar {measured['height']} px high, {measured['lines']} line(s), {measured['items']} items")
    assert measured["lines"] == 1, measured
    expect(page.get_by_role("button", name="Show or hide the menu")).to_be_hidden()


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_on_a_phone_the_menu_is_one_tidy_list_with_its_groups_opening_in_place(page, school, admin_and_dsl):
    sign_in(page, admin_and_dsl, factories.PASSWORD)
    open_main_menu(page)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Concerns", exact=True)).to_be_visible()
    open_menu_group(page, "School")
    expect(nav.get_by_role("link", name="Safety check")).to_be_visible()
    check_accessibility(page)
    open_menu_group(page, "Priya Shah-Whitfield · OAK")
    nav.get_by_role("link", name="Sign-in security").click()
    expect(page.get_by_role("heading", name="Sign-in security")).to_be_visible()
    check_accessibility(page)


def test_the_groups_open_by_keyboard(page, school):
    sign_in(page, school.admin, factories.PASSWORD)
    school_menu = page.get_by_role("button", name="School", exact=True)
    school_menu.focus()
    page.keyboard.press("Enter")
    expect(school_menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("link", name="Accounts", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Accounts at Oakfield Primary School")).to_be_visible()
    check_accessibility(page)
