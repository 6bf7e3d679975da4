"""School A sends a child's file to school B, each on its own Safeguard: B imports it and its chronology matches A's;
A shows the receipt. A tampered package, one for another school, a replayed one and an expired link are refused
with a clear message and change nothing."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest

from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.exports import services as exports
from safeguard.transfers import crypto, services, store
from safeguard.transfers.models import ReceivedTransfer, SentTransfer, TransferredConcern, TransferredEntry
from tests import factories


def _post(url: str, data: bytes) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (a test server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def exchanged(instances):
    """A and B have each registered the other, with the other's address and key."""
    a, b = instances
    a_key = services.public_key(a.staff.school.id).key
    with b.app.app_context():
        b_school_id = db.session.scalar(db.text("SELECT id FROM schools WHERE code = 'ELM'"))
        b_key = services.public_key(b_school_id).key
        services.add_partner(b_school_id, None, "Oakfield Primary School", a.url, a_key)
        db.session.commit()
    partner = store.partners(a.staff.school.id)
    assert partner == []
    services.add_partner(a.staff.school.id, None, "Elmwood Academy", b.url, b_key)
    db.session.commit()
    return a, b, b_key


@pytest.fixture
def amira(school):
    child = factories.pupil(school.school, "Amira", "Haddad", upn="H801200001001", born="2014-05-02")
    oliver = factories.pupil(school.school, "Oliver", "Bennett")
    first = factories.concern(school.staff, [child, oliver])
    factories.concern(school.staff, [child], account="Amira said she had not eaten since yesterday morning.")
    from safeguard.concerns import services as concern_services

    concern_services.acknowledge(first, school.dsl, None)
    db.session.commit()
    return child


