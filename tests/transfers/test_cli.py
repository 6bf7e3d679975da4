"""The transfer commands: keys, a package written for another school, and received there."""

from __future__ import annotations

import re

from safeguard.core.extensions import db
from safeguard.transfers.models import TransferredEntry
from tests import factories


def _key(runner, code: str) -> str:
    result = runner.invoke(args=["transfer", "keys", "--school", code])
    assert result.exit_code == 0, result.output
    assert re.search(r"^fingerprint: ([0-9A-F]{4} ){7}[0-9A-F]{4}$", result.output, re.M)
    return re.search(r"^public key: (\S+)$", result.output, re.M).group(1)


def test_a_file_goes_from_one_school_to_another_by_the_command_line(runner, school, other_school, tmp_path):
    amira = factories.pupil(school.school, "Amira", "Haddad", upn="H801200001001")
    factories.concern(school.staff, [amira])
    factories.concern(school.staff, [amira], account="Amira said she had not eaten since yesterday morning.")
    oak, elm = _key(runner, "OAK"), _key(runner, "ELM")
    assert _key(runner, "OAK") == oak  # made once
    package = tmp_path / "amira.sgt"
    sent = runner.invoke(
        args=[
            "transfer",
            "send",
            amira.upn,
            "--school",
            "OAK",
            "--to-name",
            "Elmwood Academy",
            "--to-key",
            elm,
            "-o",
            str(package),
        ]
    )
    assert sent.exit_code == 0, sent.output
    assert b"Amira" not in package.read_bytes()  # sealed
    received = runner.invoke(args=["transfer", "receive", str(package), "--school", "ELM", "--from-key", oak])
    assert received.exit_code == 0, received.output
    assert "UPN: H801200001001" in received.output
    assert "concerns imported: 2" in received.output
    assert db.session.scalar(db.select(db.func.count()).select_from(TransferredEntry)) >= 2
    again = runner.invoke(args=["transfer", "receive", str(package), "--school", "ELM", "--from-key", oak])
    assert again.exit_code == 1 and "already been received" in again.output


def test_a_package_from_another_key_or_for_another_school_is_refused(runner, school, other_school, tmp_path):
    amira = factories.pupil(school.school, "Amira", "Haddad", upn="H801200001001")
    factories.concern(school.staff, [amira])
    oak, elm = _key(runner, "OAK"), _key(runner, "ELM")
    package = tmp_path / "amira.sgt"
    runner.invoke(
        args=[
            "transfer",
            "send",
            amira.upn,
            "--school",
            "OAK",
            "--to-name",
            "Elmwood",
            "--to-key",
            elm,
            "-o",
            str(package),
        ]
    )
    wrong_sender = runner.invoke(args=["transfer", "receive", str(package), "--school", "ELM", "--from-key", elm])
    assert wrong_sender.exit_code == 1 and "signed by another key" in wrong_sender.output
    wrong_school = runner.invoke(args=["transfer", "receive", str(package), "--school", "OAK", "--from-key", oak])
    assert wrong_school.exit_code == 1 and "addressed to another school" in wrong_school.output
    data = bytearray(package.read_bytes())
    index = data.index(b'"sealed": "') + 40
    data[index] = ord("A") if data[index] != ord("A") else ord("B")
    tampered = tmp_path / "tampered.sgt"
    tampered.write_bytes(bytes(data))
    altered = runner.invoke(args=["transfer", "receive", str(tampered), "--school", "ELM", "--from-key", oak])
    assert altered.exit_code == 1 and "altered" in altered.output
    from safeguard.transfers.models import ReceivedTransfer

    assert db.session.scalar(db.select(db.func.count()).select_from(ReceivedTransfer)) == 0


def test_a_child_already_on_the_roll_is_matched_by_upn(runner, school, other_school, tmp_path):
    from safeguard.pupils.models import Pupil

    amira = factories.pupil(school.school, "Amira", "Haddad", upn="H801200001001")
    factories.concern(school.staff, [amira])
    factories.pupil(other_school.school, "Amira", "Haddad", upn="H801200001001")
    oak, elm = _key(runner, "OAK"), _key(runner, "ELM")
    package = tmp_path / "amira.sgt"
    runner.invoke(
        args=[
            "transfer",
            "send",
            amira.upn,
            "--school",
            "OAK",
            "--to-name",
            "Elmwood",
            "--to-key",
            elm,
            "-o",
            str(package),
        ]
    )
    result = runner.invoke(args=["transfer", "receive", str(package), "--school", "ELM", "--from-key", oak])
    assert result.exit_code == 0, result.output
    count = db.session.scalar(
        db.select(db.func.count()).select_from(Pupil).where(Pupil.school_id == other_school.school.id)
    )
    assert count == 1


def test_a_confirmation_not_signed_by_the_receiving_school_is_refused(client, school, other_school):
    from safeguard.transfers import crypto, services
    from safeguard.transfers.models import SentTransfer

    amira = factories.pupil(school.school, "Amira", "Haddad")
    elm = services.public_key(other_school.school.id).key
    services.add_partner(school.school.id, None, "Elmwood Academy", "http://127.0.0.1:9", elm)
    built = services.build_package(amira, None, "Elmwood Academy", elm)
    partner = services.store.partners(school.school.id)[0]
    services._record_sent(amira, None, built, "safeguard", "Elmwood Academy", partner_id=partner.id)
    db.session.commit()
    forged = crypto.sign_receipt(crypto.new_seed(), {"package_id": built.package_id, "state": "confirmed"})
    response = client.post("/transfers/receipts", data=forged, content_type="application/json")
    assert response.status_code == 400
    assert "not signed by the receiving school" in response.get_json()["error"]
    db.session.expire_all()
    assert db.session.scalars(db.select(SentTransfer)).one().confirmed_at is None


def test_the_school_chooses_whether_it_keeps_the_file_after_receipt(client, school, sign_in):
    sign_in(school.admin)
    page = client.get("/transfers/settings").get_data(as_text=True)
    assert "Keep our copy of the child&#39;s file after receipt is confirmed" in page
    response = factories.submit_form(client, "/transfers/settings", {})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(school.school), school.school.id).transfer_keeps_file is False


def test_the_same_package_arriving_twice_at_once_is_kept_once(app, school):
    """Two deliveries of one package can both pass the "received before?" check; the unique index then stops the
    second, which is refused as a replay (a 400 from the inbox) instead of failing, and the first is kept."""
    from safeguard.core.sqltypes import utcnow
    from safeguard.transfers import store
    from safeguard.transfers.models import ReceivedTransfer

    values = {
        "school_id": school.school.id,
        "package_id": "0" * 32,
        "from_name": "Ash Primary School",
        "from_code": "ASH",
        "from_key": "k" * 43,
        "reply_to": "",
        "upn": "A123456789012",
        "child_name": "Amira Haddad",
        "concerns": 1,
        "received_at": utcnow(),
        "storage_name": "package",
        "storage_sha256": "0" * 64,
    }
    first = store.add_received(dict(values))
    assert first is not None
    assert store.add_received(dict(values)) is None
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(ReceivedTransfer.id))) == 1
