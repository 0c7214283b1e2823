"""The analytics event log: one row per anonymized fact, the only table the indicators read.

A row holds a kind, the month it happened and a few categorical dimensions from fixed
vocabularies (channel, language, province, sector, a subject such as a topic or an abuse type).
It never holds text, a phone number, a conversation key or a case id. The one exception by design
is ``worker`` on ``conversation_started`` and ``worker_profile`` rows: a pseudonym keyed by the month
(``vault.keyed_hash("reach-2026-10", address_key)``), so distinct workers can be counted within a
month but no two months, and no other table, can be linked through it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.db import Base


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
