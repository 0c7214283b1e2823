"""Case codes: what a worker texts back to learn a report's status, without any other identity.

Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L), at least two digits and
two letters, shown as ``XXXX-XXXX``. About 39 bits: guessing is hopeless once the bot throttles
attempts. Only a keyed hash is stored, as for a password; unlike a password hash it is
deterministic, so the report can be found by it, and keyed, so a leaked table cannot be reversed
by trying all codes without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Protocol

from vocab import CASE_ALPHABET

ALPHABET = CASE_ALPHABET
LENGTH = 8
MIN_DIGITS = 2
MIN_LETTERS = 2

_DIGITS = frozenset("23456789")
_ALLOWED = frozenset(ALPHABET)
# What people type between the two halves: spaces (also no-break) and hyphens/dashes phones insert.
_SEPARATORS = dict.fromkeys(map(ord, " \t\u00a0\u202f-\u2010\u2011\u2012\u2013\u2014\u2212"))
_PURPOSE = b"puente-case-code-v1:"


class _Chooser(Protocol):
    def choice(self, seq: str) -> str: ...


def new_code(rng: _Chooser = secrets) -> str:
    """A fresh code, normalized (no hyphen). ``rng`` is for tests; in use it is ``secrets``."""
    while True:
        code = "".join(rng.choice(ALPHABET) for _ in range(LENGTH))
        if _well_formed(code):
            return code


def display(code: str) -> str:
    """The code as shown to a worker: ``XXXX-XXXX``."""
    normalized = normalize(code)
    if normalized is None:
        raise ValueError("not a case code")
    return f"{normalized[:4]}-{normalized[4:]}"


def normalize(text: str) -> str | None:
    """The code a worker typed, in any case, with or without a hyphen or space; None if it is not one.

    Look-alikes (O, 0, I, 1, L) are refused rather than guessed: a wrong guess would show another
    worker's case status.
    """
    if not isinstance(text, str):
        return None
    candidate = text.strip().translate(_SEPARATORS)
    if not candidate.isascii():  # before upper(): "ß".upper() is "SS"
        return None
    candidate = candidate.upper()
    return candidate if _well_formed(candidate) else None


def code_hash(code: str, key: bytes) -> str:
    """The keyed hash stored instead of the code (hex HMAC-SHA256). ``key`` comes from the secret
    key for this purpose only, e.g. ``Vault.derive("case-code-v1")``."""
    normalized = normalize(code)
    if normalized is None:
        raise ValueError("not a case code")
    if not key:
        raise ValueError("code_hash needs a key")
    return hmac.new(key, _PURPOSE + normalized.encode("ascii"), hashlib.sha256).hexdigest()


def code_matches(text: str, key: bytes, stored_hash: str) -> bool:
    """Whether what a worker typed is the code behind ``stored_hash`` (constant-time comparison)."""
    normalized = normalize(text)
    if normalized is None:
        return False
    return hmac.compare_digest(code_hash(normalized, key), stored_hash)


def _well_formed(code: str) -> bool:
    if len(code) != LENGTH or not set(code) <= _ALLOWED:
        return False
    digits = sum(ch in _DIGITS for ch in code)
    return digits >= MIN_DIGITS and LENGTH - digits >= MIN_LETTERS
