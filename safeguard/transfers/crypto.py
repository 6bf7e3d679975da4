"""The cryptography of a transfer package, through PyNaCl (libsodium): nothing here is home-made.

A school has one Ed25519 key. It signs the packages it sends and the receipts it gives; its Curve25519 form (the
libsodium conversion of the same key) is what packages for the school are sealed to (a sealed box: X25519, then
XSalsa20-Poly1305, from a key made for that package alone). So the one public key the schools exchange, with its
fingerprint read aloud or compared on paper, both addresses a school and checks its signature.

A package, as written to a file or posted::

    {"format": "safeguard-transfer-package", "version": 1, "package_id": "…", "from_key": "…", "to_key": "…",
     "sealed": "<base64 sealed box of: 64-byte Ed25519 signature + the contents as JSON>"}

The contents (signed, then sealed) repeat the package id and both keys, so that nothing outside the seal can be
changed without the receiver seeing it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import SealedBox
from nacl.signing import SigningKey, VerifyKey

FORMAT = "safeguard-transfer-package"
RECEIPT_FORMAT = "safeguard-transfer-receipt"
VERSION = 1
MAX_PACKAGE_BYTES = 40 * 1024 * 1024


class PackageError(ValueError):
    """A package, a key or a receipt is refused; the message says why, in words fit to show."""


def b64(data: bytes) -> str:
    """Standard base64 text."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    """Bytes from base64 text, or a :class:`PackageError` naming ``what``."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError, AttributeError) as error:
        raise PackageError(f"{what} is not valid base64.") from error


def public_key_bytes(text: str) -> bytes:
    """A school's public key from how it is written (base64 of 32 bytes); refused otherwise."""
    raw = unb64((text or "").strip(), "That public key")
    if len(raw) != 32:
        raise PackageError("That is not a school's public key: it should be 44 characters ending in '='.")
    try:
        VerifyKey(raw).to_curve25519_public_key()
    except (CryptoError, ValueError, RuntimeError) as error:
        raise PackageError("That is not a school's public key.") from error
    return raw


def normalise_public_key(text: str) -> str:
    """A public key as it is stored and compared."""
    return b64(public_key_bytes(text))


def fingerprint(public_key: str) -> str:
    """A key's fingerprint to compare out of band: 32 hex digits of its SHA-256, in groups of four."""
    digest = hashlib.sha256(public_key_bytes(public_key)).hexdigest()[:32].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def new_seed() -> bytes:
    """A new school key's 32-byte seed."""
    return bytes(SigningKey.generate())


def public_key_of(seed: bytes) -> str:
    """The public key of a seed, as written."""
    return b64(bytes(SigningKey(seed).verify_key))


def seal_seed(seed: bytes, key: bytes, school_id: int) -> str:
    """A key's seed sealed at rest with AES-256-GCM under the server's key, bound to its school."""
    nonce = os.urandom(12)
    return b64(nonce + AESGCM(key).encrypt(nonce, seed, f"school-key:{school_id}".encode()))


def open_seed(sealed: str, key: bytes, school_id: int) -> bytes:
    """The seed :func:`seal_seed` sealed; refused if it was changed or the server's key is another."""
    raw = unb64(sealed, "The stored key")
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], f"school-key:{school_id}".encode())
    except Exception as error:  # cryptography raises InvalidTag
        raise PackageError(
            "The school's stored key cannot be opened: the server's encryption key has changed."
        ) from error


