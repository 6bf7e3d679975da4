"""Browser journeys of the concern workflow, in real Chromium, each page checked with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from safeguard.core.extensions import db
from tests import factories
from tests.browser.conftest import check_accessibility, open_main_menu, sign_in


@pytest.fixture
def pupils(school):
    return [
        factories.pupil(school.school, "Amira", "Haddad", child_in_need=True),
        factories.pupil(school.school, "Oliver", "Bennett"),
    ]


def _add_pupil(page, text: str, part: str | None = None):
    page.get_by_label("Find a pupil").fill(text)
    page.locator("#pupil-suggestions").get_by_role("option").first.click()
    if part:
        page.locator("#pupil-rows select").last.select_option(label=part)


def _choose_category(page, category_id: str):
    box = page.locator(f"#category-{category_id}")
    if not box.is_visible():  # not one of the school's common categories: in the list below them
        page.locator("[data-category-more] > summary").click()
    box.check()


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_urgent_concern_from_teacher_to_closure(new_page, school, pupils, db):
    teacher = new_page()
    sign_in(teacher, school.staff, factories.PASSWORD)
    open_main_menu(teacher)
    with teacher.expect_navigation():
        teacher.get_by_role("navigation").get_by_role("link", name="Log a concern").click()
    check_accessibility(teacher)
    teacher.get_by_role("radio", name="Yes").check()
    expect(teacher.locator("#danger-advice")).to_contain_text("call the police on 999")
    teacher.get_by_role("radio", name="Just now").check()
    _add_pupil(teacher, "Hadd")
    _add_pupil(teacher, "Benn", "A child who may have caused harm")
    teacher.get_by_label("Where?").fill("Year 6 cloakroom")
    _choose_category(teacher, "abuse-physical")
    teacher.get_by_label("What happened?").fill(
        'Amira said "Oliver pushed me against the pegs and said he would do it again". She was shaking.'
    )
    teacher.get_by_label("What have you done already?").fill("Stayed with her and sent a colleague for the DSL.")
    check_accessibility(teacher)
    teacher.get_by_role("button", name="Send to the DSL team").click()
    expect(teacher.get_by_role("heading", name="Your concern has been sent to the DSL team")).to_be_visible()
    expect(teacher.get_by_role("alert")).to_contain_text("This concern is marked urgent.")
    expect(teacher.locator("#who-was-told")).to_contain_text("The DSL team: 1 person, by e-mail and in the app.")
    reference = teacher.locator("strong.font-monospace").inner_text()
    check_accessibility(teacher)

    dsl = new_page({"width": 1280, "height": 900})
    sign_in(dsl, school.dsl, factories.PASSWORD)
    dsl.goto("/concerns/")
    first_row = dsl.locator("table.queue-table tbody tr").first
    expect(first_row).to_contain_text(reference)
    expect(first_row).to_contain_text("Urgent")
    check_accessibility(dsl)
    first_row.get_by_role("link", name=reference).click()
    expect(dsl.get_by_role("heading", name=f"Concern {reference}")).to_be_visible()
    expect(dsl.get_by_text("A child who may have caused harm")).to_be_visible()
    check_accessibility(dsl)
    dsl.get_by_role("button", name="Acknowledge").click()
    expect(dsl.get_by_text("Acknowledged. The reporter can now see")).to_be_visible()

    dsl.locator("summary", has_text="Record an action or referral").click()
    dsl.get_by_label("What was done").select_option(label="Referral")
    dsl.get_by_label("Referral to").select_option(label="Children's social care")
    dsl.get_by_label("Their reference").fill("CSC-2026-004512")
    dsl.get_by_role("button", name="Record", exact=True).click()
    expect(dsl.locator(".chronology")).to_contain_text("reference CSC-2026-004512")

    dsl.locator("summary", has_text="Change status").click()
    dsl.get_by_label("New status").select_option(label="Closed")
    dsl.get_by_label("Outcome (when closing)").fill("Accepted by children's social care for assessment")
    dsl.get_by_label("Rationale for closing or reopening").fill(
        "Children's social care is leading; school to support Amira with daily check-ins."
    )
    dsl.get_by_role("button", name="Change status").click()
    expect(dsl.locator(".badge", has_text="Closed")).to_be_visible()
    check_accessibility(dsl)

    open_main_menu(teacher)
    teacher.get_by_role("navigation").get_by_role("link", name="My concerns").click()
    # The teacher is told it is closed, and nothing of what the DSL team did or decided.
    expect(teacher.get_by_text("Closed by the DSL team")).to_be_visible()
    teacher.get_by_role("link", name=reference).click()
    expect(teacher.get_by_text("The DSL team has finished dealing with it")).to_be_visible()
    content = teacher.locator("main").inner_text()
    for hidden in ("CSC-2026-004512", "Referral", "Accepted by", "Child in need", "daily check-ins", "Acknowledged"):
        assert hidden not in content
    check_accessibility(teacher)


def test_images_refused_for_sharing_nudes(page, school, pupils, tmp_path):
    sign_in(page, school.staff, factories.PASSWORD)
    page.goto("/concerns/new")
    page.get_by_role("radio", name="No", exact=True).check()
    page.get_by_role("radio", name="Just now").check()
    _add_pupil(page, "Hadd")
    _choose_category(page, "online-sharing-nudes")
    guidance = page.locator('[data-guidance-for="category-online-sharing-nudes"] .alert')
    expect(guidance).to_be_visible()  # choosing the category opens its handling guidance
    expect(guidance).to_contain_text("Do not view, copy, print")
    page.get_by_label("What happened?").fill("Amira told me a picture of her is being passed around a group chat.")
    image = tmp_path / "screenshot.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    page.get_by_label("Attach documents (optional)").set_input_files(str(image))
    page.get_by_role("button", name="Send to the DSL team").click()
    expect(page.locator(".error-summary")).to_contain_text("imagery of a child is never uploaded")
    expect(page.get_by_label("What happened?")).to_have_value(re.compile("passed around a group chat"))
    check_accessibility(page)


def test_illegal_transition_is_explained(page, school, pupils):
    concern = factories.concern(school.staff, [pupils[0]])
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/concerns/{concern.id}")
    page.locator("summary", has_text="Change status").click()
    page.get_by_label("New status").select_option(label="Referred")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".error-summary")).to_contain_text("A concern that is new cannot be moved to referred")
    check_accessibility(page)


def test_two_dsls_at_once(new_page, school, pupils):
    concern = factories.concern(school.staff, [pupils[0]])
    deputy = factories.user(school.school, "dsl", email="deputy@oak.example", name="Sam Deputy")
    db.session.commit()
    first, second = new_page(), new_page()
    sign_in(first, school.dsl, factories.PASSWORD)
    sign_in(second, deputy, factories.PASSWORD)
    first.goto(f"/concerns/{concern.id}")
    second.goto(f"/concerns/{concern.id}")
    first.locator("summary", has_text="Add a note").click()
    first.get_by_label("Note").fill("Phoned mum: she will come in at 3pm.")
    first.get_by_role("button", name="Add note").click()
    expect(first.locator(".chronology")).to_contain_text("Note by")

    second.locator("summary", has_text="Add a note").click()
    second.get_by_label("Note").fill("Class teacher reports Amira was quiet all morning.")
    second.get_by_role("button", name="Add note").click()
    warning = second.locator("#stale-warning")
    expect(warning).to_contain_text("This concern was changed after you opened it")
    expect(warning).to_contain_text("Note by")
    expect(second.get_by_label("Note")).to_have_value("Class teacher reports Amira was quiet all morning.")
    check_accessibility(second)
    second.get_by_role("button", name="Add note").click()
    expect(second.locator(".chronology")).to_contain_text("quiet all morning")
    expect(second.locator(".chronology")).to_contain_text("she will come in at 3pm")


@pytest.mark.parametrize("javascript", [True, False], ids=["fetched-when-opened", "without-javascript"])
def test_action_panels_open_with_and_without_javascript(new_page, school, pupils, javascript):
    """The concern page draws no action form until its panel is opened: with JavaScript the panel's form is fetched
    into the page; without it, the panel's link leads to the same form on a page of its own. Both record the note."""
    concern = factories.concern(school.staff, [pupils[0]])
    page = new_page(java_script_enabled=javascript)
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto(f"/concerns/{concern.id}")
    expect(page.get_by_label("Note", exact=True)).to_have_count(0)
    page.locator("summary", has_text="Add a note").click()
    if not javascript:
        page.locator("#note").get_by_role("link", name="Open the form").click()
        expect(page.get_by_role("heading", name="Add a note")).to_be_visible()
    page.get_by_label("Note", exact=True).fill("Phoned the family support worker: visit booked for Thursday.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".chronology")).to_contain_text("visit booked for Thursday")
    if javascript:  # axe-core runs in the page's JavaScript: the pages are the same without it
        check_accessibility(page)
        page.goto(f"/concerns/{concern.id}/act/status")  # the panel's page of its own, as reached without it
        expect(page.get_by_role("heading", name="Change status")).to_be_visible()
        check_accessibility(page)
