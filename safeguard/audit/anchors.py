"""Anchoring the chains outside the database, and verifying everything against the anchors.

A checkpoint holds, for one school, the head (last row and its hash) of its audit chain and of its records chain, the
time, and an Ed25519 signature over them, made with a key kept in a file (``ANCHOR_KEY_FILE``, by default
``instance/anchor-key.pem``) that the database never holds: whoever can only change the database can neither sign a
checkpoint nor change one. Checkpoints are appended (the file opened ``O_APPEND``) to one file per school,
``instance/anchors/school-<id>.log`` (``deployment.log`` for the deployment-wide audit chain), by the ``notify``
worker after each pass when a head has moved, and by ``flask --app safeguard audit anchor``. Copy these files off the
server (backups, the trust) to keep them out of reach of the server's own administrators too.

``audit verify`` then finds what the chains alone cannot: a chain rewritten from some row on with every later hash
recomputed (the anchored row's hash differs), and rows deleted from its end (the chain is shorter than a checkpoint).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import select

from safeguard.audit import records
from safeguard.audit.services import GENESIS, BrokenLink, audit_chains, audit_head, walk_audit
from safeguard.core.extensions import db
from safeguard.core.sqltypes import utcnow
from safeguard.schools.models import School

logger = logging.getLogger("safeguard.audit")


class AnchorError(RuntimeError):
    """The anchors cannot be written or read (no key, a folder that cannot be written)."""


# ---------------------------------------------------------------------------------------------------------------
# The key


def key_path() -> Path:
    """Where the signing key is kept: ``ANCHOR_KEY_FILE``, else ``instance/anchor-key.pem``."""
    configured = current_app.config.get("ANCHOR_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "anchor-key.pem"


def folder() -> Path:
    """Where the checkpoints are appended: ``ANCHOR_FOLDER``, else ``instance/anchors``."""
    configured = current_app.config.get("ANCHOR_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "anchors"


def _private_key(create: bool) -> Ed25519PrivateKey | None:
    path = key_path()
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return _private_key(create=False)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        path.with_suffix(".pub").write_bytes(public)
        logger.warning("anchor signing key created at %s: back it up apart from the database", path)
        return key
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise AnchorError(f"{path} does not hold an Ed25519 key")
    return loaded


def _public_key() -> Ed25519PublicKey | None:
    """The key checkpoints are checked with: the private key's, or ``<key>.pub`` alone (a verifier's copy)."""
    private = _private_key(create=False)
    if private is not None:
        return private.public_key()
    public_path = key_path().with_suffix(".pub")
    if public_path.exists():
        loaded = serialization.load_pem_public_key(public_path.read_bytes())
        if isinstance(loaded, Ed25519PublicKey):
            return loaded
    return None


def key_id(public: Ed25519PublicKey) -> str:
    """A short name for a public key (the start of its SHA-256), printed with each checkpoint."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------------------------
# Checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """The heads of one school's chains at a moment, signed."""

    chain: int
    at: datetime
    audit_seq: int
    audit_hash: str
    records_seq: int
    records_hash: str
    key: str = ""
    signature: str = ""
    line: int = field(default=0, compare=False)

    def message(self) -> bytes:
        """What is signed: every field but the signature, as canonical JSON."""
        content = {
            "chain": self.chain,
            "at": self.at.astimezone(UTC).isoformat(timespec="seconds"),
            "audit": [self.audit_seq, self.audit_hash],
            "records": [self.records_seq, self.records_hash],
            "key": self.key,
        }
        return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()

    def same_heads(self, other: Checkpoint) -> bool:
        """Whether both hold the same heads."""
        return (self.audit_seq, self.audit_hash, self.records_seq, self.records_hash) == (
            other.audit_seq,
            other.audit_hash,
            other.records_seq,
            other.records_hash,
        )

    def describe(self) -> str:
        """One line for a PDF's footer or the command line."""
        at = self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (
            f"Checkpoint {at}: records row {self.records_seq} {self.records_hash[:12]}, "
            f"audit row {self.audit_seq} {self.audit_hash[:12]}, signed by key {self.key}"
        )