def test_a_file_sent_from_one_safeguard_is_imported_by_the_other_and_its_receipt_shown(exchanged, amira, school):
    a, b, _ = exchanged
    client_a = a.app.test_client()
    factories.sign_in(client_a, school.dsl)
    partner = store.partners(school.school.id)[0]
    token = factories.csrf_token(client_a, f"/transfers/send/{amira.id}")
    response = client_a.post(
        f"/transfers/send/{amira.id}",
        data={"csrf_token": token, "way": "safeguard", "partner": str(partner.id), "days": "7"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client_a.get("/transfers/").get_data(as_text=True)
    assert "Elmwood Academy" in page and "Delivered" in page
    sent = db.session.scalars(db.select(SentTransfer)).one()
    assert json.loads(sent.receipt)["receipt"]["receiver"] == "Elmwood Academy"
    chronology_at_a = [
        (c.reference, [e.summary for e in c.events])
        for c in exports.child_file(amira, include_other_children=False).concerns
    ]

    client_b = b.app.test_client()
    with b.app.app_context():
        dsl_b = db.session.scalars(db.select(type(school.dsl)).where(db.text("email = 'dsl@elm.example'"))).one()
        factories.sign_in(client_b, dsl_b)
        received = db.session.scalars(db.select(ReceivedTransfer)).one()
        review = client_b.get(f"/transfers/received/{received.id}").get_data(as_text=True)
        assert "Amira" in review and "Oliver" not in review and "Child B" in review
        token = factories.csrf_token(client_b, f"/transfers/received/{received.id}")
        imported = client_b.post(
            f"/transfers/received/{received.id}", data={"csrf_token": token}, follow_redirects=True
        )
        text = imported.get_data(as_text=True)
        assert "The file has been imported" in text and "The sending school has been told." in text
        assert "Transferred" in text
        pupil_b = store.pupil_by_upn(received.school_id, "H801200001001")
        assert pupil_b is not None and pupil_b.legal_last_name == "Haddad"
        child_page = client_b.get(f"/pupils/{pupil_b.id}").get_data(as_text=True)
        assert "From Oakfield Primary School" in child_page and "2 concerns with their chronology" in child_page
        concerns_b = db.session.scalars(db.select(TransferredConcern).order_by(TransferredConcern.position)).all()
        chronology_at_b = [
            (
                c.reference,
                list(
                    db.session.scalars(
                        db.select(TransferredEntry.summary)
                        .where(TransferredEntry.concern_id == c.id)
                        .order_by(TransferredEntry.position)
                    )
                ),
            )
            for c in concerns_b
        ]
        # Never editable: the database refuses a change.
        with pytest.raises(Exception):  # noqa: B017 (either database's own error)
            db.session.execute(db.text("UPDATE transferred_entries SET summary = 'changed'"))
            db.session.flush()
        db.session.rollback()
    assert chronology_at_b == chronology_at_a
    db.session.expire_all()
    page = client_a.get("/transfers/").get_data(as_text=True)
    assert "Receipt confirmed" in page and "Elmwood Academy" in page
    assert db.session.get(type(amira), amira.id).transfer_confirmed_at is not None


def _b_counts(b) -> tuple[int, int]:
    with b.app.app_context():
        return _count(ReceivedTransfer), _count(TransferredConcern)


def test_tampered_misaddressed_and_replayed_packages_are_refused_and_change_nothing(exchanged, amira, school):
    a, b, b_key = exchanged
    built = services.build_package(amira, None, "Elmwood Academy", b_key, a.url)
    db.session.commit()
    outer = json.loads(built.data)
    sealed = bytearray(crypto.unb64(outer["sealed"], "x"))
    sealed[100] ^= 0x01
    tampered = json.dumps({**outer, "sealed": crypto.b64(bytes(sealed))}).encode()
    before = _b_counts(b)
    status, answer = _post(b.url + "/transfers/inbox", tampered)
    assert status == 400 and "altered" in json.loads(answer)["error"]
    assert _b_counts(b) == before

    stranger = crypto.public_key_of(crypto.new_seed())
    elsewhere = services.build_package(amira, None, "Another school", stranger, a.url)
    db.session.commit()
    status, answer = _post(b.url + "/transfers/inbox", elsewhere.data)
    assert status == 400 and "addressed to another school" in json.loads(answer)["error"]
    assert _b_counts(b) == before

    status, answer = _post(b.url + "/transfers/inbox", built.data)
    assert status == 200 and json.loads(answer)["receipt"]["package_id"] == built.package_id
    after_first = _b_counts(b)
    assert after_first == (before[0] + 1, before[1])
    status, answer = _post(b.url + "/transfers/inbox", built.data)
    assert status == 400 and "already been received" in json.loads(answer)["error"]
    assert _b_counts(b) == after_first


def test_a_package_from_a_school_not_registered_is_refused(instances, amira):
    a, b = instances
    with b.app.app_context():
        b_key = services.public_key(db.session.scalar(db.text("SELECT id FROM schools WHERE code = 'ELM'"))).key
        db.session.commit()
    built = services.build_package(amira, None, "Elmwood Academy", b_key, a.url)
    db.session.commit()
    status, answer = _post(b.url + "/transfers/inbox", built.data)
    assert status == 400 and "not registered here" in json.loads(answer)["error"]
    assert _b_counts(b) == (0, 0)


def test_a_one_time_link_gives_the_file_once_and_an_expired_one_nothing(instances, amira, school):
    a, _ = instances
    link = services.make_link(amira, school.dsl, "St Anne's School (another system)", 3)
    db.session.commit()
    reader = a.app.test_client()
    page = reader.get(f"/transfers/collect/{link.token}")
    assert page.status_code == 200 and "Enter the code" in page.get_data(as_text=True)
    token = factories.csrf_token(reader, f"/transfers/collect/{link.token}")
    wrong = reader.post(f"/transfers/collect/{link.token}", data={"csrf_token": token, "code": "WRONGCODE1"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.get_data(as_text=True)
    got = reader.post(f"/transfers/collect/{link.token}", data={"csrf_token": token, "code": link.code.lower()})
    assert got.status_code == 200 and got.mimetype == "application/zip"
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(got.data)).namelist()
    assert f"safeguarding-file-{amira.upn}.pdf" in names and f"safeguarding-record-{amira.upn}.json" in names
    token = factories.csrf_token(reader, f"/transfers/collect/{link.token}")
    confirmed = reader.post(
        f"/transfers/collect/{link.token}",
        data={"csrf_token": token, "code": link.code, "name": "Sam Patel, DSL"},
    )
    assert "receipt has been confirmed" in confirmed.get_data(as_text=True)
    db.session.expire_all()
    sent = db.session.get(SentTransfer, link.transfer_id)
    assert sent.confirmed_by.startswith("Sam Patel, DSL")

    expired = services.make_link(amira, school.dsl, "St Anne's School", 1)
    db.session.commit()
    store.update_sent(school.school.id, expired.transfer_id, link_expires_at=utcnow() - timedelta(minutes=1))
    db.session.commit()
    page = reader.get(f"/transfers/collect/{expired.token}")
    assert page.status_code == 410 and "This link has expired" in page.get_data(as_text=True)
    posted = reader.post(f"/transfers/collect/{expired.token}", data={"csrf_token": token, "code": expired.code})
    assert posted.status_code == 410
    db.session.expire_all()
    assert db.session.get(SentTransfer, expired.transfer_id).delivered_at is None