def canonical(value: Any) -> bytes:
    """JSON as signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def seal(seed: bytes, to_key: str, package_id: str, contents: dict[str, Any]) -> bytes:
    """Sign ``contents`` with the school's key and seal them to the receiving school: the package's bytes."""
    signer = SigningKey(seed)
    from_key = b64(bytes(signer.verify_key))
    contents = {**contents, "package_id": package_id, "from_key": from_key, "to_key": normalise_public_key(to_key)}
    signed = bytes(signer.sign(canonical(contents)))
    box = SealedBox(VerifyKey(public_key_bytes(to_key)).to_curve25519_public_key())
    outer = {
        "format": FORMAT,
        "version": VERSION,
        "package_id": package_id,
        "from_key": from_key,
        "to_key": contents["to_key"],
        "sealed": b64(bytes(box.encrypt(signed))),
    }
    return json.dumps(outer, indent=1).encode("utf-8")


@dataclass(frozen=True)
class Envelope:
    """What a package says on its outside, before it is opened."""

    package_id: str
    from_key: str
    to_key: str
    sealed: bytes


def envelope(data: bytes) -> Envelope:
    """Read a package's outside; refused if it is not a package at all."""
    if len(data) > MAX_PACKAGE_BYTES:
        raise PackageError("That file is too large to be a transfer package.")
    try:
        outer = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise PackageError("That is not a Safeguard transfer package.") from error
    if not isinstance(outer, dict) or outer.get("format") != FORMAT:
        raise PackageError("That is not a Safeguard transfer package.")
    if outer.get("version") != VERSION:
        raise PackageError(f"This package is of version {outer.get('version')!r}, which this Safeguard cannot read.")
    package_id = outer.get("package_id")
    if not isinstance(package_id, str) or len(package_id) != 32 or not all(c in "0123456789abcdef" for c in package_id):
        raise PackageError("That package has no valid id.")
    return Envelope(
        package_id=package_id,
        from_key=normalise_public_key(str(outer.get("from_key", ""))),
        to_key=normalise_public_key(str(outer.get("to_key", ""))),
        sealed=unb64(str(outer.get("sealed", "")), "The package's contents"),
    )


def open_sealed(seed: bytes, outside: Envelope) -> dict[str, Any]:
    """Open a package addressed to the school whose seed this is, and check its signature by the key it names.

    Refused, with the reason: addressed to another school; altered (it no longer opens, or its signature no longer
    matches); its inside disagreeing with its outside.
    """
    signer = SigningKey(seed)
    mine = b64(bytes(signer.verify_key))
    if outside.to_key != mine:
        raise PackageError(
            f"This package is addressed to another school (key {fingerprint(outside.to_key)}), not to this one "
            f"({fingerprint(mine)})."
        )
    try:
        signed = SealedBox(signer.to_curve25519_private_key()).decrypt(outside.sealed)
    except CryptoError as error:
        raise PackageError("This package has been altered or damaged: it cannot be opened.") from error
    try:
        message = VerifyKey(unb64(outside.from_key, "The sender's key")).verify(signed)
    except BadSignatureError as error:
        raise PackageError(
            "The signature does not match: this package was altered, or not signed by the school it names."
        ) from error
    contents = json.loads(message.decode("utf-8"))
    if (
        not isinstance(contents, dict)
        or contents.get("package_id") != outside.package_id
        or contents.get("from_key") != outside.from_key
        or contents.get("to_key") != mine
    ):
        raise PackageError("This package has been altered: its inside does not match its outside.")
    return contents


def sign_receipt(seed: bytes, fields: dict[str, Any]) -> str:
    """A receipt signed by the receiving school: its fields and their signature, as JSON text."""
    signer = SigningKey(seed)
    body = {**fields, "format": RECEIPT_FORMAT, "version": VERSION, "signed_by": b64(bytes(signer.verify_key))}
    signature = signer.sign(canonical(body)).signature
    return json.dumps({"receipt": body, "signature": b64(signature)}, sort_keys=True)


def check_receipt(text: str, expected_key: str, package_id: str) -> dict[str, Any]:
    """A receipt's fields, once its signature by ``expected_key`` and its package id are checked."""
    try:
        outer = json.loads(text)
        body, signature = outer["receipt"], unb64(outer["signature"], "The receipt's signature")
    except (ValueError, KeyError, TypeError) as error:
        raise PackageError("The receiving school's answer is not a receipt.") from error
    if not isinstance(body, dict) or body.get("format") != RECEIPT_FORMAT:
        raise PackageError("The receiving school's answer is not a receipt.")
    try:
        VerifyKey(public_key_bytes(expected_key)).verify(canonical(body), signature)
    except BadSignatureError as error:
        raise PackageError("The receipt is not signed by the receiving school's registered key.") from error
    if body.get("package_id") != package_id:
        raise PackageError("The receipt is for another package.")
    return body
