"""Recording the conversation's anonymized facts: effect handlers and the once-per-turn hook.

They write through ``bot.store.eventlog.record``, which checks every value against a fixed
vocabulary (the cases record their referral, relay and alert facts there too, from below).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.conversation.effects import Context, Handlers
from bot.store.db import utcnow
from bot.store.eventlog import Dims, forget_worker, month_of, reach_pseudonym, record
from flows import Effect, Parse
from flows.effects import Emergency, FlowEnded, TopicAnswered

#: This module's effect handlers (its area's ``AREA`` carries them).
HANDLERS = Handlers()

#: A message counts as a question about a topic only when the NLU is this sure (the engine's own
#: bar for letting an intent interrupt a flow): menu numbers and answers stay out.
QUESTION_CONFIDENCE = 0.6


# --- the conversation (effects) -------------------------------------------------------------------


def _worker_dims(context: Context) -> dict[str, Any]:
    conversation = context.conversation
    state = conversation.state or {}
    return {
        "channel": conversation.channel,
        "language": state.get("language") or conversation.language,
        "province": state.get("province") or conversation.province,
    }


def on_turn(context: Context, turn_effects: list[Effect]) -> None:
    """Once per message: a conversation starting (a first message, one after the session timeout,
    or the first of a new month) and a question recognized as being about a rights topic."""
    conversation, inbound = context.conversation, context.inbound
    kinds = {effect.kind for effect in turn_effects}
    if conversation.opted_out and "opt_in" not in kinds:
        return
    dims = _worker_dims(context)
    now = utcnow()
    if _starts_session(context, now):
        month = month_of(now)
        record(
            context.session,
            "conversation_started",
            at=now,
            **dims,
            sector=_entity(context, "sector"),
            worker=reach_pseudonym(context.runtime.vault, month, conversation.address_key),
        )
    parse = Parse.of(context.parse)
    name, confidence = parse.intent, parse.confidence
    if name.startswith("ask_") and confidence >= QUESTION_CONFIDENCE and not inbound.opt_out_type:
        record(context.session, "topic_asked", at=now, subject=name[4:], **dims)


def _starts_session(context: Context, now: datetime) -> bool:
    previous = context.previous_inbound_at
    if previous is None:
        return True
    if previous.tzinfo is None:
        previous = previous.replace(tzinfo=UTC)
    timeout = context.runtime.settings.conversation.session_timeout_minutes * 60
    return (now - previous).total_seconds() > timeout or month_of(previous) != month_of(now)


def _entity(context: Context, name: str) -> str | None:
    return Parse.of(context.parse).entity(name)


@HANDLERS.on("set_province", "set_language")
def _profile(context: Context, effect: Effect) -> None:
    """Reach counts a worker where last known this month: a province given after the first
    message still places them."""
    now = utcnow()
    dims = _worker_dims(context) | {
        k: v for k, v in effect.data.items() if k in ("province", "language")
    }
    record(
        context.session,
        "worker_profile",
        at=now,
        **dims,
        worker=reach_pseudonym(
            context.runtime.vault, month_of(now), context.conversation.address_key
        ),
    )


@HANDLERS.on("topic_answered")
def _topic_answered(context: Context, effect: Effect) -> None:
    topic = TopicAnswered.of(effect)
    dims = _worker_dims(context) | {"province": topic.province or _worker_dims(context)["province"]}
    record(context.session, "topic_answered", subject=topic.topic, **dims)


@HANDLERS.on("flow_completed", "flow_cancelled", "flow_abandoned")
def _flow_ended(context: Context, effect: Effect) -> None:
    ended = FlowEnded.of(effect)
    record(
        context.session,
        effect.kind,
        subject=ended.flow,
        step=ended.step,
        **_worker_dims(context),
    )


@HANDLERS.on("file_report")
def _report_filed(context: Context, effect: Effect) -> None:
    from bot.cases.draft import ReportDraft

    draft = ReportDraft.from_effect(
        effect.data, context.runtime.settings.conversation.default_language
    )
    dims: Dims = {
        "channel": draft.channel,
        "language": draft.language,
        "province": draft.province,
        "sector": draft.sector,
    }
    record(context.session, "report_filed", **dims)
    for abuse_type in draft.abuse_types or ("other",):
        record(context.session, "report_type", subject=abuse_type, **dims)


@HANDLERS.on("opt_out", "opt_in")
def _opted(context: Context, effect: Effect) -> None:
    record(context.session, effect.kind, **_worker_dims(context))


@HANDLERS.on("emergency")
def _emergency(context: Context, effect: Effect) -> None:
    """An emergency is what the safety triage classed as one (danger, confinement, sexual abuse,
    injury, suicide), counted under that category; an answer given inside a flow (a report's
    "are you in danger?") is the worker's answer to a question, not a message triaged."""
    emergency = Emergency.of(effect)
    if emergency.source != "triage":
        return
    dims = _worker_dims(context) | {
        "province": emergency.province or _worker_dims(context)["province"]
    }
    record(context.session, "emergency", subject=emergency.category, **dims)


@HANDLERS.on("erase_data", first=True)
def _erased(context: Context, effect: Effect) -> None:
    """Count the erasure, and cut the last link to the number: the worker's monthly pseudonyms are
    replaced by random ones (so reach still counts them once), then written before the
    foundation's erase empties the session."""
    record(context.session, "erase_data", **_worker_dims(context))
    forget_worker(context.session, context.runtime.vault, context.conversation.address_key)
    context.session.flush()
