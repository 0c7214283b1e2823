"""What is kept encrypted reads back, fails loudly when tampered with, and stays readable across the
change of cipher (data written as Fernet before AES-GCM)."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from bot.store.vault import Vault

SECRET = "vault-test-secret-0123456789abcdef"


@pytest.mark.parametrize(
    "value", ["+15195550123", "mi patrón no me paga 💸", "", b"\x00\xff evidence bytes"]
)
def test_what_is_encrypted_reads_back(value):
    vault = Vault(SECRET)
    token = vault.encrypt(value)
    assert token.isascii()
    assert (
        vault.decrypt_bytes(token) if isinstance(value, bytes) else vault.decrypt(token)
    ) == value


def test_the_same_text_never_gives_the_same_token():
    vault = Vault(SECRET)
    tokens = {vault.encrypt("+15195550123") for _ in range(50)}
    assert len(tokens) == 50
    assert all("5195550123" not in token for token in tokens)


def test_data_written_as_fernet_before_still_decrypts():
    """What earlier releases stored: Fernet under the key derived for "fernet-v1"."""
    vault = Vault(SECRET)
    legacy = Fernet(base64.urlsafe_b64encode(vault.derive("fernet-v1"))).encrypt(
        "Sí, mi pasaporte".encode()
    )
    assert vault.decrypt(legacy.decode()) == "Sí, mi pasaporte"
    assert vault.decrypt_optional(None) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t[:-4] + ("AAAA" if t[-4:] != "AAAA" else "BBBB"),  # the tag
        lambda t: t[:30] + ("A" if t[30] != "A" else "B") + t[31:],  # the ciphertext or the nonce
        lambda t: t[:20],  # cut short
        lambda t: "not a token at all!",
        lambda t: "ñ" + t,
    ],
)
def test_a_damaged_token_is_an_error_not_garbage(damage):
    vault = Vault(SECRET)
    with pytest.raises(ValueError, match="cannot be decrypted"):
        vault.decrypt(damage(vault.encrypt("my employer took my passport")))


@pytest.mark.parametrize("kind", ["new", "fernet"])
def test_another_secret_cannot_read_it(kind):
    vault = Vault(SECRET)
    token = (
        vault.encrypt("+15195550123")
        if kind == "new"
        else Fernet(base64.urlsafe_b64encode(vault.derive("fernet-v1")))
        .encrypt(b"+15195550123")
        .decode()
    )
    with pytest.raises(ValueError, match="another secret key"):
        Vault(SECRET + "-rotated").decrypt(token)
