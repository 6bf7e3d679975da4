"""Browser journeys of the end of a record's life: a lead DSL reviews a file that came due and holds it, proposes the
disposal of another that the head approves (the audit chain still verifies); a subject access request is logged, its
clock stopped and restarted, the file redacted by selecting words, and released as a PDF with no redacted text."""

from __future__ import annotations

import io
from datetime import date, timedelta

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from safeguard.audit.services import verify_chains
from safeguard.concerns import services as concern_services
from safeguard.concerns.models import Concern, Part
from safeguard.core.sqltypes import utcnow
from safeguard.retention import services as retention
from safeguard.retention.store import DESTROYED
from tests import factories
from tests.browser.conftest import check_accessibility, sign_in


def _former_pupil_with_a_file(school, db, first, last, upn, account):
    today = date.today()
    pupil = factories.pupil(school.school, first, last, upn=upn, born=f"{today.year - 26}-02-01")
    when = utcnow() - timedelta(days=365 * 15)
    concern_services.log_concern(
        school.staff,
        concern_services.NewConcern(
            pupils=[concern_services.PupilRole(pupil.id, Part.SUBJECT)],
            observed_at=when - timedelta(hours=1),
            location="Playground",
            category_ids=["abuse-physical"],
            account=account,
        ),
        now=when,
    )
    db.session.commit()
    return pupil


def test_lead_dsl_holds_one_file_and_disposes_of_another_with_the_heads_approval(new_page, school, db):
    _former_pupil_with_a_file(school, db, "Nadia", "Holt", "H100000000001", "Nadia said her stepfather hit her.")
    _former_pupil_with_a_file(school, db, "Victor", "Grey", "G100000000002", 'Victor said "Marlowe locks me out".')
    retention.open_due_reviews(school.school, utcnow())
    db.session.commit()

    dsl = new_page()
    sign_in(dsl, school.dsl, factories.PASSWORD)
    dsl.goto("/retention/")
    check_accessibility(dsl)
    with dsl.expect_navigation():
        dsl.get_by_role("link", name="Nadia Holt").click()
    check_accessibility(dsl)
    dsl.get_by_label("What the hold is for").select_option("inquiry")
    dsl.get_by_label("Their reference (if any)").fill("IICSA-2026-17")
    dsl.get_by_label("Why the file must be held").fill("The inquiry has asked the school to keep these records.")
    dsl.get_by_role("button", name="Place the hold").click()
    expect(dsl.get_by_text("Legal hold placed")).to_be_visible()
    expect(dsl.get_by_text("Under legal hold")).to_be_visible()
    expect(dsl.get_by_role("button", name="Propose disposal")).to_have_count(0)
    check_accessibility(dsl)

    dsl.goto("/retention/")
    dsl.get_by_role("link", name="Victor Grey").click()
    dsl.get_by_role("button", name="Propose disposal").click()  # no reason
    expect(dsl.get_by_text("Give the reason").first).to_be_visible()
    check_accessibility(dsl)
    dsl.get_by_label("Reason").fill("Retention period over; no inquiry or claim relates to it.")
    dsl.get_by_role("button", name="Propose disposal").click()
    expect(dsl.get_by_text("awaits approval").first).to_be_visible()
    expect(dsl.get_by_role("button", name="Approve the disposal", exact=False)).to_have_count(0)

    head = new_page()
    sign_in(head, school.head, factories.PASSWORD)
    head.goto("/retention/")
    check_accessibility(head)
    head.get_by_role("button", name="Approve the disposal", exact=False).click()
    expect(head.get_by_text("File disposed of")).to_be_visible()
    expect(head.get_by_role("cell", name="A child's safeguarding file: 1 concern(s)", exact=False)).to_be_visible()
    check_accessibility(head)

    db.session.expire_all()
    accounts = list(db.session.scalars(select(Concern.account).order_by(Concern.id)))
    assert accounts == ["Nadia said her stepfather hit her.", DESTROYED]
    checked, broken = verify_chains()
    assert checked and broken == []


def _pdf_text(path) -> str:
    with open(path, "rb") as file:
        pages = PdfReader(io.BytesIO(file.read())).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _select(page, passage_key: str, words: str) -> None:
    """Select ``words`` in a passage, as a person dragging over them would."""
    page.evaluate(
        """([key, words]) => {
            const passage = document.querySelector(`[data-passage="${key}"]`);
            for (const run of passage.querySelectorAll("[data-offset]")) {
                const node = run.firstChild;
                const at = node ? node.textContent.indexOf(words) : -1;
                if (at >= 0) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, at + words.length);
                    const selection = window.getSelection();
                    selection.removeAllRanges();
                    selection.addRange(range);
                    return;
                }
            }
            throw new Error("words not found");
        }""",
        [passage_key, words],
    )


def test_a_subject_access_request_is_logged_redacted_and_released(page, school, db, tmp_path):
    amira = factories.pupil(school.school, "Amira", "Haddad", upn="A200000000001")
    oliver = factories.pupil(school.school, "Oliver", "Bennett")
    concern = factories.concern(
        school.staff,
        [amira, (oliver, "witness")],
        account='Amira said "my uncle Desmond hurts me". Oliver Bennett was there.',
    )
    sign_in(page, school.dsl, factories.PASSWORD)
    page.goto("/sar/")
    check_accessibility(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Log a request").click()
    check_accessibility(page)
    page.get_by_label("The child's UPN").fill("A200000000001")
    page.get_by_label("Who is asking").fill("Mrs Haddad")
    page.get_by_label("Their relationship to the child").select_option("parent")
    page.get_by_label("Received on").fill((date.today() - timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Log the request").click()
    expect(page.get_by_text("logged.", exact=False)).to_be_visible()
    check_accessibility(page)

    page.get_by_label("Why the clock stops").select_option("identity")
    page.get_by_role("button", name="Stop the clock").click()
    expect(page.locator("#clock-state")).to_contain_text("Stopped since")
    page.get_by_role("button", name="Restart the clock").click()
    expect(page.locator("#clock-state")).to_contain_text("Running")
    expect(page.get_by_text("Clock restarted after 0 day(s)", exact=False)).to_be_visible()

    with page.expect_navigation():
        page.get_by_role("link", name="Assemble and redact the file").click()
    check_accessibility(page)
    expect(page.get_by_text("Child B was there.", exact=False)).to_be_visible()
    key = f"c{concern.id}-account"
    _select(page, key, "uncle Desmond hurts me")
    expect(page.locator(f"#{key}-words")).to_have_value("uncle Desmond hurts me")
    page.locator(f"#{key}-reason").select_option("another-adult")
    page.locator(f"#passage-{key}").get_by_role("button", name="Redact").click()
    expect(page.get_by_text("1 redaction made")).to_be_visible()
    expect(page.locator(f"#passage-{key} mark.redacted")).to_have_text("uncle Desmond hurts me")
    check_accessibility(page)

    page.get_by_role("link", name="Subject access request", exact=False).first.click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Release as a PDF").click()
    saved = tmp_path / "release.pdf"
    info.value.save_as(saved)
    words = _pdf_text(saved)
    assert "Prepared in response to a subject access request received on" in words
    assert "Redacted: another adult" in words and "Child B was there" in words
    for hidden in ("Desmond", "hurts me", "Oliver", "Bennett"):
        assert hidden not in words
