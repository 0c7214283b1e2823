"""The relay between an NGO's staff and a worker, without staff ever seeing the worker's number.

Staff -> worker: the portal's text goes through the one outbound path, wrapped in the worker's
language (``relay.from_staff``, signed "Puente", never with the NGO's name). On WhatsApp outside the 24-hour window
free text would fail: the worker gets the approved template inviting them to reply, and the staff
message waits (``waiting_window``) until they write, then goes.

Worker -> staff: sending opens the relay (the conversation is handed off, so the engine turns each
of the worker's next messages into ``relay_to_agent`` until MENU or the handoff timeout); a message
starting with the worker's case code reaches the case too while its relay is open. Each one is
added to the case thread and the NGO's staff are e-mailed.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import casecode, timeline
from bot.cases.models import (
    OPEN_REFERRAL,
    TAKEN_REFERRAL,
    WAITING_REFERRAL,
    Referral,
    RelayMessage,
    RelayStatus,
    Report,
    ReportStatus,
)
from bot.cases.notify import conversation_of
from bot.cases.service import CODE_KEY_PURPOSE
from bot.conversation import dialogue, sealed_state
from bot.conversation.effects import Context, Handlers
from bot.errors import PuenteError
from bot.messages import Page
from bot.outbox import WHATSAPP_WINDOW, in_whatsapp_window, queue_template, queue_text
from bot.runtime import Runtime
from bot.store.db import to_the_hour, utcnow
from bot.store.eventlog import record_relay
from bot.store.models import Conversation
from flows import Effect, Reply

#: This module's effect handlers (its area's ``AREA`` carries them).
HANDLERS = Handlers()

log = logging.getLogger(__name__)

#: A case code at the start of a message ("ABCD-2345 ...", "abcd 2345: ..."), then the rest.
_CODE_PREFIX = re.compile(
    r"^\s*([A-Za-z0-9]{4})[\s\-\u2010-\u2014]?([A-Za-z0-9]{4})(?![A-Za-z0-9])[\s:,.\-]*(.*)$", re.S
)


class RelayError(PuenteError):
    """The worker cannot be written to; ``msgid`` is the portal message that says why."""

    def __init__(self, msgid: str):
        super().__init__(msgid)
        self.msgid = msgid


def worker_language(session: Session, runtime: Runtime, report: Report) -> str:
    """The language the worker reads now (their setting), else the report's."""
    conversation = conversation_of(session, runtime, report)
    if conversation is not None:
        return conversation.reading_language(report.language)
    return report.language


def reply_blocked(
    session: Session, runtime: Runtime, referral: Referral, report: Report
) -> str | None:
    """Why staff cannot write to this worker now (a portal msgid), or None when they can."""
    if referral.status not in TAKEN_REFERRAL:
        return (
            "thread.blocked.take_first"
            if referral.status in WAITING_REFERRAL
            else "thread.blocked.closed"
        )
    conversation = conversation_of(session, runtime, report)
    if conversation is None:
        return "thread.blocked.unlinked"
    if conversation.opted_out:
        return "thread.blocked.opted_out"
    return None


def send_to_worker(
    session: Session,
    runtime: Runtime,
    referral_id: int,
    user_id: int,
    text: str,
    *,
    now: datetime | None = None,
) -> RelayMessage:
    """Write a staff message to the worker of this referral: sent now, or held for the window."""
    now = now or utcnow()
    referral = session.get(Referral, referral_id)
    report = session.get(Report, referral.report_id) if referral else None
    if referral is None or report is None:
        raise RelayError("thread.blocked.closed")
    blocked = reply_blocked(session, runtime, referral, report)
    if blocked:
        raise RelayError(blocked)
    linked = conversation_of(session, runtime, report)
    conversation = (
        None
        if linked is None
        else session.scalar(
            select(Conversation).where(Conversation.id == linked.id).with_for_update()
        )
    )
    if conversation is None:  # erased since reply_blocked looked
        raise RelayError("thread.blocked.unlinked")
    message = RelayMessage(
        report_id=report.id,
        referral_id=referral.id,
        direction="to_worker",
        user_id=user_id,
        status=RelayStatus.QUEUED,
        created_at=to_the_hour(now),
    )
    session.add(message)
    session.flush()  # its id: the text is sealed to its row, under the report's data key
    runtime.envelope.put(session, report.sealing_key, message, "body_enc", text)
    _open_relay(session, runtime, conversation, report.id, now)
    if in_whatsapp_window(conversation, now):
        _queue(session, runtime, conversation, message, text, now)
    else:
        message.status = RelayStatus.WAITING_WINDOW
        _invite(session, runtime, conversation, report, referral, message, now)
    record_relay(session, "to_worker", report=report)
    timeline.record(
        session,
        report.id,
        "relay_to_worker",
        actor=timeline.user_actor(user_id),
        referral_id=referral.id,
        now=to_the_hour(now),
        relay_id=message.id,
        held=message.status == RelayStatus.WAITING_WINDOW,
    )
    return message


