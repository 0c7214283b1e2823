"""Recording anonymized facts: effect handlers for the conversation, and ``record`` for the rest.

Every value is checked against a fixed vocabulary before it is written: a province code, a
language, a channel, a sector, or an identifier such as ``topic.wages`` or ``language:tl``. A
value that is not one (free text, anything with a number in it) is dropped, so a bug upstream
can never put a worker's words or number into the event log. Recording never stops a
conversation: it only adds rows to the caller's transaction.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.analytics.models import AnalyticsEvent
from bot.conversation.effects import Context, Handlers
from bot.store.db import utcnow
from flows import Effect

#: This module's effect handlers (its area's ``AREA`` carries them).
HANDLERS = Handlers()

#: Every kind of fact the log holds (the indicators read these names).
#: ``worker_profile``: the worker's province or language became known later in the month.
KINDS = frozenset({
    "conversation_started", "topic_asked", "topic_answered", "flow_completed", "flow_cancelled",
    "flow_abandoned", "report_filed", "report_type", "match", "coverage_gap", "referral_sent",
    "referral_acknowledged", "referral_accepted", "referral_declined", "referral_closed",
    "relay_message", "opt_out", "opt_in", "erase_data", "emergency", "employer_alert", "worker_profile",
})  # fmt: skip
#: The kinds that carry the monthly reach pseudonym.
REACH_KINDS = ("conversation_started", "worker_profile")
PROVINCES = frozenset("AB BC MB NB NL NS NT NU ON PE QC SK YT".split())
LANGUAGES = frozenset({"es", "tl", "en"})
CHANNELS = frozenset({"sms", "whatsapp"})
SECTORS = frozenset(
    {"agriculture", "caregiving", "food_processing", "construction", "hospitality", "other"}
)
#: An identifier from our own YAML or vocabularies: lowercase words joined by . _ - or one ':'.
_IDENTIFIER = re.compile(r"^[a-z][a-z_.-]{0,40}(:[a-zA-Z_.-]{1,22})?$")
#: A message counts as a question about a topic only when the NLU is this sure (the engine's own
#: bar for letting an intent interrupt a flow): menu numbers and answers stay out.
QUESTION_CONFIDENCE = 0.6
_STAGES = {
    "sent": "created_at",
    "acknowledged": "acknowledged_at",
    "accepted": "accepted_at",
    "declined": "closed_at",
    "closed": "closed_at",
}


def month_of(moment: datetime) -> str:
    """The calendar month (UTC) of a moment, as the log stores it: "2026-10"."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def reach_pseudonym(vault: Any, month: str, address_key: str) -> str:
    """The worker's pseudonym for one month only: a new key per month, so months cannot be linked."""
    return vault.keyed_hash(f"reach-{month}", address_key)


def record(
    session: Session, kind: str, *, at: datetime | None = None, **dims: Any
) -> AnalyticsEvent:
    """Add one fact to the caller's transaction.

    ``dims``: channel, language, province, sector, subject, step (vocabulary values; anything
    else is dropped), value (a number), flag (a bool), cohort (a month), worker (the reach
    pseudonym, for conversation_started only).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown analytics kind {kind!r}")
    unknown = set(dims) - {
        "channel",
        "language",
        "province",
        "sector",
        "subject",
        "step",
        "value",
        "flag",
        "cohort",
        "worker",
    }
    if unknown:
        raise TypeError(f"unknown analytics dimension(s): {', '.join(sorted(unknown))}")
    event = AnalyticsEvent(
        kind=kind,
        month=month_of(at or utcnow()),
        channel=_member(dims.get("channel"), CHANNELS),
        language=_member(dims.get("language"), LANGUAGES),
        province=_member(str(dims.get("province") or "").upper() or None, PROVINCES),
        sector=_sector(dims.get("sector")),
        subject=_identifier(dims.get("subject")),
        step=_identifier(dims.get("step")),
        value=float(dims["value"]) if isinstance(dims.get("value"), int | float) else None,
        flag=dims["flag"] if isinstance(dims.get("flag"), bool) else None,
        cohort=dims.get("cohort") if _is_month(dims.get("cohort")) else None,
        worker=dims.get("worker") if kind in REACH_KINDS else None,
    )
    session.add(event)
    return event


def _member(value: Any, allowed: frozenset[str]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _sector(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value if value in SECTORS else "other"


def _identifier(value: Any) -> str | None:
    return value if isinstance(value, str) and _IDENTIFIER.match(value) else None


def _is_month(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value) is not None


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
    intent = context.parse.get("intent") or {}
    name, confidence = intent.get("name") or "", intent.get("confidence") or 0.0
    if name.startswith("ask_") and confidence >= QUESTION_CONFIDENCE and not inbound.opt_out_type:
        record(context.session, "topic_asked", at=now, subject=name[4:], **dims)


def _starts_session(context: Context, now: datetime) -> bool:
    from bot.store.models import InboundMessage

    previous = context.session.scalar(
        select(func.max(InboundMessage.received_at)).where(
            InboundMessage.conversation_id == context.conversation.id,
            InboundMessage.id < context.inbound.id,
        )
    )
    if previous is None:
        return True
    if previous.tzinfo is None:
        previous = previous.replace(tzinfo=UTC)
    timeout = context.runtime.settings.conversation.session_timeout_minutes * 60
    return (now - previous).total_seconds() > timeout or month_of(previous) != month_of(now)


def _entity(context: Context, name: str) -> str | None:
    for entity in context.parse.get("entities") or ():
        if entity.get("entity") == name and isinstance(entity.get("value"), str):
            return entity["value"]
    return None


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
    dims = _worker_dims(context) | {
        "province": effect.data.get("province") or _worker_dims(context)["province"]
    }
    record(context.session, "topic_answered", subject=effect.data.get("topic"), **dims)


@HANDLERS.on("flow_completed", "flow_cancelled", "flow_abandoned")
def _flow_ended(context: Context, effect: Effect) -> None:
    record(
        context.session,
        effect.kind,
        subject=effect.data.get("flow"),
        step=effect.data.get("step"),
        **_worker_dims(context),
    )


@HANDLERS.on("file_report")
def _report_filed(context: Context, effect: Effect) -> None:
    from bot.reports.draft import ReportDraft

    draft = ReportDraft.from_effect(
        effect.data, context.runtime.settings.conversation.default_language
    )
    dims = {
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
    if effect.data.get("source") != "triage":
        return
    dims = _worker_dims(context) | {
        "province": effect.data.get("province") or _worker_dims(context)["province"]
    }
    record(context.session, "emergency", subject=effect.data.get("category"), **dims)


@HANDLERS.on("erase_data", first=True)
def _erased(context: Context, effect: Effect) -> None:
    """Count the erasure, and cut the last link to the number: the worker's monthly pseudonyms are
    replaced by random ones (so reach still counts them once), then written before the
    foundation's erase empties the session."""
    record(context.session, "erase_data", **_worker_dims(context))
    forget_worker(context.session, context.runtime.vault, context.conversation.address_key)
    context.session.flush()


