"""Staff passwords: argon2id hashes, rehashed on login when the parameters are raised."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.errors import PuenteError

MIN_LENGTH = 12
MAX_LENGTH = 1024  # argon2 takes any length; a megabyte "password" is an attack on the CPU

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY = _hasher.hash("not-a-password-of-anyone")


class WeakPassword(PuenteError):
    """A password refused by the rules; ``msgid`` names the portal message that explains why."""

    def __init__(self, msgid: str):
        super().__init__(msgid)
        self.msgid = msgid


def check_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword("password.too_short")
    if len(password) > MAX_LENGTH:
        raise WeakPassword("password.too_long")


def hash_password(password: str) -> str:
    check_rules(password)
    return _hasher.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; always spends the same effort, even with no hash."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
