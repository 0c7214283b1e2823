"""Envelope encryption: a data key per conversation and per report, each wrapped by the master key.

A token names its data key and is bound to where it is stored (``table:column:row`` as AES-GCM's
associated data): copied to another row or column, it does not decrypt. Erasing a conversation or a
report destroys its data key (the ``data_keys`` row), so whatever copy of its tokens is left (a
row a delete missed, a database page not yet reused, a replica) can no longer be read, even with the
master key. Rotating the master key (`puente keys rotate`, bot.store.keys_cli) rewraps the data keys only.

Token: URL-safe base64 of a version byte (0x82), the data key's id (8 bytes), a 96-bit nonce and
AES-256-GCM's output; the version byte and the key id are authenticated with the place.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time
from collections import OrderedDict
from typing import TypeAlias

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.orm import Session

from bot.store.db import Base, rowcount
from bot.store.keyring import Keyring
from bot.store.models import DataKey

_VERSION, _ID, _NONCE = b"\x82", 8, 12
#: Unwrapped data keys kept in memory this long (a destroyed key leaves other processes' caches then).
CACHE_SECONDS = 300
CACHE_SIZE = 4096
#: Tables whose rows are named by another unique column than ``id``, one known before the row is
#: inserted: the webhook seals an inbound message inside the one INSERT that stores it.
ROW_NAMES = {"inbound_messages": "message_sid"}
#: What a data key is read and written through: a session, or a migration's connection.
Executor: TypeAlias = Session | Connection


class KeyDestroyed(ValueError):
    """The data key of this token was destroyed: what it protected was erased."""


class Envelope:
    """Seals and opens tokens under data keys kept, wrapped, in ``data_keys``."""

    def __init__(self, keyring: Keyring):
        self.keyring = keyring
        self._cache: OrderedDict[str, tuple[float, AESGCM]] = OrderedDict()
        self._lock = threading.Lock()

    def new_key(self, db: Executor, scope: str) -> str:
        """Create a data key for one conversation or report (``scope`` says which kind); its id."""
        key_id = os.urandom(_ID).hex()  # random, not a sequence: its order would date its owner
        raw = AESGCM.generate_key(bit_length=256)
        wrapped, master = self.keyring.wrap(raw, key_id)
        db.execute(
            insert(DataKey).values(id=key_id, scope=scope, master_key_id=master, wrapped=wrapped)
        )
        self._remember(key_id, AESGCM(raw))
        return key_id

    def destroy(self, db: Executor, *key_ids: str | None) -> int:
        """Crypto-shred: delete these data keys; every token under them is unreadable from now on."""
        ids = [key_id for key_id in key_ids if key_id]
        with self._lock:
            for key_id in ids:
                self._cache.pop(key_id, None)
        return rowcount(db.execute(delete(DataKey).where(DataKey.id.in_(ids)))) if ids else 0

    def seal(
        self, db: Executor, key_id: str, place: str, row: int | str, value: str | bytes
    ) -> str:
        """Encrypt ``value`` for column ``place`` ("table.column") of row ``row``."""
        data = value.encode() if isinstance(value, str) else value
        head = _VERSION + bytes.fromhex(key_id)
        nonce = os.urandom(_NONCE)
        sealed = self._aead(db, key_id).encrypt(nonce, data, head + _where(place, row))
        return base64.urlsafe_b64encode(head + nonce + sealed).decode("ascii")

    def seal_optional(
        self, db: Executor, key_id: str, place: str, row: int | str, value: str | bytes | None
    ) -> str | None:
        return None if value is None else self.seal(db, key_id, place, row, value)

    def open(self, db: Executor, place: str, row: int | str, token: str) -> str:
        return self.open_bytes(db, place, row, token).decode()

    def open_optional(
        self, db: Executor, place: str, row: int | str, token: str | None
    ) -> str | None:
        return None if token is None else self.open(db, place, row, token)

    def open_bytes(self, db: Executor, place: str, row: int | str, token: str) -> bytes:
        """Decrypt a token stored at ``place`` of ``row``; ValueError if it was not sealed there."""
        try:
            raw = base64.urlsafe_b64decode(token)
        except (binascii.Error, ValueError):
            raw = b""
        if raw[:1] != _VERSION or len(raw) < 1 + _ID + _NONCE + 16:
            raise ValueError(
                f"{place} of row {row} is not an envelope token: the data was damaged, or "
                "written before a migration converted it (0013 for reports, 0014 for conversations)"
            )
        head, nonce, sealed = (
            raw[: 1 + _ID],
            raw[1 + _ID : 1 + _ID + _NONCE],
            raw[1 + _ID + _NONCE :],
        )
        try:
            return self._aead(db, head[1:].hex()).decrypt(nonce, sealed, head + _where(place, row))
        except InvalidTag:
            raise ValueError(
                f"{place} of row {row} cannot be decrypted: it was sealed for another place, "
                "or it is damaged"
            ) from None

    def put(
        self, db: Executor, key_id: str, row: Base, column: str, value: str | bytes | None
    ) -> None:
        """Seal ``value`` into ``row.column`` (an ORM row with its id) under data key ``key_id``."""
        place, row_id = _place(row, column)
        setattr(row, column, self.seal_optional(db, key_id, place, row_id, value))

    def get(self, db: Executor, row: Base, column: str) -> str | None:
        """``row.column`` opened (None stays None)."""
        place, row_id = _place(row, column)
        return self.open_optional(db, place, row_id, getattr(row, column))

    def get_str(self, db: Executor, row: Base, column: str) -> str:
        """``row.column`` opened, for a column that is never None (a conversation's address)."""
        place, row_id = _place(row, column)
        return self.open(db, place, row_id, getattr(row, column))

    def get_bytes(self, db: Executor, row: Base, column: str) -> bytes:
        place, row_id = _place(row, column)
        return self.open_bytes(db, place, row_id, getattr(row, column))

    def key_of(self, token: str | None) -> str | None:
        """The id of the data key a token was sealed under."""
        raw = base64.urlsafe_b64decode(token) if token else b""
        return raw[1 : 1 + _ID].hex() if raw[:1] == _VERSION else None

    def _aead(self, db: Executor, key_id: str) -> AESGCM:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key_id)
            if cached is not None and now - cached[0] < CACHE_SECONDS:
                return cached[1]
        row = db.execute(
            select(DataKey.wrapped, DataKey.master_key_id).where(DataKey.id == key_id)
        ).first()
        if row is None:
            raise KeyDestroyed(
                f"data key {key_id} was destroyed: what it protected has been erased"
            )
        aead = AESGCM(self.keyring.unwrap(row.wrapped, key_id, row.master_key_id))
        self._remember(key_id, aead)
        return aead

    def _remember(self, key_id: str, aead: AESGCM) -> None:
        with self._lock:
            self._cache[key_id] = (time.monotonic(), aead)
            self._cache.move_to_end(key_id)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)


def _where(place: str, row: int | str) -> bytes:
    table, _, column = place.partition(".")
    return f"{table}:{column}:{row}".encode()


def _place(row: Base, column: str) -> tuple[str, int | str]:
    table = row.__tablename__
    row_id = getattr(row, ROW_NAMES.get(table, "id"), None)
    if row_id is None:
        raise ValueError(
            f"{type(row).__name__}.{column}: the row has no id yet (flush it before sealing)"
        )
    return f"{table}.{column}", row_id
