"""Every statement about transfers: keys, partner schools, files sent and received, and the chronology of a file
received (appended, never changed). Each names the school first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BindParameter, Label, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from safeguard.core.extensions import db
from safeguard.core.sqltypes import json_nested, json_objects, utc_from_json
from safeguard.core.statements import transaction_connection
from safeguard.pupils.models import Pupil, display_name
from safeguard.schools.models import School
from safeguard.transfers.models import (
    ReceivedTransfer,
    SchoolKey,
    SentTransfer,
    TransferPartner,
    TransferredConcern,
    TransferredEntry,
)

_SCHOOL: BindParameter[int] = bindparam("school_id")


def school_key(school_id: int) -> SchoolKey | None:
    """The school's key, if it has one yet."""
    return db.session.get(SchoolKey, school_id)


def add_school_key(school_id: int, public_key: str, sealed_private_key: str) -> None:
    """Keep the school's new key."""
    transaction_connection().execute(
        insert(SchoolKey),
        {"school_id": school_id, "public_key": public_key, "sealed_private_key": sealed_private_key},
    )


_SCHOOL_BY_KEY = (
    select(School)
    .join(SchoolKey, SchoolKey.school_id == School.id)
    .where(SchoolKey.public_key == bindparam("public_key"))
)


def school_by_key(public_key: str) -> School | None:
    """The school of this deployment whose public key this is."""
    return db.session.scalars(_SCHOOL_BY_KEY, {"public_key": public_key}).first()


_PARTNERS = (
    select(TransferPartner)
    .where(TransferPartner.school_id == _SCHOOL)
    .order_by(TransferPartner.name, TransferPartner.id)
)


def partners(school_id: int) -> list[TransferPartner]:
    """The schools this one exchanges files with, by name."""
    return list(db.session.scalars(_PARTNERS, {"school_id": school_id}))


def partner(school_id: int, partner_id: int) -> TransferPartner | None:
    """One of the school's partners, or None."""
    found = db.session.get(TransferPartner, partner_id)
    return found if found is not None and found.school_id == school_id else None


_PARTNER_BY_KEY = select(TransferPartner).where(
    TransferPartner.school_id == _SCHOOL, TransferPartner.public_key == bindparam("public_key")
)


def partner_by_key(school_id: int, public_key: str) -> TransferPartner | None:
    """The partner registered with this key, or None."""
    return db.session.scalars(_PARTNER_BY_KEY, {"school_id": school_id, "public_key": public_key}).first()


def add_partner(school_id: int, name: str, url: str, public_key: str) -> int:
    """Register a partner school; its id."""
    result = transaction_connection().execute(
        insert(TransferPartner).returning(TransferPartner.id),
        {"school_id": school_id, "name": name, "url": url, "public_key": public_key},
    )
    return int(result.scalar_one())


def add_sent(values: dict[str, Any]) -> int:
    """Record a file sent; its id."""
    result = transaction_connection().execute(insert(SentTransfer).returning(SentTransfer.id), values)
    return int(result.scalar_one())


def update_sent(school_id: int, transfer_id: int, **values: Any) -> None:
    """Change what is known of a file sent (delivered, receipt confirmed), then refresh the session's copy."""
    transaction_connection().execute(
        update(SentTransfer).where(SentTransfer.school_id == school_id, SentTransfer.id == transfer_id).values(**values)
    )
    found = db.session.identity_map.get(db.session.identity_key(SentTransfer, transfer_id))
    if found is not None:
        db.session.expire(found)


@dataclass(frozen=True)
class SentRow:
    """A file sent, as the sender's transfers page lists it."""

    id: int
    pupil_id: int
    child: str
    upn: str
    way: str
    to_name: str
    concerns: int
    sent_at: datetime
    delivered_at: datetime | None
    confirmed_at: datetime | None
    confirmed_by: str
    link_expires_at: datetime | None


_SENT = (
    select(
        SentTransfer.id,
        SentTransfer.pupil_id,
        Pupil.legal_first_name,
        Pupil.legal_last_name,
        Pupil.preferred_name,
        Pupil.upn,
        SentTransfer.way,
        SentTransfer.to_name,
        SentTransfer.concerns,
        SentTransfer.sent_at,
        SentTransfer.delivered_at,
        SentTransfer.confirmed_at,
        SentTransfer.confirmed_by,
        SentTransfer.link_expires_at,
    )
    .join(Pupil, Pupil.id == SentTransfer.pupil_id)
    .where(SentTransfer.school_id == _SCHOOL, Pupil.school_id == _SCHOOL)
    .order_by(SentTransfer.sent_at.desc(), SentTransfer.id.desc())
    .limit(200)
)


