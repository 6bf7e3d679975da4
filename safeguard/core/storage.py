"""Storage of uploaded files: random names, outside the web root, optionally encrypted at rest.

Files live under ``UPLOAD_FOLDER`` (``instance/uploads`` by default), one folder per school, named by a random
token; the original file name is kept only in the database. When ``UPLOAD_ENCRYPTION_KEY`` is set (32 bytes,
base64; production refuses to start without it) files are sealed with AES-256-GCM, so a copied disk or backup of
the folder reveals nothing without the key, and any change to a file is detected when it is read.

A file is written while the transaction that records it is still open, and belongs to that transaction: when the
transaction (or the savepoint it was written in) is rolled back, or ends without a commit, the file is removed, so
nothing of a child's is left on disk for a record that was never saved. A committed file is never removed here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from safeguard.core.extensions import db

logger = logging.getLogger("safeguard.storage")

_MAGIC = b"SGv1"  # marks an encrypted file: magic, 12-byte nonce, ciphertext with tag


class StorageError(RuntimeError):
    """A stored file is missing, unreadable or has been altered."""


@dataclass(frozen=True)
class StoredFile:
    """What was stored: the random name, the size and SHA-256 of the original content."""

    storage_name: str
    size: int
    sha256: str


def parse_key(configured: str) -> bytes:
    """Decode an ``UPLOAD_ENCRYPTION_KEY``: 32 bytes in base64 (padding optional)."""
    try:
        key = base64.urlsafe_b64decode(configured + "=" * (-len(configured) % 4))
    except (binascii.Error, ValueError) as error:
        raise StorageError("UPLOAD_ENCRYPTION_KEY must be 32 bytes in base64") from error
    if len(key) != 32:
        raise StorageError("UPLOAD_ENCRYPTION_KEY must be 32 bytes in base64")
    return key


def _key() -> bytes | None:
    configured = current_app.config.get("UPLOAD_ENCRYPTION_KEY")
    return parse_key(configured) if configured else None


def _path(school_id: int, storage_name: str) -> Path:
    if not storage_name.isalnum():  # random tokens only: never a path from outside
        raise StorageError("invalid storage name")
    return Path(current_app.config["UPLOAD_FOLDER"]) / str(int(school_id)) / storage_name


def save(school_id: int, data: bytes) -> StoredFile:
    """Store ``data`` for a school under a new random name and return what was stored."""
    name = secrets.token_hex(20)
    path = _path(school_id, name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = _key()
    payload = data
    if key is not None:
        nonce = os.urandom(12)
        payload = _MAGIC + nonce + AESGCM(key).encrypt(nonce, data, name.encode())
    session = db.session()
    # Recorded before the file exists, so that a write that fails half-way is removed with the transaction too.
    _pending(session).append((path, session.get_nested_transaction() or session.get_transaction() or session.begin()))
    with open(path, "xb") as handle:
        handle.write(payload)
    path.chmod(0o600)
    return StoredFile(storage_name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def load(school_id: int, storage_name: str, expected_sha256: str | None = None) -> bytes:
    """Read a stored file back, decrypting it if needed and checking its digest."""
    path = _path(school_id, storage_name)
    try:
        payload = path.read_bytes()
    except OSError as error:
        raise StorageError("the stored file is missing") from error
    if payload.startswith(_MAGIC):
        key = _key()
        if key is None:
            raise StorageError("the file is encrypted but no UPLOAD_ENCRYPTION_KEY is configured")
        nonce, sealed = payload[4:16], payload[16:]
        try:
            payload = AESGCM(key).decrypt(nonce, sealed, storage_name.encode())
        except Exception as error:  # cryptography raises InvalidTag
            raise StorageError("the stored file has been altered or the key is wrong") from error
    if expected_sha256 and hashlib.sha256(payload).hexdigest() != expected_sha256:
        raise StorageError("the stored file does not match its recorded digest")
    return payload


# Files written in a session's open transaction, each with the transaction (or savepoint) it was written in.
_PENDING = "safeguard.storage.pending"


def _pending(session: Session) -> list[tuple[Path, SessionTransaction]]:
    pending: list[tuple[Path, SessionTransaction]] = session.info.setdefault(_PENDING, [])
    return pending


def _within(transaction: SessionTransaction, outer: SessionTransaction) -> bool:
    """Whether ``transaction`` is ``outer`` or was begun inside it."""
    current: SessionTransaction | None = transaction
    while current is not None:
        if current is outer:
            return True
        current = current.parent
    return False


def _remove(session: Session, outer: SessionTransaction | None) -> None:
    """Remove the files written within ``outer`` (every pending file when it is None)."""
    kept = []
    for path, transaction in _pending(session):
        if outer is None or _within(transaction, outer):
            path.unlink(missing_ok=True)
            logger.info("removed %s: its transaction did not commit", path.name)
        else:
            kept.append((path, transaction))
    session.info[_PENDING] = kept


# Committed files a transaction destroys (a disposal): removed when, and only if, it commits.
_DOOMED = "safeguard.storage.doomed"


def remove_after_commit(school_id: int, storage_name: str) -> None:
    """Remove a stored file when the session's transaction commits (overwritten first, then unlinked); kept if the
    transaction is rolled back."""
    db.session().info.setdefault(_DOOMED, []).append(_path(school_id, storage_name))


def _destroy(path: Path) -> None:
    try:
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            handle.write(b"\0" * size)
            handle.flush()
            os.fsync(handle.fileno())
        path.unlink()
    except FileNotFoundError:
        return
    logger.info("removed %s: its record was destroyed", path.name)


@event.listens_for(db.session, "after_commit")
def _committed(session: Session) -> None:
    """Keep the files of a committed transaction; a savepoint's stay pending until the transaction commits. Remove
    the files it destroyed."""
    if session.get_nested_transaction() is None:
        session.info.pop(_PENDING, None)
        for path in session.info.pop(_DOOMED, []):
            _destroy(path)


@event.listens_for(db.session, "after_soft_rollback")
def _rolled_back(session: Session, previous: SessionTransaction) -> None:
    """Remove the files written within what the database rolled back: the nearest savepoint, or everything."""
    boundary: SessionTransaction | None = previous
    while boundary is not None and not boundary.nested and boundary.parent is not None:
        boundary = boundary.parent
    _remove(session, boundary if boundary is not None and boundary.nested else None)


@event.listens_for(db.session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    """Remove what is still pending when the whole transaction ends uncommitted (a session closed, say)."""
    if transaction.parent is None and session.info.get(_PENDING):
        _remove(session, None)
    if transaction.parent is None:
        session.info.pop(_DOOMED, None)
