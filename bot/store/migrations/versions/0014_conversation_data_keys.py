"""Envelope encryption for conversations: a data key per conversation, wrapped by the master key.

``conversations.data_key_id`` names the conversation's. Its number, the tokens in its state, its
messages (SID, text, button, media URLs), its outbox and what the NLU review queue kept of it are
sealed again under that key and bound to their table, column and row (bot.store.reseal); inbound
messages are named by their MessageSid's keyed hash, which the webhook knows before the INSERT. An
outbox row to no conversation (a staff notice, an erasure's goodbye) gets a data key of its own, as
does a review row linked to no conversation. Needs the secret key when conversations or messages exist.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.engine import Connection

from bot.store import migrate, reseal
from bot.store.vault import Vault

#: ``change(review id, its conversation's data key or None, token)``: the token to store instead.
ReviewChange = Callable[[int, str | None, str], str]

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

CONVERSATIONS = reseal.Scope(
    "conversations",
    "conversation",
    (
        ("conversations", "address_enc", "id"),
        ("inbound_messages", "sid_enc", "conversation_id"),
        ("inbound_messages", "body_enc", "conversation_id"),
        ("inbound_messages", "button_enc", "conversation_id"),
        ("outbox", "to_enc", "conversation_id"),
        ("outbox", "body_enc", "conversation_id"),
        ("outbox", "content_variables_enc", "conversation_id"),
    ),
    alone="message",
)
#: The state's tokens (bot.conversation.sealed_state, as of this revision) and a message's media.
STATE_TOKENS, MEDIA_TOKEN = ("_sealed", "_private"), "url_enc"
#: How nlu_review.conversation_key is derived from a conversation (bot.conversation.nlu_review).
REVIEW_LINK = "nlu-review"


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("data_key_id", sa.String(16), nullable=True))
    conn = op.get_bind()
    found = reseal.tools(migrate.keys(context.config), conn, CONVERSATIONS, revision)
    if found is None:
        return
    vault, envelope = found
    reseal.to_envelopes(conn, vault, envelope, CONVERSATIONS)
    keys: dict[int, str] = dict(
        conn.execute(sa.text("SELECT id, data_key_id FROM conversations")).tuples().all()
    )

    def seal(
        place: str, row: int | str, owner: int, token: str, opened: Callable[[str], str | bytes]
    ) -> str:
        return (
            token
            if envelope.key_of(token)
            else envelope.seal(conn, keys[owner], place, row, opened(token))
        )

    def state(row: int | str, owner: int, value: Any) -> Any:
        for holder, name in _tokens(value, STATE_TOKENS):
            holder[name] = seal(
                "conversations.state",
                row,
                owner,
                holder[name],
                lambda token: json.dumps(
                    _media_opened(vault, json.loads(vault.decrypt(token))), ensure_ascii=False
                ),
            )
        return value

    def media(row: int | str, owner: int, value: Any) -> Any:
        for holder, name in _tokens(value, (MEDIA_TOKEN,)):
            holder[name] = seal("inbound_messages.media", row, owner, holder[name], vault.decrypt)
        return value

    reseal.documents(conn, "conversations", "state", "id", state)
    reseal.documents(conn, "inbound_messages", "media", "conversation_id", media)
    _reviews(
        conn,
        vault,
        lambda review_id, key, token: (
            token
            if envelope.key_of(token)
            else envelope.seal(
                conn,
                key or envelope.new_key(conn, "message"),
                "nlu_review.text_enc",
                review_id,
                vault.decrypt(token),
            )
        ),
    )


def downgrade() -> None:
    conn = op.get_bind()
    found = reseal.tools(migrate.keys(context.config), conn, CONVERSATIONS, revision)
    if found is not None:
        vault, envelope = found
        reseal.to_legacy(conn, vault, envelope, CONVERSATIONS)
        _reviews(
            conn,
            vault,
            lambda review_id, key, token: (
                vault.encrypt(envelope.open_bytes(conn, "nlu_review.text_enc", review_id, token))
                if envelope.key_of(token)
                else token
            ),
        )

        def legacy(place: str, names: tuple[str, ...]) -> reseal.DocumentChange:
            def change(row: int | str, owner: object, value: Any) -> Any:
                for holder, name in _tokens(value, names):
                    if envelope.key_of(holder[name]):
                        holder[name] = vault.encrypt(
                            envelope.open_bytes(conn, place, row, holder[name])
                        )
                return value

            return change

        reseal.documents(
            conn, "conversations", "state", "id", legacy("conversations.state", STATE_TOKENS)
        )
        reseal.documents(
            conn,
            "inbound_messages",
            "media",
            "conversation_id",
            legacy("inbound_messages.media", (MEDIA_TOKEN,)),
        )
    conn.execute(sa.text("DELETE FROM data_keys WHERE scope IN ('conversation', 'message')"))
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("data_key_id")


def _reviews(conn: Connection, vault: Vault, change: ReviewChange) -> None:
    """Re-encrypt the NLU review queue: ``change(row id, its conversation's data key or None, token)``;
    a review is linked to its conversation by a keyed hash of the conversation's address key."""
    keys = {
        vault.keyed_hash(REVIEW_LINK, address_key): key
        for address_key, key in conn.execute(
            sa.text("SELECT address_key, data_key_id FROM conversations")
        )
    }
    for review_id, link, token in conn.execute(
        sa.text("SELECT id, conversation_key, text_enc FROM nlu_review")
    ).all():
        conn.execute(
            sa.text("UPDATE nlu_review SET text_enc = :token WHERE id = :id"),
            {"token": change(review_id, keys.get(link), token), "id": review_id},
        )


def _tokens(value: Any, names: tuple[str, ...]) -> Iterator[tuple[dict[str, Any], str]]:
    """(dict, key) of every token under ``names`` in a JSON value."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name in names and isinstance(item, str):
                yield value, name
            else:
                yield from _tokens(item, names)
    elif isinstance(value, list):
        for item in value:
            yield from _tokens(item, names)


def _media_opened(vault: Vault, value: Any) -> Any:
    """Media items a flow kept in its slots carry their URL opened from now on (the slots are sealed)."""
    for holder, _ in list(_tokens(value, (MEDIA_TOKEN,))):
        holder["url"] = vault.decrypt(holder.pop(MEDIA_TOKEN))
    return value
