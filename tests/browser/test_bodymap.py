"""The body map in a real browser, on a phone and on a desktop: marks placed by touch, by click and by keyboard only,
the concern logged, a mark added later, and the child's combined map showing them all; axe-core on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import check_accessibility, sign_in

# The outlines' SVG viewBox has a margin of 3 units around the outline (templates/bodymap/_outlines.html).
MARGIN = 3


def _put(page, svg, x: float, y: float, touch: bool) -> None:
    """Tap (a touch screen) or click (a mouse) an outline at a place given as fractions of the outline's size."""
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    width, height = float(svg.get_attribute("data-width")), float(svg.get_attribute("data-height"))
    px = box["x"] + (MARGIN + x * width) / (width + 2 * MARGIN) * box["width"]
    py = box["y"] + (MARGIN + y * height) / (height + 2 * MARGIN) * box["height"]
    if touch:
        page.touchscreen.tap(px, py)
    else:
        page.mouse.click(px, py)


def _row(page, index: int, prefix: str = "marks"):
    return lambda name: page.locator(f"[name='{prefix}-{index}-{name}']")


@pytest.mark.parametrize("viewport", ["phone", "desktop"], indirect=True)
def test_marks_by_pointer_and_by_keyboard_an_addendum_and_the_combined_map(new_page, school, viewport):
    touch = viewport["width"] < 600
    amira = factories.pupil(school.school, "Amira", "Haddad")
    page = new_page(has_touch=touch)
    sign_in(page, school.staff, factories.PASSWORD)
    page.goto(f"/concerns/new?pupil={amira.id}")
    page.get_by_role("radio", name="No", exact=True).check()
    page.get_by_role("radio", name="Just now").check()
    page.get_by_label("Physical abuse").first.check()
    page.get_by_label("What happened?").fill('At registration Amira had a bruise on her arm. She said "I fell".')
    page.get_by_text("Record a mark you saw on a child").click()
    expect(page.get_by_text("Never photograph a child's injuries")).to_be_visible()
    check_accessibility(page)

    # Mark 1, by touch on a phone or by click on a desktop: the child's left forearm, on the viewer's right.
    front = page.locator("#body-map svg[data-view=front]")
    _put(page, front, 0.78, 0.455, touch)
    status = page.locator("#body-map [data-body-map-status]")
    expect(status).to_contain_text("Mark 1 placed: Left forearm")
    first = _row(page, 0)
    expect(first("region")).to_have_value("forearm")
    expect(first("side")).to_have_value("left")
    expect(first("kind")).to_be_focused()
    expect(front.locator("[data-pending='1']")).to_have_count(1)
    first("kind").select_option("bruise")
    first("length_cm").fill("3")
    first("colour").fill("Purple")
    first("child_words").fill("I fell off my bike")

    # Mark 2, by keyboard only: a new row, the region and the kind chosen from the lists by typing.
    page.get_by_role("button", name="Add another mark").focus()
    page.keyboard.press("Enter")
    second = _row(page, 1)
    expect(second("region")).to_be_focused()
    page.keyboard.type("Chest")
    page.keyboard.press("Tab")  # the side: the chest has none
    page.keyboard.press("Tab")
    expect(second("kind")).to_be_focused()
    page.keyboard.type("Scratch")
    page.keyboard.press("Tab")
    page.keyboard.type("4")
    expect(second("region")).to_have_value("chest")
    expect(second("kind")).to_have_value("scratch")
    expect(second("length_cm")).to_have_value("4")
    expect(front.locator("[data-pending='2']")).to_have_count(1)  # drawn where the list put it
    check_accessibility(page)
    page.get_by_role("button", name="Send to the DSL team").click()
    expect(page.get_by_role("heading", name="Your concern has been sent to the DSL team")).to_be_visible()
    expect(page.locator("#saved-marks")).to_contain_text("The body map holds 2 marks: Left forearm, Chest.")
    check_accessibility(page)
    concern_id = re.search(r"/concerns/(\d+)/logged", page.url).group(1)

    # The reporter adds a mark later, from the concern page: a new entry, nothing edited.
    page.goto(f"/concerns/{concern_id}")
    body_map = page.locator("section#body-map")
    expect(body_map.locator("table")).to_contain_text("Left forearm")
    expect(body_map.locator("table")).to_contain_text("Chest")
    check_accessibility(page)
    page.get_by_text("Add marks to the body map").click()
    back = page.locator("#add-marks svg[data-view=back]")
    _put(page, back, 0.665, 0.225, touch)  # the back of the child's right shoulder, on the viewer's right
    expect(page.locator("#add-marks [data-body-map-status]")).to_contain_text("Mark 3 placed: Right shoulder")
    third = _row(page, 0, "marks-marks")
    third("kind").select_option("swelling")
    third("length_cm").fill("5")
    check_accessibility(page)
    page.get_by_role("button", name="Add to the body map").click()
    expect(page.get_by_text("The marks have been added to the body map")).to_be_visible()
    expect(body_map.locator("table")).to_contain_text("Right shoulder")
    check_accessibility(page)

    # The DSL's view of the child: every mark, each linking to its concern.
    dsl_page = new_page(has_touch=touch)
    sign_in(dsl_page, school.dsl, factories.PASSWORD)
    dsl_page.goto(f"/pupils/{amira.id}")
    combined = dsl_page.locator("section#body-map")
    expect(combined).to_contain_text("3 marks seen in the last 12 months")
    for where in ("Left forearm", "Chest", "Right shoulder"):
        expect(combined.locator("table")).to_contain_text(where)
    check_accessibility(dsl_page)
    combined.locator("svg[data-view=back] a").first.click()
    expect(dsl_page).to_have_url(re.compile(rf"/concerns/{concern_id}#mark-\d+$"))
    check_accessibility(dsl_page)
