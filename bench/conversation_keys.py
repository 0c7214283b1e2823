"""What a conversation's own data key costs per message (issue 22, item 11).

    python bench/conversation_keys.py [--messages 20000] [--conversations 200]

One answered message seals and opens the same tokens before and after: the webhook seals its SID
and text; the turn opens the text, opens and seals the state (the report's answers, the private
keys), opens the number; the reply's page is sealed (number, text) and opened again to send it.
Before, each token used the one key derived from the secret key (bot.store.vault); after, the
conversation's data key (bot.store.envelope), bound to its table, column and row. The same code
(bot.conversation.sealed_state) runs both ways. Printed: microseconds of CPU per message before,
after with the data keys in the process's cache (the usual case), after with the cache emptied
before every message (each message then reads and unwraps its key from SQLite), their ratios, and
the statements the envelopes add on SQLite: the webhook's SELECT of the conversation (its data key)
and the UPDATE that seals an outbox row once its id is known.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import insert, select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.conversation import sealed_state  # noqa: E402
from bot.schema import metadata  # noqa: E402
from bot.store.db import Database, utcnow  # noqa: E402
from bot.store.envelope import Envelope  # noqa: E402
from bot.store.keyring import Keyring  # noqa: E402
from bot.store.models import Conversation, OutboxMessage  # noqa: E402
from bot.store.vault import Vault  # noqa: E402

SECRET = "bench-secret-key-" * 3
ADDRESS = "+15195550101"
BODY = "cuanto me tienen que pagar por hora en la granja? el patron no me paga las horas extra"
REPLY = (
    "En Ontario el salario mínimo general es el que fija la provincia; tus horas extra se pagan "
    "aparte. Responde 1 para saber más, 2 para hacer un reporte sin dar tu nombre."
)
STATE = {
    "flow": "report",
    "step": "employer",
    "language": "es",
    "province": "ON",
    "slots": {"types": ["wages", "hours"], "danger": False, "story": "1"},
    "stack": [{"flow": "menu", "step": "main", "slots": {"choice": "2"}}],
    "has_reports": True,
    "pin": {"hash": "$argon2id$v=19$m=65536,t=3,p=4$" + "x" * 60, "fails": 0},
}


class OneKey:
    """Before: every token under the one key derived from the secret key (the same calls as
    bot.store.envelope.Envelope, the place and row ignored)."""

    def __init__(self, vault: Vault):
        self.vault = vault

    def seal(self, db, key_id, place, row, value):
        return self.vault.encrypt(value)

    def open(self, db, place, row, token):
        return self.vault.decrypt(token)


def message(cipher, db, conversation, sid: str) -> None:
    """One answered message's encryption, as the webhook, the turn and the send do it."""
    key = conversation.data_key_id
    stored = {
        column: cipher.seal(db, key, f"inbound_messages.{column}", sid, value)
        for column, value in (("sid_enc", "SM" + sid[:32]), ("body_enc", BODY))
    }
    cipher.open(db, "inbound_messages.body_enc", sid, stored["body_enc"])
    state = sealed_state.unseal(cipher, db, conversation)
    conversation.state = sealed_state.seal(cipher, db, conversation, state)
    address = cipher.open(
        db, "conversations.address_enc", conversation.id, conversation.address_enc
    )
    page = {
        column: cipher.seal(db, key, f"outbox.{column}", 1, value)
        for column, value in (("to_enc", address), ("body_enc", REPLY))
    }
    for column, token in page.items():
        cipher.open(db, f"outbox.{column}", 1, token)


def cpu_per_call(work: Callable[[int], None], count: int) -> float:
    start = time.process_time()
    for n in range(count):
        work(n)
    return (time.process_time() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--conversations", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{os.path.join(tmp, 'bench.db')}")
        metadata.create_all(db.engine)
        vault = Vault(SECRET)
        envelope = Envelope(Keyring(vault, None))
        one_key = OneKey(vault)
        with db.engine.begin() as conn:
            before, after = [], []
            for n in range(args.conversations):
                key = envelope.new_key(conn, "conversation")
                after.append(
                    SimpleNamespace(
                        id=n + 1,
                        data_key_id=key,
                        state={},
                        address_enc=envelope.seal(
                            conn, key, "conversations.address_enc", n + 1, ADDRESS
                        ),
                    )
                )
                after[-1].state = sealed_state.seal(envelope, conn, after[-1], STATE)
                before.append(
                    SimpleNamespace(
                        id=n + 1,
                        data_key_id=None,
                        address_enc=vault.encrypt(ADDRESS),
                        state=sealed_state.seal(
                            one_key, conn, SimpleNamespace(id=n + 1, data_key_id=None), STATE
                        ),
                    )
                )
                conn.execute(
                    insert(Conversation).values(
                        id=n + 1,
                        address_key=f"{n:064x}",
                        address_enc="",
                        data_key_id=key,
                        channel="sms",
                        bot_address="+15550109999",
                    )
                )
            conversations = args.conversations
            sid = "%064x"
            old = cpu_per_call(
                lambda n: message(one_key, conn, before[n % conversations], sid % n), args.messages
            )
            warm = cpu_per_call(
                lambda n: message(envelope, conn, after[n % conversations], sid % n), args.messages
            )

            def cold(n: int) -> None:
                envelope._cache.clear()  # as if every message came to a process that never saw its conversation
                message(envelope, conn, after[n % conversations], sid % n)

            cold_us = cpu_per_call(cold, max(args.messages // 10, 100))
            lookup = cpu_per_call(
                lambda n: conn.execute(
                    select(Conversation.id, Conversation.data_key_id).where(
                        Conversation.address_key == f"{n % conversations:064x}"
                    )
                ).first(),
                args.messages,
            )

        def outbox_row(n: int, sealed_after: bool) -> None:
            with db.engine.begin() as conn:
                values = {
                    "channel": "sms",
                    "from_address": "+15550109999",
                    "kind": "reply",
                    "status": "sent",
                    "created_at": utcnow(),
                    "to_enc": "" if sealed_after else "t" * 100,
                    "body_enc": None if sealed_after else "b" * 300,
                }
                row_id = conn.execute(
                    insert(OutboxMessage).values(values).returning(OutboxMessage.id)
                ).scalar_one()
                if sealed_after:
                    conn.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id == row_id)
                        .values(to_enc="t" * 100, body_enc="b" * 300)
                    )

        rows = max(args.messages // 10, 200)
        insert_only = cpu_per_call(lambda n: outbox_row(n, False), rows)
        insert_update = cpu_per_call(lambda n: outbox_row(n, True), rows)
        db.engine.dispose()
    print(
        f"per answered message, CPU µs ({args.messages} messages over {args.conversations} conversations)"
    )
    print(f"  before (one derived key):           {old:8.1f}")
    print(f"  after, data keys cached:            {warm:8.1f}   ratio {warm / old:.2f}")
    print(f"  after, each key read and unwrapped: {cold_us:8.1f}   ratio {cold_us / old:.2f}")
    print("statements the envelopes add (SQLite, CPU µs of this process)")
    print(f"  webhook: SELECT the conversation's id and data key: {lookup:8.1f} per message")
    print(
        f"  outbox page: INSERT then UPDATE against INSERT alone: {insert_update:8.1f} / {insert_only:8.1f}"
        f"   ratio {insert_update / insert_only:.2f}"
    )


if __name__ == "__main__":
    main()