def forget_worker(session: Session, vault: Any, address_key: str) -> int:
    """Replace this worker's reach pseudonyms, in every month, by unlinkable random ones."""
    months = session.scalars(
        select(AnalyticsEvent.month).where(AnalyticsEvent.kind.in_(REACH_KINDS)).distinct()
    ).all()
    changed = 0
    for month in months:
        changed += (
            session.execute(
                update(AnalyticsEvent)
                .where(
                    AnalyticsEvent.kind.in_(REACH_KINDS),
                    AnalyticsEvent.month == month,
                    AnalyticsEvent.worker == reach_pseudonym(vault, month, address_key),
                )
                .values(worker=secrets.token_hex(32))
            ).rowcount
            or 0
        )
    return changed


# --- referrals, relay, alerts (called by the routing and portal code) -----------------------------


def record_match(session: Session, report: Any, result: Any, *, at: datetime | None = None) -> None:
    """A routing decision for a report: whether anyone matched, the national fallback, the gaps.

    ``result`` is a ``bot.routing.MatchResult``; its ``gap`` entries (``province:PE``,
    ``language:tl``, ``service:housing``...) are the coverage-gap indicator's demand.
    """
    dims = _report_dims(report)
    matched = bool(getattr(result, "candidates", ()))
    record(
        session,
        "match",
        at=at,
        subject="matched" if matched else "unmatched",
        flag=bool(getattr(result, "fallback_used", False)),
        **dims,
    )
    for gap in _gaps(getattr(result, "gap", ())):
        record(session, "coverage_gap", at=at, subject=gap, **dims)


def record_referral(session: Session, referral: Any, stage: str, *, report: Any = None) -> None:
    """A referral reaching ``stage`` (sent, acknowledged, accepted, declined, closed).

    The row keeps the month the referral was sent (``cohort``) and the hours it took to get here,
    never the referral or its report.
    """
    if stage not in _STAGES:
        raise ValueError(f"unknown referral stage {stage!r}")
    if report is None:
        from bot.reports.models import Report

        report = session.get(Report, referral.report_id)
    sent_at = referral.created_at or utcnow()
    reached = getattr(referral, _STAGES[stage]) or utcnow()
    hours = max(0.0, (reached - sent_at).total_seconds() / 3600) if stage != "sent" else None
    record(
        session,
        f"referral_{stage}",
        at=reached,
        cohort=month_of(sent_at),
        value=hours,
        flag=bool(referral.fallback) if stage == "sent" else None,
        subject=referral.outcome if stage == "closed" else None,
        **_report_dims(report),
    )


def record_relay(session: Session, direction: str, *, report: Any = None) -> None:
    """One relay message between an NGO and a worker (``to_worker`` or ``from_worker``)."""
    record(
        session,
        "relay_message",
        subject=direction,
        **(_report_dims(report) if report is not None else {}),
    )


def record_employer_alert(session: Session, province: str | None = None) -> None:
    """A repeat-employer alert raised: only counted, never named."""
    record(session, "employer_alert", province=province)


def _report_dims(report: Any) -> dict[str, Any]:
    if report is None:
        return {}
    return {
        "channel": getattr(report, "channel", None),
        "language": getattr(report, "language", None),
        "province": getattr(report, "province", None),
        "sector": getattr(report, "sector", None),
    }


def _gaps(gaps: Iterable[Any]) -> list[str]:
    return [gap for gap in gaps if isinstance(gap, str)]
