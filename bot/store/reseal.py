"""Re-encrypting stored tokens between the one-key format (bot.store.vault) and envelopes (bot.store.envelope).

Used by the migrations that move an area's columns under data keys: each owner row (a report, a
conversation) gets its data key, and every token of its columns is opened with the secret key and
sealed again to its table, column and row (JSON columns holding tokens: :func:`documents`). The way
back (downgrade) opens the envelopes and encrypts with the secret key again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.errors import ConfigError
from bot.store.envelope import ROW_NAMES, Envelope, KeyDestroyed
from bot.store.keyring import Keyring
from bot.store.vault import Vault

#: ``change(place, row name, owner id, token)``: the token to store instead (None empties it).
TokenChange = Callable[[str, int | str, Any, str], str | None]
#: ``change(row name, owner id, JSON value)``: the value to store instead.
DocumentChange = Callable[[int | str, Any, Any], Any]


@dataclass(frozen=True)
class Scope:
    """An owner table whose rows each get a data key (in ``data_key_id``), and the encrypted columns
    sealed under it: (table, column, the column holding the owner's id)."""

    owner: str
    kind: str
    columns: tuple[tuple[str, str, str], ...]
    #: The kind of data key a row gets for itself when its owner column is NULL (a message to no
    #: conversation); None: such rows are left as they are.
    alone: str | None = None


def tools(
    keys: tuple[str, str | None] | None, conn: Connection, scope: Scope, revision: str
) -> tuple[Vault, Envelope] | None:
    """The vault and envelope to re-encrypt with; None when there is nothing to re-encrypt."""
    if keys is not None:
        vault = Vault(keys[0])
        return vault, Envelope(Keyring(vault, keys[1]))
    tables = dict.fromkeys([scope.owner, *(table for table, _, _ in scope.columns)])
    if all(conn.execute(sa.text(f"SELECT 1 FROM {table}")).first() is None for table in tables):
        return None
    raise ConfigError(
        f"migration {revision} re-encrypts the stored {scope.owner} under their own data keys and needs "
        "the secret key: set PUENTE_SECRET_KEY (and PUENTE_MASTER_KEY_FILE if keys were rotated) to "
        "this deployment's and run `puente db upgrade` again"
    )


def to_envelopes(conn: Connection, vault: Vault, envelope: Envelope, scope: Scope) -> int:
    """Give each owner row a data key and seal its columns' tokens under it; how many tokens."""
    keys: dict[Any, str] = {}
    for owner_id in conn.execute(
        sa.text(f"SELECT id FROM {scope.owner} WHERE data_key_id IS NULL")
    ).scalars():
        keys[owner_id] = envelope.new_key(conn, scope.kind)
        conn.execute(
            sa.text(f"UPDATE {scope.owner} SET data_key_id = :key WHERE id = :id"),
            {"key": keys[owner_id], "id": owner_id},
        )
    alone: dict[tuple[str, object], str] = {}

    def sealed(place: str, row: int | str, owner: object, token: str) -> str:
        if owner is None and scope.alone and envelope.key_of(token) is None:
            key = alone.setdefault(
                (place.partition(".")[0], row), envelope.new_key(conn, scope.alone)
            )
        elif owner in keys:
            key = keys[owner]
        else:
            return token
        return envelope.seal(conn, key, place, row, vault.decrypt_bytes(token))

    return _each_token(conn, scope, sealed)


def to_legacy(conn: Connection, vault: Vault, envelope: Envelope, scope: Scope) -> int:
    """Open every envelope of the scope and encrypt it with the secret key again (a destroyed
    key's tokens, unreadable for good, become NULL); how many tokens."""

    def legacy(place: str, row: int | str, owner: object, token: str) -> str | None:
        try:
            return vault.encrypt(envelope.open_bytes(conn, place, row, token))
        except KeyDestroyed:
            return None

    return _each_token(conn, scope, legacy)


def documents(
    conn: Connection, table: str, column: str, owner_column: str, change: DocumentChange
) -> int:
    """Rewrite a JSON column holding tokens, row by row: ``change(row name, owner, value)`` returns
    the new value; how many rows changed."""
    named_by = ROW_NAMES.get(table, "id")
    names = dict.fromkeys(["id", named_by, owner_column])
    rows = sa.table(table, *(sa.column(name) for name in names), sa.column(column, sa.JSON))
    count = 0
    for row in conn.execute(
        sa.select(rows.c.id, rows.c[named_by], rows.c[owner_column], rows.c[column])
    ).all():
        row_id, row_name, owner, value = row
        changed = change(row_name, owner, copy.deepcopy(value))
        if changed != value:
            conn.execute(sa.update(rows).where(rows.c.id == row_id).values({column: changed}))
            count += 1
    return count


def _each_token(conn: Connection, scope: Scope, change: TokenChange) -> int:
    count = 0
    for table, column, owner_column in scope.columns:
        name = ROW_NAMES.get(table, "id")
        ids = (
            conn.execute(
                sa.text(f"SELECT id FROM {table} WHERE {column} IS NOT NULL AND {column} != ''")
            )
            .scalars()
            .all()
        )
        for row_id in ids:  # one row at a time: evidence tokens are megabytes each
            row, owner, token = conn.execute(
                sa.text(f"SELECT {name}, {owner_column}, {column} FROM {table} WHERE id = :id"),
                {"id": row_id},
            ).one()
            conn.execute(
                sa.text(f"UPDATE {table} SET {column} = :token WHERE id = :id"),
                {"token": change(f"{table}.{column}", row, owner, token), "id": row_id},
            )
            count += 1
    return count
