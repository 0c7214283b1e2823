"""One turn of a conversation: NLU, then the flow engine, then words in the worker's language.

Takes data and returns data (pages to send, the new state, effects to apply); the caller owns the
database and the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.conversation import pin
from bot.messages import Content, Page
from bot.metrics import NLU_LATENCY
from bot.runtime import Runtime
from bot.store.db import utcnow
from bot.store.models import Conversation
from bot.text import catalogs, content
from bot.text.render import fitter, pack, prepare, take
from flows import Effect, Reply, Turn
from flows.effects import PinChosen
from vocab import Channel

#: Twilio Advanced Opt-Out already answered these on SMS; the engine must still see them.
OPT_OUT_WORDS = {"STOP": "STOP", "START": "START", "HELP": "HELP"}
PAGES_KEY = "pages"


@dataclass(frozen=True)
class TurnInput:
    text: str
    channel: Channel
    button: str | None = None
    media: tuple[Any, ...] = ()
    opt_out_type: str | None = None


@dataclass(frozen=True)
class Outcome:
    pages: list[Page]
    state: dict[str, Any]
    effects: list[Effect]
    parse: dict[str, Any]
    language: str
    confirm_opt_out: bool = False
    replies: list[Reply] = field(default_factory=list)


def respond(runtime: Runtime, state: dict[str, Any], turn: TurnInput) -> Outcome:
    """One turn, behind the worker's PIN when they chose one (bot.conversation.pin): a PIN the worker was asked
    for is checked here, before any NLU, and opens the message it was asked for."""
    now = utcnow()
    unlocked: list[Effect] = []
    if pin.waiting(state):
        if pin.looks_like_pin(turn.text) and not turn.button:
            verdict, state = pin.attempt(state, turn.text, now)
            if verdict != "open":
                return _only(runtime, state, Reply(f"pin.{verdict}"), turn.channel)
            unlocked = [Effect("pin_unlocked", {})]
            held = state["pin"].pop("held", None)
            if not held:  # news behind a notice: bot.outbox releases it
                return _only(runtime, state, Reply("pin.open"), turn.channel, unlocked)
            turn = TurnInput(
                text=held.get("text") or "",
                channel=turn.channel,
                button=held.get("button"),
                opt_out_type=held.get("opt_out_type"),
            )
        else:  # not a PIN: the held message is dropped, this one is handled (and may ask again)
            state = {**state, "pin": {**state["pin"], "asked": False, "held": None}}
    outcome = _step(runtime, state, turn, now)
    if pin.needs_pin(
        state, now, outcome.effects, outcome.replies, resumed=state.get("flow") == "resume"
    ):
        held = {"text": turn.text, "button": turn.button, "opt_out_type": turn.opt_out_type}
        return _only(runtime, pin.hold(state, held), Reply("pin.ask"), turn.channel)
    return replace(
        outcome, effects=unlocked + [_keep_pin(outcome.state, e) for e in outcome.effects]
    )


def _keep_pin(state: dict[str, Any], effect: Effect) -> Effect:
    """The PIN the worker chose goes into the state as a hash, and nowhere else in clear."""
    if effect.kind == "set_pin":
        return Effect("set_pin", {"set": pin.set_pin(state, PinChosen.of(effect).pin)})
    if effect.kind == "file_report" and "pin" in (effect.data.get("slots") or {}):
        slots = {k: v for k, v in effect.data["slots"].items() if k != "pin"}
        return Effect("file_report", {**effect.data, "slots": slots})
    return effect


def _only(
    runtime: Runtime,
    state: dict[str, Any],
    reply: Reply,
    channel: Channel,
    effects: list[Effect] | None = None,
) -> Outcome:
    """A turn answered by the PIN gate alone: nothing of the message reaches the NLU or the flows."""
    language = state.get("language") or runtime.settings.conversation.default_language
    pages = render_replies(runtime, [reply], language, channel)
    return Outcome(
        pages, {**state, PAGES_KEY: []}, list(effects or []), {}, language, replies=[reply]
    )


def _step(runtime: Runtime, state: dict[str, Any], turn: TurnInput, now: datetime) -> Outcome:
    text = OPT_OUT_WORDS.get(turn.opt_out_type or "", turn.text)
    # A language guessed from a message that showed none (emoji, "ok") does not bias the next one.
    hint = None if state.get("language_guessed") else state.get("language")
    context = runtime.engine.context(state, now)
    with NLU_LATENCY.time():
        # What the worker saw and sent (a button's title), not the id we gave the button.
        read = runtime.interpreter.parse(
            text or turn.button or "", language_hint=hint, context=context
        )
        # Safety triage, whatever the backend: the flows answer danger before anything else.
        parse = {**read.to_dict(), "triage": runtime.triage.classify(text).to_dict()}
    result = runtime.engine.step(
        state,
        Turn(
            text=text,
            parse=parse,
            channel=turn.channel,
            now=now,
            button=turn.button,
            media=turn.media,
        ),
    )
    new_state: dict[str, Any] = dict(result.state)
    language = (
        new_state.get("language") or read.language or runtime.settings.conversation.default_language
    )
    kinds = {e.kind for e in result.effects}
    if "more" in kinds and new_state.get(PAGES_KEY):
        pages, new_state[PAGES_KEY] = hold(
            runtime, list(new_state[PAGES_KEY]), language, turn.channel
        )
    else:
        pages, new_state[PAGES_KEY] = hold(
            runtime,
            render_replies(runtime, result.replies, language, turn.channel),
            language,
            turn.channel,
        )
    # After Twilio's own STOP handling on SMS it blocks our reply; WhatsApp and our own keywords need ours.
    confirm = "opt_out" in kinds and not (turn.opt_out_type and turn.channel == "sms")
    return Outcome(
        pages, new_state, list(result.effects), parse, language, confirm, list(result.replies)
    )


def render_replies(
    runtime: Runtime,
    replies: list[Reply],
    language: str,
    channel: Channel,
    added: dict[int, list[Page]] | None = None,
) -> list[Page]:
    """The replies of one turn as the fewest messages within the channel's limit (bot.text.render.pack).

    A question with a WhatsApp Content template configured for it goes as its own message (buttons
    or a list); ``added`` holds pages an effect added, by how many replies come before them."""
    sms = runtime.settings.sms
    added = added or {}
    blocks: list[Page] = []
    for n, reply in enumerate(replies):
        blocks.extend(added.get(n, ()))
        blocks.append(
            _content(runtime, reply, language, channel)
            or prepare(compose(reply, language), channel, transliterate=sms.transliterate)
        )
    blocks.extend(page for n in sorted(added) if n >= len(replies) for page in added[n])
    fits = fitter(channel, sms.segment_budget)
    pages: list[Page] = []
    run: list[str] = []
    for block in blocks:
        if isinstance(block, Content):
            pages += pack(run, fits) + [block]
            run = []
        else:
            run.append(block)
    return pages + pack(run, fits)


def with_added(
    runtime: Runtime,
    outcome: Outcome,
    added: list[tuple[int | None, list[Page]]],
    channel: Channel,
) -> tuple[list[Page], list[str] | None]:
    """(messages to send, messages now waiting for MORE or None if unchanged): the turn's replies
    with what its effects added in place, so an organization list travels with the line that
    announces it instead of after everything else."""
    if not any(pages for _, pages in added):
        return outcome.pages, None
    if any(
        e.kind == "more" for e in outcome.effects
    ):  # a page of an earlier answer: nothing to place
        return outcome.pages + [page for _, pages in added for page in pages], None
    placed: dict[int, list[Page]] = {}
    for after, pages in added:
        placed.setdefault(len(outcome.replies) if after is None else after, []).extend(pages)
    rendered = render_replies(runtime, outcome.replies, outcome.language, channel, placed)
    return hold(runtime, rendered, outcome.language, channel)


def _content(runtime: Runtime, reply: Reply, language: str, channel: Channel) -> Content | None:
    """The question as a WhatsApp Content message, when a template is configured for it."""
    sid = (
        runtime.settings.whatsapp.content_templates.get(reply.choice or "")
        if channel == "whatsapp"
        else None
    )
    if not sid:
        return None
    tr = catalogs.translator(reply.language or language)
    # The province list holds the provinces; the territories and SKIP are typed, as the question says.
    options = reply.options[: content.MAX_OPTIONS] if reply.choice == "province" else reply.options
    # Where the SMS words say "reply with a number", "<msgid>.tap" says to choose (a list is tapped).
    msgid = f"{reply.msgid}.tap" if tr.has(f"{reply.msgid}.tap") else reply.msgid
    body = prepare(tr.render(msgid, reply.params, reply.formats), channel)
    return content.fill(
        sid,
        body,
        tr.gettext("whatsapp.list_button"),
        [(o.id or o.key, tr.render(o.msgid, o.params)) for o in options],
    )


def hold(
    runtime: Runtime, messages: list[Page], language: str, channel: Channel
) -> tuple[list[Page], list[str]]:
    """(messages to send now, messages kept for MORE): at most ``sms.messages_per_turn`` now."""
    sms = runtime.settings.sms
    if channel != "sms":
        return messages, []
    texts = [message for message in messages if isinstance(message, str)]  # SMS has no Content
    more = prepare(
        catalogs.translator(language).gettext("paging.more"),
        channel,
        transliterate=sms.transliterate,
    )
    now, later = take(texts, fitter(channel, sms.segment_budget), more, sms.messages_per_turn)
    return [*now], later


def compose(reply: Reply, language: str) -> str:
    """A reply's text with its numbered options, in ``reply.language`` or the worker's language."""
    tr = catalogs.translator(reply.language or language)
    lines = [tr.render(reply.msgid, reply.params, reply.formats)]
    for option in reply.options:
        lines.append(f"{option.key}. {tr.render(option.msgid, option.params)}")
    return "\n".join(line for line in lines if line)


def apology(runtime: Runtime, conversation: Conversation) -> list[Page]:
    """What the worker gets if handling their message failed: never silence."""
    language = conversation.reading_language(runtime.settings.conversation.default_language)
    return render_replies(runtime, [Reply("error.generic")], language, conversation.channel)