def _open_relay(
    session: Session, runtime: Runtime, conversation: Conversation, report_id: int, now: datetime
) -> None:
    """Hand the conversation off to this case: the worker's next messages come to the thread."""
    sealed_state.update(
        runtime.envelope,
        session,
        conversation,
        handoff={"since": now.isoformat(), "report_id": report_id, "by": "portal"},
    )


def _queue(
    session: Session,
    runtime: Runtime,
    conversation: Conversation,
    message: RelayMessage,
    text: str,
    now: datetime,
) -> None:
    language = conversation.reading_language(runtime.settings.conversation.default_language)
    # Signed "Puente", never with the organization's name: the phone may be seen by the employer.
    reply = Reply("relay.from_staff", {"text": text})
    pages = dialogue.render_replies(runtime, [reply], language, conversation.channel)
    rows = queue_text(
        session, runtime, conversation, pages, kind="relay", dedupe_key=f"relay:{message.id}"
    )
    message.status = RelayStatus.QUEUED if rows else RelayStatus.UNDELIVERABLE
    message.outbox_id = rows[0].id if rows else None
    message.sent_at = to_the_hour(now) if rows else None


def _invite(
    session: Session,
    runtime: Runtime,
    conversation: Conversation,
    report: Report,
    referral: Referral,
    message: RelayMessage,
    now: datetime,
) -> None:
    """Outside WhatsApp's window: one approved template asking the worker to reply (not one per message)."""
    earlier = session.scalar(
        select(RelayMessage.id).where(
            RelayMessage.report_id == report.id,
            RelayMessage.id != message.id,
            RelayMessage.status == RelayStatus.WAITING_WINDOW,
            RelayMessage.created_at > now - WHATSAPP_WINDOW,
        )
    )
    if earlier is not None:
        return
    language = conversation.reading_language(report.language)
    content_sid = runtime.settings.twilio.whatsapp_templates.get(language)
    if not content_sid:
        log.warning(
            "relay %s held without an invitation: no WhatsApp template for %s in "
            "twilio.whatsapp_templates",
            message.id,
            language,
        )
        return
    invite = dialogue.compose(Reply("relay.window_invite"), language)
    queue_template(
        session,
        runtime,
        conversation,
        content_sid,
        {"1": invite},
        kind="relay",
        dedupe_key=f"relay-invite:{message.id}",
    )


def release_waiting(
    session: Session, runtime: Runtime, conversation: Conversation, now: datetime | None = None
) -> int:
    """The worker wrote, so the window is open: send the staff messages that were waiting for it."""
    now = now or utcnow()
    if not in_whatsapp_window(conversation, now):
        return 0
    key = runtime.vault.keyed_hash("report-link", conversation.address_key)
    waiting = (
        session.execute(
            select(RelayMessage)
            .join(Report, Report.id == RelayMessage.report_id)
            .join(Referral, Referral.id == RelayMessage.referral_id)
            .where(
                Report.conversation_key == key, RelayMessage.status == RelayStatus.WAITING_WINDOW
            )
            .order_by(RelayMessage.id)
        )
        .scalars()
        .all()
    )
    for message in waiting:
        _queue(
            session,
            runtime,
            conversation,
            message,
            runtime.envelope.get(session, message, "body_enc") or "",
            now,
        )
    return len(waiting)


