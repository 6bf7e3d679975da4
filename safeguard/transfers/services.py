"""The rules of transferring a child's file: the school's key, partner schools, building and opening packages,
the three ways of delivery, receipts, and importing a file received.

A package is refused, changing nothing, when it is addressed to another school, altered, signed by a key not
registered for a school here, already received (a replay), or not a record of the published schema
(``docs/transfer/transfer-v1.schema.json``).
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import urllib.error
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from safeguard.access import store as access_store
from safeguard.access.models import AccessLevel
from safeguard.audit import services as audit
from safeguard.auth import permissions
from safeguard.auth.models import User
from safeguard.calendar import services as calendar_services
from safeguard.core import storage
from safeguard.core.paths import resource_dir
from safeguard.core.schooldays import school_days_between
from safeguard.core.sqltypes import utcnow
from safeguard.exports import services as exports
from safeguard.exports import store as exports_store
from safeguard.pupils import store as pupils_store
from safeguard.pupils.models import Pupil
from safeguard.reports import data as rd
from safeguard.reports.redaction import redact
from safeguard.schools.models import School
from safeguard.transfers import crypto, store
from safeguard.transfers.crypto import PackageError
from safeguard.transfers.models import FILE, LINK, SAFEGUARD, ReceivedTransfer, SentTransfer, TransferPartner

__all__ = ["PackageError", "TransferError"]

SCHEMA_VERSION = 1
INBOX_PATH = "/transfers/inbox"
RECEIPTS_PATH = "/transfers/receipts"
POST_TIMEOUT_SECONDS = 20
LINK_DAYS = (1, 14)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


class TransferError(ValueError):
    """A transfer cannot be made as asked; the message is fit to show, ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------------------------------------------------------
# Keys


def _server_key() -> bytes:
    """The key the schools' private keys are sealed with: ``UPLOAD_ENCRYPTION_KEY``, or one derived from
    ``SECRET_KEY`` where no encryption key is configured (development; production requires one)."""
    configured = current_app.config.get("UPLOAD_ENCRYPTION_KEY")
    if configured:
        return storage.parse_key(configured)
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"safeguard school keys").derive(secret)


def _seed(school_id: int) -> bytes:
    """The school's private key (its seed), made and kept sealed on first use. Never shown, never logged."""
    key = store.school_key(school_id)
    if key is not None:
        return crypto.open_seed(key.sealed_private_key, _server_key(), school_id)
    seed = crypto.new_seed()
    store.add_school_key(school_id, crypto.public_key_of(seed), crypto.seal_seed(seed, _server_key(), school_id))
    audit.record("transfer.key_created", "The school's transfer key was made", school_id=school_id)
    return seed


@dataclass(frozen=True)
class PublicKey:
    """A public key as the pages and the command line show it."""

    key: str
    fingerprint: str


def public_key(school_id: int) -> PublicKey:
    """The school's public key and its fingerprint (the key is made on first use)."""
    key = crypto.public_key_of(_seed(school_id))
    return PublicKey(key, crypto.fingerprint(key))


def describe_key(text: str) -> PublicKey:
    """Another school's key, checked, with its fingerprint."""
    key = crypto.normalise_public_key(text)
    return PublicKey(key, crypto.fingerprint(key))


# ---------------------------------------------------------------------------------------------------------------
# Partners


def add_partner(school_id: int, actor: User | None, name: str, url: str, key: str) -> PublicKey:
    """Register a school this one exchanges files with: its name, its Safeguard's address, its public key."""
    name = " ".join((name or "").split())[:200]
    if not name:
        raise TransferError("Enter the school's name.", "name")
    url = (url or "").strip().rstrip("/")
    if url and not (url.startswith(("https://", "http://")) and len(url) <= 300 and " " not in url):
        raise TransferError("Enter the address of the school's Safeguard, starting https://.", "url")
    try:
        described = describe_key(key)
    except PackageError as error:
        raise TransferError(str(error), "public_key") from error
    if described.key == public_key(school_id).key:
        raise TransferError("That is this school's own key.", "public_key")
    if store.partner_by_key(school_id, described.key) is not None:
        raise TransferError("A school with that key is already registered.", "public_key")
    store.add_partner(school_id, name, url, described.key)
    audit.record(
        "transfer.partner_added",
        f"School registered for transfers: {name} (key {described.fingerprint})",
        school_id=school_id,
        actor_id=actor.id if actor else None,
    )
    return described


