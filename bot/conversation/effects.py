"""What the bot does with the effects a flow asks for: database writes, routing, analytics.

Each area declares its handlers on a :class:`Handlers` value of its own, which its
``bot.conversation.areas.Area`` carries and create_app registers; a handler may return extra replies
(as pages already rendered) to send after the flow's own, e.g. a case's status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.channels.twilio import cleanup
from bot.conversation import dialogue
from bot.messages import Page
from bot.runtime import Runtime, after_commit
from bot.store.models import (
    Conversation,
    ErasedMessage,
    InboundMessage,
    OutboxMessage,
    OutboxStatus,
)
from flows import Effect, Reply
from flows.effects import LanguageSet, PinChosen, ProvinceSet

log = logging.getLogger(__name__)

#: An effect handler: the pages (text or WhatsApp Content) it adds to the turn, if any.
Handler = Callable[["Context", Effect], list[Page] | None]
#: Functions (context, effects) run once per handled message, before its effects: analytics counts
#: conversations and questions there, which no single effect marks.
TurnHook = Callable[["Context", list[Effect]], None]


class Handlers:
    """One module's effect handlers, by effect kind, in the order they are declared."""

    def __init__(self) -> None:
        self.by_kind: dict[str, list[Handler]] = {}
        self.first: set[Handler] = set()

    def on(self, *kinds: str, first: bool = False) -> Callable[[Handler], Handler]:
        """Run the function for effects of these kinds. ``first`` runs it before every other
        handler of the effect: an area that must read what the foundation's erase_data deletes (the
        reports' link to the worker) declares it so."""

        def register(func: Handler) -> Handler:
            if first:
                self.first.add(func)
            for kind in kinds:
                self.by_kind.setdefault(kind, []).append(func)
            return func

        return register


@dataclass
class Context:
    session: Session
    runtime: Runtime
    conversation: Conversation
    inbound: InboundMessage
    parse: dict[str, Any]
    #: When the worker's message before this one arrived; None for their first (a new session).
    previous_inbound_at: datetime | None
    erased: bool = False
    notes: dict[str, Any] = field(default_factory=dict)

    def pages(self, replies: list[Reply], language: str | None = None) -> list[Page]:
        """Replies an effect adds, as pages in ``language`` or the worker's."""
        conversation = self.conversation
        language = language or conversation.reading_language(
            self.runtime.settings.conversation.default_language
        )
        return dialogue.render_replies(self.runtime, replies, language, conversation.channel)


def ordered(handlers: Iterable[Handlers], kind: str) -> list[Handler]:
    """The handlers of an effect kind in the order they run: the ``first`` ones, then by ``handlers``'
    order (this module's, then the areas' as create_app lists them). The replies two handlers of one
    effect add (a case's status, then "sent" to its relay) reach the worker in that order."""
    found = [(func, group) for group in handlers for func in group.by_kind.get(kind, ())]
    return [func for func, group in found if func in group.first] + [
        func for func, group in found if func not in group.first
    ]


def apply(context: Context, effects: list[Effect]) -> list[tuple[int | None, list[Page]]]:
    """Run the handlers; return the pages each effect added, with where it was asked for
    (``Effect.after``: how many of the turn's replies come before them)."""
    areas = context.runtime.areas
    for area in areas:
        for hook in area.turn_hooks:
            hook(context, effects)
    handlers = [FOUNDATION, *(group for area in areas for group in area.handlers)]
    added: list[tuple[int | None, list[Page]]] = []
    for effect in effects:
        for func in ordered(handlers, effect.kind):
            pages = func(context, effect)
            if context.erased:
                return []
            if pages:
                added.append((effect.after, list(pages)))
    return added


#: The foundation's own handlers (language, province, opt-out, erasure of the conversation).
FOUNDATION = Handlers()


@FOUNDATION.on("set_language")
def _set_language(context: Context, effect: Effect) -> None:
    language = LanguageSet.of(effect).language
    if language in context.runtime.settings.conversation.languages:
        context.conversation.language = language


@FOUNDATION.on("set_province")
def _set_province(context: Context, effect: Effect) -> None:
    context.conversation.province = ProvinceSet.of(effect).province


@FOUNDATION.on("opt_out")
def _opt_out(context: Context, effect: Effect) -> None:
    context.conversation.opted_out = True
    # Nothing queued for this worker goes out after STOP.
    for row in context.session.query(OutboxMessage).filter(
        OutboxMessage.conversation_id == context.conversation.id,
        OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.HELD)),
    ):
        row.status = OutboxStatus.CANCELLED


@FOUNDATION.on("opt_in")
def _opt_in(context: Context, effect: Effect) -> None:
    context.conversation.opted_out = False


@FOUNDATION.on("tip_delete_chat")
def _tip_delete_chat(context: Context, effect: Effect) -> list[Page]:
    """After a sensitive exchange: how to leave no trace on the phone (after the case code)."""
    return context.pages([Reply("tip.delete_chat")])


@FOUNDATION.on("set_pin")
def _pin_saved(context: Context, effect: Effect) -> list[Page] | None:
    """The worker chose a PIN at their first report (bot.conversation.dialogue stored its hash)."""
    return context.pages([Reply("pin.saved")]) if PinChosen.of(effect).set else None


@FOUNDATION.on("erase_data")
def _erase(context: Context, effect: Effect) -> None:
    """Erase the worker's conversation, messages and outbox, its data key, and Twilio's copies of
    every message. Areas holding more (reports) add their own."""
    session, conversation, runtime = context.session, context.conversation, context.runtime
    inbound = session.scalars(
        select(InboundMessage).where(InboundMessage.conversation_id == conversation.id)
    ).all()
    session.add_all(ErasedMessage(message_sid=row.message_sid) for row in inbound)
    conn = session.connection()
    for row in inbound:
        cleanup.schedule_inbound(conn, runtime, row, wait=0)
    for deletion in cleanup.hurry(conn, runtime, conversation.id):
        after_commit(session, cleanup.delete_at_twilio, deletion)
    session.execute(delete(OutboxMessage).where(OutboxMessage.conversation_id == conversation.id))
    session.execute(delete(InboundMessage).where(InboundMessage.conversation_id == conversation.id))
    session.execute(delete(Conversation).where(Conversation.id == conversation.id))
    # Crypto-shred: a copy of its rows left anywhere (a backup, a page not yet reused) stays closed.
    runtime.envelope.destroy(session, conversation.data_key_id)
    session.expunge_all()
    context.erased = True