def sent(school_id: int) -> list[SentRow]:
    """The school's files sent, newest first."""
    rows = db.session.execute(_SENT, {"school_id": school_id}).mappings()
    return [
        SentRow(
            id=r["id"],
            pupil_id=r["pupil_id"],
            child=display_name(r["legal_first_name"], r["legal_last_name"], r["preferred_name"]),
            upn=r["upn"],
            way=r["way"],
            to_name=r["to_name"],
            concerns=r["concerns"],
            sent_at=r["sent_at"],
            delivered_at=r["delivered_at"],
            confirmed_at=r["confirmed_at"],
            confirmed_by=r["confirmed_by"],
            link_expires_at=r["link_expires_at"],
        )
        for r in rows
    ]


_SENT_BY_PACKAGE = select(SentTransfer).where(SentTransfer.package_id == bindparam("package_id"))
_SENT_BY_LINK = select(SentTransfer).where(SentTransfer.link_token_hash == bindparam("token_hash"))


def sent_by_package(package_id: str) -> SentTransfer | None:
    """The file sent as this package (a receipt names it)."""
    return db.session.scalars(_SENT_BY_PACKAGE, {"package_id": package_id}).first()


def sent_by_link(token_hash: str) -> SentTransfer | None:
    """The file a one-time link gives, by the SHA-256 of the link's token."""
    return db.session.scalars(_SENT_BY_LINK, {"token_hash": token_hash}).first()


def sent_one(school_id: int, transfer_id: int) -> SentTransfer | None:
    """One of the school's files sent, or None."""
    found = db.session.get(SentTransfer, transfer_id)
    return found if found is not None and found.school_id == school_id else None


_RECEIVED_IDS = select(ReceivedTransfer.id).where(
    ReceivedTransfer.school_id == _SCHOOL, ReceivedTransfer.package_id == bindparam("package_id")
)


def already_received(school_id: int, package_id: str) -> bool:
    """Whether the school has received this package before (a replay)."""
    return db.session.scalar(_RECEIVED_IDS, {"school_id": school_id, "package_id": package_id}) is not None


def add_received(values: dict[str, Any]) -> int | None:
    """Keep a package received; its id, or ``None`` when the school holds it already (the same package arriving twice
    at once: the second finds the first's row through the unique index, after :func:`already_received` said no)."""
    try:
        with db.session.begin_nested():
            result = db.session.execute(insert(ReceivedTransfer).returning(ReceivedTransfer.id), values)
            return int(result.scalar_one())
    except IntegrityError:
        return None


_RECEIVED = (
    select(ReceivedTransfer)
    .where(ReceivedTransfer.school_id == _SCHOOL)
    .order_by(ReceivedTransfer.received_at.desc(), ReceivedTransfer.id.desc())
    .limit(200)
)


def received(school_id: int) -> list[ReceivedTransfer]:
    """The school's packages received, newest first."""
    return list(db.session.scalars(_RECEIVED, {"school_id": school_id}))


def received_one(school_id: int, received_id: int) -> ReceivedTransfer | None:
    """One of the school's packages received, or None."""
    found = db.session.get(ReceivedTransfer, received_id)
    return found if found is not None and found.school_id == school_id else None


def mark_imported(school_id: int, received_id: int, pupil_id: int, user_id: int | None, at: datetime) -> None:
    """Record that the package was imported, under which child."""
    transaction_connection().execute(
        update(ReceivedTransfer)
        .where(ReceivedTransfer.school_id == school_id, ReceivedTransfer.id == received_id)
        .values(imported_at=at, imported_by_id=user_id, pupil_id=pupil_id)
    )
    found = db.session.get(ReceivedTransfer, received_id)
    if found is not None:
        db.session.expire(found)


