"""One worker's conversation as the database holds it, in the order the bot handled the messages."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.envelope import Envelope
from bot.store.keyring import Keyring
from bot.store.models import Conversation, InboundMessage, OutboxMessage
from bot.store.vault import Vault
from tests.conftest import SECRET
from tests.faults.ledger import wait_all_answered
from tests.faults.traffic import post

Turn = tuple[str, list[str]]  # what the worker said, the pages the bot answered


def transcript(db, sender: str) -> list[Turn]:
    vault = Vault(SECRET)
    envelope = Envelope(Keyring(vault, None))  # the stacks never rotate the master key
    with db.session() as session:
        conversation_id = session.scalar(
            select(Conversation.id).where(Conversation.address_key == vault.address_key(sender))
        )
        inbound = session.scalars(
            select(InboundMessage)
            .where(InboundMessage.conversation_id == conversation_id)
            .order_by(InboundMessage.processed_at, InboundMessage.id)
        ).all()
        outbox = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.conversation_id == conversation_id)
            .order_by(OutboxMessage.id)
        ).all()
        pages: dict[int, list[str]] = {}
        for row in outbox:
            if row.dedupe_key and row.dedupe_key.startswith("reply:"):
                pages.setdefault(int(row.dedupe_key.split(":")[1]), []).append(
                    envelope.get(session, row, "body_enc")
                )
        return [(envelope.get(session, row, "body_enc"), pages.get(row.id, [])) for row in inbound]


def typed_one_by_one(stack, sender: str, texts: list[str]) -> list[Turn]:
    """The same texts from a fresh sender, each sent only once the previous one was answered."""
    for text in texts:
        sent = post(stack, sender, text)
        assert sent.status == 200
        wait_all_answered(stack.db, {sent.sid}, timeout=60)
    return transcript(stack.db, sender)
