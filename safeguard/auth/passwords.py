"""Password hashing with Argon2id (memory-hard), and the password rules."""

from __future__ import annotations

import re
import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# Argon2id with the library's defaults (RFC 9106 low-memory profile: 64 MiB, 3 passes) unless configured.
_hasher = PasswordHasher()

MIN_LENGTH = 12
MAX_LENGTH = 256

# A well-formed hash of a random password, verified against when no account matches, so that a sign-in for an
# unknown address takes as long as one for a known address (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def configure(time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Set the Argon2id cost. Production keeps the defaults; the test suite lowers them to stay fast."""
    global _hasher, _DUMMY_HASH
    if (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism) == (time_cost, memory_kib, parallelism):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """Hash ``password`` for storage."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check ``password`` against ``stored_hash``, spending the same work when there is no hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the stored hash uses weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(stored_hash)


def generate_password() -> str:
    """Return a random one-time password that satisfies the password rules."""
    return secrets.token_urlsafe(12)


_COMMON_FILE = Path(__file__).resolve().parent / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """Return why ``password`` is not acceptable, or ``None`` when it is."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if len(set(password)) < 4:
        return "Use a password that is not one character repeated."
    lowered = password.lower()
    # "Password2024!" is "password" with digits and symbols added: as easy to guess.
    stripped = re.sub(r"[\W\d_]+$", "", re.sub(r"^[\W\d_]+", "", lowered))
    common = common_passwords()
    if lowered in common or stripped in common or lowered.replace(" ", "") in common:
        return "That password is one of the most commonly used, so it is easy to guess. Choose another."
    return None
