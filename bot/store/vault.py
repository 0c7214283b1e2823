"""Keys derived from the one secret: HMAC for looking numbers up, AES-GCM for what must be kept.

A phone number is never stored in clear: conversations are found by ``address_key`` (HMAC-SHA256 of
the channel address) and the address itself, needed only to send, is sealed under the conversation's
data key (bot.store.envelope, as is everything of a conversation or a report). What this key still
encrypts itself is what belongs to no conversation: TOTP secrets, alerts, the SIDs awaiting deletion
at Twilio.

Tokens are URL-safe base64 of a version byte, a random 96-bit nonce and AES-256-GCM's output (the
version byte authenticated too). Data written before was Fernet (AES-CBC + HMAC, version byte
0x80): it still decrypts. AES-GCM is one call into OpenSSL where Fernet is several steps in Python
(measured in bench/README.md), and every message the webhook stores is encrypted on the request path.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: The first byte of a token: this module's AES-GCM tokens, and Fernet's (read only).
_GCM, _FERNET = b"\x81", b"\x80"
_NONCE = 12


class Vault:
    """Derives purpose-bound keys from the secret key, so one leak does not open everything."""

    def __init__(self, secret_key: str):
        if not secret_key:
            raise ValueError("Vault needs a secret key")
        self._secret = secret_key.encode()
        self._aead = AESGCM(self.derive("aes-gcm-v1"))
        self._fernet = Fernet(base64.urlsafe_b64encode(self.derive("fernet-v1")))  # earlier tokens
        self._address_key = self.derive("address-hmac-v1")
        self._sid_key = self.derive("message-sid-hmac-v1")

    def derive(self, purpose: str, length: int = 32) -> bytes:
        """A key for one purpose (HKDF-SHA256 over the secret, the purpose as context)."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=b"puente", info=purpose.encode())
        return hkdf.derive(self._secret)

    def address_key(self, address: str) -> str:
        """The stable lookup key of a channel address ('+1...' or 'whatsapp:+1...')."""
        normalized = address.strip().lower().replace(" ", "")
        return hmac.new(self._address_key, normalized.encode(), hashlib.sha256).hexdigest()

    def sid_hash(self, sid: str) -> str:
        """What is kept of a Twilio message SID: enough to recognise it again, not to look it up
        at Twilio (a dump cannot be matched with Twilio's logs or the worker's phone)."""
        return hmac.new(self._sid_key, sid.encode(), hashlib.sha256).hexdigest()

    def keyed_hash(self, purpose: str, value: str) -> str:
        """A keyed hash for values looked up but never read back (case codes, reporters)."""
        return hmac.new(self.derive(purpose), value.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, value: str | bytes) -> str:
        data = value.encode() if isinstance(value, str) else value
        nonce = os.urandom(_NONCE)
        return base64.urlsafe_b64encode(
            _GCM + nonce + self._aead.encrypt(nonce, data, _GCM)
        ).decode("ascii")

    def decrypt(self, token: str) -> str:
        return self.decrypt_bytes(token).decode()

    def decrypt_bytes(self, token: str) -> bytes:
        try:
            raw = base64.urlsafe_b64decode(token)
            if raw[:1] == _GCM:
                return self._aead.decrypt(raw[1 : 1 + _NONCE], raw[1 + _NONCE :], _GCM)
            if raw[:1] == _FERNET:
                return self._fernet.decrypt(token.encode("ascii"))
            raise InvalidToken
        except (InvalidTag, InvalidToken, binascii.Error, ValueError):
            raise ValueError(
                "stored data cannot be decrypted: it was written with another secret key, or it is damaged"
            ) from None

    def encrypt_optional(self, value: str | None) -> str | None:
        return None if value is None else self.encrypt(value)

    def decrypt_optional(self, token: str | None) -> str | None:
        return None if token is None else self.decrypt(token)
