"""A child's file sent with restricted and sealed concerns: they travel with their level, and the receiving school
holds them for its lead DSL (the sending school's lists name its own people, not the receiver's)."""

from __future__ import annotations

from safeguard.access import services as access
from safeguard.access.models import AccessLevel
from safeguard.audit.models import AuditEvent
from safeguard.auth import services as auth_services
from safeguard.auth.models import Role
from safeguard.core.extensions import db
from safeguard.transfers import services
from safeguard.transfers.models import SentTransfer
from tests import factories

RESTRICTED_WORDS = "the neighbour's garage"
SEALED_WORDS = "the police interview on Tuesday"


def _held(concern, lead, level, people):
    access.set_concern_access(concern, lead, access.AccessChange(level, frozenset(people), "Held tightly."))


def _sent_file(school, other_school):
    """Oakfield's lead DSL sends Amira's file (one standard, one restricted, one sealed concern) to Elmwood."""
    amira = factories.pupil(school.school, "Amira", "Haddad", upn="H801200001001")
    standard = factories.concern(school.staff, [amira], account="Amira said she had not eaten since yesterday.")
    restricted = factories.concern(school.staff, [amira], account=f"Amira described {RESTRICTED_WORDS}.")
    sealed = factories.concern(school.staff, [amira], account=f"Amira's mother mentioned {SEALED_WORDS}.")
    auth_services.set_lead_dsl(school.school, school.dsl.id, actor=None)
    _held(restricted, school.dsl, AccessLevel.RESTRICTED, {school.head.id})
    _held(sealed, school.dsl, AccessLevel.SEALED, set())
    db.session.commit()
    elm_key = services.public_key(other_school.school.id).key
    built = services.build_package(amira, school.dsl, "Elmwood Academy", elm_key)
    db.session.commit()
    return built, (standard, restricted, sealed)


def test_the_lead_dsls_package_carries_every_concern_with_its_level(school, other_school):
    built, (standard, restricted, sealed) = _sent_file(school, other_school)
    levels = {c["reference"]: c.get("access_level") for c in built.record["concerns"]}
    assert levels == {standard.reference: None, restricted.reference: "restricted", sealed.reference: "sealed"}
    services.check_record(built.record)  # the published schema allows it
    # The sending school's list of transfers, which its whole DSL team reads, counts the standard concern only.
    assert built.concerns == 1
    # The deputy's package holds the standard concern only (the rest goes to its people: tests/access).
    deputy = factories.user(school.school, Role.DSL, email="deputy@oak.example", name="Tom Hughes")
    amira = standard.pupil_links[0].pupil
    by_deputy = services.build_package(
        amira, deputy, "Elmwood Academy", services.public_key(other_school.school.id).key
    )
    assert [c["reference"] for c in by_deputy.record["concerns"]] == [standard.reference]


def test_the_receiving_school_holds_them_for_its_lead_dsl(school, other_school, browser_of):
    built, (standard, restricted, sealed) = _sent_file(school, other_school)
    services.add_partner(other_school.school.id, None, "Oakfield", "", services.public_key(school.school.id).key)
    services.receive_package(built.data)
    db.session.commit()
    deputy = factories.user(other_school.school, Role.DSL, email="deputy@elm.example", name="Priya Shah")
    auth_services.set_lead_dsl(other_school.school, other_school.dsl.id, actor=None)
    db.session.commit()
    received = db.session.scalars(db.select(services.ReceivedTransfer)).one()
    page = f"/transfers/received/{received.id}"
    readers = {"lead": browser_of(other_school.dsl)}
    others = {"deputy": browser_of(deputy)}

    def check(step: str) -> None:
        for name, browser in readers.items():
            shown = browser.get(page).get_data(as_text=True)
            for concern in (standard, restricted, sealed):
                assert concern.reference in shown, (step, name, concern.reference)
            assert RESTRICTED_WORDS.replace("'", "&#39;") in shown and SEALED_WORDS in shown, (step, name)
            assert "Sealed by the sending school" in shown and "Restricted by the sending school" in shown
        for name, browser in others.items():
            answer = browser.get(page)
            shown = answer.get_data(as_text=True)
            assert answer.status_code == 200 and standard.reference in shown, (step, name)
            assert restricted.reference not in shown and sealed.reference not in shown, (step, name)
            assert "garage" not in shown and "police interview" not in shown, (step, name)
            # Told that one restricted concern exists; of the sealed one, nothing: two concerns, not three.
            assert "1 concern is restricted by Oakfield" in shown, (step, name)
            assert '<dd class="col-sm-9">2</dd>' in shown, (step, name)

    # The PDF the sending school put in the package: the lead DSL downloads it as it was sent (audited); for the rest
    # of the team the answer is the same whatever the file holds.
    pdf = readers["lead"].get(f"{page}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data == built.pdf
    assert others["deputy"].get(f"{page}/pdf").status_code == 403
    assert "can be downloaded by the lead DSL" in others["deputy"].get(page).get_data(as_text=True)
    downloaded = db.select(db.func.count()).where(AuditEvent.kind == "transfer.pdf_downloaded")
    assert db.session.scalar(downloaded) == 1

    check("before import")
    token = factories.csrf_token(others["deputy"], page)
    assert others["deputy"].post(page, data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    check("after import")
    # The lists the whole DSL team reads count what they may be told of: the child's page and the inbox say two.
    pupil_id = db.session.get(services.ReceivedTransfer, received.id).pupil_id
    child_page = others["deputy"].get(f"/pupils/{pupil_id}").get_data(as_text=True)
    assert "2 concerns with their chronology" in child_page and sealed.reference not in child_page
    assert "2 concerns" in others["deputy"].get("/transfers/").get_data(as_text=True)
    # While the school names no lead DSL, every DSL reads them: a received record never becomes unreadable.
    auth_services.set_lead_dsl(other_school.school, None, actor=None)
    db.session.commit()
    shown = others["deputy"].get(page).get_data(as_text=True)
    assert restricted.reference in shown and sealed.reference in shown


def test_a_file_of_standard_concerns_reads_as_before(school, other_school):
    amira = factories.pupil(school.school, "Amira", "Haddad", upn="H801200001001")
    factories.concern(school.staff, [amira])
    db.session.commit()
    built = services.build_package(
        amira, school.dsl, "Elmwood Academy", services.public_key(other_school.school.id).key
    )
    assert all("access_level" not in concern for concern in built.record["concerns"])
    assert db.session.scalar(db.select(db.func.count()).select_from(SentTransfer)) == 0  # built, not yet sent
