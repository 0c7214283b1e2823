"""The master keys: what wraps every data key (bot.store.envelope), and only that.

Until the first rotation the one master key is derived from the secret key (PUENTE_SECRET_KEY).
`puente keys rotate` writes a random new one to the key file (``keys.master_key_file``, 0600,
shared by every web and worker process) and keeps the old ones there, readable, until every data key
is wrapped under the new one. A key's id is a hash of the key, so a wrapped data key always names
the master key that opens it. Processes re-read the file when it changes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.errors import ConfigError
from bot.store.vault import Vault

_NONCE = 12


def key_id(key: bytes) -> str:
    """A master key's public name: 16 hex digits of a hash of it."""
    return hashlib.sha256(b"puente-master-key-id\0" + key).hexdigest()[:16]


class Keyring:
    """The master keys this process can use: the current one wraps, any of them unwraps."""

    def __init__(self, vault: Vault, path: str | os.PathLike[str] | None):
        """``path``: the key file (None: only the key derived from the secret key)."""
        self._derived = vault.derive("master-key-v1")
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._seen: float | None = -1.0
        self._keys: dict[str, bytes] = {}
        self.current = ""
        self._load()

    def wrap(self, data_key: bytes, data_key_id: str) -> tuple[str, str]:
        """(the data key wrapped under the current master key, that master key's id)."""
        self._load()
        master = self.current
        nonce = os.urandom(_NONCE)
        sealed = AESGCM(self._keys[master]).encrypt(nonce, data_key, _bound(data_key_id, master))
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii"), master

    def unwrap(self, wrapped: str, data_key_id: str, master: str) -> bytes:
        key = self._keys.get(master)
        if key is None:
            self._load()
            key = self._keys.get(master)
        if key is None:
            raise ConfigError(
                f"data key {data_key_id} is wrapped by master key {master}, which is not in {self.path} "
                "(nor derived from the secret key): restore the key file this database was rotated with"
            )
        raw = base64.urlsafe_b64decode(wrapped)
        return AESGCM(key).decrypt(raw[:_NONCE], raw[_NONCE:], _bound(data_key_id, master))

    def known(self) -> list[str]:
        self._load()
        return list(self._keys)

    def add_new_current(self) -> str:
        """Start a rotation: a random master key becomes current; the others stay readable."""
        with self._lock:
            self._read()
            new = AESGCM.generate_key(bit_length=256)
            keys = {**self._keys, key_id(new): new}
            self._write(key_id(new), keys)
            return key_id(new)

    def retire_all_but_current(self) -> list[str]:
        """End a rotation (every data key rewrapped): forget the old master keys."""
        with self._lock:
            self._read()
            old = [name for name in self._keys if name != self.current]
            self._write(self.current, {self.current: self._keys[self.current]})
            return old

    def _load(self) -> None:
        try:
            seen = self.path.stat().st_mtime_ns if self.path else None
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            with self._lock:
                self._read()

    def _read(self) -> None:
        try:
            if self.path is None:
                raise FileNotFoundError
            seen = self.path.stat().st_mtime_ns
            data = json.loads(self.path.read_text())
            keys = {key_id(raw): raw for raw in (base64.urlsafe_b64decode(k) for k in data["keys"])}
            current = data["current"]
        except FileNotFoundError:
            seen, keys, current = (
                None,
                {key_id(self._derived): self._derived},
                key_id(self._derived),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"master key file {self.path} is damaged ({exc}): restore it from its backup"
            ) from None
        if current not in keys:
            raise ConfigError(
                f"master key file {self.path}: its current key {current} is not among its keys"
            )
        self._keys, self.current, self._seen = keys, current, seen

    def _write(self, current: str, keys: dict[str, bytes]) -> None:
        if self.path is None:
            raise ConfigError(
                "master_key_file is not set: rotation needs a file to keep the new master key in"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_name(self.path.name + ".new")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(
                {
                    "current": current,
                    "keys": [
                        base64.urlsafe_b64encode(raw).decode("ascii") for raw in keys.values()
                    ],
                },
                out,
            )
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)
        self._keys, self.current = keys, current
        self._seen = self.path.stat().st_mtime_ns


def _bound(data_key_id: str, master: str) -> bytes:
    return f"data_keys:{data_key_id}:{master}".encode()
