"""Short updates to a worker when their case moves (assigned, acknowledged, accepted, closed).

The report reaches its worker only through ``conversation_ref_enc`` (cleared when they unlink), in
the language they use now, never repeating the report's details. On WhatsApp outside the 24-hour
window free text fails, so the update goes as the approved template configured for the language.
Each update is sent at most once per case (outbox dedupe key).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.models import Report
from bot.conversation import dialogue, pin
from bot.outbox import in_whatsapp_window, queue_template, queue_text
from bot.runtime import Runtime
from bot.store.db import utcnow
from bot.store.models import Conversation
from flows import Reply

log = logging.getLogger(__name__)

UPDATES = ("assigned", "acknowledged", "accepted", "closed")


def conversation_of(session: Session, runtime: Runtime, report: Report) -> Conversation | None:
    """The worker's conversation, unless they unlinked their reports or erased everything."""
    if not report.conversation_ref_enc:
        return None
    address_key = runtime.envelope.get(session, report, "conversation_ref_enc")
    return session.scalar(select(Conversation).where(Conversation.address_key == address_key))


def notify_worker(
    session: Session,
    runtime: Runtime,
    report: Report,
    update: str,
    params: dict[str, Any] | None = None,
    formats: dict[str, str] | None = None,
    *,
    now: datetime | None = None,
) -> bool:
    """Queue the update ``case.update.<update>`` to the worker; False when it cannot or must not go."""
    if update not in UPDATES:
        raise ValueError(f"unknown case update {update!r}")
    conversation = conversation_of(session, runtime, report)
    if conversation is None or conversation.opted_out:
        return False
    language = conversation.reading_language(report.language)
    reply = Reply(f"case.update.{update}", dict(params or {}), formats=dict(formats or {}))
    dedupe = f"case:{report.id}:{update}"
    # Behind the worker's PIN the update is held (in any case, as free text) behind a neutral notice.
    if in_whatsapp_window(conversation, now) or pin.locked(
        runtime.envelope, session, conversation, now or utcnow()
    ):
        pages = dialogue.render_replies(runtime, [reply], language, conversation.channel)
        return bool(
            queue_text(session, runtime, conversation, pages, kind="update", dedupe_key=dedupe)
        )
    content_sid = runtime.settings.twilio.whatsapp_templates.get(language)
    if not content_sid:
        log.warning(
            "case %s update %s not sent: outside WhatsApp's 24 h window and no template "
            "for %s in twilio.whatsapp_templates",
            report.id,
            update,
            language,
        )
        return False
    text = dialogue.compose(reply, language)
    return (
        queue_template(
            session,
            runtime,
            conversation,
            content_sid,
            {"1": text},
            kind="update",
            dedupe_key=dedupe,
        )
        is not None
    )