# ---------------------------------------------------------------------------------------------------------------
# The record and the package


@cache
def schema() -> dict[str, Any]:
    """The published schema of a transfer record."""
    path = Path(resource_dir("docs")) / "transfer" / "transfer-v1.schema.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def check_record(record: object) -> None:
    """Refuse a record that is not of the schema, naming the first problem."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(record))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the record"
        raise PackageError(f"The record does not follow the transfer schema (version 1): {where}: {error.message}")


def _utc(value: datetime) -> str:
    from datetime import UTC

    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _concern_record(
    concern: rd.ConcernInfo, child_id: int, aliases: dict[int, str], level: AccessLevel
) -> dict[str, Any]:
    part = next((link.part for link in concern.pupils if link.pupil.id == child_id), "subject")
    # Only a restricted or sealed concern says its level, so that a file of standard concerns reads as it always did.
    held = {} if level is AccessLevel.STANDARD else {"access_level": level.value}
    return {
        **held,
        "reference": concern.reference,
        "status": concern.status,
        "urgent": concern.urgent,
        "level_of_need": concern.level_of_need,
        "outcome": concern.outcome,
        "reporter": concern.reporter,
        "reporter_role": concern.reporter_role,
        "observed_at": _utc(concern.observed_at),
        "logged_at": _utc(concern.logged_at),
        "acknowledged_at": _utc(concern.acknowledged_at) if concern.acknowledged_at else None,
        "location": concern.location,
        "categories": [label for _, label in concern.categories],
        "account": concern.account,
        "already_done": concern.already_done,
        "part": part,
        "other_children": [
            {"alias": aliases.get(link.pupil.id, "Another child"), "part": link.part}
            for link in concern.pupils
            if link.pupil.id != child_id
        ],
        "addenda": [{"at": _utc(a.at), "author": a.author, "text": a.text} for a in concern.addenda],
        "chronology": [
            {"at": _utc(e.at), "actor": e.actor, "kind": e.kind, "summary": e.summary, "details": list(e.details)}
            for e in concern.events
        ],
    }


def record_of(pupil: Pupil, school: School, viewer: permissions.Viewer | None = None) -> dict[str, Any]:
    """The child's file as the structured record of the schema: other children named only as Child B, C…

    Its concerns are those ``viewer`` (the sender; the DSL team's standard concerns when not given) may see, as in
    the transfer record's PDF. A restricted or sealed concern carries its level: the receiving school holds it for
    its lead DSL (``readable``)."""
    file, aliases = redact(exports.child_file(pupil, include_other_children=False, viewer=viewer))
    levels = access_store.levels_of(pupil.school_id, [concern.id for concern in file.concerns])
    return {
        "schema_version": SCHEMA_VERSION,
        "school": {"name": school.name, "code": school.code, "dsl_contact": school.dsl_contact},
        "child": {
            "upn": pupil.upn,
            "legal_first_name": pupil.legal_first_name,
            "legal_last_name": pupil.legal_last_name,
            "preferred_name": pupil.preferred_name,
            "date_of_birth": pupil.date_of_birth.isoformat(),
            "year_group": pupil.year_group,
            "flags": pupil.flag_labels,
            "left_on": pupil.left_on.isoformat() if pupil.left_on else None,
        },
        "concerns": [
            _concern_record(c, pupil.id, aliases, levels.get(c.id, AccessLevel.STANDARD)) for c in file.concerns
        ],
    }


@dataclass(frozen=True)
class Built:
    """A package built: its id, its bytes (sealed), the PDF and the record inside, and how many concerns."""

    package_id: str
    data: bytes
    pdf: bytes
    record: dict[str, Any]

    @property
    def concerns(self) -> int:
        """How many standard concerns the file holds: the number the sending school's list of transfers shows to its
        whole DSL team, who are not told of restricted and sealed concerns."""
        return sum(1 for concern in self.record["concerns"] if level_of(concern) is AccessLevel.STANDARD)


def _prepare(pupil: Pupil, user: User | None, to_name: str, method: str) -> tuple[School, bytes, dict[str, Any]]:
    """Record the transfer on the child (the existing transfer record and its receipt page) and build the record."""
    to_name = " ".join((to_name or "").split())
    if not to_name:
        raise TransferError("Enter the name of the receiving school.", "to_name")
    try:
        exported = exports.export_transfer(pupil, user, to_name, method, "Transfer of the safeguarding file")
    except exports.ExportError as error:
        raise TransferError(str(error), "to_name") from error
    school = exports_store.school(pupil.school_id)
    record = record_of(pupil, school, permissions.viewer(user, utcnow()) if user else None)
    check_record(record)
    return school, exported.pdf, record


def build_package(
    pupil: Pupil, user: User | None, to_name: str, to_key: str, reply_to: str = "", method: str = "Safeguard package"
) -> Built:
    """Sign and seal the child's file (PDF and record) for the school whose key is ``to_key``."""
    try:
        to = describe_key(to_key)
    except PackageError as error:
        raise TransferError(str(error), "to_key") from error
    school, pdf, record = _prepare(pupil, user, to_name, method)
    package_id = uuid.uuid4().hex
    contents = {
        "created_at": _utc(utcnow()),
        "from": {"name": school.name, "code": school.code, "reply_to": reply_to},
        "to": {"name": to_name.strip()[:200]},
        "record": record,
        "pdf": crypto.b64(pdf),
    }
    data = crypto.seal(_seed(pupil.school_id), to.key, package_id, contents)
    return Built(package_id, data, pdf, record)


def _record_sent(pupil: Pupil, user: User | None, built: Built, way: str, to_name: str, **values: Any) -> int:
    transfer_id = store.add_sent(
        {
            "school_id": pupil.school_id,
            "pupil_id": pupil.id,
            "package_id": built.package_id,
            "way": way,
            "to_name": to_name[:200],
            "concerns": built.concerns,
            "sent_at": utcnow(),
            "sent_by_id": user.id if user else None,
            "confirmed_by": "",
            "receipt": "",
            **values,
        }
    )
    audit.record(
        "transfer.sent",
        f"Safeguarding file sent to {to_name} ({way})",
        school_id=pupil.school_id,
        actor_id=user.id if user else None,
        subject_type="pupil",
        subject_id=pupil.id,
        detail={"package": built.package_id, "way": way, "concerns": built.concerns},
    )
    return transfer_id


def send_file(pupil: Pupil, user: User | None, to_name: str, to_key: str) -> Built:
    """Write a package for a school to carry or send as a file (the command line)."""
    built = build_package(pupil, user, to_name, to_key, method="Safeguard package file")
    _record_sent(pupil, user, built, FILE, to_name)
    return built


# ---------------------------------------------------------------------------------------------------------------
# Safeguard to Safeguard


def own_address(host_url: str) -> str:
    """This Safeguard's address as other schools reach it: ``BASE_URL`` when configured (behind a proxy that
    rewrites the host), else the address the request came to."""
    return str(current_app.config.get("BASE_URL") or host_url).rstrip("/")


def _post(url: str, data: bytes, content_type: str) -> tuple[int, str]:
    if not url.startswith(("https://", "http://")):
        raise TransferError("The receiving school's address must start with https://.")
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})  # noqa: S310 (scheme checked above)
    try:
        with urllib.request.urlopen(request, timeout=POST_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read(64 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(64 * 1024).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        raise TransferError(f"The receiving school's Safeguard could not be reached ({url}): {error}.") from error


def send_to_partner(pupil: Pupil, user: User | None, partner: TransferPartner, reply_to: str) -> int:
    """Post the child's file to the partner's Safeguard and keep its signed receipt; the transfer's id.

    Nothing is recorded if the receiving school refuses the package or cannot be reached (the request rolls back).
    """
    if not partner.url:
        raise TransferError(f"No Safeguard address is registered for {partner.name}.", "partner")
    built = build_package(pupil, user, partner.name, partner.public_key, reply_to, method="Safeguard to Safeguard")
    status, answer = _post(partner.url + INBOX_PATH, built.data, "application/json")
    if status != 200:
        try:
            reason = json.loads(answer).get("error", answer)
        except ValueError:
            reason = answer[:300]
        raise TransferError(f"{partner.name} refused the file: {reason}")
    try:
        receipt = crypto.check_receipt(answer, partner.public_key, built.package_id)
    except PackageError as error:
        raise TransferError(f"{partner.name} answered, but not with a valid receipt: {error}") from error
    now = utcnow()
    transfer_id = _record_sent(
        pupil, user, built, SAFEGUARD, partner.name, partner_id=partner.id, delivered_at=now, receipt=answer
    )
    audit.record(
        "transfer.delivered",
        f"Signed receipt from {partner.name}: received {receipt.get('received_at', '')}",
        school_id=pupil.school_id,
        subject_type="pupil",
        subject_id=pupil.id,
    )
    return transfer_id


def _opened(school_id: int, data: bytes, allowed_from: str | None) -> tuple[crypto.Envelope, dict[str, Any]]:
    """Open and check a package for ``school_id``: from a registered partner (``allowed_from`` None) or from the
    key given (the command line). Refused with the reason otherwise."""
    outside = crypto.envelope(data)
    if allowed_from is not None:
        if outside.from_key != crypto.normalise_public_key(allowed_from):
            raise PackageError(
                f"This package is signed by another key ({crypto.fingerprint(outside.from_key)}) than the one given."
            )
    elif store.partner_by_key(school_id, outside.from_key) is None:
        raise PackageError(
            f"This package is signed by a key not registered here ({crypto.fingerprint(outside.from_key)}): "
            "register the sending school first, having checked its fingerprint with them."
        )
    contents = crypto.open_sealed(_seed(school_id), outside)
    if store.already_received(school_id, outside.package_id):
        raise PackageError("This package has already been received here: a package is accepted once.")
    check_record(contents.get("record"))
    return outside, contents


def _keep_received(school_id: int, data: bytes, outside: crypto.Envelope, contents: dict[str, Any]) -> int:
    kept = storage.save(school_id, data)
    record = contents["record"]
    child = record["child"]
    sender = contents.get("from") or {}
    received_id = store.add_received(
        {
            "school_id": school_id,
            "package_id": outside.package_id,
            "from_name": str(sender.get("name", record["school"]["name"]))[:200],
            "from_code": record["school"]["code"],
            "from_key": outside.from_key,
            "reply_to": str(sender.get("reply_to", ""))[:300],
            "upn": child["upn"],
            "child_name": f"{child['legal_first_name']} {child['legal_last_name']}"[:200],
            "concerns": told_of(record["concerns"]),
            "received_at": utcnow(),
            "storage_name": kept.storage_name,
            "storage_sha256": kept.sha256,
        }
    )
    if received_id is None:
        raise PackageError("This package has already been received here: a package is accepted once.")
    audit.record(
        "transfer.received",
        f"Safeguarding file received from {record['school']['name']}",
        school_id=school_id,
        subject_type="received_transfer",
        subject_id=received_id,
        detail={"package": outside.package_id},
    )
    return received_id


def receive_package(data: bytes) -> str:
    """The inbox: check a package posted by another Safeguard, keep it for the DSL to review, and answer with a
    receipt signed by this school. Refused (:class:`PackageError`) as the module says, keeping nothing."""
    outside = crypto.envelope(data)
    school = store.school_by_key(outside.to_key)
    if school is None:
        raise PackageError(
            f"This package is addressed to another school (key {crypto.fingerprint(outside.to_key)}): "
            "no school here has that key."
        )
    outside, contents = _opened(school.id, data, None)
    _keep_received(school.id, data, outside, contents)
    return crypto.sign_receipt(
        _seed(school.id),
        {
            "package_id": outside.package_id,
            "state": "received",
            "received_at": _utc(utcnow()),
            "receiver": school.name,
            "package_sha256": hashlib.sha256(data).hexdigest(),
        },
    )


def receive_confirmation(text: str) -> None:
    """The sender's side: a receiving school's signed confirmation that its DSL has imported the file."""
    try:
        package_id = str(json.loads(text)["receipt"]["package_id"])
    except (ValueError, KeyError, TypeError) as error:
        raise PackageError("That is not a receipt.") from error
    sent = store.sent_by_package(package_id)
    partner = store.partner(sent.school_id, sent.partner_id) if sent and sent.partner_id else None
    if sent is None or partner is None:
        raise PackageError("No file was sent here as that package.")
    body = crypto.check_receipt(text, partner.public_key, package_id)
    if body.get("state") != "confirmed":
        raise PackageError("That receipt does not confirm the import.")
    if sent.confirmed_at is None:
        _confirmed(sent, str(body.get("confirmed_by", partner.name))[:200], receipt=text)


def _confirmed(sent: SentTransfer, by: str, **values: Any) -> None:
    now = utcnow()
    store.update_sent(sent.school_id, sent.id, confirmed_at=now, confirmed_by=by, **values)
    pupil = pupils_store.pupil(sent.school_id, sent.pupil_id)
    if pupil is not None and pupil.transfer_confirmed_at is None:
        pupil.transfer_confirmed_at = now
    audit.record(
        "transfer.confirmed",
        f"Receipt of a transferred safeguarding file confirmed by {by}",
        school_id=sent.school_id,
        subject_type="pupil",
        subject_id=sent.pupil_id,
    )


# ---------------------------------------------------------------------------------------------------------------
# Importing a file received


def contents_of(received: ReceivedTransfer) -> dict[str, Any]:
    """The contents of a package received, opened again from where it is kept."""
    data = storage.load(received.school_id, received.storage_name, received.storage_sha256)
    return crypto.open_sealed(_seed(received.school_id), crypto.envelope(data))


def _entries(concern: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "position": index,
            "at": datetime.fromisoformat(e["at"].replace("Z", "+00:00")),
            "actor": e["actor"][:200],
            "kind": e["kind"][:60],
            "summary": e["summary"],
            "details": "\n".join(e["details"]),
        }
        for index, e in enumerate(concern["chronology"])
    ]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def import_received(received: ReceivedTransfer, user: User | None) -> Pupil:
    """File a package received under the child (matched by UPN, or put on the roll): its concerns and their
    chronology kept as the sending school wrote them, marked as transferred, never editable."""
    if received.imported_at is not None:
        raise TransferError("This file has already been imported.")
    record = contents_of(received)["record"]
    child = record["child"]
    pupil = store.pupil_by_upn(received.school_id, child["upn"]) or store.add_pupil(received.school_id, child)
    for position, concern in enumerate(record["concerns"]):
        store.add_transferred_concern(
            {
                "school_id": received.school_id,
                "received_id": received.id,
                "pupil_id": pupil.id,
                "position": position,
                "reference": concern["reference"][:40],
                "status": concern["status"][:40],
                "urgent": concern["urgent"],
                "categories": "; ".join(concern["categories"]),
                "logged_at": _when(concern["logged_at"]),
                "observed_at": _when(concern["observed_at"]),
                "reporter": concern["reporter"][:200],
                "location": concern["location"][:200],
                "account": concern["account"],
                "outcome": concern["outcome"] or "",
                "access_level": concern.get("access_level", AccessLevel.STANDARD.value),
            },
            _entries(concern),
        )
    store.mark_imported(received.school_id, received.id, pupil.id, user.id if user else None, utcnow())
    audit.record(
        "transfer.imported",
        f"Safeguarding file from {received.from_name} imported: {len(record['concerns'])} concerns",
        school_id=received.school_id,
        actor_id=user.id if user else None,
        subject_type="pupil",
        subject_id=pupil.id,
    )
    return pupil


def level_of(concern: dict[str, Any] | store.ImportedConcern) -> AccessLevel:
    """The level the sending school held a received concern at (standard when the file did not say)."""
    value = concern.get("access_level") if isinstance(concern, dict) else concern.access_level
    return AccessLevel(value or AccessLevel.STANDARD.value)


def told_of(concerns: list[Any]) -> int:
    """How many of a received file's concerns the school's DSL team may be told of: all but the sealed ones."""
    return sum(1 for concern in concerns if level_of(concern) is not AccessLevel.SEALED)


def readable(concerns: list[Any], reader: User | None) -> tuple[list[Any], int]:
    """The concerns of a received file that ``reader`` may read, and how many restricted ones they may only be told
    exist. The lead DSL reads them all; everyone else the standard ones, and nothing of a sealed one."""
    if permissions.reads_restricted_transfers(reader):
        return list(concerns), 0
    shown = [concern for concern in concerns if level_of(concern) is AccessLevel.STANDARD]
    return shown, told_of(concerns) - len(shown)


def sent_pdf(received: ReceivedTransfer, reader: User) -> tuple[bytes, str]:
    """The PDF the sending school put in the package, as it sent it, and its file name; audited. For the people who
    read every concern of a received file (``permissions.reads_restricted_transfers``) whatever the file holds, so
    that whether it may be downloaded says nothing of what is in it."""
    if not permissions.reads_restricted_transfers(reader):
        raise TransferError("The PDF sent with the file is for the lead DSL to download.")
    pdf = crypto.unb64(contents_of(received)["pdf"], "The package's PDF")
    audit.record_read(
        "transfer.pdf_downloaded",
        f"PDF of the file received from {received.from_name} downloaded",
        school_id=received.school_id,
        actor_id=reader.id,
        subject_type="received_transfer",
        subject_id=received.id,
    )
    return pdf, f"transfer-{received.upn}-from-{received.from_code}.pdf"


def for_review(record: dict[str, Any]) -> dict[str, Any]:
    """A record's concerns with their times read back as datetimes, for the review page to show in the school's
    zone."""
    concerns = []
    for concern in record["concerns"]:
        concerns.append(
            {
                **concern,
                "logged_at": _when(concern["logged_at"]),
                "chronology": [{**e, "at": _when(e["at"])} for e in concern["chronology"]],
            }
        )
    return {**record, "concerns": concerns}


def tell_sender(received: ReceivedTransfer, user: User | None) -> bool:
    """Send the sending Safeguard a signed confirmation that the file was imported; whether it took it."""
    if not received.reply_to:
        return False
    school = exports_store.school(received.school_id)
    receipt = crypto.sign_receipt(
        _seed(received.school_id),
        {
            "package_id": received.package_id,
            "state": "confirmed",
            "confirmed_at": _utc(utcnow()),
            "confirmed_by": f"{user.display_name if user else 'DSL'}, {school.name}",
            "receiver": school.name,
        },
    )
    try:
        status, _ = _post(received.reply_to.rstrip("/") + RECEIPTS_PATH, receipt.encode(), "application/json")
    except TransferError:
        return False
    return status == 200


@dataclass(frozen=True)
class Received:
    """What the command line reports of a package received and imported."""

    upn: str
    concerns: int


def receive_file(school: School, data: bytes, from_key: str) -> Received:
    """Check a package file from the school whose key is ``from_key``, and import it."""
    outside, contents = _opened(school.id, data, from_key)
    received_id = _keep_received(school.id, data, outside, contents)
    received = store.received_one(school.id, received_id)
    assert received is not None  # noqa: S101 (just added)
    pupil = import_received(received, None)
    return Received(pupil.upn, told_of(contents["record"]["concerns"]))


# ---------------------------------------------------------------------------------------------------------------
# A one-time link


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    """A one-time link made: the token for its address and the code to send separately (shown once)."""

    transfer_id: int
    token: str
    code: str
    expires_at: datetime


def _bundle(pupil: Pupil, built_pdf: bytes, record: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(f"safeguarding-file-{pupil.upn}.pdf", built_pdf)
        bundle.writestr(f"safeguarding-record-{pupil.upn}.json", json.dumps(record, indent=1, ensure_ascii=False))
        bundle.writestr("transfer-v1.schema.json", json.dumps(schema(), indent=1))
    return buffer.getvalue()


def make_link(pupil: Pupil, user: User | None, to_name: str, days: int) -> Link:
    """A download of the child's file (PDF and record) for a school on another system: one download, within
    ``days`` days, with a code the sender gives the receiver separately."""
    if not LINK_DAYS[0] <= int(days or 0) <= LINK_DAYS[1]:
        raise TransferError(f"A link is valid for {LINK_DAYS[0]} to {LINK_DAYS[1]} days.", "days")
    _, pdf, record = _prepare(pupil, user, to_name, "One-time link")
    kept = storage.save(pupil.school_id, _bundle(pupil, pdf, record))
    token = secrets.token_urlsafe(32)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = utcnow() + timedelta(days=int(days))
    built = Built(uuid.uuid4().hex, b"", pdf, record)
    transfer_id = _record_sent(
        pupil,
        user,
        built,
        LINK,
        to_name.strip(),
        link_token_hash=_digest(token),
        link_code_hash=_digest(code),
        link_expires_at=expires_at,
        storage_name=kept.storage_name,
        storage_sha256=kept.sha256,
    )
    return Link(transfer_id, token, code, expires_at)


def link_transfer(token: str) -> SentTransfer:
    """The transfer a link's token names; refused when there is none or it has expired."""
    sent = store.sent_by_link(_digest(token or "")) if token and len(token) < 100 else None
    if sent is None:
        raise TransferError("This link is not valid: check the address you were sent.")
    if sent.delivered_at is None and sent.link_expires_at is not None and sent.link_expires_at < utcnow():
        raise TransferError("This link has expired. Ask the sending school's DSL to send the file again.")
    return sent


def _check_code(sent: SentTransfer, code: str) -> None:
    typed = "".join((code or "").split()).upper()
    if not sent.link_code_hash or not secrets.compare_digest(_digest(typed), sent.link_code_hash):
        raise TransferError("That code is not right. Check the code the sending school gave you.", "code")


def download_link(sent: SentTransfer, code: str) -> tuple[bytes, str]:
    """The file a link gives, once: its bytes and its name."""
    _check_code(sent, code)
    if sent.delivered_at is not None:
        raise TransferError("This file has already been downloaded: a link gives it once.")
    if sent.storage_name is None:
        raise TransferError("This file is no longer held.")
    data = storage.load(sent.school_id, sent.storage_name, sent.storage_sha256)
    store.update_sent(sent.school_id, sent.id, delivered_at=utcnow())
    audit.record(
        "transfer.downloaded",
        f"Safeguarding file downloaded by {sent.to_name} through its one-time link",
        school_id=sent.school_id,
        subject_type="pupil",
        subject_id=sent.pupil_id,
    )
    pupil = pupils_store.pupil(sent.school_id, sent.pupil_id)
    return data, f"safeguarding-file-{pupil.upn if pupil else sent.id}.zip"


def confirm_link(sent: SentTransfer, code: str, name: str) -> None:
    """The receiving school's DSL confirms receipt on the link's page."""
    _check_code(sent, code)
    name = " ".join((name or "").split())[:150]
    if not name:
        raise TransferError("Enter your name and role.", "name")
    if sent.delivered_at is None:
        raise TransferError("Download the file before confirming that you have received it.")
    if sent.confirmed_at is not None:
        raise TransferError("Receipt of this file has already been confirmed.")
    _confirmed(sent, f"{name}, {sent.to_name}")


# ---------------------------------------------------------------------------------------------------------------
# The sender's view


@dataclass(frozen=True)
class SentState:
    """A file sent and its state: sent, delivered, receipt confirmed, or overdue (no receipt within five school
    days, counted by the school's calendar)."""

    row: store.SentRow
    state: str
    overdue: bool


def sent_states(school_id: int, today: Any) -> list[SentState]:
    """The school's files sent, each with its state."""
    rows = store.sent(school_id)
    calendar = calendar_services.calendar(school_id) if any(r.confirmed_at is None for r in rows) else None
    states = []
    for row in rows:
        late = (
            row.confirmed_at is None
            and calendar is not None
            and school_days_between(row.sent_at.date(), today, calendar) > exports.TRANSFER_WINDOW_SCHOOL_DAYS
        )
        if row.confirmed_at is not None:
            state = "Receipt confirmed"
        elif late:
            state = "Overdue"
        elif row.delivered_at is not None:
            state = "Delivered"
        else:
            state = "Sent"
        states.append(SentState(row, state, late))
    return states


def set_keeps_file(school: School, actor: User | None, keeps: bool) -> None:
    """Whether the school keeps its copy of a child's file once the receiving school has confirmed receipt."""
    if school.transfer_keeps_file == keeps:
        return
    school.transfer_keeps_file = keeps
    audit.record(
        "school.settings_changed",
        "After a transfer's receipt: " + ("the file is kept" if keeps else "only the record of the transfer is kept"),
        school_id=school.id,
        actor_id=actor.id if actor else None,
    )
