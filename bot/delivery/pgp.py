"""OpenPGP encryption of a case's details for an organization that gave its public key.

python-gnupg drives the system's ``gpg`` (Debian: gnupg) in a throwaway keyring holding only that
key, so nothing is kept and no other key can be picked by mistake.
"""

from __future__ import annotations

import tempfile

from bot.errors import PuenteError


class PgpError(PuenteError):
    """The key cannot be used (not a key, expired, gpg missing); the message says which."""


def encrypt(public_key: str, text: str) -> str:
    """``text`` as an ASCII-armored OpenPGP message only that key's holder can read."""
    import gnupg

    with tempfile.TemporaryDirectory(prefix="puente-gpg-") as home:
        try:
            gpg = gnupg.GPG(gnupghome=home)
        except (OSError, RuntimeError, ValueError) as exc:
            raise PgpError(f"gpg cannot be run ({type(exc).__name__}): install gnupg") from None
        imported = gpg.import_keys(public_key)
        if not imported.fingerprints:
            raise PgpError("contacts.pgp_key is not a usable OpenPGP public key")
        result = gpg.encrypt(text, imported.fingerprints[0], always_trust=True, armor=True)
        if not result.ok:
            raise PgpError(f"contacts.pgp_key could not encrypt ({result.status})")
        return str(result)