def add_transferred_concern(values: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """Append a concern of a file received, with its chronology."""
    connection = transaction_connection()
    concern_id = connection.execute(insert(TransferredConcern).returning(TransferredConcern.id), values).scalar_one()
    if entries:
        connection.execute(
            insert(TransferredEntry),
            [{**e, "school_id": values["school_id"], "concern_id": concern_id} for e in entries],
        )


@dataclass(frozen=True)
class ImportedEntry:
    """A line of an imported concern's chronology."""

    at: datetime
    actor: str
    kind: str
    summary: str
    details: list[str]


@dataclass(frozen=True)
class ImportedConcern:
    """A concern of a file received, with its chronology, as the page shows it."""

    reference: str
    status: str
    urgent: bool
    categories: str
    logged_at: datetime
    observed_at: datetime
    reporter: str
    location: str
    account: str
    outcome: str
    access_level: str
    entries: list[ImportedEntry]


_IMPORTED = (
    select(TransferredConcern, TransferredEntry)
    .outerjoin(
        TransferredEntry,
        (TransferredEntry.concern_id == TransferredConcern.id) & (TransferredEntry.school_id == _SCHOOL),
    )
    .where(TransferredConcern.school_id == _SCHOOL, TransferredConcern.received_id == bindparam("received_id"))
    .order_by(TransferredConcern.position, TransferredEntry.position)
)


def imported(school_id: int, received_id: int) -> list[ImportedConcern]:
    """The concerns of an imported package with their chronologies, in the sender's order (one statement)."""
    concerns: dict[int, ImportedConcern] = {}
    for concern, entry in db.session.execute(_IMPORTED, {"school_id": school_id, "received_id": received_id}):
        if concern.id not in concerns:
            concerns[concern.id] = ImportedConcern(
                reference=concern.reference,
                status=concern.status,
                urgent=concern.urgent,
                categories=concern.categories,
                logged_at=concern.logged_at,
                observed_at=concern.observed_at,
                reporter=concern.reporter,
                location=concern.location,
                account=concern.account,
                outcome=concern.outcome,
                access_level=concern.access_level,
                entries=[],
            )
        if entry is not None:
            concerns[concern.id].entries.append(
                ImportedEntry(entry.at, entry.actor, entry.kind, entry.summary, entry.details.splitlines())
            )
    return list(concerns.values())


_PUPIL_BY_UPN = select(Pupil).where(Pupil.school_id == _SCHOOL, Pupil.upn == bindparam("upn"))


def pupil_by_upn(school_id: int, upn: str) -> Pupil | None:
    """The school's pupil with this UPN, or None."""
    return db.session.scalars(_PUPIL_BY_UPN, {"school_id": school_id, "upn": upn}).first()


@dataclass(frozen=True)
class ReceivedFile:
    """A file received for a child and imported: from which school, when, and how many concerns it held."""

    id: int
    from_name: str
    imported_at: datetime | None
    concerns: int


def received_column() -> Label[Any]:
    """The files received and imported for a child (``school_id``, ``pupil_id`` bound), as a sub-query labelled
    ``received`` (decode with :func:`received_of`)."""
    return (
        select(
            json_objects(
                id=ReceivedTransfer.id,
                from_name=ReceivedTransfer.from_name,
                imported_at=ReceivedTransfer.imported_at,
                concerns=ReceivedTransfer.concerns,
            )
        )
        .where(ReceivedTransfer.school_id == _SCHOOL, ReceivedTransfer.pupil_id == bindparam("pupil_id"))
        .scalar_subquery()
        .label("received")
    )


def received_of(value: Any) -> list[ReceivedFile]:
    """The files of a :func:`received_column`, in the order they were imported."""
    files = [
        ReceivedFile(r["id"], r["from_name"], utc_from_json(r["imported_at"]), r["concerns"])
        for r in json_nested(value) or ()
    ]
    return sorted(files, key=lambda f: (f.imported_at is None, f.imported_at or datetime.min.replace(tzinfo=UTC), f.id))


def add_pupil(school_id: int, child: dict[str, Any]) -> Pupil:
    """Put a child received from another school on the roll (their UPN is not on it yet)."""
    from datetime import date

    pupil = Pupil(
        school_id=school_id,
        upn=child["upn"],
        legal_first_name=child["legal_first_name"],
        legal_last_name=child["legal_last_name"],
        preferred_name=child.get("preferred_name"),
        date_of_birth=date.fromisoformat(child["date_of_birth"]),
        year_group=child.get("year_group", ""),
    )
    db.session.add(pupil)
    db.session.flush()
    return pupil
