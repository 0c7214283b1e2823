"""The analytics event log: one row per anonymized fact, the only table the indicators read.

A row holds a kind, the month it happened and a few categorical dimensions from fixed
vocabularies (channel, language, province, sector, a subject such as a topic or an abuse type).
It never holds text, a phone number, a conversation key or a case id. The one exception by design
is ``worker`` on ``conversation_started`` and ``worker_profile`` rows: a pseudonym keyed by the month
(``vault.keyed_hash("reach-2026-10", address_key)``), so distinct workers can be counted within a
month but no two months, and no other table, can be linked through it.

Its one writer is ``record`` (and the referral, relay and alert helpers below it, which the cases
call): every value is checked against a fixed vocabulary before it is written: a province code, a
language, a channel, a sector, or an identifier such as ``topic.wages`` or ``language:tl``. A value
that is not one (free text, anything with a number in it) is dropped, so a bug upstream can never
put a worker's words or number into the event log. Recording never stops a conversation: it only
adds rows to the caller's transaction. The conversation's facts are recorded by
bot.analytics.events; the indicators (bot.analytics) only read this table.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import Any, TypedDict

from sqlalchemy import BigInteger, Float, Index, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.store.db import Base, rowcount, utcnow
from bot.store.vault import Vault
from vocab import CHANNELS, LANGUAGES, PROVINCES

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
SECTORS = frozenset(
    {"agriculture", "caregiving", "food_processing", "construction", "hospitality", "other"}
)
#: An identifier from our own YAML or vocabularies: lowercase words joined by . _ - or one ':'.
_IDENTIFIER = re.compile(r"^[a-z][a-z_.-]{0,40}(:[a-zA-Z_.-]{1,22})?$")
_STAGES = {
    "sent": "created_at",
    "acknowledged": "acknowledged_at",
    "accepted": "accepted_at",
    "declined": "closed_at",
    "closed": "closed_at",
}


class AnalyticsEvent(Base):
    __tablename__ = "analytics_events"
    __table_args__ = (
        Index("ix_analytics_kind_month", "kind", "month"),
        Index("ix_analytics_kind_cohort", "kind", "cohort"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    #: Calendar month (UTC) the fact happened: "2026-10". No finer time is kept.
    month: Mapped[str] = mapped_column(String(7))
    channel: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(5))
    province: Mapped[str | None] = mapped_column(String(8))
    sector: Mapped[str | None] = mapped_column(String(40))
    #: What the fact is about, from a fixed vocabulary: a topic, flow, abuse type, outcome, gap.
    subject: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(64))
    #: A measure, e.g. hours from a referral being sent to this stage.
    value: Mapped[float | None] = mapped_column(Float)
    #: A yes/no fact, e.g. whether a referral used the national fallback.
    flag: Mapped[bool | None]
    #: For referral stages: the month the referral was sent (performance is read per cohort).
    cohort: Mapped[str | None] = mapped_column(String(7))
    #: Monthly reach pseudonym, on conversation_started and worker_profile rows only (see above).
    worker: Mapped[str | None] = mapped_column(String(64))


def month_of(moment: datetime) -> str:
    """The calendar month (UTC) of a moment, as the log stores it: "2026-10"."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def reach_pseudonym(vault: Vault, month: str, address_key: str) -> str:
    """The worker's pseudonym for one month only: a new key per month, so months cannot be linked."""
    return vault.keyed_hash(f"reach-{month}", address_key)


class Dims(TypedDict, total=False):
    """A report's vocabulary dimensions, as ``record`` takes them."""

    channel: str | None
    language: str | None
    province: str | None
    sector: str | None


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


def _member(value: Any, allowed: Collection[str]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _sector(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value if value in SECTORS else "other"


def _identifier(value: Any) -> str | None:
    return value if isinstance(value, str) and _IDENTIFIER.match(value) else None


def _is_month(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value) is not None


def forget_worker(session: Session, vault: Vault, address_key: str) -> int:
    """Replace this worker's reach pseudonyms, in every month, by unlinkable random ones."""
    months = session.scalars(
        select(AnalyticsEvent.month).where(AnalyticsEvent.kind.in_(REACH_KINDS)).distinct()
    ).all()
    changed = 0
    for month in months:
        changed += rowcount(
            session.execute(
                update(AnalyticsEvent)
                .where(
                    AnalyticsEvent.kind.in_(REACH_KINDS),
                    AnalyticsEvent.month == month,
                    AnalyticsEvent.worker == reach_pseudonym(vault, month, address_key),
                )
                .values(worker=secrets.token_hex(32))
            )
        )
    return changed


# --- referrals, relay, alerts (called by the cases) -----------------------------------------------


def record_match(session: Session, report: Any, result: Any, *, at: datetime | None = None) -> None:
    """A routing decision for a report: whether anyone matched, the national fallback, the gaps.

    ``result`` is a ``bot.directory.MatchResult``; its ``gap`` entries (``province:PE``,
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


def record_referral(session: Session, referral: Any, stage: str, *, report: Any) -> None:
    """A referral reaching ``stage`` (sent, acknowledged, accepted, declined, closed).

    The row keeps the month the referral was sent (``cohort``) and the hours it took to get here,
    never the referral or its report.
    """
    if stage not in _STAGES:
        raise ValueError(f"unknown referral stage {stage!r}")
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


def _report_dims(report: Any) -> Dims:
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