def _path(chain: int) -> Path:
    return folder() / ("deployment.log" if chain == 0 else f"school-{chain}.log")


def _parse(text: str, number: int) -> Checkpoint:
    data = json.loads(text)
    return Checkpoint(
        chain=int(data["chain"]),
        at=datetime.fromisoformat(data["at"]),
        audit_seq=int(data["audit"][0]),
        audit_hash=str(data["audit"][1]),
        records_seq=int(data["records"][0]),
        records_hash=str(data["records"][1]),
        key=str(data["key"]),
        signature=str(data["signature"]),
        line=number,
    )


def _serialise(checkpoint: Checkpoint) -> str:
    content = json.loads(checkpoint.message())
    return json.dumps(content | {"signature": checkpoint.signature}, sort_keys=True, separators=(",", ":"))


def checkpoints(chain: int) -> list[Checkpoint | str]:
    """The checkpoints of a school's file in order; a line that cannot be read is returned as the reason why."""
    path = _path(chain)
    if not path.exists():
        return []
    found: list[Checkpoint | str] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            found.append(_parse(text, number))
        except (ValueError, KeyError, IndexError, TypeError):
            found.append(f"line {number} of {path.name} cannot be read")
    return found


def latest(chain: int) -> Checkpoint | None:
    """The school's last checkpoint, read from the end of its file (``None`` if it has none)."""
    path = _path(chain)
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 4096))
            tail = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = [line for line in tail.splitlines() if line.strip()]
    if not lines:
        return None
    try:
        return _parse(lines[-1], 0)
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def describe_latest(school_id: int) -> str:
    """The school's last checkpoint as one line, for the footer of every exported PDF."""
    checkpoint = latest(school_id)
    if checkpoint is None:
        return "No checkpoint of the records has been anchored yet"
    return checkpoint.describe()


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, (line + "\n").encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _known_chains() -> list[int]:
    schools = set(db.session.scalars(select(School.id)))
    return sorted(schools | set(audit_chains()) | set(records.chains()))


def anchor(now: datetime | None = None) -> list[Checkpoint]:
    """Append a signed checkpoint for each school whose chains moved since its last one; return those written."""
    try:
        key = _private_key(create=True)
    except (OSError, ValueError) as error:
        raise AnchorError(f"the anchor key cannot be read or made: {error}") from error
    assert key is not None  # noqa: S101 (create=True makes one)
    public_id = key_id(key.public_key())
    written: list[Checkpoint] = []
    for chain in _known_chains():
        audit_seq, audit_hash = audit_head(chain)
        records_seq, records_hash = records.head(chain) if chain else (0, GENESIS)
        checkpoint = Checkpoint(chain, now or utcnow(), audit_seq, audit_hash, records_seq, records_hash, public_id)
        last = latest(chain)
        if last is not None and last.same_heads(checkpoint):
            continue
        if last is None and audit_seq == 0 and records_seq == 0:
            continue
        signature = base64.b64encode(key.sign(checkpoint.message())).decode()
        signed = Checkpoint(**{**checkpoint.__dict__, "signature": signature})
        try:
            _append(_path(chain), _serialise(signed))
        except OSError as error:
            raise AnchorError(f"the anchors cannot be written to {folder()}: {error}") from error
        written.append(signed)
    return written


# ---------------------------------------------------------------------------------------------------------------
# Verifying


@dataclass
class Verification:
    """What ``audit verify`` found."""

    audit_rows: int = 0
    record_rows: int = 0
    checkpoints: int = 0
    broken: list[BrokenLink] = field(default_factory=list)
    # Said when there is nothing to check the chains against (no key or no checkpoint yet).
    notes: list[str] = field(default_factory=list)


