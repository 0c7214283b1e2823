"""What the bot does with the effects a flow asks for: database writes, routing, analytics.

Each area registers its handlers with :func:`handler`; a handler may return extra replies (as
pages already rendered) to send after the flow's own, e.g. a case's status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.channels.twilio import cleanup
from bot.conversation import dialogue
from bot.runtime import Runtime, after_commit
from bot.store.models import Conversation, ErasedMessage, InboundMessage, OutboxMessage
from flows import Effect, Reply

log = logging.getLogger(__name__)

Handler = Callable[["Context", Effect], list[str] | None]
_HANDLERS: dict[str, list[Handler]] = {}
_FIRST: set[Handler] = set()


@dataclass
class Context:
    session: Session
    runtime: Runtime
    conversation: Conversation
    inbound: InboundMessage
    parse: dict[str, Any]
    erased: bool = False
    notes: dict[str, Any] = field(default_factory=dict)

    def render(self, replies: list[Reply], language: str | None = None) -> list[str]:
        """Replies an effect adds, as pages in ``language`` or the worker's."""
        conversation = self.conversation
        language = language or (conversation.state or {}).get("language") or conversation.language
        return dialogue.render_replies(self.runtime, replies, language or "es", conversation.channel)


def handler(*kinds: str, first: bool = False) -> Callable[[Handler], Handler]:
    """Register a function to run for effects of these kinds (several per kind).

    They run in a fixed order whatever imported them first (the portal imports the relay early):
    this module's, then by area in ``AREAS``; the replies two handlers of one effect add (a case's
    status, then "sent" to its relay) reach the worker in that order. ``first`` runs it before
    them all: an area that must read what the foundation's erase_data deletes (the reports' link
    to the worker) registers with it.
    """

    def register(func: Handler) -> Handler:
        if first:
            _FIRST.add(func)
        for kind in kinds:
            handlers = _HANDLERS.setdefault(kind, [])
            handlers.append(func)
            handlers.sort(key=_rank)  # stable: one area's handlers keep their order
        return func

    return register


def _rank(func: Handler) -> tuple[bool, int]:
    """Where a handler runs among its effect's: the ``first`` ones, then this module's, then by area."""
    module = func.__module__
    area = -1 if module == __name__ else AREAS.index(module) if module in AREAS else len(AREAS)
    return (func not in _FIRST, area)


def apply(context: Context, effects: list[Effect]) -> list[tuple[int | None, list[str]]]:
    """Run the handlers; return the pages each effect added, with where it was asked for
    (``Effect.after``: how many of the turn's replies come before them)."""
    _load_areas()
    for hook in TURN_HOOKS:
        hook(context, effects)
    added: list[tuple[int | None, list[str]]] = []
    for effect in effects:
        for func in _HANDLERS.get(effect.kind, ()):
            pages = func(context, effect)
            if context.erased:
                return []
            if pages:
                added.append((effect.after, list(pages)))
    return added


#: Functions (context, effects) run once per handled message, before its effects: analytics counts
#: conversations and questions there, which no single effect marks.
TURN_HOOKS: list[Callable[[Context, list[Effect]], None]] = []


def _load_areas() -> None:
    """Import the modules that register handlers (areas added by later features plug in here)."""
    for module in AREAS:
        __import__(module)


AREAS: list[str] = ["bot.reports.handlers", "bot.routing.handlers", "bot.reports.relay", "bot.analytics.events",
                    "bot.conversation.nlu_review"]


@handler("set_language")
def _set_language(context: Context, effect: Effect) -> None:
    language = effect.data.get("language")
    if language in context.runtime.settings.conversation.languages:
        context.conversation.language = language


@handler("set_province")
def _set_province(context: Context, effect: Effect) -> None:
    context.conversation.province = effect.data.get("province")


@handler("opt_out")
def _opt_out(context: Context, effect: Effect) -> None:
    context.conversation.opted_out = True
    # Nothing queued for this worker goes out after STOP.
    for row in context.session.query(OutboxMessage).filter(
        OutboxMessage.conversation_id == context.conversation.id, OutboxMessage.status.in_(("pending", "held"))
    ):
        row.status = "cancelled"


@handler("opt_in")
def _opt_in(context: Context, effect: Effect) -> None:
    context.conversation.opted_out = False


@handler("tip_delete_chat")
def _tip_delete_chat(context: Context, effect: Effect) -> list[str]:
    """After a sensitive exchange: how to leave no trace on the phone (after the case code)."""
    return context.render([Reply("tip.delete_chat")])


@handler("set_pin")
def _pin_saved(context: Context, effect: Effect) -> list[str] | None:
    """The worker chose a PIN at their first report (bot.conversation.dialogue stored its hash)."""
    return context.render([Reply("pin.saved")]) if effect.data.get("set") else None


@handler("erase_data")
def _erase(context: Context, effect: Effect) -> None:
    """Erase the worker's conversation, messages and outbox, its data key, and Twilio's copies of
    every message. Areas holding more (reports) add their own."""
    session, conversation, runtime = context.session, context.conversation, context.runtime
    inbound = session.scalars(select(InboundMessage).where(InboundMessage.conversation_id == conversation.id)).all()
    session.add_all(ErasedMessage(message_sid=row.message_sid) for row in inbound)
    conn = session.connection()
    for row in inbound:
        cleanup.schedule_inbound(conn, runtime, row, wait=0)
    for deletion in cleanup.hurry(conn, runtime, conversation.id):
        after_commit(session, cleanup.DELETE_JOB, deletion)
    session.execute(delete(OutboxMessage).where(OutboxMessage.conversation_id == conversation.id))
    session.execute(delete(InboundMessage).where(InboundMessage.conversation_id == conversation.id))
    session.execute(delete(Conversation).where(Conversation.id == conversation.id))
    # Crypto-shred: a copy of its rows left anywhere (a backup, a page not yet reused) stays closed.
    runtime.envelope.destroy(session, conversation.data_key_id)
    session.expunge_all()
    context.erased = True