def open_case(
    session: Session, runtime: Runtime, conversation: Conversation, report_id: int | None = None
) -> tuple[Report, Referral] | None:
    """The worker's case their messages go to: the handed-off one, else their latest open case."""
    key = runtime.vault.keyed_hash("report-link", conversation.address_key)
    query = (
        select(Report, Referral)
        .join(Referral, Referral.report_id == Report.id)
        .where(
            Report.conversation_key == key,
            Report.status != ReportStatus.CLOSED,
            Referral.status.in_(OPEN_REFERRAL),
        )
    )
    if report_id is not None:
        query = query.where(Report.id == report_id)
    found = session.execute(query.order_by(Report.created_at.desc(), Referral.id.desc())).first()
    return (found[0], found[1]) if found else None


def add_from_worker(
    context: Context, report: Report, referral: Referral, text: str
) -> RelayMessage:
    """Put a worker's message in the case thread (the portal e-mails the NGO's staff about it:
    bot.portal.notify)."""
    session, now = context.session, to_the_hour(utcnow())
    message = RelayMessage(
        report_id=report.id,
        referral_id=referral.id,
        direction="from_worker",
        status=RelayStatus.RECEIVED,
        created_at=now,
    )
    session.add(message)
    session.flush()
    context.runtime.envelope.put(session, report.sealing_key, message, "body_enc", text)
    record_relay(session, "from_worker", report=report)
    timeline.record(
        session,
        report.id,
        "relay_from_worker",
        actor="worker",
        referral_id=referral.id,
        now=now,
        relay_id=message.id,
    )
    return message


def _inbound_text(context: Context) -> str:
    return context.runtime.envelope.get(context.session, context.inbound, "body_enc") or ""


@HANDLERS.on("relay_to_agent")
def _relay_to_agent(context: Context, effect: Effect) -> list[Page] | None:
    session, runtime, conversation = context.session, context.runtime, context.conversation
    release_waiting(session, runtime, conversation)
    handoff = sealed_state.unseal(runtime.envelope, session, conversation).get("handoff") or {}
    found = open_case(session, runtime, conversation, handoff.get("report_id"))
    if found is None and handoff.get("report_id") is not None:
        found = open_case(session, runtime, conversation)
    text = _inbound_text(context).strip()
    if not text or context.inbound.button_enc:
        return None  # a tap on the template's button only opens the window
    if found is None:  # never silence: say the message reached no one, and how to go on
        return context.pages([Reply("relay.no_case")])
    add_from_worker(context, found[0], found[1], text)
    if _relay_open(session, found[0].id):
        return None  # staff are writing back: the conversation speaks for itself
    # Until staff answer, every message is acknowledged: "may tao na po ba?" must not meet silence.
    return context.pages([Reply("relay.passed_on")])


@HANDLERS.on("handoff_end", "opt_in")
def _window_opened(context: Context, effect: Effect) -> None:
    """Any message from the worker opens WhatsApp's window; MENU etc. release waiting messages too."""
    release_waiting(context.session, context.runtime, context.conversation)


@HANDLERS.on("case_status")
def _coded_message(context: Context, effect: Effect) -> list[Page] | None:
    """ "ABCD-2345 my boss paid me": a message for the case, if its relay is open; else a status query."""
    session, runtime, conversation = context.session, context.runtime, context.conversation
    release_waiting(session, runtime, conversation)
    match = _CODE_PREFIX.match(_inbound_text(context))
    if not match or not match.group(3).strip():
        return None
    code = casecode.normalize(match.group(1) + match.group(2))
    if code is None:
        return None
    report = session.scalar(
        select(Report).where(
            Report.case_code_hash
            == casecode.code_hash(code, runtime.vault.derive(CODE_KEY_PURPOSE))
        )
    )
    if report is None:
        return None
    found = open_case(session, runtime, conversation, report.id)
    if found is None or not _relay_open(session, report.id):
        return None
    add_from_worker(context, found[0], found[1], match.group(3).strip())
    context.notes["relayed_report"] = report.id
    _open_relay(session, runtime, conversation, report.id, utcnow())
    return context.pages([Reply("relay.passed_on")], conversation.reading_language(report.language))


def _relay_open(session: Session, report_id: int) -> bool:
    """Staff have written to the worker on this case (the case is not closed: see open_case)."""
    return (
        session.scalar(
            select(RelayMessage.id)
            .where(RelayMessage.report_id == report_id, RelayMessage.direction == "to_worker")
            .limit(1)
        )
        is not None
    )