def _signature_holds(checkpoint: Checkpoint, public: Ed25519PublicKey) -> bool:
    try:
        public.verify(base64.b64decode(checkpoint.signature), checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True


def _against(
    checkpoint: Checkpoint, log: str, anchored: tuple[int, str], walked: tuple[int, dict[int, str]], good: int
) -> BrokenLink | None:
    """Whether a chain still holds a checkpoint's row: ``anchored`` is (seq, hash), ``walked`` (last seq, hashes
    seen), ``good`` the last anchored row of this chain that held."""
    seq, expected = anchored
    last_seq, hashes = walked
    when = checkpoint.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if seq == 0:
        return None
    if last_seq < seq:
        reason = (
            f"the chain ends at row {last_seq}, but row {seq} was anchored on {when}: rows were deleted from its end"
        )
        return BrokenLink(checkpoint.chain, last_seq + 1, 0, reason, log=f"{log} anchor")
    if hashes.get(seq) != expected:
        reason = (
            f"row {seq} does not match its checkpoint of {when}: a row after row {good} (the last anchored row that "
            "matches) and up to this one was rewritten, with the later hashes recomputed"
        )
        return BrokenLink(checkpoint.chain, seq, 0, reason, log=f"{log} anchor")
    return None


def _readable(chain: int, public: Ed25519PublicKey | None, result: Verification) -> list[Checkpoint] | None:
    """The school's checkpoints, each signed by the deployment's key; ``None`` (and the reason, in ``result``) when a
    line cannot be read or its signature does not hold."""
    found = checkpoints(chain)
    unreadable = [c for c in found if isinstance(c, str)]
    if unreadable:
        result.broken.append(BrokenLink(chain, 0, 0, unreadable[0], log="anchor"))
        return None
    readable = [c for c in found if isinstance(c, Checkpoint)]
    for checkpoint in readable:
        if checkpoint.chain != chain or (public is not None and not _signature_holds(checkpoint, public)):
            reason = f"checkpoint on line {checkpoint.line} is not signed by this deployment's key"
            result.broken.append(BrokenLink(chain, 0, 0, reason, log="anchor"))
            return None
    return readable


def _first_mismatch(
    readable: list[Checkpoint], audit: tuple[int, dict[int, str]], walked: tuple[int, dict[int, str]] | None
) -> BrokenLink | None:
    """The first checkpoint a chain no longer holds, as the row that does not match it."""
    good_audit = good_records = 0
    for checkpoint in readable:
        mismatch = _against(checkpoint, "audit", (checkpoint.audit_seq, checkpoint.audit_hash), audit, good_audit)
        if mismatch is None and walked is not None:
            anchored = (checkpoint.records_seq, checkpoint.records_hash)
            mismatch = _against(checkpoint, "records", anchored, walked, good_records)
        if mismatch:
            return mismatch
        good_audit, good_records = checkpoint.audit_seq, checkpoint.records_seq
    return None


def _verify_chain(chain: int, public: Ed25519PublicKey | None, result: Verification) -> None:
    readable = _readable(chain, public, result)
    anchored = readable or []
    audit = walk_audit(chain, {c.audit_seq for c in anchored})
    result.audit_rows += audit.checked
    if audit.broken:
        result.broken.append(audit.broken)
    walked = records.walk(chain, {c.records_seq for c in anchored}) if chain else None
    if walked is not None:
        result.record_rows += walked.checked
        if walked.broken:
            result.broken.append(walked.broken)
    result.checkpoints += len(anchored)
    mismatch = _first_mismatch(
        anchored, (audit.last_seq, audit.hashes), (walked.last_seq, walked.hashes) if walked else None
    )
    if mismatch:
        result.broken.append(mismatch)


def verify() -> Verification:
    """Check every audit chain and records chain, row by row and each record against its link, then against every
    signed checkpoint; report the first row of each chain that does not match."""
    result = Verification()
    public = _public_key()
    if public is None:
        result.notes.append(f"no anchor key at {key_path()}: the checkpoints' signatures were not checked")
    for chain in _known_chains():
        _verify_chain(chain, public, result)
    if result.checkpoints == 0:
        result.notes.append(
            "no checkpoint found: rows deleted from the end of a chain, or a chain rewritten with its later hashes "
            "recomputed, cannot be told (run `flask --app safeguard audit anchor`, or the notify worker)"
        )
    return result
