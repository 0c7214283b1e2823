"""Jobs of no single module: a status callback retried, the re-drive, the purge. Each takes ids only
(no personal data in Redis) and is safe to run twice; the others live beside their work. And the one
housekeeping loop that re-drives and purges, in the worker or (without Redis) the web process."""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from bot import outbox as outbound
from bot.conversation import inbox
from bot.jobs.queue import runs_in
from bot.metrics import HOUSEKEEPING_PASSES
from bot.runtime import Runtime, current
from bot.store.db import rowcount, utcnow
from bot.store.models import (
    DataKey,
    ErasedMessage,
    InboundMessage,
    NluReview,
    OutboxMessage,
    OutboxStatus,
)

#: A status callback for a sid not stored yet is retried after 1, 2, 4, 8 s.
STATUS_RETRY_SECONDS = 1.0
STATUS_ATTEMPTS = 4
#: Twilio redelivers a webhook within minutes; an erased conversation's sids are kept this long.
ERASED_SIDS_KEPT = timedelta(days=2)
#: The housekeeping loop purges old text this often.
PURGE_EVERY_SECONDS = 6 * 3600

log = logging.getLogger(__name__)


@runs_in("sends")
def retry_status(sid: str, status: str, error_code: str, attempt: int) -> bool:
    """A status callback that arrived before its sid was stored; given up after a few tries
    (a status for a message this deployment never sent)."""
    runtime = current()
    if outbound.record_status(runtime, sid, status, error_code or None):
        return True
    record_status_later(runtime, sid, status, error_code, attempt + 1)
    return False


def record_status_later(
    runtime: Runtime, sid: str, status: str, error_code: str, attempt: int = 1
) -> None:
    """Try a status callback again after 1, 2, 4 s ... (``attempt`` 1, 2, 3 ...), then give up."""
    if attempt > STATUS_ATTEMPTS:
        log.info("status %s for message %s…: no such message, ignored", status[:20], sid[:6])
        return
    runtime.enqueue(
        retry_status,
        sid,
        status,
        error_code,
        attempt,
        delay=STATUS_RETRY_SECONDS * 2 ** (attempt - 1),
    )


def redrive() -> dict[str, int]:
    """Queue again whatever an outage left undone."""
    return inbox.redrive(current())


def purge() -> dict[str, int]:
    """Erase message text older than the retention period; the counts stay for the indicators."""
    runtime = current()
    cutoff = utcnow() - timedelta(days=runtime.settings.messages.retention_days)
    with runtime.db.session() as session:
        inbound = rowcount(
            session.execute(
                update(InboundMessage)
                .where(InboundMessage.received_at < cutoff, InboundMessage.body_enc.is_not(None))
                .values(body_enc=None, button_enc=None, media=[])
            )
        )
        # Old messages that will not be sent again.
        done = (
            OutboxMessage.created_at < cutoff,
            OutboxMessage.status.not_in((OutboxStatus.PENDING, OutboxStatus.SENDING)),
        )
        # Those to no conversation had a data key each: destroyed, what is left of them stays closed.
        runtime.envelope.destroy(
            session,
            *{
                runtime.envelope.key_of(token)
                for token in session.scalars(
                    select(
                        func.coalesce(OutboxMessage.body_enc, OutboxMessage.content_variables_enc)
                    ).where(
                        *done,
                        OutboxMessage.conversation_id.is_(None),
                        OutboxMessage.body_enc.is_not(None)
                        | OutboxMessage.content_variables_enc.is_not(None),
                    )
                )
            },
        )
        outbox = rowcount(
            session.execute(
                update(OutboxMessage)
                .where(*done, OutboxMessage.body_enc.is_not(None))
                .values(body_enc=None, content_variables_enc=None)
            )
        )
        # ... and the numbers on them that no conversation holds any more.
        session.execute(
            update(OutboxMessage)
            .where(*done, OutboxMessage.conversation_id.is_(None), OutboxMessage.to_enc != "")
            .values(to_enc="")
        )
        session.execute(
            delete(ErasedMessage).where(ErasedMessage.erased_at < utcnow() - ERASED_SIDS_KEPT)
        )
        review_cutoff = utcnow() - timedelta(days=runtime.settings.nlu.review_retention_days)
        old_reviews = NluReview.created_at < review_cutoff
        # A review row the migration (0014) found linked to no conversation has a data key of its own.
        alone = {
            runtime.envelope.key_of(token)
            for token in session.scalars(select(NluReview.text_enc).where(old_reviews))
        }
        runtime.envelope.destroy(
            session,
            *session.scalars(
                select(DataKey.id).where(DataKey.id.in_(alone - {None}), DataKey.scope == "message")
            ),
        )
        review = rowcount(session.execute(delete(NluReview).where(old_reviews)))
        for area in runtime.areas:  # those holding more text (report transcripts) erase theirs
            for hook in area.purge_hooks:
                hook(session, cutoff)
    log.info("purged text of %s inbound, %s outbox, %s review rows", inbound, outbox, review)
    return {"inbound": inbound, "outbox": outbox, "review": review}


def housekeeping_loop(runtime: Runtime, stop: threading.Event, *, first_wait: bool) -> None:
    """Re-drive stale work, run the areas' housekeeping (lost delivery retries, overdue referrals)
    every ``jobs.redrive_interval_seconds``, and purge old text a few times a day, whatever Redis
    does, until ``stop`` is set. The first pass runs at once, or after one interval (``first_wait``)."""
    interval = runtime.settings.jobs.redrive_interval_seconds
    last_purge = -math.inf  # the first pass purges: a machine just booted has a small monotonic()
    while not stop.wait(interval if first_wait else 0):
        first_wait = True
        try:
            inbox.redrive(runtime)
            for area in runtime.areas:
                for housekeeping in area.housekeeping:
                    housekeeping(runtime)
            if time.monotonic() - last_purge > PURGE_EVERY_SECONDS:  # retention holds here too
                purge()
                last_purge = time.monotonic()
            HOUSEKEEPING_PASSES.inc()
        except Exception as exc:
            log.warning(
                "housekeeping failed (%s); will try again in %ss", type(exc).__name__, interval
            )
