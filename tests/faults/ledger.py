"""What the database says happened to each accepted message: for exactly-once assertions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.models import InboundMessage, OutboxMessage
from tests.support.services import wait_until

SENT = {"sent", "delivered", "queued", "accepted"}


@dataclass(frozen=True)
class Ledger:
    inbound: dict[str, str]  # MessageSid -> status
    replies: dict[str, list[OutboxMessage]]  # MessageSid -> its reply rows
    outbox: list[OutboxMessage]

    def unanswered(self) -> list[str]:
        """Accepted messages not yet handled, or whose first reply page has not gone out."""
        return [sid for sid, status in self.inbound.items()
                if status != "done" or not any(r.status in SENT for r in self.replies.get(sid, []))]


def ledger(db) -> Ledger:
    with db.session() as session:
        rows = session.scalars(select(InboundMessage)).all()
        outbox = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    by_id = {row.id: row.message_sid for row in rows}
    replies: dict[str, list[OutboxMessage]] = {}
    for row in outbox:
        if row.dedupe_key and row.dedupe_key.startswith("reply:"):
            inbound_id = int(row.dedupe_key.split(":")[1])
            replies.setdefault(by_id.get(inbound_id, "?"), []).append(row)
    return Ledger({row.message_sid: row.status for row in rows}, replies, list(outbox))


def wait_all_answered(db, sids: set[str], timeout: float = 60) -> Ledger:
    """Wait until each MessageSid in ``sids`` is stored, handled, and its reply sent."""

    def settled() -> Ledger | None:
        current = ledger(db)
        missing = sids - set(current.inbound)
        return current if not missing and not set(current.unanswered()) & sids else None

    try:
        return wait_until(settled, timeout, "every accepted message to be answered", interval=0.25)
    except AssertionError:
        current = ledger(db)
        lost = sids - set(current.inbound)
        raise AssertionError(f"{len(lost)} accepted message(s) not stored, "
                             f"{len(set(current.unanswered()) & sids)} unanswered after {timeout}s; "
                             f"inbound statuses {sorted(set(current.inbound.values()))}") from None


def assert_each_sent_once(current: Ledger, twilio) -> None:
    """Every outbox row that went out did so exactly once, and nothing else reached Twilio."""
    sent = twilio.messages
    sids = [m.sid for m in sent]
    assert len(sids) == len(set(sids))
    ours = [row.twilio_sid for row in current.outbox if row.twilio_sid]
    assert len(ours) == len(set(ours)), "two outbox rows claim one Twilio message"
    assert sorted(ours) == sorted(sids), (
        f"{len(sent)} message(s) reached Twilio for {len(ours)} outbox row(s) marked sent")
